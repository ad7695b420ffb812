#!/usr/bin/env python3
"""pool.py - the mining pool of the `ares` scenario: a small Monero-style
stratum server (JSON-RPC 2.0 lines over TCP, as XMRig speaks to pools).
Our own Python 3 code.

It answers `login` with a session id and a job (a random 76-byte blob, job
id, target, algorithm, height, seed hash), `submit` with `OK` after
checking the share (SHA-256 of the blob with the nonce at byte 39, last 4
bytes little-endian below the target; see miner.py) or an error, and
`keepalived` with `KEEPALIVED`; it pushes a new job to every miner each
JOB_INTERVAL seconds. Environment: POOL_PORT, POOL_DIFFICULTY,
JOB_INTERVAL, POOL_SEED. Every login and share is printed.
"""

import hashlib
import json
import os
import random
import socket
import struct
import sys
import threading
import time

PORT = int(os.environ.get("POOL_PORT", "3333"))
DIFFICULTY = int(os.environ.get("POOL_DIFFICULTY", "100000"))
JOB_INTERVAL = float(os.environ.get("JOB_INTERVAL", "5"))
rng = random.Random(int(os.environ.get("POOL_SEED", "0")))
lock = threading.Lock()
height = 3000000 + rng.randrange(100000)


def log(*args):
    print("pool:", *args, flush=True)


def new_job():
    global height
    with lock:
        height += 1
        blob = bytes([16, 16]) + rng.randbytes(74)
        return {
            "blob": blob.hex(),
            "job_id": "%08x" % rng.getrandbits(32),
            "target": struct.pack("<I", 0xFFFFFFFF // DIFFICULTY).hex(),
            "algo": "rx/0",
            "height": height,
            "seed_hash": rng.randbytes(32).hex(),
        }


class Miner:
    def __init__(self, conn, addr):
        self.conn, self.addr = conn, addr
        self.session = None
        self.jobs = {}
        self.wlock = threading.Lock()
        self.alive = True

    def send(self, obj):
        with self.wlock:
            self.conn.sendall(json.dumps(obj, separators=(",", ":")).encode() + b"\n")

    def give_job(self):
        job = new_job()
        self.jobs[job["job_id"]] = job
        return job

    def pusher(self):
        while self.alive:
            time.sleep(JOB_INTERVAL)
            if not self.alive or self.session is None:
                continue
            try:
                self.send({"jsonrpc": "2.0", "method": "job", "params": self.give_job()})
            except OSError:
                break

    def check(self, p):
        job = self.jobs.get(p.get("job_id"))
        if job is None:
            return "Unknown job"
        blob = bytearray(bytes.fromhex(job["blob"]))
        blob[39:43] = bytes.fromhex(p["nonce"])
        h = hashlib.sha256(blob).digest()
        if h.hex() != p.get("result"):
            return "Invalid share"
        if struct.unpack("<I", h[28:32])[0] >= struct.unpack("<I", bytes.fromhex(job["target"]))[0]:
            return "Low difficulty share"
        return None

    def run(self):
        threading.Thread(target=self.pusher, daemon=True).start()
        buf = b""
        shares = 0
        try:
            while True:
                data = self.conn.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    if not line.strip():
                        continue
                    msg = json.loads(line)
                    mid, method, p = msg.get("id"), msg.get("method"), msg.get("params", {})
                    if method == "login":
                        self.session = "%016x" % rng.getrandbits(64)
                        log("login from %s: wallet %s, pass %r, agent %r, rig %r"
                            % (self.addr[0], p.get("login"), p.get("pass"), p.get("agent"), p.get("rigid", "")))
                        self.send({"id": mid, "jsonrpc": "2.0", "error": None,
                                   "result": {"id": self.session, "job": self.give_job(),
                                              "extensions": ["algo", "keepalive"], "status": "OK"}})
                    elif method == "submit":
                        err = self.check(p)
                        if err:
                            log("%s: rejected share (%s)" % (self.addr[0], err))
                            self.send({"id": mid, "jsonrpc": "2.0", "error": {"code": -1, "message": err}})
                        else:
                            shares += 1
                            log("%s: accepted share %d (job %s, nonce %s)" % (self.addr[0], shares, p["job_id"], p["nonce"]))
                            self.send({"id": mid, "jsonrpc": "2.0", "error": None, "result": {"status": "OK"}})
                    elif method == "keepalived":
                        self.send({"id": mid, "jsonrpc": "2.0", "error": None, "result": {"status": "KEEPALIVED"}})
                    else:
                        self.send({"id": mid, "jsonrpc": "2.0", "error": {"code": -1, "message": "Unsupported method"}})
        except (OSError, ValueError) as e:
            log("%s: %s" % (self.addr[0], e))
        finally:
            self.alive = False
            self.conn.close()
            log("%s left after %d shares" % (self.addr[0], shares))


def main():
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", PORT))
    srv.listen(16)
    log("stratum on port %d, difficulty %d, a new job every %.1f s" % (PORT, DIFFICULTY, JOB_INTERVAL))
    while True:
        conn, addr = srv.accept()
        threading.Thread(target=Miner(conn, addr).run, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
