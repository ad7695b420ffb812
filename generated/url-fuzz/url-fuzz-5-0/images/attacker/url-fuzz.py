#!/usr/bin/env python3
"""url-fuzz.py - the workload of the `url-fuzz` scenario's attacker.

Enumerates the paths of the web server with dirb or wfuzz, as an attacker
maps a site before attacking it:

1. builds the word list: FUZZ_SIZE words drawn (in their original order)
   from the base list FUZZ_BASE with a generator seeded by FUZZ_SEED, none
   of which exists on the server, and then the first FUZZ_PLANTED words of
   the server's unlinked paths inserted at positions drawn from the same
   generator (so the list holds some of the real paths, at drawn places);
2. runs the tool against FUZZ_URL:
     dirb   single-threaded, FUZZ_DELAY_MS between requests, recursing
            into the directories it finds unless FUZZ_RECURSE=no, the
            extensions FUZZ_EXTENSIONS appended to every word (-X);
     wfuzz  FUZZ_THREADS concurrent connections, method FUZZ_METHOD (GET
            or HEAD), 404s hidden, the extensions as a second payload
            (FUZZ.FUZ2Z);
   with user agent FUZZ_USER_AGENT ("default" keeps the tool's own);
3. checks the outcome: what the tool reports found is exactly the planted
   paths - pages and files with 200, directories with 301 (a redirect to
   the path with a slash) - and nothing else.

FUZZ_PATHS lists the server's unlinked paths as the server has them (name,
name/ for a directory, name.ext for a file); FUZZ_EXCLUDE names more words
that exist on the server (the secret directory, the public pages, index)
and so are kept out of the drawn part of the list. Exit 0 when the scan
found exactly what was planted, 1 otherwise.
"""

import json
import os
import random
import re
import subprocess
import sys
import time
from urllib.parse import urlsplit

WORDLIST = "/tmp/wordlist.txt"


def fail(msg):
    print(f"url-fuzz: FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        fail(f"{name} must be set")
    return v


def head(word):
    """The first segment of a word as a path: what it would hit first."""
    return re.split(r"[/.?#;]", word.lstrip("/"), maxsplit=1)[0]


def build_wordlist(base, size, seed, planted, exclude):
    with open(base, encoding="latin-1") as f:
        words, seen = [], set()
        for line in f:
            w = line.strip()
            # Comments, and words that would not name a path below the
            # root (".", "..", a query or a fragment of the home page).
            if not w or w in (".", "..") or w.startswith(("#", "?", "/", "./", "../")):
                continue
            if re.search(r"[\s\x00-\x1f\x7f]", w):
                continue
            if head(w) in exclude or w in seen:
                continue
            seen.add(w)
            words.append(w)
    rng = random.Random(seed)
    k = max(0, min(size - len(planted), len(words)))
    chosen = [words[i] for i in sorted(rng.sample(range(len(words)), k))]
    for w in planted:
        chosen.insert(rng.randint(0, len(chosen)), w)
    with open(WORDLIST, "w") as f:
        f.write("".join(w + "\n" for w in chosen))
    return chosen


def path_of(url, base):
    """The path of a URL relative to the base URL's path, e.g. 'admin'."""
    p = urlsplit(url).path
    bp = urlsplit(base).path
    return p[len(bp):] if p.startswith(bp) else p.lstrip("/")


def run_dirb(url, exts, ua, delay_ms, recurse):
    cmd = ["dirb", url, WORDLIST, "-S", "-w"]
    if exts:
        cmd += ["-X", ",".join("." + e for e in exts)]
    if ua != "default":
        cmd += ["-a", ua]
    if delay_ms > 0:
        cmd += ["-z", str(delay_ms)]
    if not recurse:
        cmd += ["-r"]
    print("url-fuzz: " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         errors="replace")
    print(out.stdout, flush=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        fail(f"dirb exited {out.returncode}")
    found = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^\+ (\S+) \(CODE:(\d+)\|", line)
        if m:
            found[path_of(m.group(1), url)] = int(m.group(2))
        m = re.match(r"^==> DIRECTORY: (\S+)", line)
        if m:
            found[path_of(m.group(1), url)] = 301
    m = re.search(r"DOWNLOADED: (\d+)", out.stdout)
    return found, int(m.group(1)) if m else None


def run_wfuzz(url, exts, ua, threads, method):
    report = "/tmp/wfuzz.json"
    cmd = ["wfuzz", "-t", str(threads), "--hc", "404", "-f", report + ",json", "-w", WORDLIST]
    if exts:
        cmd += ["-z", "list," + "-".join(exts)]
    if ua != "default":
        cmd += ["-H", "User-Agent: " + ua]
    if method != "GET":
        cmd += ["-X", method]
    cmd.append(url + ("FUZZ.FUZ2Z" if exts else "FUZZ"))
    print("url-fuzz: " + " ".join(cmd), flush=True)
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         errors="replace")
    # wfuzz paints its table with terminal escapes; keep the log readable.
    print(re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.stdout), flush=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        fail(f"wfuzz exited {out.returncode}")
    try:
        with open(report) as f:
            results = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"no wfuzz report: {e}")
    found = {}
    for r in results:
        p = path_of(r["url"], url)
        if r["code"] == 301:
            p += "/"
        found[p] = r["code"]
    m = re.search(r"Processed Requests: (\d+)", out.stdout)
    return found, int(m.group(1)) if m else None


def main():
    tool = env("FUZZ_TOOL")
    url = env("FUZZ_URL")
    if not url.endswith("/"):
        url += "/"
    paths = env("FUZZ_PATHS").split()
    n_planted = min(int(env("FUZZ_PLANTED")), len(paths))
    exts = [e for e in env("FUZZ_EXTENSIONS", "").replace(",", " ").split() if e]
    ua = env("FUZZ_USER_AGENT", "default")
    stems = [head(p) for p in paths]
    exclude = set(stems) | set(env("FUZZ_EXCLUDE", "").split()) | {"index"}

    planted = stems[:n_planted]
    expected = {}
    for p in paths[:n_planted]:
        expected[p] = 301 if p.endswith("/") else 200
    words = build_wordlist(env("FUZZ_BASE"), int(env("FUZZ_SIZE")), int(env("FUZZ_SEED")),
                           planted, exclude)
    where = ", ".join(f"{w}@{words.index(w) + 1}" for w in planted)
    print(f"url-fuzz: {len(words)} words from {env('FUZZ_BASE')}; planted {where}; "
          f"hidden: {' '.join(paths[n_planted:]) or '-'} + {env('FUZZ_EXCLUDE', '')}", flush=True)

    start = time.time()
    if tool == "dirb":
        found, requests = run_dirb(url, exts, ua, int(env("FUZZ_DELAY_MS", "0")),
                                   env("FUZZ_RECURSE", "yes") == "yes")
    elif tool == "wfuzz":
        found, requests = run_wfuzz(url, exts, ua, int(env("FUZZ_THREADS", "10")),
                                    env("FUZZ_METHOD", "GET"))
    else:
        fail(f"FUZZ_TOOL must be dirb or wfuzz, not {tool!r}")
    took = time.time() - start
    print(f"url-fuzz: {tool} made {requests} requests in {took:.1f} s; found {found}", flush=True)
    if found != expected:
        fail(f"found {found}, expected exactly {expected}")
    print(f"url-fuzz: found exactly the {len(expected)} planted path(s)", flush=True)


if __name__ == "__main__":
    main()
