#!/usr/bin/env python3
"""irc-client.py - a scripted IRC user of the `irc` scenario.

Our own small IRC client (Python's standard library only), speaking the
real protocol (RFC 1459/2812, CTCP and DCC as irssi, HexChat or mIRC do)
to ngIRCd. Two of them, client1 and client2, play one subscenario
together; each knows the whole plan (both nicknames, the channel, the
drawn counts and the seed of the conversation), so each can check that
everything the other should say arrives, in order and intact.

Registration (IRC_REGISTRATION): `plain` sends NICK and USER; `cap`
first asks for the server's IRCv3 capabilities (CAP LS 302), requests
multi-prefix if offered and ends with CAP END, as modern clients do.
A nickname in use (433) gets a trailing underscore. PINGs are answered.

IRC_TASK (one per subscenario):
  chat      both join the channel and hold a conversation: IRC_LINES lines,
            turn by turn in the order drawn from IRC_SEED, each to the
            channel, privately to the other (PRIVMSG nick; at least one
            line) or as an action (CTCP ACTION, /me); then PART and QUIT
            with a message.
  dcc       both join and greet each other; client1 offers a file to client2
            with CTCP DCC SEND, active (client1 listens, client2 connects)
            or passive/reverse (port 0 and a token: client2 listens and
            answers with its address, client1 connects); the file's bytes
            cross that second TCP connection in IRC_DCC_BLOCK-byte blocks,
            acknowledged by client2 with the classic 32-bit counts, either
            block by block or with the sender streaming ahead; client2
            checks the file against the original (sha256), both say
            goodbye, PART and QUIT.
  chanops   client1 creates the channel (and so is its operator), sets a
            topic and channel modes (maybe a key), voices or ops client2
            when it joins; they talk; client2 changes its nickname;
            client1 kicks it with a reason; client2 rejoins; client1 gives
            it operator status and client2 changes the topic; PART, QUIT.

Exit 0 when the subscenario played out as designed, 1 otherwise.
"""

import hashlib
import os
import random
import select
import socket
import struct
import sys
import time

T0 = time.monotonic()

WORDS = (
    "the a to and of it is that you i for on we this with be have are not "
    "was but what can just so if do at me my about they all your will from "
    "one there up out like know now get think time good more how when some "
    "yes no maybe today tomorrow later soon again still really pretty "
    "build test deploy server patch bug fix release branch merge review "
    "config log error issue ticket meeting lunch coffee weekend team docs "
    "script cluster disk memory network latency packet kernel update "
    "works broke looks seems needs makes runs fails passes ships starts "
    "quick slow great weird fine nice ok sure thanks cool odd"
).split()
OPENERS = ["", "", "", "hey ", "hmm ", "ok ", "so ", "btw ", "lol ", "right, ", "well "]
ENDS = ["", "", "", "?", "!", " :)", " :D", "...", " ;)"]


def log(msg):
    msg = msg.replace("\x01", "^A")  # CTCP delimiters, visible
    print(f"[{time.monotonic() - T0:7.2f}] {os.environ.get('IRC_ME_SERVICE', 'client')}: {msg}", flush=True)


class Fail(Exception):
    pass


def sentence(rng):
    n = rng.randint(2, 14)
    words = [rng.choice(WORDS) for _ in range(n)]
    return (rng.choice(OPENERS) + " ".join(words) + rng.choice(ENDS)).strip()


def conversation(seed, part, lines, private_share, action_share, min_private=0):
    """The drawn lines: (speaker 0/1, kind chan/priv/action, text), with at
    least `min_private` private lines."""
    rng = random.Random(f"{seed}:{part}")
    out = []
    speaker = rng.randrange(2)
    for i in range(lines):
        if i > 0 and rng.random() < 0.7:
            speaker = 1 - speaker
        r = rng.random()
        kind = "priv" if r < private_share else "action" if r < private_share + action_share else "chan"
        out.append((speaker, kind, sentence(rng)))
    while lines and sum(k == "priv" for _, k, _ in out) < min(min_private, lines):
        i = rng.randrange(lines)
        out[i] = (out[i][0], "priv", out[i][2])
    return out


