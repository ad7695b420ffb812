#!/usr/bin/env python3
"""bt.py - helpers of the `bittorrent` scenario (Python 3 standard library).

Subcommands:

  site                 the tracker's torrent site on port 80 (an emulation
                       of a small private-tracker web site in front of
                       opentracker): GET / lists the torrents with their
                       seeders and leechers (scraped from opentracker on
                       localhost), GET /torrent/<hash> shows one torrent
                       with its magnet link, GET /download/<hash>.torrent
                       serves the metainfo file, POST /upload takes a
                       .torrent from an uploader, adds its info hash to
                       opentracker's whitelist and makes opentracker reload
                       it (SIGHUP).
  upload SITE FILE     upload a .torrent to the site; prints its info hash.
  wait-seeded SITE HASH N TIMEOUT
                       poll the torrent's page until it lists N seeders.
  browse SITE OUT MODE the leecher's visit: the index, the torrent's page,
                       then the .torrent (MODE torrent, saved to OUT) or
                       its magnet link (MODE magnet, written to OUT).
  info FILE            the info hash, name and files of a .torrent.
  tr-last-announce     the latest time (epoch seconds, the daemon's clock)
                       the local transmission-daemon (RPC on
                       127.0.0.1:9091, not the captured interface)
                       finished an announce.
  tr-announced AFTER TIMEOUT
                       wait until the daemon has finished an announce to
                       every tracker later than AFTER (a value of
                       tr-last-announce): its "stopped" announce.

The site and the peers' visits use plain HTTP/1.1 on port 80; the
announces themselves go to opentracker on port 6969 (HTTP or UDP).
"""

import hashlib
import html
import http.server
import json
import os
import re
import signal
import socketserver
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# ---- bencoding ------------------------------------------------------------


def bdecode(data, i=0):
    """Decodes the value at data[i:]; returns (value, end). Dictionaries
    keep their keys as bytes; the raw bytes of b'info' are kept under
    b'__info_raw__' so that the info hash can be computed exactly."""
    c = data[i : i + 1]
    if c == b"i":
        end = data.index(b"e", i)
        return int(data[i + 1 : end]), end + 1
    if c == b"l":
        i += 1
        out = []
        while data[i : i + 1] != b"e":
            v, i = bdecode(data, i)
            out.append(v)
        return out, i + 1
    if c == b"d":
        i += 1
        out = {}
        while data[i : i + 1] != b"e":
            k, i = bdecode(data, i)
            start = i
            v, i = bdecode(data, i)
            out[k] = v
            if k == b"info":
                out[b"__info_raw__"] = data[start:i]
        return out, i + 1
    if c.isdigit():
        colon = data.index(b":", i)
        n = int(data[i:colon])
        return data[colon + 1 : colon + 1 + n], colon + 1 + n
    raise ValueError(f"not bencoded at offset {i}")


def metainfo(data):
    """(info hash hex, name, [(path, length)], total, announce) of a torrent."""
    meta, end = bdecode(data)
    if end != len(data) or not isinstance(meta, dict) or b"info" not in meta:
        raise ValueError("not a metainfo file")
    info = meta[b"info"]
    ih = hashlib.sha1(meta[b"__info_raw__"]).hexdigest()
    name = info[b"name"].decode("utf-8", "replace")
    if b"files" in info:
        files = [
            ("/".join(p.decode("utf-8", "replace") for p in f[b"path"]), f[b"length"])
            for f in info[b"files"]
        ]
    else:
        files = [(name, info[b"length"])]
    announce = meta.get(b"announce", b"").decode("utf-8", "replace")
    return ih, name, files, sum(n for _, n in files), announce


# ---- the site --------------------------------------------------------------

STORE = "/srv/torrents"
WHITELIST = "/etc/opentracker/whitelist.txt"
TRACKER_PID = "/run/opentracker.pid"
TRACKER_PORT = int(os.environ.get("BT_TRACKER_PORT", "6969"))
TRACKER_NAME = os.environ.get("BT_TRACKER_NAME", "tracker")


def scrape(ih):
    """(seeders, leechers, completed) from opentracker on localhost (the
    loopback traffic is not on the captured interface)."""
    q = urllib.parse.quote_from_bytes(bytes.fromhex(ih))
    url = f"http://127.0.0.1:{TRACKER_PORT}/scrape?info_hash={q}"
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            body = r.read()
        files = bdecode(body)[0].get(b"files", {})
        st = files.get(bytes.fromhex(ih), {})
        return st.get(b"complete", 0), st.get(b"incomplete", 0), st.get(b"downloaded", 0)
    except Exception as e:  # noqa: BLE001 - the page still renders
        print(f"site: scrape failed: {e}", flush=True)
        return 0, 0, 0


