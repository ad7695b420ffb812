"""tls12.py - the TLS pieces of the `heartbleed` scenario (server and attacker).

A small TLS implementation of our own, in Python 3 with python3-cryptography
from Debian for the primitives (RSA, AES, SHA-2, HMAC come from the standard
library and that package): Debian's OpenSSL no longer has the heartbeat
extension (RFC 6520) at all, so neither a vulnerable server nor a heartbeat
client can be built on it.

What it covers:
* the record layer (content types 20 change_cipher_spec, 21 alert,
  22 handshake, 23 application_data, 24 heartbeat), with records split at
  2^14 bytes like OpenSSL's ssl3_write_bytes;
* the handshake messages of an RSA key exchange (ClientHello, ServerHello,
  Certificate, ServerHelloDone, ClientKeyExchange, Finished) and the
  extensions that matter here: heartbeat (15), renegotiation_info (0xff01,
  which OpenSSL 3 clients require), server_name (0);
* TLS 1.2 record protection for TLS_RSA_WITH_AES_{128,256}_GCM_SHA{256,384}
  and TLS_RSA_WITH_AES_{128,256}_CBC_SHA (MAC-then-encrypt, explicit IV),
  the TLS 1.2 PRF, master secret and Finished verify data;
* heartbeat messages: type, payload_length, payload, padding.

The full handshake is TLS 1.2 only; TLS 1.0 and 1.1 hellos are parsed and
answered (as the plaintext heartbeat exploit needs), never completed.
"""

import hashlib
import hmac
import os
import socket
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# content types
CHANGE_CIPHER_SPEC = 20
ALERT = 21
HANDSHAKE = 22
APPLICATION_DATA = 23
HEARTBEAT = 24

# handshake message types
CLIENT_HELLO = 1
SERVER_HELLO = 2
CERTIFICATE = 11
SERVER_HELLO_DONE = 14
CLIENT_KEY_EXCHANGE = 16
FINISHED = 20

# extensions
EXT_SERVER_NAME = 0x0000
EXT_HEARTBEAT = 0x000F
EXT_RENEGOTIATION_INFO = 0xFF01
SCSV_RENEGOTIATION = 0x00FF

HB_REQUEST = 1
HB_RESPONSE = 2

VERSIONS = {"1.0": 0x0301, "1.1": 0x0302, "1.2": 0x0303}
VERSION_NAMES = {v: k for k, v in VERSIONS.items()}

MAX_FRAGMENT = 16384

# The suites the full handshake can use: id -> (name, kind, key length,
# mac hash, prf hash).
SUITES = {
    0x009C: ("AES128-GCM-SHA256", "gcm", 16, None, hashlib.sha256),
    0x009D: ("AES256-GCM-SHA384", "gcm", 32, None, hashlib.sha384),
    0x002F: ("AES128-SHA", "cbc", 16, hashlib.sha1, hashlib.sha256),
    0x0035: ("AES256-SHA", "cbc", 32, hashlib.sha1, hashlib.sha256),
}
SUITE_IDS = {v[0]: k for k, v in SUITES.items()}


class TLSError(Exception):
    pass


class Closed(TLSError):
    pass


# ---- encoding helpers -------------------------------------------------------

def u8(n):
    return struct.pack("!B", n)


def u16(n):
    return struct.pack("!H", n)


def u24(n):
    return struct.pack("!I", n)[1:]


def vec8(b):
    return u8(len(b)) + b


def vec16(b):
    return u16(len(b)) + b


def vec24(b):
    return u24(len(b)) + b


class Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise TLSError("truncated message")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def u8(self):
        return self.take(1)[0]

    def u16(self):
        return struct.unpack("!H", self.take(2))[0]

    def u24(self):
        return struct.unpack("!I", b"\0" + self.take(3))[0]

    def vec8(self):
        return self.take(self.u8())

    def vec16(self):
        return self.take(self.u16())

    def vec24(self):
        return self.take(self.u24())

    def rest(self):
        b = self.data[self.pos:]
        self.pos = len(self.data)
        return b

    def done(self):
        return self.pos >= len(self.data)


def handshake(msg_type, body):
    return u8(msg_type) + vec24(body)


def extensions_block(exts):
    """exts: list of (type, data)."""
    return vec16(b"".join(u16(t) + vec16(d) for t, d in exts))


def parse_extensions(r):
    exts = {}
    if r.done():
        return exts
    block = Reader(r.vec16())
    while not block.done():
        t = block.u16()
        exts[t] = block.vec16()
    return exts


