#!/usr/bin/env python3
"""stratum-pool.py - the mining pool of the `cryptojacking` scenario.

Our own emulation (Python 3, standard library only) of a Bitcoin-style
mining pool's Stratum v1 server: line-delimited JSON-RPC over TCP (port
3333) and over TLS ("stratum+ssl", port 3334, a self-signed certificate
made with openssl at start). What it puts on the wire is what pools such
as ckpool or NOMP do:

* mining.subscribe -> [[["mining.set_difficulty", id], ["mining.notify",
  id]], extranonce1 (4 bytes hex), extranonce2_size];
* mining.authorize -> true for a well-formed login (a Bitcoin address,
  legacy, P2SH or bech32, or a pool account, optionally ".worker"), false
  otherwise; mining.extranonce.subscribe and mining.suggest_difficulty are
  answered too;
* mining.set_difficulty (share difficulty; POOL_DIFFICULTY at first, then
  variable difficulty: every POOL_RETARGET seconds the pool aims at one
  share per POOL_TARGET_TIME seconds, as vardiff does, and when 8 shares
  come much too fast it raises the difficulty at once and sends the
  current job again);
* mining.notify every POOL_JOB_INTERVAL seconds: job id, previous block
  hash, coinbase halves (with block height and the pool's tag), merkle
  branch (0-6 hashes), version, nbits, ntime, clean_jobs (true for a new
  block, drawn with POOL_BLOCK_PROBABILITY, else an updated template;
  always true in the first job a miner gets after authorizing);
* mining.submit: the share is rebuilt (coinbase, merkle root, 80-byte
  header) and its double SHA-256 checked against the share target; the
  answer is true, or an error: 21 job not found (stale), 22 duplicate,
  23 low difficulty, 20 other (bad ntime or extranonce2).
With POOL_DROP_AFTER > 0 the pool closes every miner connection once, that
many seconds after the first miner authorized (a pool restart), and miners
reconnect.

Environment: POOL_PORT, POOL_TLS_PORT, POOL_CERT, POOL_KEY, POOL_DIFFICULTY,
POOL_TARGET_TIME, POOL_RETARGET, POOL_JOB_INTERVAL, POOL_BLOCK_PROBABILITY,
POOL_EXTRANONCE2_SIZE, POOL_TAG, POOL_SEED, POOL_DROP_AFTER.
"""

import hashlib
import json
import os
import random
import re
import socket
import ssl
import struct
import sys
import threading
import time

DIFF1 = 0x00000000FFFF0000000000000000000000000000000000000000000000000000
LOCK = threading.Lock()

LOGIN = re.compile(
    r"^(?:1[1-9A-HJ-NP-Za-km-z]{25,34}|3[1-9A-HJ-NP-Za-km-z]{25,34}|bc1q[02-9ac-hj-np-z]{38,58}"
    r"|[a-z][a-z0-9_]{2,31})(?:[.+_][A-Za-z0-9_-]{1,32})?$")


def log(msg):
    with LOCK:
        print("pool: " + msg, flush=True)


def sha256d(b):
    return hashlib.sha256(hashlib.sha256(b).digest()).digest()


def swap_words(hex32):
    """Stratum sends prevhash as eight 32-bit words, each byte-swapped."""
    b = bytes.fromhex(hex32)
    return b"".join(b[i:i + 4][::-1] for i in range(0, 32, 4))


def share_hash(job, extranonce1, extranonce2, ntime, nonce):
    coinbase = bytes.fromhex(job["coinb1"] + extranonce1 + extranonce2 + job["coinb2"])
    root = sha256d(coinbase)
    for h in job["branch"]:
        root = sha256d(root + bytes.fromhex(h))
    header = (bytes.fromhex(job["version"])[::-1] + swap_words(job["prevhash"]) + root
              + bytes.fromhex(ntime)[::-1] + bytes.fromhex(job["nbits"])[::-1]
              + bytes.fromhex(nonce)[::-1])
    return int.from_bytes(sha256d(header)[::-1], "big")


