#!/usr/bin/env python3
"""miner.py - the cryptominer the `ares` scenario's operator drops on its
agents: an emulation of XMRig's pool protocol (Monero-style stratum:
JSON-RPC 2.0 lines over TCP) with a CPU-capped, time-limited proof of work.
Our own Python 3 code; it needs nothing but the standard library, so the
agent can fetch it as one file and run it.

On the wire, as XMRig: `login` (wallet, password, agent string, algorithms)
answered with the first job, then `submit` of every share (job id, nonce,
result hash, algorithm) answered `OK`, jobs the pool pushes, and
`keepalived` every KEEPALIVE seconds. The hash is SHA-256 of the job blob
with the nonce at byte 39 (RandomX would need the real miner); a share is
good when the hash's last 4 bytes, little-endian, are below the job's
target. The miner works at most --cpu-max-threads-hint percent of the time and stops
after --time seconds (or later, once a first share is accepted, at most
30 s later), printing XMRig-like lines and a summary.

Usage: miner.py -o stratum+tcp://HOST:PORT -u WALLET [-p PASS] [--rig-id ID]
                [--cpu-max-threads-hint PCT] [--time SECS] [--keepalive SECS]
"""

import argparse
import hashlib
import json
import socket
import struct
import sys
import time

AGENT = "XMRig/6.18.1 (Linux x86_64) libuv/1.44.2 gcc/12.2.0"


def stamp():
    return time.strftime("[%Y-%m-%d %H:%M:%S]")


def say(*args):
    print(stamp(), *args, flush=True)


class Pool:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setblocking(False)
        self.buf = b""
        self.next_id = 1

    def send(self, method, params):
        msg = {"id": self.next_id, "jsonrpc": "2.0", "method": method, "params": params}
        self.next_id += 1
        self.sock.sendall(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
        return msg["id"]

    def messages(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("the pool closed the connection")
                self.buf += data
        except BlockingIOError:
            pass
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            if line.strip():
                out.append(json.loads(line))
        return out

    def wait_reply(self, msg_id, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for m in self.messages():
                if m.get("id") == msg_id:
                    return m
            time.sleep(0.02)
        raise TimeoutError("no answer from the pool")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--url", required=True)
    ap.add_argument("-u", "--user", required=True)
    ap.add_argument("-p", "--pass", dest="password", default="x")
    ap.add_argument("--rig-id", default="")
    ap.add_argument("--cpu-max-threads-hint", dest="cpu_limit", type=int, default=50)
    ap.add_argument("--time", type=float, default=10)
    ap.add_argument("--keepalive", type=float, default=60)
    a = ap.parse_args()
    hostport = a.url.split("://", 1)[-1]
    host, port = hostport.rsplit(":", 1)
    say(" * ABOUT        XMRig/6.18.1 gcc/12.2.0 (emulated)")
    say(" * POOL #1      %s algo rx/0" % hostport)
    pool = Pool(host, int(port))
    say("net      use pool %s" % hostport)
    params = {"login": a.user, "pass": a.password, "agent": AGENT, "algo": ["rx/0", "cn/r", "cn/0"]}
    if a.rig_id:
        params["rigid"] = a.rig_id
    reply = pool.wait_reply(pool.send("login", params), 10)
    if reply.get("error"):
        say("net      login error: %s" % reply["error"])
        return 1
    session = reply["result"]["id"]
    job = reply["result"]["job"]
    say("net      new job from %s diff %d algo %s height %d" % (hostport, difficulty(job), job["algo"], job["height"]))
    start = time.monotonic()
    end = start + a.time
    last_keepalive = start
    hashes = accepted = rejected = 0
    nonce = 0
    pending = {}
    duty = max(1, min(100, a.cpu_limit)) / 100.0
    # mine for the given time, and on until a first share is accepted
    # (at most 30 s more)
    while time.monotonic() < end or (accepted == 0 and time.monotonic() < end + 30):
        # work for a slice, then rest, so that the CPU share stays capped
        slice_end = time.monotonic() + 0.1 * duty
        blob = bytearray(bytes.fromhex(job["blob"]))
        target = struct.unpack("<I", bytes.fromhex(job["target"]))[0]
        while time.monotonic() < slice_end:
            struct.pack_into("<I", blob, 39, nonce)
            h = hashlib.sha256(blob).digest()
            hashes += 1
            if struct.unpack("<I", h[28:32])[0] < target:
                mid = pool.send(
                    "submit",
                    {"id": session, "job_id": job["job_id"], "nonce": struct.pack("<I", nonce).hex(),
                     "result": h.hex(), "algo": job["algo"]},
                )
                pending[mid] = time.monotonic()
            nonce = (nonce + 1) & 0xFFFFFFFF
        time.sleep(0.1 * (1 - duty))
        for m in pool.messages():
            if m.get("method") == "job":
                job = m["params"]
                nonce = 0
                say("net      new job from %s diff %d algo %s height %d" % (hostport, difficulty(job), job["algo"], job["height"]))
            elif m.get("id") in pending:
                ms = (time.monotonic() - pending.pop(m["id"])) * 1000
                if m.get("error"):
                    rejected += 1
                    say("cpu      rejected (%d/%d) diff %d \"%s\" (%d ms)" % (accepted, rejected, difficulty(job), m["error"].get("message"), ms))
                else:
                    accepted += 1
                    say("cpu      accepted (%d/%d) diff %d (%d ms)" % (accepted, rejected, difficulty(job), ms))
        if time.monotonic() - last_keepalive >= a.keepalive:
            pool.send("keepalived", {"id": session})
            last_keepalive = time.monotonic()
    elapsed = time.monotonic() - start
    say("miner    speed 10s/60s/15m %.1f n/a n/a H/s" % (hashes / elapsed))
    say("summary  %d hashes, %d accepted, %d rejected in %.0f s" % (hashes, accepted, rejected, elapsed))
    pool.sock.close()
    return 0 if accepted else 1


def difficulty(job):
    target = struct.unpack("<I", bytes.fromhex(job["target"]))[0]
    return 0xFFFFFFFF // max(1, target)


if __name__ == "__main__":
    sys.exit(main())