class Msg:
    def __init__(self, line):
        self.line = line
        self.prefix = ""
        if line.startswith(":"):
            self.prefix, _, line = line[1:].partition(" ")
        if " :" in line:
            head, _, trailing = line.partition(" :")
            self.params = head.split() + [trailing]
        else:
            self.params = line.split()
        self.command = self.params.pop(0).upper() if self.params else ""
        self.nick = self.prefix.split("!", 1)[0]

    def param(self, i, default=""):
        return self.params[i] if len(self.params) > i else default


def lower(s):
    # ngIRCd compares nicknames and channels case-insensitively in ASCII
    # (it announces CASEMAPPING=ascii).
    return s.lower()


class Client:
    def __init__(self, host, port, nick, user, realname, registration):
        self.nick = nick
        self.user = user
        self.realname = realname
        self.registration = registration
        self.pending = []  # received messages not consumed yet
        self.members = {}  # channel -> {nick: prefix}
        self.topics = {}  # channel -> topic
        self.buf = b""
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=5)
                break
            except OSError as e:
                if time.monotonic() > deadline:
                    raise Fail(f"cannot connect to {host}:{port}: {e}")
                time.sleep(0.3)
        log(f"connected to {host}:{port} from {self.sock.getsockname()[0]}")

    # -- wire ------------------------------------------------------------
    def send(self, line):
        log(f">>> {line if len(line) < 200 else line[:200] + '...'}")
        self.sock.sendall(line.encode("utf-8") + b"\r\n")

    def _read(self, timeout):
        r, _, _ = select.select([self.sock], [], [], max(0.0, timeout))
        if not r:
            return False
        data = self.sock.recv(65536)
        if not data:
            raise Fail("the server closed the connection")
        self.buf += data
        while b"\n" in self.buf:
            raw, self.buf = self.buf.split(b"\n", 1)
            line = raw.rstrip(b"\r").decode("utf-8", "replace")
            if line:
                self._got(Msg(line))
        return True

    def _got(self, m):
        log(f"<<< {m.line if len(m.line) < 200 else m.line[:200] + '...'}")
        if m.command == "PING":
            self.send(f"PONG :{m.param(0)}")
            return
        me = lower(self.nick)
        if m.command == "353":  # RPL_NAMREPLY: me = chan :names
            chan = lower(m.param(2))
            for n in m.param(3).split():
                p = n.lstrip("@+%&~")
                self.members.setdefault(chan, {})[lower(p)] = n[: len(n) - len(p)]
        elif m.command == "332":  # RPL_TOPIC
            self.topics[lower(m.param(1))] = m.param(2)
        elif m.command == "TOPIC":
            self.topics[lower(m.param(0))] = m.param(1)
        elif m.command == "JOIN":
            chan = lower(m.param(0))
            if lower(m.nick) == me:
                self.members[chan] = {}
            self.members.setdefault(chan, {})[lower(m.nick)] = ""
        elif m.command == "PART":
            self.members.get(lower(m.param(0)), {}).pop(lower(m.nick), None)
        elif m.command == "KICK":
            self.members.get(lower(m.param(0)), {}).pop(lower(m.param(1)), None)
        elif m.command == "QUIT":
            for mem in self.members.values():
                mem.pop(lower(m.nick), None)
        elif m.command == "NICK":
            old, new = lower(m.nick), lower(m.param(0))
            for mem in self.members.values():
                if old in mem:
                    mem[new] = mem.pop(old)
            if old == me:
                self.nick = m.param(0)
        elif m.command == "MODE" and m.param(0).startswith(("#", "&")):
            chan = lower(m.param(0))
            sign, args = "+", m.params[2:]
            for c in m.param(1):
                if c in "+-":
                    sign = c
                elif c in "ov" and args:
                    who = lower(args.pop(0))
                    cur = self.members.setdefault(chan, {}).get(who, "")
                    mark = "@" if c == "o" else "+"
                    cur = cur.replace(mark, "")
                    self.members[chan][who] = cur + mark if sign == "+" else cur
                elif c in "kl" and args and (sign == "+" or c == "k"):
                    args.pop(0)
        self.pending.append(m)

    # -- waiting ---------------------------------------------------------
    def wait_for(self, pred, what, timeout=25):
        """Consume and return the first pending message that matches."""
        deadline = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.pending):
                if pred(m):
                    del self.pending[i]
                    return m
            if time.monotonic() > deadline:
                raise Fail(f"timed out waiting for {what}")
            self._read(deadline - time.monotonic())

    def wait_until(self, cond, what, timeout=25):
        deadline = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > deadline:
                raise Fail(f"timed out waiting until {what}")
            self._read(min(0.5, deadline - time.monotonic()))

    def pause(self, seconds):
        """Sleep, still reading (and answering PINGs)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._read(deadline - time.monotonic())

    def check_no_error(self):
        for m in self.pending:
            if m.command.isdigit() and 400 <= int(m.command) < 600 and m.command not in ("421",):
                raise Fail(f"the server answered an error: {m.line}")

    # -- IRC -------------------------------------------------------------
    def register(self):
        if self.registration == "cap":
            self.send("CAP LS 302")
        self.send(f"NICK {self.nick}")
        self.send(f"USER {self.user} 0 * :{self.realname}")
        if self.registration == "cap":
            ls = self.wait_for(lambda m: m.command == "CAP" and m.param(1) == "LS", "CAP LS")
            caps = ls.params[-1].split()
            if "multi-prefix" in caps:
                self.send("CAP REQ :multi-prefix")
                self.wait_for(lambda m: m.command == "CAP" and m.param(1) in ("ACK", "NAK"), "CAP ACK")
            self.send("CAP END")
        while True:
            m = self.wait_for(lambda m: m.command in ("001", "433"), "RPL_WELCOME (001)")
            if m.command == "001":
                break
            self.nick += "_"
            self.send(f"NICK {self.nick}")
        self.nick = m.param(0)
        self.wait_for(lambda m: m.command in ("376", "422"), "the end of the MOTD")
        log(f"registered as {self.nick}")

    def join(self, chan, key=""):
        self.send(f"JOIN {chan} {key}".rstrip())
        self.wait_for(lambda m: m.command == "JOIN" and lower(m.nick) == lower(self.nick)
                      and lower(m.param(0)) == lower(chan), f"our JOIN of {chan}")
        self.wait_for(lambda m: m.command == "366" and lower(m.param(1)) == lower(chan), f"NAMES of {chan}")

    def privmsg(self, target, text):
        self.send(f"PRIVMSG {target} :{text}")

    def expect_privmsg(self, sender, target, text, timeout=25):
        return self.wait_for(
            lambda m: m.command == "PRIVMSG" and lower(m.nick) == lower(sender)
            and lower(m.param(0)) == lower(target) and m.param(1) == text,
            f"{sender} saying {text!r} to {target}", timeout)

    def leave(self, chan, part_reason, quit_message):
        if lower(chan) in self.members and lower(self.nick) in self.members[lower(chan)]:
            self.send(f"PART {chan} :{part_reason}")
            self.wait_for(lambda m: m.command == "PART" and lower(m.nick) == lower(self.nick), "our PART")
        self.send(f"QUIT :{quit_message}")
        try:
            self.wait_for(lambda m: m.command == "ERROR", "the server's ERROR after QUIT", timeout=10)
        except Fail as e:
            if "closed the connection" not in str(e):
                raise
        self.sock.close()


# ---- the plan ---------------------------------------------------------------
class Plan:
    def __init__(self, env):
        self.me = int(env["IRC_ME"])  # 0 for client1, 1 for client2
        self.nicks = [env["IRC_NICK1"], env["IRC_NICK2"]]
        self.chan = env["IRC_CHANNEL"]
        self.seed = env["IRC_SEED"]
        self.think = float(env.get("IRC_THINK", "0.8"))
        self.lines = int(env.get("IRC_LINES", "6"))
        self.private_share = float(env.get("IRC_PRIVATE_SHARE", "0.2"))
        self.action_share = float(env.get("IRC_ACTION_SHARE", "0.1"))
        self.rng = random.Random(f"{self.seed}:timing:{self.me}")
        self.env = env

    @property
    def my_nick(self):
        return self.nicks[self.me]

    @property
    def peer_nick(self):
        return self.nicks[1 - self.me]

    def delay(self, text=""):
        """A pause before saying something: thinking plus typing."""
        return min(self.rng.expovariate(1 / self.think), 4 * self.think) + len(text) / 60


def talk(c, plan, script, peer):
    """Play a conversation turn by turn; `peer` is the other's current nick."""
    for speaker, kind, text in script:
        wire = f"\x01ACTION {text}\x01" if kind == "action" else text
        if speaker == plan.me:
            c.pause(plan.delay(text))
            c.privmsg(peer if kind == "priv" else plan.chan, wire)
        else:
            c.expect_privmsg(peer, c.nick if kind == "priv" else plan.chan, wire)
    log(f"conversation of {len(script)} line(s) complete")