class Pool:
    def __init__(self):
        e = os.environ
        self.rng = random.Random(int(e.get("POOL_SEED", "1")))
        self.difficulty = float(e.get("POOL_DIFFICULTY", "0.00001"))
        self.target_time = float(e.get("POOL_TARGET_TIME", "2"))
        self.retarget = float(e.get("POOL_RETARGET", "5"))
        self.job_interval = float(e.get("POOL_JOB_INTERVAL", "5"))
        self.block_probability = float(e.get("POOL_BLOCK_PROBABILITY", "0.3"))
        self.en2_size = int(e.get("POOL_EXTRANONCE2_SIZE", "4"))
        self.tag = e.get("POOL_TAG", "/pool/")
        self.drop_after = float(e.get("POOL_DROP_AFTER", "0"))
        self.height = self.rng.randint(600000, 840000)
        self.prevhash = "%064x" % self.rng.getrandbits(256)
        self.jobs = {}
        self.job_seq = 0
        self.current = None
        self.clients = set()
        self.lock = threading.Lock()
        self.extranonce_counter = self.rng.randrange(1 << 24)
        self.first_authorized = threading.Event()
        self.min_difficulty = 1e-8
        self.fast_shares = 8  # retarget at once after this many shares in a window
        self.new_job(clean=True)

    # -- jobs
    def new_job(self, clean):
        with self.lock:
            if clean:
                self.height += 1
                self.prevhash = "%064x" % self.rng.getrandbits(256)
                self.jobs.clear()
            self.job_seq += 1
            height = self.height.to_bytes(3, "little").hex()
            tag = self.tag.encode().hex()
            coinb1 = ("01000000" + "01" + "00" * 32 + "ffffffff"
                      + "%02x" % (4 + len(self.tag) + 8 + 3) + "03" + height)
            coinb2 = (("%02x" % len(self.tag)) + tag + "ffffffff" + "01"
                      + struct.pack("<Q", 625000000 + self.rng.randrange(10 ** 8)).hex()
                      + "16" + "0014" + "%040x" % self.rng.getrandbits(160) + "00000000")
            job = {
                "id": "%x" % (self.job_seq * 0x1000 + self.rng.randrange(0x1000)),
                "prevhash": self.prevhash,
                "coinb1": coinb1,
                "coinb2": coinb2,
                "branch": ["%064x" % self.rng.getrandbits(256) for _ in range(self.rng.randint(0, 6))],
                "version": "20000000",
                "nbits": "%08x" % (0x17030000 + self.rng.randrange(0x10000)),
                "ntime": "%08x" % int(time.time()),
                "clean": clean,
                "shares": set(),
            }
            self.jobs[job["id"]] = job
            self.current = job
            return job

    def notify_params(self, job):
        return [job["id"], job["prevhash"], job["coinb1"], job["coinb2"], job["branch"],
                job["version"], job["nbits"], job["ntime"], job["clean"]]

    def broadcast_loop(self):
        while True:
            time.sleep(self.job_interval)
            clean = self.rng.random() < self.block_probability
            job = self.new_job(clean)
            with self.lock:
                clients = list(self.clients)
            log("new job %s (%s), %d branch hash(es), %d miner(s)"
                % (job["id"], "new block %d, clean" % self.height if clean else "updated template",
                   len(job["branch"]), len(clients)))
            for c in clients:
                c.notify(job)

    def drop_loop(self):
        self.first_authorized.wait()
        time.sleep(self.drop_after)
        with self.lock:
            clients = list(self.clients)
        log("restarting: closing %d miner connection(s)" % len(clients))
        for c in clients:
            c.close()

    def next_extranonce1(self):
        with self.lock:
            self.extranonce_counter += 1
            return "%08x" % (self.extranonce_counter & 0xFFFFFFFF)