def torrents():
    out = []
    for f in sorted(os.listdir(STORE)):
        if f.endswith(".torrent"):
            with open(os.path.join(STORE, f), "rb") as fh:
                out.append(metainfo(fh.read()))
    return out


def magnet(ih, name, announce):
    # xt stays literal (urn:btih:...), as clients expect; dn and tr are
    # percent-encoded
    link = f"magnet:?xt=urn:btih:{ih}&dn={urllib.parse.quote(name, safe='')}"
    if announce:
        link += f"&tr={urllib.parse.quote(announce, safe='')}"
    return link


class Site(http.server.BaseHTTPRequestHandler):
    server_version = "nginx/1.22.1"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        print(f"site: {self.client_address[0]} {fmt % args}", flush=True)

    def send(self, code, body, ctype="text/html; charset=utf-8", extra=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def page(self, title, body):
        return (
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)} - {html.escape(TRACKER_NAME)}</title></head>\n"
            f"<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
        )

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/":
            rows = []
            for ih, name, files, total, _ in torrents():
                s, l, d = scrape(ih)
                rows.append(
                    f'<tr><td><a href="/torrent/{ih}">{html.escape(name)}</a></td>'
                    f"<td>{len(files)}</td><td>{total}</td><td class=\"seeders\">{s}</td>"
                    f'<td class="leechers">{l}</td><td>{d}</td>'
                    f'<td><a href="/download/{ih}.torrent">torrent</a></td></tr>'
                )
            body = (
                "<table><tr><th>name</th><th>files</th><th>bytes</th><th>seeders</th>"
                "<th>leechers</th><th>completed</th><th></th></tr>\n" + "\n".join(rows) + "\n</table>"
            )
            return self.send(200, self.page("Torrents", body))
        m = re.fullmatch(r"/torrent/([0-9a-f]{40})", path)
        if m and os.path.exists(f"{STORE}/{m[1]}.torrent"):
            with open(f"{STORE}/{m[1]}.torrent", "rb") as fh:
                ih, name, files, total, announce = metainfo(fh.read())
            s, l, d = scrape(ih)
            items = "".join(f"<li>{html.escape(p)} ({n} bytes)</li>" for p, n in files)
            body = (
                f'<p>info hash <code class="infohash">{ih}</code></p>\n'
                f'<p>seeders <span class="seeders">{s}</span>, leechers '
                f'<span class="leechers">{l}</span>, completed <span class="completed">{d}</span></p>\n'
                f"<ul>{items}</ul>\n"
                f'<p><a class="torrent" href="/download/{ih}.torrent">download .torrent</a> '
                f'<a class="magnet" href="{html.escape(magnet(ih, name, announce))}">magnet link</a></p>'
            )
            return self.send(200, self.page(name, body))
        m = re.fullmatch(r"/download/([0-9a-f]{40})\.torrent", path)
        if m and os.path.exists(f"{STORE}/{m[1]}.torrent"):
            with open(f"{STORE}/{m[1]}.torrent", "rb") as fh:
                data = fh.read()
            name = metainfo(data)[1]
            disp = f"attachment; filename*=UTF-8''{urllib.parse.quote(name)}.torrent"
            return self.send(200, data, "application/x-bittorrent", [("Content-Disposition", disp)])
        if path == "/favicon.ico":
            return self.send(404, "", "text/plain")
        return self.send(404, self.page("Not found", "<p>No such page.</p>"))

    def do_POST(self):
        if urllib.parse.urlsplit(self.path).path != "/upload":
            return self.send(404, self.page("Not found", "<p>No such page.</p>"))
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        try:
            ih, name, files, total, announce = metainfo(data)
        except Exception as e:  # noqa: BLE001
            return self.send(400, f"not a torrent: {e}\n", "text/plain")
        with open(f"{STORE}/{ih}.torrent", "wb") as fh:
            fh.write(data)
        with open(WHITELIST, "a") as fh:
            fh.write(ih + "\n")
        with open(TRACKER_PID) as fh:
            os.kill(int(fh.read()), signal.SIGHUP)
        print(f"site: uploaded {name!r}: {ih}, {len(files)} file(s), {total} bytes, announce {announce}", flush=True)
        # opentracker reloads its whitelist in a thread: wait until it
        # answers for the new hash before telling the uploader.
        time.sleep(0.5)
        return self.send(201, ih + "\n", "text/plain", [("Location", f"/torrent/{ih}")])


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def serve():
    os.makedirs(STORE, exist_ok=True)
    port = int(os.environ.get("BT_SITE_PORT", "80"))
    print(f"site: serving on port {port}", flush=True)
    Server(("0.0.0.0", port), Site).serve_forever()