def task_chat(c, plan):
    c.join(plan.chan)
    c.wait_until(lambda: lower(plan.peer_nick) in c.members.get(lower(plan.chan), {}),
                 f"{plan.peer_nick} is in {plan.chan}")
    script = conversation(plan.seed, "chat", plan.lines, plan.private_share, plan.action_share, min_private=1)
    talk(c, plan, script, plan.peer_nick)
    c.pause(plan.delay())


def ip_to_int(ip):
    return struct.unpack("!I", socket.inet_aton(ip))[0]


def int_to_ip(n):
    return socket.inet_ntoa(struct.pack("!I", int(n)))


def ctcp_dcc(m):
    """The fields of a CTCP DCC SEND in a PRIVMSG, or None."""
    t = m.param(1)
    if m.command != "PRIVMSG" or not (t.startswith("\x01DCC SEND ") and t.endswith("\x01")):
        return None
    return t[1:-1].split()[2:]  # name ip port size [token]


def dcc_send_data(sock, data, block, ack_mode):
    """Send `data` over a DCC connection; returns when the peer acked it all."""
    size, sent, acked, ackbuf = len(data), 0, 0, b""
    sock.setblocking(False)
    deadline = time.monotonic() + 40
    while acked < size:
        if time.monotonic() > deadline:
            raise Fail(f"DCC: {acked} of {size} bytes acknowledged in time")
        may_send = sent < size and (ack_mode == "ahead" or acked >= sent)
        r, w, _ = select.select([sock], [sock] if may_send else [], [], 1)
        if w:
            try:
                sent += sock.send(data[sent:min(sent + block, size)])
            except BlockingIOError:
                pass
        if r:
            got = sock.recv(4096)
            if not got:
                raise Fail(f"DCC: the receiver closed after acknowledging {acked} of {size} bytes")
            ackbuf += got
            while len(ackbuf) >= 4:
                acked = struct.unpack("!I", ackbuf[:4])[0]
                ackbuf = ackbuf[4:]
    sock.setblocking(True)
    return sent