# ---- ClientHello / ServerHello ----------------------------------------------

def client_hello(version, suites, heartbeat=True, server_name=None, random=None,
                 session_id=b"", extra_extensions=()):
    random = random or os.urandom(32)
    exts = []
    if server_name:
        name = server_name.encode()
        exts.append((EXT_SERVER_NAME, vec16(u8(0) + vec16(name))))
    exts.extend(extra_extensions)
    if heartbeat:
        exts.append((EXT_HEARTBEAT, u8(1)))  # peer_allowed_to_send
    body = (u16(version) + random + vec8(session_id)
            + vec16(b"".join(u16(s) for s in suites)) + vec8(b"\x00")
            + (extensions_block(exts) if exts else b""))
    return handshake(CLIENT_HELLO, body), random


def parse_client_hello(body):
    r = Reader(body)
    hello = {"version": r.u16(), "random": r.take(32), "session_id": r.vec8()}
    suites = r.vec16()
    hello["suites"] = [struct.unpack("!H", suites[i:i + 2])[0] for i in range(0, len(suites), 2)]
    hello["compression"] = r.vec8()
    hello["extensions"] = parse_extensions(r)
    return hello


def server_hello(version, random, session_id, suite, extensions):
    body = (u16(version) + random + vec8(session_id) + u16(suite) + u8(0)
            + (extensions_block(extensions) if extensions else b""))
    return handshake(SERVER_HELLO, body)


def parse_server_hello(body):
    r = Reader(body)
    hello = {"version": r.u16(), "random": r.take(32), "session_id": r.vec8(),
             "suite": r.u16(), "compression": r.u8()}
    hello["extensions"] = parse_extensions(r)
    return hello


def certificate_message(ders):
    return handshake(CERTIFICATE, vec24(b"".join(vec24(d) for d in ders)))


def parse_certificate(body):
    r = Reader(Reader(body).vec24())
    out = []
    while not r.done():
        out.append(r.vec24())
    return out


# ---- heartbeat messages ------------------------------------------------------

def heartbeat_message(hb_type, payload_length, payload, padding):
    """A heartbeat message whose payload_length field may lie."""
    return u8(hb_type) + u16(payload_length) + payload + padding


# ---- key schedule -------------------------------------------------------------

def p_hash(hash_fn, secret, seed, size):
    out = b""
    a = seed
    while len(out) < size:
        a = hmac.new(secret, a, hash_fn).digest()
        out += hmac.new(secret, a + seed, hash_fn).digest()
    return out[:size]


def prf(hash_fn, secret, label, seed, size):
    return p_hash(hash_fn, secret, label + seed, size)


class Keys:
    """The TLS 1.2 key schedule of one connection."""

    def __init__(self, suite, pre_master, client_random, server_random):
        if suite not in SUITES:
            raise TLSError("suite 0x%04x is not supported for a full handshake" % suite)
        self.suite = suite
        name, kind, key_len, mac_hash, prf_hash = SUITES[suite]
        self.name, self.kind, self.prf_hash = name, kind, prf_hash
        self.master = prf(prf_hash, pre_master, b"master secret",
                          client_random + server_random, 48)
        mac_len = mac_hash().digest_size if mac_hash else 0
        iv_len = 4 if kind == "gcm" else 0
        block = prf(prf_hash, self.master, b"key expansion",
                    server_random + client_random, 2 * (mac_len + key_len + iv_len))
        r = Reader(block)
        c_mac, s_mac = r.take(mac_len), r.take(mac_len)
        c_key, s_key = r.take(key_len), r.take(key_len)
        c_iv, s_iv = r.take(iv_len), r.take(iv_len)
        self.client = RecordCipher(kind, c_key, c_iv, c_mac, mac_hash)
        self.server = RecordCipher(kind, s_key, s_iv, s_mac, mac_hash)

    def verify_data(self, label, transcript):
        return prf(self.prf_hash, self.master, label, self.prf_hash(transcript).digest(), 12)


