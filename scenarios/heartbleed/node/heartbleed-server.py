#!/usr/bin/env python3
"""heartbleed-server.py - a TLS web server with the Heartbleed bug (CVE-2014-0160).

Our own emulation, for the `heartbleed` scenario, of an HTTPS server built
on OpenSSL 1.0.1-1.0.1f (Debian's OpenSSL is fixed, and OpenSSL 3 dropped
heartbeats altogether). It speaks real TLS (tls12.py): ClientHello ->
ServerHello (+ heartbeat extension when the client offered it, + the
renegotiation_info OpenSSL 3 clients require), Certificate (a real
self-signed certificate made with openssl at start), ServerHelloDone; then,
for clients that go on, an RSA key exchange, Finished both ways and HTTP/1.1
over the protected records (a small site with a login form, session cookies
and an account page).

Heartbeats (content type 24) are answered at any point of a connection,
before the handshake completes in cleartext, after it encrypted, as OpenSSL
1.0.1 did. With HB_MODE=vulnerable the answer is exactly the bug: OpenSSL
1.0.1f's tls1_process_heartbeat trusts the request's payload_length, so the
response (type 2) carries payload_length bytes copied from where the
request's payload starts - the few bytes really sent, then whatever lies
after them in the process's memory - plus 16 bytes of padding, split into
records of 2^14 bytes; up to 64 KiB leak per heartbeat. With
HB_MODE=patched the server does what 1.0.1g does: it silently discards a
heartbeat shorter than 1+2+16 bytes or one whose payload_length does not
fit in the record, and answers well-formed ones.

The process memory is modelled as a 128 KiB buffer:
  0x0000-0x07ff  the connection's read buffer: the record being handled is
                 read to its start (decrypted in place), stale bytes of
                 earlier records (hellos, encrypted records of other
                 clients) follow it;
  0x0800-0x87ff  recently allocated heap: the decrypted HTTP requests and
                 the Set-Cookie headers of the server's latest exchanges,
                 written in turn (the oldest overwritten), beginning with
                 earlier sessions of the site's administrator (a login POST
                 with the password, requests carrying the session cookie);
  0x8800-        older heap: a session cache (cookies), configuration
                 lines with credentials and an API key, the server's RSA
                 private key in PEM form, pointers, zero runs and strings
                 such as a long-running server holds.
An over-read therefore returns earlier records first, then other users'
requests (cookies, passwords), and with large payload_length values the
older heap (the private key at a drawn offset).

Environment: HB_PORT (443), HB_MODE (vulnerable|patched), HB_CERT, HB_KEY
(PEM files), HB_SUITES (server's preference, comma-separated OpenSSL
names), HB_SITE (host name), HB_SERVER_HEADER, HB_ADMIN_USER,
HB_ADMIN_PASSWORD, HB_ADMIN_SESSION, HB_API_KEY, HB_ACCOUNTS
(user:password,...), HB_MEMORY_SEED.
"""

import os
import random
import secrets as pysecrets
import socket
import sys
import threading
import time
import traceback
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography import x509

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tls12 as T  # noqa: E402

LOCK = threading.Lock()


def log(msg):
    with LOCK:
        print("server: " + msg, flush=True)


# ---- the process memory ------------------------------------------------------

MEM_SIZE = 0x20000
RBUF_END = 0x0800
RECENT_START, RECENT_END = 0x0800, 0x8800
OLD_START = 0x8800


