#!/usr/bin/env python3
"""mirai_operator.py - the botnet's operator in the `mirai` scenario: a
scripted telnet client that logs into the emulated Mirai CNC and launches
an attack, or just watches the botnet grow while it scans. Our own
Python 3 code.

What it puts on the wire, like an operator at a telnet client:

* The client's option negotiation on connect (netkit telnet's or PuTTY's
  set, OPERATOR_CLIENT), answers to the CNC's WILL ECHO / WILL SGA, and
  from then on character mode: every key in its own TCP segment, typed
  at a drawn pace (OPERATOR_TYPING seconds per key, jittered), Enter as
  CR NUL (netkit) or CR LF (PuTTY).
* Optionally a mistyped password first (OPERATOR_TYPO), refused by the
  CNC; the operator presses a key, reconnects and logs in properly.
* Waits until the terminal title reports BOTS bots, asks `botcount`,
  then types the attack line (OPERATOR_ATTACK, with VICTIM replaced by
  the victim's address) - or, with OPERATOR_LAUNCH=api, sends it to the
  CNC's API port as `<CNC_API_KEY>|<attack line>` the way a booter's web
  front end does and expects `OK` - waits for it to run its course
  (ATTACK_WAIT seconds) and leaves with `exit` or `quit`. With OPERATOR_ATTACK empty
  it watches the bots for ATTACK_WAIT seconds instead.

Exit status 0 when the session went as planned: logged in (after the
refused typo, if any), all BOTS bots seen, the attack accepted without an
error; 1 otherwise.
"""

import os
import random
import re
import socket
import sys
import time

ENV = os.environ
CNC = ENV.get("CNC_HOST", "cnc")
USER = ENV["CNC_USER"]
PASSWORD = ENV["CNC_PASSWORD"]
BOTS = int(ENV.get("BOTS", "1"))
ATTACK = ENV.get("OPERATOR_ATTACK", "")
ATTACK_WAIT = float(ENV.get("ATTACK_WAIT", "5"))
CLIENT = ENV.get("OPERATOR_CLIENT", "netkit")
TYPING = float(ENV.get("OPERATOR_TYPING", "0.08"))
TYPO = ENV.get("OPERATOR_TYPO", "no") == "yes"
LEAVE = ENV.get("OPERATOR_LEAVE", "exit")
LAUNCH = ENV.get("OPERATOR_LAUNCH", "telnet")
API_KEY = ENV.get("CNC_API_KEY", "")
rng = random.Random(int(ENV.get("OPERATOR_SEED", "0")))

IAC, DO, DONT, WILL, WONT = 255, 253, 254, 251, 252
# What the clients announce when they connect.
OPENING = {
    # DO SGA, WILL TTYPE, WILL NAWS, WILL TSPEED, WILL LFLOW, WILL LINEMODE,
    # WILL NEW-ENVIRON, DO STATUS
    "netkit": bytes([IAC, DO, 3, IAC, WILL, 24, IAC, WILL, 31, IAC, WILL, 32, IAC, WILL, 33,
                     IAC, WILL, 34, IAC, WILL, 39, IAC, DO, 5]),
    # WILL NAWS, WILL TSPEED, WILL TTYPE, WILL NEW-ENVIRON, DO ECHO, WILL SGA, DO SGA
    "putty": bytes([IAC, WILL, 31, IAC, WILL, 32, IAC, WILL, 24, IAC, WILL, 39, IAC, DO, 1,
                    IAC, WILL, 3, IAC, DO, 3]),
}
ENTER = {"netkit": b"\r\x00", "putty": b"\r\n"}
TITLE = re.compile(rb"\x1b\]0;(\d+) Bots Connected \| [^\x07]*\x07")


def log(*args):
    print("operator:", *args, flush=True)