class RecordCipher:
    """Protection of the records of one direction (TLS 1.2)."""

    def __init__(self, kind, key, fixed_iv, mac_key, mac_hash):
        self.kind, self.key, self.fixed_iv = kind, key, fixed_iv
        self.mac_key, self.mac_hash = mac_key, mac_hash
        self.seq = 0
        if kind == "gcm":
            self.aead = AESGCM(key)

    def _header(self, ctype, version, length):
        return struct.pack("!QBHH", self.seq, ctype, version, length)

    def encrypt(self, ctype, version, plaintext):
        if self.kind == "gcm":
            explicit = struct.pack("!Q", self.seq)
            aad = self._header(ctype, version, len(plaintext))
            out = explicit + self.aead.encrypt(self.fixed_iv + explicit, plaintext, aad)
        else:
            mac = hmac.new(self.mac_key, self._header(ctype, version, len(plaintext)) + plaintext,
                           self.mac_hash).digest()
            data = plaintext + mac
            pad = 15 - len(data) % 16
            data += bytes([pad]) * (pad + 1)
            iv = os.urandom(16)
            enc = Cipher(algorithms.AES(self.key), modes.CBC(iv)).encryptor()
            out = iv + enc.update(data) + enc.finalize()
        self.seq += 1
        return out

    def decrypt(self, ctype, version, fragment):
        try:
            if self.kind == "gcm":
                if len(fragment) < 8 + 16:
                    raise TLSError("short GCM record")
                explicit, body = fragment[:8], fragment[8:]
                aad = self._header(ctype, version, len(body) - 16)
                out = self.aead.decrypt(self.fixed_iv + explicit, body, aad)
            else:
                if len(fragment) < 32 or len(fragment) % 16:
                    raise TLSError("bad CBC record length")
                iv, body = fragment[:16], fragment[16:]
                dec = Cipher(algorithms.AES(self.key), modes.CBC(iv)).decryptor()
                data = dec.update(body) + dec.finalize()
                pad = data[-1]
                mac_len = self.mac_hash().digest_size
                if pad + 1 + mac_len > len(data) or data[-pad - 1:] != bytes([pad]) * (pad + 1):
                    raise TLSError("bad record padding")
                data = data[:-pad - 1]
                out, mac = data[:-mac_len], data[-mac_len:]
                want = hmac.new(self.mac_key, self._header(ctype, version, len(out)) + out,
                                self.mac_hash).digest()
                if not hmac.compare_digest(mac, want):
                    raise TLSError("bad record MAC")
        except TLSError:
            raise
        except Exception as e:  # InvalidTag and friends
            raise TLSError("record decryption failed: %s" % type(e).__name__)
        self.seq += 1
        return out


# ---- a connection: records in, records out ----------------------------------

class Connection:
    """Records over a socket, protected once change_cipher_spec says so."""

    def __init__(self, sock, version=0x0301):
        self.sock = sock
        self.version = version  # written in record headers
        self.buf = b""
        self.read_cipher = None
        self.write_cipher = None
        self.raw_records = []  # raw bytes of the last records read (for the memory model)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("connection closed by peer")
            self.buf += chunk

    def read_record(self):
        """(content type, version, plaintext, wire length of the fragment)."""
        self._fill(5)
        ctype, version, length = struct.unpack("!BHH", self.buf[:5])
        if length > MAX_FRAGMENT + 2048:
            raise TLSError("record too long (%d)" % length)
        self._fill(5 + length)
        raw, self.buf = self.buf[:5 + length], self.buf[5 + length:]
        self.raw_records.append(raw)
        del self.raw_records[:-8]
        fragment = raw[5:]
        if self.read_cipher is not None and ctype != CHANGE_CIPHER_SPEC:
            fragment = self.read_cipher.decrypt(ctype, version, fragment)
        return ctype, version, fragment, length

    def record_bytes(self, ctype, data):
        """The records carrying data, split at 2^14 bytes, protected if needed."""
        out = []
        chunks = [data[i:i + MAX_FRAGMENT] for i in range(0, len(data), MAX_FRAGMENT)] or [b""]
        for chunk in chunks:
            if self.write_cipher is not None and ctype != CHANGE_CIPHER_SPEC:
                chunk = self.write_cipher.encrypt(ctype, self.version, chunk)
            out.append(struct.pack("!BHH", ctype, self.version, len(chunk)) + chunk)
        return b"".join(out)

    def send(self, ctype, data):
        self.sock.sendall(self.record_bytes(ctype, data))

    def send_raw(self, data):
        self.sock.sendall(data)

    def alert(self, level, description):
        try:
            self.send(ALERT, bytes([level, description]))
        except OSError:
            pass

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def split_handshake(buf):
    """Complete handshake messages at the front of buf: ([(type, body, raw)], rest)."""
    msgs = []
    while len(buf) >= 4:
        length = struct.unpack("!I", b"\0" + buf[1:4])[0]
        if len(buf) < 4 + length:
            break
        msgs.append((buf[0], buf[4:4 + length], buf[:4 + length]))
        buf = buf[4 + length:]
    return msgs, buf
