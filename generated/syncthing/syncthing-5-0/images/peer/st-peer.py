#!/usr/bin/env python3
"""st-peer.py - one Syncthing device of the `syncthing` scenario.

Every peer container runs this script (standard library only):

  1. A peer the run did not draw (ST_NAME not in ST_PEERS) stays offline:
     it sends nothing and sleeps until the run stops it.
  2. `syncthing generate` makes a fresh key, certificate (so a fresh device
     ID) and config.xml with a random API key. The device ID is published
     as /exchange/<name>.id - /exchange is a directory every peer mounts,
     standing for the user copying device IDs between machines by hand -
     and the other drawn peers' IDs are read back from there.
  3. config.xml is rewritten: no GUI beyond the REST API on 127.0.0.1, no
     global discovery, relays, NAT traversal (UPnP/NAT-PMP), usage or
     crash reporting, upgrades or QUIC; local discovery on or off as
     drawn; BEP listens on tcp://0.0.0.0:22000 and every other peer is a
     device with the static address tcp://<peer>:22000 and the drawn
     compression; one shared folder (drawn ID and label) with all peers,
     send-receive on the workload's side, send-receive or receive-only on
     the others, changes picked up by the file-system watcher or by a
     rescan the user asks for through the REST API.
  4. The devices come up in turn (peer-a, peer-b, peer-c): each starts
     `syncthing serve` once the one before it listens, after a drawn
     pause; the script waits for its REST API and listener, and for a
     BEP connection to every other peer.

Then a peer that is not the workload (ST_TASK=serve) publishes a digest
of its folder (path and sha256 of every file, every directory) as
/exchange/<name>.digest whenever it changes, until the workload writes
/exchange/done; then it removes its files from /exchange and idles.

The workload (ST_TASK=add|add-edit|add-delete|add-edit-delete|big) changes
the folder in steps: add the drawn files (optionally in a subdirectory),
edit some of them (append, overwrite in place, insert at the start or
truncate, drawn sizes), delete some, or copy in one big file of random
bytes. After each step it waits until (a) its own Syncthing reports, over
the REST API (/rest/db/completion, with the API key from config.xml),
every other peer 100 % complete with nothing needed, and (b) every other
peer's published digest equals its own folder's. It exits 0 when every
step synced, 1 otherwise, after cleaning /exchange.
"""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

HOME = "/var/lib/syncthing"
EXCHANGE = "/exchange"
SYNC_ROOT = "/srv/sync"
BEP_PORT = 22000


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        sys.exit(f"st-peer: {name} must be set")
    return v


NAME = env("ST_NAME")
PEERS = env("ST_PEERS").split()
TASK = env("ST_TASK", "serve")
FOLDER_ID = env("ST_FOLDER_ID")
FOLDER_LABEL = env("ST_FOLDER_LABEL")
FOLDER_PATH = os.path.join(SYNC_ROOT, FOLDER_LABEL)
START = time.time()


def log(msg):
    print(f"st-peer[{NAME}] {time.time() - START:6.2f}s {msg}", flush=True)


def fail(msg):
    log(f"FAILED: {msg}")
    sys.exit(1)


def stay_offline():
    log(f"not one of the drawn peers ({' '.join(PEERS)}): staying offline")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


# ---------------------------------------------------------------- exchange


def publish(name, text):
    tmp = os.path.join(EXCHANGE, f".{name}.tmp")
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, os.path.join(EXCHANGE, name))


def read_fresh(name):
    """A file of /exchange written by this run (not left by an earlier
    run of the same directory), or None."""
    path = os.path.join(EXCHANGE, name)
    try:
        if os.stat(path).st_mtime < START - 60:
            return None
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def wait_for_ids(timeout):
    ids = {}
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in PEERS:
            if p != NAME and p not in ids:
                text = read_fresh(f"{p}.id")
                if text and text.strip():
                    ids[p] = text.strip()
        if len(ids) == len(PEERS) - 1:
            return ids
        time.sleep(0.2)
    fail(f"device IDs of {sorted(set(PEERS) - {NAME} - set(ids))} never appeared")