class Miner:
    """One miner connection."""

    def __init__(self, pool, sock, peer, transport):
        self.pool = pool
        self.sock = sock
        self.peer = "%s:%d" % peer
        self.transport = transport
        self.file = sock.makefile("rb")
        self.wlock = threading.Lock()
        self.extranonce1 = pool.next_extranonce1()
        self.difficulty = pool.difficulty
        self.old_difficulty = None
        self.subscribed = False
        self.worker = None
        self.accepted = 0
        self.rejected = 0
        self.since = time.time()
        self.window_shares = 0

    def send(self, obj):
        data = (json.dumps(obj, separators=(",", ":")) + "\n").encode()
        with self.wlock:
            try:
                self.sock.sendall(data)
            except OSError:
                pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def notify(self, job):
        if self.subscribed and self.worker:
            self.maybe_retarget()
            self.send({"id": None, "method": "mining.notify", "params": self.pool.notify_params(job)})

    def set_difficulty(self, d):
        self.old_difficulty = self.difficulty
        self.difficulty = d
        self.send({"id": None, "method": "mining.set_difficulty", "params": [d]})

    def maybe_retarget(self, early=False):
        """Variable difficulty: at each job once POOL_RETARGET seconds have
        passed, or at once when shares come much too fast (early)."""
        elapsed = max(time.time() - self.since, 0.001)
        if not early and elapsed < self.pool.retarget:
            return False
        rate = self.window_shares / elapsed  # shares per second
        want = 1.0 / self.pool.target_time
        if self.window_shares == 0:
            factor = 0.5  # nothing came: make it easier
        else:
            factor = min(16.0, max(0.25, rate / want))
        changed = False
        if abs(factor - 1) > 0.2:
            new = max(self.pool.min_difficulty, float("%.3g" % (self.difficulty * factor)))
            log("%s: vardiff %d share(s) in %.1f s -> difficulty %g" % (self.peer, self.window_shares, elapsed, new))
            self.set_difficulty(new)
            changed = True
        self.since = time.time()
        self.window_shares = 0
        return changed

    def run(self):
        with self.pool.lock:
            self.pool.clients.add(self)
        log("%s: connected (%s)" % (self.peer, self.transport))
        try:
            for line in self.file:
                line = line.strip()
                if not line:
                    continue
                try:
                    msg = json.loads(line)
                except ValueError:
                    log("%s: not JSON: %r" % (self.peer, line[:80]))
                    continue
                self.handle(msg)
        except (OSError, ssl.SSLError) as err:
            log("%s: %s" % (self.peer, err))
        finally:
            with self.pool.lock:
                self.pool.clients.discard(self)
            log("%s: disconnected, worker %s: %d accepted, %d rejected"
                % (self.peer, self.worker, self.accepted, self.rejected))
            try:
                self.sock.close()
            except OSError:
                pass

    def reply(self, mid, result, error=None):
        self.send({"id": mid, "result": result, "error": error})

    def handle(self, msg):
        mid, method, params = msg.get("id"), msg.get("method"), msg.get("params") or []
        if method == "mining.subscribe":
            self.subscribed = True
            sub = "%016x" % random.getrandbits(64)
            self.reply(mid, [[["mining.set_difficulty", sub], ["mining.notify", sub]],
                             self.extranonce1, self.pool.en2_size])
            log("%s: subscribe from %s -> extranonce1 %s" % (self.peer, params[0] if params else "?", self.extranonce1))
        elif method == "mining.extranonce.subscribe":
            self.reply(mid, True)
        elif method == "mining.configure":
            self.reply(mid, {})
        elif method == "mining.suggest_difficulty":
            self.reply(mid, True)
            log("%s: miner suggests difficulty %s (kept %g)" % (self.peer, params, self.difficulty))
        elif method == "mining.authorize":
            login = str(params[0]) if params else ""
            ok = bool(LOGIN.match(login))
            self.reply(mid, ok, None if ok else [24, "Unauthorized worker", None])
            log("%s: authorize %s (password %r) -> %s" % (self.peer, login, params[1] if len(params) > 1 else "", ok))
            if ok and self.subscribed:
                self.worker = login
                self.since = time.time()
                self.pool.first_authorized.set()
                self.send({"id": None, "method": "mining.set_difficulty", "params": [self.difficulty]})
                # a new miner's first job always says clean_jobs
                first = self.pool.notify_params(self.pool.current)
                first[8] = True
                self.send({"id": None, "method": "mining.notify", "params": first})
        elif method == "mining.submit":
            self.submit(mid, params)
        else:
            self.reply(mid, None, [20, "Unknown method", None])

    def submit(self, mid, params):
        if self.worker is None:
            return self.reply(mid, None, [25, "Not subscribed or authorized", None])
        try:
            worker, job_id, en2, ntime, nonce = [str(p) for p in params[:5]]
            int(en2, 16), int(ntime, 16), int(nonce, 16)
        except ValueError:
            return self.reply(mid, None, [20, "Malformed share", None])
        job = self.pool.jobs.get(job_id)
        error = None
        if job is None:
            error = [21, "Job not found", None]
        elif len(en2) != 2 * self.pool.en2_size:
            error = [20, "Incorrect size of extranonce2", None]
        elif abs(int(ntime, 16) - int(job["ntime"], 16)) > 7200:
            error = [20, "ntime out of range", None]
        elif (self.extranonce1, en2, ntime, nonce) in job["shares"]:
            error = [22, "Duplicate share", None]
        else:
            value = share_hash(job, self.extranonce1, en2, ntime, nonce)
            ok_now = value <= int(DIFF1 / self.difficulty)
            ok_old = self.old_difficulty and value <= int(DIFF1 / self.old_difficulty)
            if not ok_now and not ok_old:
                error = [23, "Low difficulty share", None]
            else:
                job["shares"].add((self.extranonce1, en2, ntime, nonce))
                sdiff = DIFF1 / max(value, 1)
        if error:
            self.rejected += 1
            self.reply(mid, None, error)
            log("%s: share job %s nonce %s REJECTED: %s" % (self.peer, job_id, nonce, error[1]))
        else:
            self.accepted += 1
            self.window_shares += 1
            self.reply(mid, True)
            log("%s: share job %s nonce %s accepted (share difficulty %.3g, %d accepted)"
                % (self.peer, job_id, nonce, sdiff, self.accepted))
            elapsed = time.time() - self.since
            if (self.window_shares >= self.pool.fast_shares
                    and self.window_shares / max(elapsed, 0.001) > 2.0 / self.pool.target_time):
                # much too fast: a harder target now, with the current job again
                if self.maybe_retarget(early=True):
                    self.send({"id": None, "method": "mining.notify",
                               "params": self.pool.notify_params(self.pool.current)})


