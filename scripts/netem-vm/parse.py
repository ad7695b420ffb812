#!/usr/bin/env python3
"""Turn the netem-vm guest's result channel into one line of JSON.

Usage: parse.py RESULT_LOG

Reads what scripts/netem-vm/init wrote to the VM's second serial port
(between @@RESULT-BEGIN@@ and @@RESULT-END@@) and prints
{"script_exit", "script_output", "sent", "received", "duplicates",
 "rtt_ms", "calibration_rtt_ms", "kernel", "ping_exit", "qdisc_after"} on one
line; calibration_rtt_ms are 50 round trips through a constant 10 ms netem
delay on b's side, taken before the script.
Exits 1 (message on stderr) when the log holds no complete result.
"""
import base64
import json
import re
import sys

REPLY = re.compile(r"\bseq=(\d+)\s+ttl=\d+\s+time=([0-9.]+)\s*ms(.*)$")
STATS = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received"
                   r"(?:, \+(\d+) duplicates)?")


def fail(msg):
    print(f"parse.py: {msg}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: parse.py RESULT_LOG")
    with open(sys.argv[1], "rb") as f:
        text = f.read().decode("utf-8", errors="replace").replace("\r", "")
    lines = text.split("\n")
    try:
        begin = lines.index("@@RESULT-BEGIN@@")
        end = lines.index("@@RESULT-END@@", begin)
    except ValueError:
        fail("no @@RESULT-BEGIN@@ ... @@RESULT-END@@ block")
    body = lines[begin + 1:end]

    fields = {}
    sections = {"@@SCRIPT-OUTPUT@@": [], "@@BASELINE@@": [], "@@PING@@": [],
                "@@QDISC@@": []}
    current = ""
    for line in body:
        if line in sections:
            current = line
            continue
        if current == "@@PING@@" and line.startswith("ping_exit "):
            fields["ping_exit"] = line.split(" ", 1)[1]
            continue
        if current == "":
            if line:
                key, _, value = line.partition(" ")
                fields[key] = value
            continue
        sections[current].append(line)

    for key in ("kernel", "script_exit", "ping_exit"):
        if key not in fields:
            fail(f"the result has no {key}")
    try:
        script_output = base64.b64decode("".join(sections["@@SCRIPT-OUTPUT@@"]))
    except ValueError as e:
        fail(f"bad script output encoding: {e}")

    rtts = []
    sent = received = duplicates = None
    for line in sections["@@PING@@"]:
        m = REPLY.search(line)
        if m:
            if "DUP!" not in m.group(3):
                rtts.append(float(m.group(2)))
            continue
        m = STATS.search(line)
        if m:
            sent, received = int(m.group(1)), int(m.group(2))
            duplicates = int(m.group(3) or 0)
    if sent is None:
        # ping died before its summary: report what was seen, and its output.
        sent, received, duplicates = 0, len(rtts), 0
        ping_error = "\n".join(sections["@@PING@@"]).strip()
    else:
        ping_error = None

    out = {
        "script_exit": int(fields["script_exit"]),
        "script_output": script_output.decode("utf-8", errors="replace"),
        "sent": sent,
        "received": received,
        "duplicates": duplicates,
        "rtt_ms": rtts,
        "calibration_rtt_ms": [float(m.group(2)) for m in map(REPLY.search, sections["@@BASELINE@@"])
                            if m and "DUP!" not in m.group(3)],
        "kernel": fields["kernel"],
        "ping_exit": int(fields["ping_exit"]),
        "qdisc_after": "\n".join(sections["@@QDISC@@"]).strip("\n"),
    }
    if ping_error is not None:
        out["ping_error"] = ping_error
    print(json.dumps(out, separators=(", ", ": ")))


if __name__ == "__main__":
    main()