# --------------------------------------------------------------- config


def set_text(parent, tag, value):
    el = parent.find(tag)
    if el is None:
        el = ET.SubElement(parent, tag)
    el.text = str(value)


def configure(my_id, ids):
    path = os.path.join(HOME, "config.xml")
    tree = ET.parse(path)
    root = tree.getroot()
    opts = root.find("options")
    settings = {
        "listenAddress": f"tcp://0.0.0.0:{BEP_PORT}",
        "globalAnnounceEnabled": "false",
        "localAnnounceEnabled": "true" if env("ST_LOCAL_DISCOVERY") == "on" else "false",
        "relaysEnabled": "false",
        "natEnabled": "false",
        "startBrowser": "false",
        "urAccepted": "-1",
        "urSeen": "3",
        "crashReportingEnabled": "false",
        "autoUpgradeIntervalH": "0",
        "reconnectionIntervalS": env("ST_RECONNECT", "5"),
        "maxSendKbps": env("ST_MAX_SEND_KIBS", "0"),
        "limitBandwidthInLan": "true",
    }
    for tag, value in settings.items():
        set_text(opts, tag, value)
    for tag in ("globalAnnounceServer", "stunServer"):
        for el in opts.findall(tag):
            opts.remove(el)

    defaults = root.find("defaults")
    default_device = defaults.find("device")
    default_folder = defaults.find("folder")
    compression = env("ST_COMPRESSION")

    # Our own device entry: named after the service.
    me = next(d for d in root.findall("device") if d.get("id") == my_id)
    me.set("name", NAME)
    # The other peers, each at its static address.
    position = list(root).index(me) + 1
    for peer in sorted(ids):
        dev = ET.fromstring(ET.tostring(default_device))
        dev.set("id", ids[peer])
        dev.set("name", peer)
        dev.set("compression", compression)
        dev.find("address").text = f"tcp://{peer}:{BEP_PORT}"
        root.insert(position, dev)
        position += 1

    folder = ET.fromstring(ET.tostring(default_folder))
    folder.set("id", FOLDER_ID)
    folder.set("label", FOLDER_LABEL)
    folder.set("path", FOLDER_PATH)
    folder.set("type", env("ST_FOLDER_TYPE", "sendreceive"))
    watch = env("ST_CHANGES") == "watch"
    folder.set("fsWatcherEnabled", "true" if watch else "false")
    folder.set("fsWatcherDelayS", env("ST_WATCH_DELAY", "10"))
    folder.set("rescanIntervalS", "3600")
    for d in folder.findall("device"):
        folder.remove(d)
    for dev_id in [my_id] + [ids[p] for p in sorted(ids)]:
        d = ET.SubElement(folder, "device", {"id": dev_id, "introducedBy": ""})
        ET.SubElement(d, "encryptionPassword")
    # The folder goes before the first device, where Syncthing writes it.
    first_device = list(root).index(root.find("device"))
    root.insert(first_device, folder)

    tree.write(path)
    return root.find("gui").findtext("apikey")


# ----------------------------------------------------------------- REST


