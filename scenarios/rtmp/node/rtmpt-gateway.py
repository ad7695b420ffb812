#!/usr/bin/env python3
"""rtmpt-gateway.py - RTMPT (RTMP tunnelled over HTTP) in front of nginx-rtmp.

nginx-rtmp speaks RTMP on port 1935 only. Flash Media Server, Wowza and
Red5 also accepted RTMPT on port 80 for clients behind firewalls; this
gateway is our emulation of that server side (standard library only). It
speaks the RTMPT protocol as Flash Player, librtmp (rtmpdump) and
FFmpeg's rtmpt:// use it, over persistent HTTP/1.1 connections, with
`Content-Type: application/x-fcs` both ways:

  POST /fcs/ident2          answered 404 (Flash Player's probe)
  POST /open/1              opens a session: a TCP connection to the RTMP
                            server; the body of the answer is the session
                            ID and a newline
  POST /send/<id>/<seq>     the body is RTMP bytes for the server; the
                            answer is one polling-delay byte followed by
                            whatever the server has sent since the last
                            request
  POST /idle/<id>/<seq>     polls: the same answer without sending
  POST /close/<id>/<seq>    closes the session

The polling-delay byte grows from 1 while a session has nothing to say
(up to 0x21, as FMS and Red5 do) and drops back to 1 when data flows; an
idle request waits up to 0.2 s for data before it is answered, so clients
that poll without pausing (FFmpeg) do not spin.
"""

import argparse
import os
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SESSIONS = {}
SESSIONS_LOCK = threading.Lock()
BACKEND = ("127.0.0.1", 1935)
IDLE_WAIT = 0.2


class Session:
    def __init__(self, sid):
        self.sid = sid
        self.sock = socket.create_connection(BACKEND, timeout=10)
        self.sock.settimeout(None)
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.closed = False
        self.delay = 1
        self.sent = self.received = 0
        threading.Thread(target=self.reader, daemon=True).start()

    def reader(self):
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                with self.cond:
                    self.buf += data
                    self.received += len(data)
                    self.cond.notify_all()
        except OSError:
            pass
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def send(self, data):
        if data:
            self.sock.sendall(data)
            self.sent += len(data)

    def drain(self, wait):
        with self.cond:
            if not self.buf and not self.closed and wait:
                self.cond.wait(wait)
            out = bytes(self.buf)
            self.buf.clear()
        if out:
            self.delay = 1
        else:
            self.delay = min(self.delay + 1, 0x21)
        return out

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Answer at once (no Nagle delay between the header and body writes).
    disable_nagle_algorithm = True

    def version_string(self):
        # What Flash Media Server's RTMPT answers carried.
        return "FlashCom/3.5.7"

    def log_message(self, fmt, *args):
        sys.stdout.write("rtmpt-gateway: %s %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()

    def reply(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Type", "application/x-fcs")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "Keep-Alive")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.strip("/").split("/")
        cmd = parts[0]
        if cmd == "open":
            sid = os.urandom(8).hex()
            try:
                session = Session(sid)
            except OSError as e:
                self.log_message("open failed: %r", e)
                return self.reply(503)
            with SESSIONS_LOCK:
                SESSIONS[sid] = session
            return self.reply(200, sid.encode() + b"\n")
        if cmd not in ("send", "idle", "close") or len(parts) != 3:
            return self.reply(404)
        with SESSIONS_LOCK:
            session = SESSIONS.get(parts[1])
        if session is None:
            return self.reply(404)
        if cmd == "close":
            with SESSIONS_LOCK:
                SESSIONS.pop(parts[1], None)
            session.close()
            self.log_message(
                "session %s closed (%d bytes up, %d down)", session.sid, session.sent, session.received
            )
            return self.reply(200, b"\x00")
        if cmd == "send":
            try:
                session.send(body)
            except OSError:
                return self.reply(404)
            out = session.drain(0)
        else:
            out = session.drain(IDLE_WAIT)
        if not out and session.closed:
            with SESSIONS_LOCK:
                SESSIONS.pop(parts[1], None)
            return self.reply(404)
        return self.reply(200, bytes([session.delay]) + out)

    def do_GET(self):
        self.reply(404)


def main():
    global BACKEND
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, default=80)
    ap.add_argument("--backend", default="127.0.0.1:1935")
    args = ap.parse_args()
    host, port = args.backend.rsplit(":", 1)
    BACKEND = (host, int(port))
    server = ThreadingHTTPServer(("0.0.0.0", args.listen), Handler)
    server.daemon_threads = True
    print(f"rtmpt-gateway: RTMPT on port {args.listen}, relaying to {args.backend}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