# ---- the visitors ------------------------------------------------------------

UA = os.environ.get("BT_USER_AGENT", "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0")


def get(url, data=None, ctype=None):
    req = urllib.request.Request(url, data=data, headers={"User-Agent": UA, "Accept": "*/*"})
    if ctype:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def upload(site, path):
    with open(path, "rb") as fh:
        data = fh.read()
    status, body = get(f"{site}/upload", data, "application/x-bittorrent")
    if status != 201:
        sys.exit(f"upload: HTTP {status}")
    print(body.decode().strip())


def wait_seeded(site, ih, want, timeout):
    deadline = time.time() + float(timeout)
    while time.time() < deadline:
        try:
            _, body = get(f"{site}/torrent/{ih}")
            m = re.search(rb'class="seeders">(\d+)<', body)
            if m and int(m[1]) >= int(want):
                print(f"the site lists {int(m[1])} seeder(s)")
                return
        except Exception as e:  # noqa: BLE001 - retried
            print(f"wait-seeded: {e}", file=sys.stderr)
        time.sleep(1)
    sys.exit(f"the site never listed {want} seeder(s) for {ih}")


def browse(site, out, mode):
    _, index = get(f"{site}/")
    m = re.search(rb'href="/torrent/([0-9a-f]{40})"', index)
    if not m:
        sys.exit("no torrent on the site's index")
    ih = m[1].decode()
    _, page = get(f"{site}/torrent/{ih}")
    if mode == "magnet":
        m = re.search(rb'class="magnet" href="([^"]+)"', page)
        if not m:
            sys.exit("no magnet link on the torrent's page")
        link = html.unescape(m[1].decode())
        with open(out, "w") as fh:
            fh.write(link + "\n")
    else:
        _, data = get(f"{site}/download/{ih}.torrent")
        if metainfo(data)[0] != ih:
            sys.exit("the .torrent does not have the listed info hash")
        with open(out, "wb") as fh:
            fh.write(data)
    print(ih)


def info(path):
    with open(path, "rb") as fh:
        ih, name, files, total, announce = metainfo(fh.read())
    print(f"info hash {ih}\nname {name}\nannounce {announce}\ntotal {total}")
    for p, n in files:
        print(f"file {n} {p}")


def tr_rpc(method, arguments, session=""):
    """One Transmission RPC call (with its CSRF session-id handshake)."""
    url = "http://127.0.0.1:9091/transmission/rpc"
    body = json.dumps({"method": method, "arguments": arguments}).encode()
    for _ in range(3):
        req = urllib.request.Request(url, body, {"X-Transmission-Session-Id": session})
        try:
            with urllib.request.urlopen(req, timeout=5) as r:
                return json.loads(r.read())["arguments"]
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise
            session = e.headers.get("X-Transmission-Session-Id", "")
    raise RuntimeError("no Transmission RPC session")


def tr_tracker_stats():
    got = tr_rpc("torrent-get", {"fields": ["trackerStats"]})["torrents"]
    return [t for tor in got for t in tor["trackerStats"]]


def tr_last_announce():
    print(max((t["lastAnnounceTime"] for t in tr_tracker_stats()), default=0))


def tr_announced(after, timeout):
    deadline = time.time() + float(timeout)
    while time.time() < deadline:
        try:
            stats = tr_tracker_stats()
            # announceState 3: an announce is in flight
            if stats and all(t["lastAnnounceTime"] > int(after) and t["announceState"] != 3 for t in stats):
                return
        except Exception as e:  # noqa: BLE001 - retried
            print(f"tr-announced: {e}", file=sys.stderr)
        time.sleep(0.2)
    sys.exit(f"no announce after {after} within {timeout} s")


def main(argv):
    cmd, args = argv[1], argv[2:]
    {
        "site": serve,
        "upload": upload,
        "wait-seeded": wait_seeded,
        "browse": browse,
        "info": info,
        "tr-last-announce": tr_last_announce,
        "tr-announced": tr_announced,
    }[cmd](*args)


if __name__ == "__main__":
    main(sys.argv)