def dcc_receive_data(sock, size):
    data = b""
    sock.settimeout(40)
    while len(data) < size:
        got = sock.recv(65536)
        if not got:
            raise Fail(f"DCC: the sender closed after {len(data)} of {size} bytes")
        data += got
        sock.sendall(struct.pack("!I", len(data) & 0xFFFFFFFF))
    # The sender closes once it has the last acknowledgement.
    try:
        sock.settimeout(10)
        while sock.recv(4096):
            pass
    except OSError:
        pass
    return data


def task_dcc(c, plan):
    env = plan.env
    name = env["IRC_DCC_FILE"]
    path = os.path.join("/shared", name)  # client1's file; client2's reference copy
    with open(path, "rb") as fh:
        original = fh.read()
    size = len(original)
    mode = env.get("IRC_DCC_MODE", "active")
    port = int(env.get("IRC_DCC_PORT", "0"))
    block = int(env.get("IRC_DCC_BLOCK", "2048"))
    ack_mode = env.get("IRC_DCC_ACKS", "ahead")
    token = env.get("IRC_DCC_TOKEN", "1")
    sender = plan.me == 0
    myip = c.sock.getsockname()[0]

    c.join(plan.chan)
    c.wait_until(lambda: lower(plan.peer_nick) in c.members.get(lower(plan.chan), {}),
                 f"{plan.peer_nick} is in {plan.chan}")
    talk(c, plan, conversation(plan.seed, "before", plan.lines, plan.private_share, 0), plan.peer_nick)

    if sender:
        c.pause(plan.delay())
        if mode == "active":
            lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind((myip, port))
            lsock.listen(1)
            port = lsock.getsockname()[1]
            c.privmsg(plan.peer_nick, f"\x01DCC SEND {name} {ip_to_int(myip)} {port} {size}\x01")
            deadline = time.monotonic() + 30
            while True:  # accept, still answering the server
                r, _, _ = select.select([lsock], [], [], 0.2)
                if r:
                    conn, peer = lsock.accept()
                    break
                c.pause(0.01)
                if time.monotonic() > deadline:
                    raise Fail("DCC: the receiver never connected")
            lsock.close()
        else:
            c.privmsg(plan.peer_nick, f"\x01DCC SEND {name} {ip_to_int(myip)} 0 {size} {token}\x01")
            m = c.wait_for(lambda m: (ctcp_dcc(m) or [None])[-1] == token and lower(m.nick) == lower(plan.peer_nick),
                           "the receiver's passive DCC answer")
            _, rip, rport, rsize, _ = ctcp_dcc(m)
            if int(rsize) != size:
                raise Fail(f"DCC: the receiver answered size {rsize}, not {size}")
            conn = socket.create_connection((int_to_ip(rip), int(rport)), timeout=10)
            peer = conn.getpeername()
        log(f"DCC: sending {name} ({size} bytes, {block}-byte blocks, acks {ack_mode}) to {peer[0]}:{peer[1]}")
        dcc_send_data(conn, original, block, ack_mode)
        conn.close()
        log(f"DCC: {name} sent and acknowledged")
    else:
        m = c.wait_for(lambda m: ctcp_dcc(m) is not None and lower(m.nick) == lower(plan.peer_nick),
                       "the DCC SEND offer")
        fields = ctcp_dcc(m)
        oname, oip, oport, osize = fields[:4]
        if oname != name or int(osize) != size:
            raise Fail(f"DCC: offered {oname} of {osize} bytes, expected {name} of {size}")
        c.pause(plan.delay())  # the user reads the offer and accepts it
        if oport == "0":
            if len(fields) < 5:
                raise Fail("DCC: a passive offer without a token")
            lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind((myip, port))
            lsock.listen(1)
            port = lsock.getsockname()[1]
            c.privmsg(plan.peer_nick, f"\x01DCC SEND {name} {ip_to_int(myip)} {port} {size} {fields[4]}\x01")
            deadline = time.monotonic() + 30
            while True:
                r, _, _ = select.select([lsock], [], [], 0.2)
                if r:
                    conn, _ = lsock.accept()
                    break
                c.pause(0.01)
                if time.monotonic() > deadline:
                    raise Fail("DCC: the sender never connected")
            lsock.close()
        else:
            conn = socket.create_connection((int_to_ip(oip), int(oport)), timeout=10)
        log(f"DCC: receiving {name} ({size} bytes) from {conn.getpeername()}")
        data = dcc_receive_data(conn, size)
        conn.close()
        os.makedirs("/tmp/downloads", exist_ok=True)
        with open(os.path.join("/tmp/downloads", name), "wb") as fh:
            fh.write(data)
        got, want = hashlib.sha256(data).hexdigest(), hashlib.sha256(original).hexdigest()
        if got != want:
            raise Fail(f"DCC: {name} arrived with sha256 {got}, not {want}")
        log(f"DCC: {name} received intact ({len(data)} bytes, sha256 {got})")
    # Thanks and goodbye; the receiver speaks first.
    after = [(1, "chan", f"got {name}, thanks!")] + conversation(plan.seed, "after", 2, 0.0, 0.2)
    talk(c, plan, after, plan.peer_nick)
    c.pause(plan.delay())