class Api:
    def __init__(self, key):
        self.key = key

    def call(self, path, method="GET"):
        req = urllib.request.Request(
            f"http://127.0.0.1:8384{path}",
            method=method,
            headers={"X-API-Key": self.key},
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            body = resp.read()
        return json.loads(body) if body.strip() else None

    def get(self, path):
        return self.call(path)

    def post(self, path):
        return self.call(path, method="POST")


def wait_until(what, timeout, probe, interval=0.25):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            ok, last = probe()
        except (urllib.error.URLError, OSError, ValueError) as e:
            ok, last = False, repr(e)
        if ok:
            return last
        time.sleep(interval)
    fail(f"timed out waiting for {what} (last: {last})")


# --------------------------------------------------------------- digest


IGNORED = (".stfolder", ".stversions", ".stignore")


def digest(cache):
    """Sorted lines 'd path' / 'f path sha256' of the folder; file hashes
    are cached by (size, mtime) so that big files are hashed once."""
    lines = []
    for dirpath, dirnames, filenames in os.walk(FOLDER_PATH):
        rel_dir = os.path.relpath(dirpath, FOLDER_PATH)
        if rel_dir == ".":
            dirnames[:] = [d for d in dirnames if d not in IGNORED]
        for d in dirnames:
            lines.append("d " + os.path.normpath(os.path.join(rel_dir, d)))
        for fn in filenames:
            if fn.startswith(".syncthing.") or (rel_dir == "." and fn in IGNORED):
                continue
            full = os.path.join(dirpath, fn)
            try:
                st = os.stat(full)
                key = (full, st.st_size, st.st_mtime_ns)
                h = cache.get(key)
                if h is None:
                    sha = hashlib.sha256()
                    with open(full, "rb") as f:
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            sha.update(chunk)
                    h = cache[key] = sha.hexdigest()
            except FileNotFoundError:
                continue
            lines.append(f"f {os.path.normpath(os.path.join(rel_dir, fn))} {h}")
    return "\n".join(sorted(lines)) + "\n"


# ------------------------------------------------------------- the peer


def listening(port):
    """Whether a TCP socket listens on the port (/proc/net/tcp{,6})."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
                        return True
        except FileNotFoundError:
            pass
    return False



def start_syncthing():
    os.makedirs(HOME, exist_ok=True)
    subprocess.run(
        ["syncthing", "generate", f"--home={HOME}", "--no-default-folder", "--skip-port-probing"],
        check=True,
    )
    my_id = subprocess.run(
        ["syncthing", "serve", f"--home={HOME}", "--device-id"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    log(f"device ID {my_id}")
    publish(f"{NAME}.id", my_id + "\n")
    ids = wait_for_ids(40)
    log("peers: " + ", ".join(f"{p}={i[:7]}" for p, i in sorted(ids.items())))
    key = configure(my_id, ids)
    os.makedirs(FOLDER_PATH, exist_ok=True)
    # The devices come up one after the other, in ST_PEERS order: each
    # waits until the one before it listens, then a drawn moment more. A
    # device that starts dials the ones already up at once; had two
    # started together, their first dials from port 22000 to port 22000
    # could meet in a TCP simultaneous open that fails the TLS handshake,
    # and both would wait a reconnection interval before trying again.
    before = PEERS[: PEERS.index(NAME)]
    if before:
        deadline = time.time() + 40
        while read_fresh(f"{before[-1]}.up") is None:
            if time.time() > deadline:
                fail(f"{before[-1]} never came up")
            time.sleep(0.2)
    time.sleep(float(env("ST_START_DELAY", "0")))
    proc = subprocess.Popen(
        [
            "syncthing",
            "serve",
            f"--home={HOME}",
            "--no-browser",
            "--no-restart",
            "--no-upgrade",
            "--logflags=2",
        ],
        # STHASHING: the standard SHA-256 code, without the start-up
        # benchmark that picks one (seconds on a busy host).
        env=dict(
            os.environ,
            STNODEFAULTFOLDER="1",
            STNOUPGRADE="1",
            STNORESTART="1",
            STHASHING="standard",
        ),
    )
    api = Api(key)
    wait_until("the REST API", 30, lambda: (api.get("/rest/system/ping").get("ping") == "pong", "ping"))
    wait_until("the BEP listener", 30, lambda: (listening(BEP_PORT), "not listening"))
    publish(f"{NAME}.up", "up\n")

    def connected():
        conns = api.get("/rest/system/connections")["connections"]
        missing = [p for p, i in ids.items() if not conns.get(i, {}).get("connected")]
        return not missing, f"not connected to {missing}"

    wait_until("BEP connections to every peer", 40, connected)
    for p, i in sorted(ids.items()):
        c = api.get("/rest/system/connections")["connections"][i]
        log(f"connected to {p} at {c.get('address')} ({c.get('type')}, {c.get('crypto')})")
    return proc, api, ids


def serve():
    """A peer that is not the workload: publish the folder's digest until
    the workload says it is done."""
    cache = {}
    last = None
    while read_fresh("done") is None:
        d = digest(cache)
        if d != last:
            publish(f"{NAME}.digest", d)
            last = d
        time.sleep(0.3)
    for suffix in (".id", ".up", ".digest"):
        try:
            os.remove(os.path.join(EXCHANGE, NAME + suffix))
        except FileNotFoundError:
            pass
    log("workload done; idling")


# ---------------------------------------------------------- the workload


class Workload:
    def __init__(self, api, ids):
        self.api = api
        self.ids = ids
        self.rng = random.Random(int(env("ST_SEED")))
        self.changes = env("ST_CHANGES")
        self.think = float(env("ST_THINK"))
        self.subdir = os.environ.get("ST_SUBDIR", "")
        self.cache = {}
        self.steps = 0

    def target_dir(self):
        d = os.path.join(FOLDER_PATH, self.subdir) if self.subdir else FOLDER_PATH
        os.makedirs(d, exist_ok=True)
        return d

    def files(self):
        out = []
        for dirpath, dirnames, filenames in os.walk(FOLDER_PATH):
            dirnames[:] = [d for d in dirnames if d not in IGNORED]
            out += [
                os.path.join(dirpath, f)
                for f in filenames
                if not f.startswith(".syncthing.") and f not in IGNORED
            ]
        return sorted(out)

    def pause(self):
        time.sleep(self.think)

    def sync(self, what):
        """Make Syncthing notice the change, then wait until every peer
        has it: Syncthing's own view (REST) and the peers' folders."""
        self.steps += 1
        if self.changes == "rescan":
            # The user clicks "Rescan" (the GUI's POST /rest/db/scan).
            self.api.post(f"/rest/db/scan?folder={FOLDER_ID}")
        expected = digest(self.cache)
        files = self.files()
        n_files, n_bytes = len(files), sum(os.path.getsize(f) for f in files)
        n_dirs = sum(1 for line in expected.splitlines() if line.startswith("d "))
        log(f"step {self.steps} ({what}): {n_files} file(s), {n_bytes} bytes; waiting for the peers")

        # Our own scan has seen the change: Syncthing's local counts equal
        # the folder's (it counts a directory as 128 bytes).
        def local_done():
            st = self.api.get(f"/rest/db/status?folder={FOLDER_ID}")
            ok = (
                st["state"] == "idle"
                and st["localFiles"] == n_files
                and st["localDirectories"] == n_dirs
                and st["localBytes"] == n_bytes + 128 * n_dirs
                and st["needFiles"] == 0
            )
            keys = ("state", "localFiles", "localDirectories", "localBytes", "needFiles")
            return ok, {k: st[k] for k in keys}

        wait_until("our scan of the change", 40, local_done)

        def remote_done():
            bad = {}
            for p, i in self.ids.items():
                c = self.api.get(f"/rest/db/completion?folder={FOLDER_ID}&device={i}")
                if c["completion"] < 100 or c["needItems"] or c["needDeletes"]:
                    bad[p] = {k: c.get(k) for k in ("completion", "needItems", "needDeletes")}
                elif read_fresh(f"{p}.digest") != expected:
                    bad[p] = "folder differs"
            return not bad, bad

        wait_until(f"the peers to sync step {self.steps}", 45, remote_done)
        log(f"step {self.steps} ({what}): every peer has the same content")

    # -- steps --

    def add(self):
        src = "/files"
        dest = self.target_dir()
        names = sorted(os.listdir(src))
        for i, n in enumerate(names):
            shutil.copyfile(os.path.join(src, n), os.path.join(dest, n))
            if i + 1 < len(names) and self.rng.random() < 0.5:
                time.sleep(self.rng.uniform(0, 0.3))
        self.sync(f"added {len(names)} file(s)")

    def edit(self):
        files = self.files()
        count = min(int(env("ST_EDIT_COUNT")), len(files))
        mean = float(env("ST_EDIT_BYTES"))
        for path in self.rng.sample(files, count):
            kind = self.rng.choice(env("ST_EDIT_KINDS").split(","))
            n = max(1, int(self.rng.expovariate(1 / mean)))
            text = self.words(n)
            with open(path, "rb") as f:
                data = f.read()
            if kind == "append":
                data += text
            elif kind == "prepend":
                data = text + data
            elif kind == "overwrite":
                at = self.rng.randrange(0, max(1, len(data)))
                data = data[:at] + text + data[at + len(text):]
            elif kind == "truncate":
                data = data[: self.rng.randrange(0, max(1, len(data)))]
            with open(path, "wb") as f:
                f.write(data)
            log(f"edited {os.path.relpath(path, FOLDER_PATH)}: {kind} {n} byte(s)")
        self.sync(f"edited {count} file(s)")

    def delete(self):
        files = self.files()
        count = min(int(env("ST_DELETE_COUNT")), len(files))
        for path in self.rng.sample(files, count):
            os.remove(path)
            log(f"deleted {os.path.relpath(path, FOLDER_PATH)}")
        self.sync(f"deleted {count} file(s)")

    def big(self):
        size = int(float(env("ST_BIG_MIB")) * 1024 * 1024)
        name = env("ST_BIG_NAME")
        path = os.path.join(self.target_dir(), name)
        # Copy the file in the way `cp` does: written in 1 MiB pieces.
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 1 << 20)
                f.write(self.rng.randbytes(n))
                left -= n
        log(f"copied in {name}: {size} bytes")
        self.sync(f"copied a {size}-byte file")

    def words(self, n):
        vocab = [
            "the", "report", "draft", "meeting", "notes", "todo", "fixed", "update",
            "budget", "photo", "invoice", "chapter", "review", "call", "plan", "data",
        ]
        out = []
        while sum(len(w) + 1 for w in out) < n:
            out.append(self.rng.choice(vocab))
        return (" ".join(out) + "\n").encode()[:n]

    def run(self):
        steps = {
            "add": ["add"],
            "add-edit": ["add", "edit"],
            "add-delete": ["add", "delete"],
            "add-edit-delete": ["add", "edit", "delete"],
            "big": ["big"],
        }.get(TASK)
        if steps is None:
            fail(f"unknown task {TASK!r}")
        for i, step in enumerate(steps):
            if i:
                self.pause()
            getattr(self, step)()


def finish(proc, api, ids):
    """Tell the other peers the run is over, wait until they have removed
    their files from /exchange, remove ours, stop Syncthing."""
    publish("done", "done\n")
    deadline = time.time() + 10
    while time.time() < deadline and any(
        os.path.exists(os.path.join(EXCHANGE, f"{p}.digest")) for p in ids
    ):
        time.sleep(0.2)
    for name in (f"{NAME}.id", f"{NAME}.up", "done"):
        try:
            os.remove(os.path.join(EXCHANGE, name))
        except FileNotFoundError:
            pass
    try:
        api.post("/rest/system/shutdown")
        proc.wait(timeout=10)
    except Exception as e:  # noqa: BLE001 - best effort at the end
        log(f"shutdown: {e!r}")
        proc.terminate()


def main():
    if NAME not in PEERS:
        stay_offline()
    proc, api, ids = start_syncthing()

    def stop(*_):
        proc.terminate()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    if TASK == "serve":
        serve()
        proc.wait()
        return
    try:
        Workload(api, ids).run()
    finally:
        finish(proc, api, ids)
    log("every step synced to every peer")


if __name__ == "__main__":
    main()