class Session:
    def __init__(self):
        self.sock = socket.create_connection((CNC, 23), timeout=10)
        self.sock.settimeout(0.2)
        self.buf = b""
        self.bots = 0
        self.closed = False
        self.sock.sendall(OPENING[CLIENT])

    def pump(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end and not self.closed:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            if not data:
                self.closed = True
                return
            self.buf += self.negotiate(data)
            for m in TITLE.finditer(self.buf):
                self.bots = int(m.group(1))

    def negotiate(self, data):
        """Answer the server's options as a telnet client does; return the
        rest of the data."""
        out = bytearray()
        i = 0
        while i < len(data):
            if data[i] == IAC and i + 2 < len(data) and data[i + 1] in (DO, DONT, WILL, WONT):
                cmd, opt = data[i + 1], data[i + 2]
                if cmd == WILL and opt in (1, 3):
                    self.sock.sendall(bytes([IAC, DO, opt]))
                elif cmd == WILL:
                    self.sock.sendall(bytes([IAC, DONT, opt]))
                i += 3
            else:
                out.append(data[i])
                i += 1
        return bytes(out)

    def wait_for(self, patterns, timeout):
        """Wait until one of the patterns (bytes, or a tuple of them) has
        arrived."""
        if isinstance(patterns, bytes):
            patterns = (patterns,)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any(p in self.buf for p in patterns):
                return True
            if self.closed:
                return False
            self.pump(0.2)
        return any(p in self.buf for p in patterns)

    def type_line(self, text):
        for ch in text:
            self.sock.sendall(ch.encode())
            time.sleep(max(0.01, rng.uniform(0.5, 1.5) * TYPING))
        self.sock.sendall(ENTER[CLIENT])

    def take(self):
        out, self.buf = self.buf, b""
        return out


def login(password):
    s = Session()
    if not s.wait_for(b"username\x1b[33;3m: ", 15):
        raise RuntimeError("no username prompt")
    s.take()
    s.type_line(USER)
    if not s.wait_for(b"password\x1b[33;3m: ", 10):
        raise RuntimeError("no password prompt")
    s.take()
    s.type_line(password)
    s.wait_for((b"Ready\r\n", b"Press any key to exit"), 20)
    if b"An unknown error occurred" in s.buf:
        return s, False
    if b"Ready\r\n" not in s.buf:
        raise RuntimeError("neither Ready nor a refusal after the password: %r" % s.buf[-200:])
    return s, True


def main():
    try:
        victim = socket.gethostbyname("victim")
    except OSError:
        victim = "victim"
    attack = ATTACK.replace("VICTIM", victim)
    try:
        if TYPO:
            wrong = PASSWORD + rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
            s, ok = login(wrong)
            if ok:
                log("FAILED: the mistyped password was accepted")
                return 1
            log("the mistyped password was refused; pressing a key")
            time.sleep(rng.uniform(0.5, 1.5))
            s.sock.sendall(b"\r")
            s.pump(1)
            s.sock.close()
            time.sleep(rng.uniform(0.5, 2))
        s, ok = login(PASSWORD)
        if not ok:
            log("FAILED: the CNC refused the login")
            return 1
        log("logged in as %s" % USER)
        s.wait_for(b"@botnet# ", 10)
        end = time.monotonic() + 45
        while s.bots < BOTS and time.monotonic() < end and not s.closed:
            s.pump(0.5)
        if s.bots < BOTS:
            log("FAILED: only %d of %d bots connected" % (s.bots, BOTS))
            return 1
        log("%d bots connected" % s.bots)
        time.sleep(rng.uniform(0.3, 1.5))
        s.take()
        s.type_line("botcount")
        if not s.wait_for(b"@botnet# ", 10):
            log("FAILED: no prompt after botcount")
            return 1
        counts = re.findall(rb"\x1b\[36;1m([^:\r\n]*):\t(\d+)\x1b\[0m", s.take())
        total = sum(int(n) for _, n in counts)
        log("botcount: %s" % ", ".join("%s=%s" % (k.decode(), n.decode()) for k, n in counts))
        if total != BOTS:
            log("FAILED: botcount lists %d bots, not %d" % (total, BOTS))
            return 1
        time.sleep(rng.uniform(0.5, 2))
        if attack and LAUNCH == "api":
            # as a booter's web front end does: one line to the API port
            with socket.create_connection((CNC, 101), timeout=10) as api:
                api.sendall(("%s|%s\r\n" % (API_KEY, attack)).encode())
                reply = b""
                while not reply.endswith(b"\r\n"):
                    chunk = api.recv(256)
                    if not chunk:
                        break
                    reply += chunk
            if reply != b"OK\r\n":
                log("FAILED: the API answered %r" % reply)
                return 1
            log("attack launched through the API: %s" % attack)
        elif attack:
            s.type_line(attack)
            if not s.wait_for(b"@botnet# ", 10):
                log("FAILED: no prompt after the attack")
                return 1
            reply = s.take()
            if b"\x1b[31;1m" in reply:
                log("FAILED: the CNC refused the attack: %r" % reply)
                return 1
            log("attack launched: %s" % attack)
        end = time.monotonic() + ATTACK_WAIT
        while time.monotonic() < end and not s.closed:
            s.pump(0.5)
        if s.closed:
            log("FAILED: the CNC closed the session")
            return 1
        s.type_line(LEAVE)
        s.wait_for(b"\x1b[?1049l", 5)
        s.sock.close()
        log("left with %r; %d bots were connected" % (LEAVE, s.bots))
        return 0
    except (OSError, RuntimeError) as e:
        log("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