class Memory:
    def __init__(self, rng, cfg, key_pem):
        self.rng = rng
        self.lock = threading.Lock()
        self.mem = bytearray(MEM_SIZE)
        self.recent = RECENT_START
        self._fill_old(cfg, key_pem)
        # stale read-buffer bytes: looks like old records
        for i in range(0, RBUF_END, 64):
            self.mem[i:i + 64] = self._junk(64)
        for req in self._admin_history(cfg):
            self.remember(req)

    def _junk(self, n):
        kind = self.rng.random()
        if kind < 0.35:
            return bytes(n)
        if kind < 0.7:
            # heap pointers and small integers, little-endian
            out = bytearray()
            while len(out) < n:
                if self.rng.random() < 0.6:
                    out += (0x7f0000000000 + self.rng.randrange(1 << 32) * 16).to_bytes(8, "little")
                else:
                    out += self.rng.randrange(1 << 16).to_bytes(8, "little")
            return bytes(out[:n])
        return bytes(self.rng.randrange(256) for _ in range(n))

    def _admin_history(self, cfg):
        site, ua = cfg["site"], cfg["admin_ua"]
        body = "user=%s&password=%s" % (cfg["admin_user"], cfg["admin_password"])
        yield ("POST /login HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               "Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s"
               % (site, ua, len(body), body)).encode()
        yield ("HTTP/1.1 302 Found\r\nSet-Cookie: session=%s; Path=/; Secure; HttpOnly\r\n"
               % cfg["admin_session"]).encode()
        for path in ("/account", "/admin/users", "/admin/backup?download=1"):
            yield ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\nAccept: */*\r\n"
                   "Cookie: session=%s\r\nConnection: keep-alive\r\n\r\n"
                   % (path, site, ua, cfg["admin_session"])).encode()

    def _fill_old(self, cfg, key_pem):
        rng = self.rng
        texts = [
            b"HTTP/1.1 200 OK\r\nServer: " + cfg["server_header"].encode() + b"\r\nContent-Type: text/html\r\n",
            b"ssl3_read_bytes\x00ssl3_get_client_hello\x00tls1_process_heartbeat\x00",
            b"TLSv1.2\x00TLSv1.1\x00TLSv1\x00AES256-SHA\x00AES128-SHA\x00DES-CBC3-SHA\x00",
            b"text/html\x00text/css\x00application/javascript\x00image/png\x00",
            b"/var/www/" + cfg["site"].encode() + b"/htdocs/index.html\x00",
            b"GET /favicon.ico HTTP/1.1\r\nHost: " + cfg["site"].encode() + b"\r\n\r\n",
        ]
        secrets_blobs = [
            ("session cache", ("sess_%s=user:%s;role:admin;expires=%d\n"
                               % (cfg["admin_session"], cfg["admin_user"], 1397000000 + rng.randrange(10 ** 6))).encode()),
            ("config", ("[database]\nhost=127.0.0.1\nuser=%s\npassword=%s\n"
                        % (cfg["admin_user"], cfg["admin_password"])).encode()),
            ("api key", ("X-Api-Key: %s\r\n" % cfg["api_key"]).encode()),
        ]
        pos = OLD_START
        # the private key lies at a drawn offset of the older heap
        key_at = OLD_START + rng.randrange(0, 0x6000)
        placed_key = False
        while pos < MEM_SIZE:
            if not placed_key and pos >= key_at and pos + len(key_pem) < MEM_SIZE:
                blob = key_pem
                placed_key = True
                self.key_offset = pos
            else:
                x = rng.random()
                if x < 0.2:
                    blob = rng.choice(secrets_blobs)[1]
                elif x < 0.45:
                    blob = rng.choice(texts)
                else:
                    blob = self._junk(rng.randrange(32, 1024))
            blob = blob[:MEM_SIZE - pos]
            self.mem[pos:pos + len(blob)] = blob
            pos += len(blob) + rng.randrange(0, 64)
        if not placed_key:
            self.key_offset = None

    def remember(self, data):
        """Data the server handled, written to the recently used heap."""
        data = bytes(data[:RECENT_END - RECENT_START - 32])
        with self.lock:
            # a malloc chunk header (prev_size 0, size | PREV_INUSE) before the data
            size = (len(data) + 16 + 15) // 16 * 16
            chunk = bytes(8) + (size | 1).to_bytes(8, "little") + data
            if self.recent + len(chunk) > RECENT_END:
                self.recent = RECENT_START
            self.mem[self.recent:self.recent + len(chunk)] = chunk
            self.recent += len(chunk)

    def overread(self, record_prefix, record, claimed):
        """What OpenSSL 1.0.1f copies: payload_length bytes from the
        payload's start. The record (after record_prefix bytes of header,
        IV or nonce) is put at the start of the read buffer first."""
        with self.lock:
            image = record_prefix + record
            self.mem[0:len(image)] = image
            start = len(record_prefix) + 3
            return bytes(self.mem[start:start + claimed])

    def remember_raw(self, raw):
        """A record as read: it lands at the read buffer's start."""
        with self.lock:
            raw = raw[:RBUF_END]
            self.mem[0:len(raw)] = raw


# ---- the web site ------------------------------------------------------------

def page(title, body):
    return ("<!DOCTYPE html>\n<html><head><title>%s</title>"
            "<link rel=\"stylesheet\" href=\"/static/site.css\"></head>\n"
            "<body><h1>%s</h1>\n%s\n</body></html>\n" % (title, title, body)).encode()


class Site:
    def __init__(self, cfg):
        self.cfg = cfg
        self.accounts = dict(cfg["accounts"])
        self.accounts[cfg["admin_user"]] = cfg["admin_password"]
        self.sessions = {cfg["admin_session"]: cfg["admin_user"]}
        self.lock = threading.Lock()

    def handle(self, method, path, headers, body):
        """(status, extra headers, body)"""
        cookie = None
        for part in headers.get("cookie", "").split(";"):
            k, _, v = part.strip().partition("=")
            if k == "session":
                cookie = v
        with self.lock:
            user = self.sessions.get(cookie)
        site = self.cfg["site"]
        if path == "/" and method in ("GET", "HEAD"):
            return 200, [], page(site, "<p>Welcome to %s.</p><p><a href=\"/login\">Sign in</a></p>" % site)
        if path == "/static/site.css":
            return 200, [("Content-Type", "text/css")], b"body { font-family: sans-serif; margin: 2em; }\n" * 8
        if path == "/login" and method == "GET":
            return 200, [], page("Sign in", "<form method=\"post\" action=\"/login\">"
                                 "<input name=\"user\"><input name=\"password\" type=\"password\">"
                                 "<button>Sign in</button></form>")
        if path == "/login" and method == "POST":
            form = parse_qs(body.decode("utf-8", "replace"))
            u = form.get("user", [""])[0]
            p = form.get("password", [""])[0]
            if u in self.accounts and self.accounts[u] == p:
                sid = pysecrets.token_hex(16)
                with self.lock:
                    self.sessions[sid] = u
                return 302, [("Location", "/account"),
                             ("Set-Cookie", "session=%s; Path=/; Secure; HttpOnly" % sid)], b""
            return 403, [], page("Sign in", "<p>Wrong user name or password.</p>")
        if path.startswith("/account") or path.startswith("/orders"):
            if user is None:
                return 302, [("Location", "/login")], b""
            return 200, [], page("Account of %s" % user,
                                 "<p>Signed in as %s.</p><ul><li>Orders: %d</li></ul>"
                                 % (user, len(user) * 3 % 17))
        if path == "/logout":
            with self.lock:
                self.sessions.pop(cookie, None)
            return 302, [("Location", "/"), ("Set-Cookie", "session=; Max-Age=0; Path=/")], b""
        return 404, [], page("Not Found", "<p>The requested URL was not found on this server.</p>")


REASONS = {200: "OK", 302: "Found", 400: "Bad Request", 403: "Forbidden", 404: "Not Found"}


# ---- one connection -------------------------------------------------------------

class Session:
    def __init__(self, server, sock, peer):
        self.srv = server
        self.conn = T.Connection(sock)
        self.peer = "%s:%d" % peer
        self.keys = None
        self.transcript = b""
        self.hs_buf = b""
        self.state = "hello"  # hello -> key-exchange -> ccs -> finished -> open
        self.http_buf = b""
        self.heartbeats = 0

    def run(self):
        try:
            while True:
                ctype, version, data, wire_len = self.conn.read_record()
                self.srv.memory.remember_raw(self.conn.raw_records[-1])
                if ctype == T.HEARTBEAT:
                    self.on_heartbeat(data, wire_len)
                elif ctype == T.HANDSHAKE:
                    self.hs_buf += data
                    msgs, self.hs_buf = T.split_handshake(self.hs_buf)
                    for mtype, body, raw in msgs:
                        if not self.on_handshake(mtype, body, raw):
                            return
                elif ctype == T.CHANGE_CIPHER_SPEC:
                    if self.state != "ccs":
                        return self.fail(10, "unexpected ChangeCipherSpec")
                    self.conn.read_cipher = self.keys.client
                    self.state = "finished"
                elif ctype == T.APPLICATION_DATA:
                    if self.state != "open":
                        return self.fail(10, "application data before the handshake")
                    if not self.on_data(data):
                        return
                elif ctype == T.ALERT:
                    log("%s: alert %s, closing" % (self.peer, data.hex()))
                    return
                else:
                    return self.fail(10, "record type %d" % ctype)
        except T.Closed:
            log("%s: connection closed by the client (%s, %d heartbeats)" % (self.peer, self.state, self.heartbeats))
        except (T.TLSError, OSError) as e:
            log("%s: %s" % (self.peer, e))
        finally:
            self.conn.close()

    def fail(self, description, why):
        log("%s: %s, alert %d" % (self.peer, why, description))
        self.conn.alert(2, description)

    # -- heartbeat: the bug
    def on_heartbeat(self, record, wire_len):
        self.heartbeats += 1
        where = "encrypted" if self.conn.read_cipher else "cleartext"
        if len(record) < 3:
            log("%s: heartbeat record of %d bytes ignored" % (self.peer, len(record)))
            return
        hbtype = record[0]
        claimed = int.from_bytes(record[1:3], "big")
        if self.srv.mode == "patched":
            if 1 + 2 + 16 > len(record) or 1 + 2 + claimed + 16 > len(record):
                log("%s: %s heartbeat type %d, record %d bytes, payload_length %d: discarded (patched, RFC 6520 section 4)"
                    % (self.peer, where, hbtype, len(record), claimed))
                return
        if hbtype != T.HB_REQUEST:
            log("%s: heartbeat type %d ignored" % (self.peer, hbtype))
            return
        if self.srv.mode == "patched":
            payload = record[3:3 + claimed]
        else:
            if self.conn.read_cipher is None:
                prefix = self.conn.raw_records[-1][:5]
            elif self.keys.kind == "gcm":
                prefix = self.conn.raw_records[-1][:5 + 8]
            else:
                prefix = self.conn.raw_records[-1][:5 + 16]
            payload = self.srv.memory.overread(prefix, record, claimed)
        response = T.heartbeat_message(T.HB_RESPONSE, claimed, payload, os.urandom(16))
        self.conn.send(T.HEARTBEAT, response)
        over = max(0, claimed - (len(record) - 3))
        log("%s: %s heartbeat request, record %d bytes, payload_length %d -> response %d bytes in %d record(s), %d bytes over-read"
            % (self.peer, where, len(record), claimed, len(response),
               (len(response) + T.MAX_FRAGMENT - 1) // T.MAX_FRAGMENT, over))

    # -- the handshake
    def on_handshake(self, mtype, body, raw):
        if mtype == T.CLIENT_HELLO and self.state == "hello":
            return self.on_client_hello(body, raw)
        if mtype == T.CLIENT_KEY_EXCHANGE and self.state == "key-exchange":
            if self.version != 0x0303:
                self.fail(70, "full handshakes are TLS 1.2 only")
                return False
            enc = T.Reader(body).vec16()
            try:
                pre_master = self.srv.key.decrypt(enc, padding.PKCS1v15())
                if len(pre_master) != 48:
                    raise ValueError("pre-master secret of %d bytes" % len(pre_master))
            except ValueError:
                pre_master = os.urandom(48)  # the Finished check fails later
            self.transcript += raw
            self.keys = T.Keys(self.suite, pre_master, self.client_random, self.server_random)
            self.state = "ccs"
            return True
        if mtype == T.FINISHED and self.state == "finished":
            want = self.keys.verify_data(b"client finished", self.transcript)
            if body != want:
                self.fail(51, "client Finished does not verify")
                return False
            self.transcript += raw
            mine = T.handshake(T.FINISHED, self.keys.verify_data(b"server finished", self.transcript))
            self.conn.send(T.CHANGE_CIPHER_SPEC, b"\x01")
            self.conn.write_cipher = self.keys.server
            self.conn.send(T.HANDSHAKE, mine)
            self.state = "open"
            log("%s: handshake complete, TLS 1.2 %s" % (self.peer, self.keys.name))
            return True
        self.fail(10, "unexpected handshake message %d in state %s" % (mtype, self.state))
        return False

    def on_client_hello(self, body, raw):
        hello = T.parse_client_hello(body)
        self.version = min(hello["version"], 0x0303)
        if self.version < 0x0301:
            self.fail(70, "protocol version 0x%04x" % hello["version"])
            return False
        suite = None
        for s in self.srv.suites:
            if s in hello["suites"] and (self.version == 0x0303 or T.SUITES[s][1] == "cbc"):
                suite = s
                break
        if suite is None:
            self.fail(40, "no shared cipher suite")
            return False
        self.suite = suite
        self.client_random = hello["random"]
        self.server_random = os.urandom(32)
        exts = []
        if T.EXT_RENEGOTIATION_INFO in hello["extensions"] or T.SCSV_RENEGOTIATION in hello["suites"]:
            exts.append((T.EXT_RENEGOTIATION_INFO, b"\x00"))
        hb = T.EXT_HEARTBEAT in hello["extensions"]
        if hb:
            exts.append((T.EXT_HEARTBEAT, b"\x01"))
        self.conn.version = self.version
        flight = (T.server_hello(self.version, self.server_random, os.urandom(32), suite, exts)
                  + T.certificate_message([self.srv.cert_der])
                  + T.handshake(T.SERVER_HELLO_DONE, b""))
        self.transcript = raw + flight
        # one record per handshake message, sent together as OpenSSL does
        self.conn.send_raw(b"".join(self.conn.record_bytes(T.HANDSHAKE, m)
                                    for m, _ in _messages(flight)))
        self.state = "key-exchange"
        log("%s: ClientHello %s, %d suites, heartbeat extension %s -> ServerHello %s %s"
            % (self.peer, T.VERSION_NAMES.get(hello["version"], hex(hello["version"])),
               len(hello["suites"]), "offered" if hb else "absent",
               T.VERSION_NAMES[self.version], T.SUITES[suite][0]))
        return True

    # -- HTTP over the protected records
    def on_data(self, data):
        self.http_buf += data
        while b"\r\n\r\n" in self.http_buf:
            head, _, rest = self.http_buf.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, path, proto = lines[0].split(" ", 2)
            except ValueError:
                self.send_http(400, [], b"", "HTTP/1.1", False)
                return False
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(rest) < length:
                return True
            body, self.http_buf = rest[:length], rest[length:]
            self.srv.memory.remember(head + b"\r\n\r\n" + body)
            status, extra, content = self.srv.site.handle(method, path, headers, body)
            conn_hdr = headers.get("connection", "").lower()
            keep = (conn_hdr != "close") if proto == "HTTP/1.1" else (conn_hdr == "keep-alive")
            self.send_http(status, extra, b"" if method == "HEAD" else content, proto, keep,
                           len(content))
            log("%s: %s %s %s -> %d" % (self.peer, method, path, proto, status))
            if not keep:
                self.conn.alert(1, 0)  # close_notify
                return False
        return True

    def send_http(self, status, extra, content, proto, keep, length=None):
        hdrs = [("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())),
                ("Server", self.srv.cfg["server_header"]),
                ("Content-Length", str(len(content) if length is None else length))]
        if not any(k == "Content-Type" for k, _ in extra):
            hdrs.append(("Content-Type", "text/html; charset=UTF-8"))
        hdrs += extra
        hdrs.append(("Connection", "keep-alive" if keep else "close"))
        head = "%s %d %s\r\n" % ("HTTP/1.1" if proto == "HTTP/1.1" else "HTTP/1.0", status, REASONS[status])
        head += "".join("%s: %s\r\n" % kv for kv in hdrs) + "\r\n"
        for k, v in extra:
            if k == "Set-Cookie":
                self.srv.memory.remember(("Set-Cookie: %s\r\n" % v).encode())
        self.conn.send(T.APPLICATION_DATA, head.encode() + content)


def _messages(flight):
    msgs, rest = T.split_handshake(flight)
    assert not rest
    return [(raw, t) for t, _, raw in msgs]


class Server:
    def __init__(self):
        env = os.environ
        self.mode = env.get("HB_MODE", "vulnerable")
        if self.mode not in ("vulnerable", "patched"):
            sys.exit("server: HB_MODE must be vulnerable or patched")
        self.port = int(env.get("HB_PORT", "443"))
        with open(env.get("HB_KEY", "/etc/heartbleed/key.pem"), "rb") as f:
            key_pem = f.read()
        self.key = serialization.load_pem_private_key(key_pem, None)
        with open(env.get("HB_CERT", "/etc/heartbleed/cert.pem"), "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.cert_der = cert.public_bytes(serialization.Encoding.DER)
        names = [n for n in env.get("HB_SUITES", "AES256-SHA,AES128-SHA").split(",") if n]
        self.suites = [T.SUITE_IDS[n] for n in names]
        accounts = []
        for item in env.get("HB_ACCOUNTS", "").split(","):
            if ":" in item:
                u, _, p = item.partition(":")
                accounts.append((u, p))
        self.cfg = {
            "site": env.get("HB_SITE", "shop.example"),
            "server_header": env.get("HB_SERVER_HEADER", "Apache/2.2.22 (Ubuntu)"),
            "admin_user": env.get("HB_ADMIN_USER", "admin"),
            "admin_password": env.get("HB_ADMIN_PASSWORD", "secret"),
            "admin_session": env.get("HB_ADMIN_SESSION", "0" * 32),
            "api_key": env.get("HB_API_KEY", "key"),
            "admin_ua": env.get("HB_ADMIN_UA", "Mozilla/5.0"),
            "accounts": accounts,
        }
        rng = random.Random(int(env.get("HB_MEMORY_SEED", "0")))
        self.memory = Memory(rng, self.cfg, key_pem)
        self.site = Site(self.cfg)

    def serve(self):
        lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsock.bind(("0.0.0.0", self.port))
        lsock.listen(64)
        log("%s TLS server on port %d (%s), suites %s, %d accounts, private key at heap offset %s"
            % (self.mode, self.port, self.cfg["server_header"],
               ",".join(T.SUITES[s][0] for s in self.suites), len(self.site.accounts),
               hex(self.memory.key_offset) if self.memory.key_offset is not None else "none"))
        while True:
            sock, peer = lsock.accept()
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._session, args=(sock, peer), daemon=True).start()

    def _session(self, sock, peer):
        try:
            Session(self, sock, peer).run()
        except Exception:
            log("%s:%d: internal error\n%s" % (peer[0], peer[1], traceback.format_exc()))


if __name__ == "__main__":
    Server().serve()