def task_chanops(c, plan):
    env = plan.env
    topic1 = env["IRC_TOPIC"]
    topic2 = env["IRC_NEW_TOPIC"]
    modes = env.get("IRC_MODES", "+nt")
    key = env.get("IRC_KEY", "")
    grant = env.get("IRC_GRANT", "v")  # v: voice, o: op
    reason = env["IRC_KICK_REASON"]
    new_nick = env["IRC_NEW_NICK"]
    rejoin = float(env.get("IRC_REJOIN_DELAY", "1"))
    chan, lchan = plan.chan, lower(plan.chan)
    script = conversation(plan.seed, "ops", plan.lines, plan.private_share, plan.action_share)

    def mode_echo(flags, who=None):
        return lambda m: (m.command == "MODE" and lower(m.param(0)) == lchan and m.param(1) == flags
                          and (who is None or lower(m.param(2)) == lower(who)))

    if plan.me == 0:  # the operator
        c.join(chan)
        if c.members.get(lchan, {}).get(lower(c.nick)) != "@":
            raise Fail(f"not operator of the new channel {chan}: {c.members.get(lchan)}")
        c.pause(plan.delay())
        c.send(f"TOPIC {chan} :{topic1}")
        c.wait_for(lambda m: m.command == "TOPIC" and m.param(1) == topic1, "our TOPIC")
        c.pause(plan.delay())
        c.send(f"MODE {chan} {modes}{'k ' + key if key else ''}")
        c.wait_for(lambda m: m.command == "MODE" and lower(m.param(0)) == lchan, "our MODE")
        c.wait_until(lambda: lower(plan.peer_nick) in c.members.get(lchan, {}),
                     f"{plan.peer_nick} joins {chan}", timeout=30)
        c.pause(plan.delay())
        c.send(f"MODE {chan} +{grant} {plan.peer_nick}")
        c.wait_for(mode_echo(f"+{grant}", plan.peer_nick), f"our MODE +{grant}")
        talk(c, plan, script, plan.peer_nick)
        c.wait_for(lambda m: m.command == "NICK" and lower(m.nick) == lower(plan.peer_nick)
                   and m.param(0) == new_nick, f"{plan.peer_nick} becoming {new_nick}")
        c.pause(plan.delay())
        c.send(f"KICK {chan} {new_nick} :{reason}")
        c.wait_for(lambda m: m.command == "KICK" and lower(m.param(1)) == lower(new_nick), "our KICK")
        c.wait_until(lambda: lower(new_nick) in c.members.get(lchan, {}), f"{new_nick} rejoins", timeout=30)
        c.pause(plan.delay())
        c.send(f"MODE {chan} +o {new_nick}")
        c.wait_for(mode_echo("+o", new_nick), "our MODE +o")
        c.wait_for(lambda m: m.command == "TOPIC" and lower(m.nick) == lower(new_nick) and m.param(1) == topic2,
                   f"{new_nick} setting the topic")
        c.pause(plan.delay())
    else:
        op = plan.peer_nick
        # Wait (looking at the channel's NAMES) until the operator has
        # created the channel, so that it is the operator's.
        deadline = time.monotonic() + 30
        while True:
            c.send(f"NAMES {chan}")
            c.wait_for(lambda m: m.command == "366", "the end of NAMES")
            if c.members.get(lchan, {}).get(lower(op)) == "@":
                break
            if time.monotonic() > deadline:
                raise Fail(f"{op} never opened {chan}")
            c.pause(1)
        # The topic and the key may or may not be set yet: a key given to
        # a channel without one is ignored, and the topic comes on joining
        # (RPL_TOPIC) or later (TOPIC).
        c.join(chan, key)
        c.wait_until(lambda: c.topics.get(lchan) == topic1, f"the topic {topic1!r}")
        c.wait_for(mode_echo(f"+{grant}", plan.my_nick), f"MODE +{grant} for us")
        talk(c, plan, script, op)
        c.pause(plan.delay())
        c.send(f"NICK {new_nick}")
        c.wait_for(lambda m: m.command == "NICK" and m.param(0) == new_nick, "our NICK change")
        k = c.wait_for(lambda m: m.command == "KICK" and lower(m.param(1)) == lower(new_nick), "the KICK")
        if k.param(2) != reason or lower(k.nick) != lower(op):
            raise Fail(f"kicked by {k.nick} for {k.param(2)!r}, expected {op} for {reason!r}")
        c.pause(rejoin)
        c.join(chan, key)
        c.wait_for(mode_echo("+o", new_nick), "MODE +o for us")
        c.pause(plan.delay())
        c.send(f"TOPIC {chan} :{topic2}")
        c.wait_for(lambda m: m.command == "TOPIC" and m.param(1) == topic2, "our TOPIC")
        c.pause(plan.delay())


def main():
    env = os.environ
    plan = Plan(env)
    task = env.get("IRC_TASK", "chat")
    c = None
    try:
        c = Client(env.get("IRC_SERVER", "server"), int(env.get("IRC_PORT", "6667")),
                   plan.my_nick, env.get("IRC_USER", plan.my_nick), env.get("IRC_REALNAME", plan.my_nick),
                   env.get("IRC_REGISTRATION", "plain"))
        c.register()
        if c.nick != plan.my_nick:
            raise Fail(f"registered as {c.nick}, not {plan.my_nick}")
        {"chat": task_chat, "dcc": task_dcc, "chanops": task_chanops}[task](c, plan)
        c.check_no_error()
        c.leave(plan.chan, env.get("IRC_PART_REASON", "bye"), env.get("IRC_QUIT_MESSAGE", "Leaving"))
    except (Fail, OSError, KeyError, ValueError) as e:
        log(f"FAILED ({task}): {type(e).__name__}: {e}")
        return 1
    log(f"{task}: done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