def serve(pool, port, context):
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("0.0.0.0", port))
    lsock.listen(32)
    while True:
        sock, peer = lsock.accept()
        threading.Thread(target=session, args=(pool, sock, peer, context), daemon=True).start()


def session(pool, sock, peer, context):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if context is not None:
        try:
            sock = context.wrap_socket(sock, server_side=True)
        except (OSError, ssl.SSLError) as err:
            log("%s:%d: TLS handshake failed: %s" % (peer[0], peer[1], err))
            sock.close()
            return
        transport = "stratum+ssl, %s %s" % (sock.version(), sock.cipher()[0])
    else:
        transport = "stratum+tcp"
    Miner(pool, sock, peer, transport).run()


def main():
    e = os.environ
    pool = Pool()
    port = int(e.get("POOL_PORT", "3333"))
    tls_port = int(e.get("POOL_TLS_PORT", "0"))
    threading.Thread(target=pool.broadcast_loop, daemon=True).start()
    if pool.drop_after > 0:
        threading.Thread(target=pool.drop_loop, daemon=True).start()
    if tls_port:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(e.get("POOL_CERT", "/etc/pool/cert.pem"), e.get("POOL_KEY", "/etc/pool/key.pem"))
        threading.Thread(target=serve, args=(pool, tls_port, ctx), daemon=True).start()
    log("stratum on port %d%s, difficulty %g, vardiff to one share per %g s every %g s, a job every %g s (%d%% new blocks), tag %s"
        % (port, " and stratum+ssl on port %d" % tls_port if tls_port else "", pool.difficulty,
           pool.target_time, pool.retarget, pool.job_interval, round(100 * pool.block_probability), pool.tag))
    serve(pool, port, None)


if __name__ == "__main__":
    sys.exit(main())
