#!/usr/bin/env python3
"""mailcheck.py - the delivery check of the `smtp` scenario's server.

Waits until every mailbox named in MAIL_USERS holds as many messages as
there are message bodies under --messages (the client sends each body as
one message to all recipients), then reads every delivered message from
its Maildir and checks that it is what the client was drawn to send:

  * From is MAIL_SENDER; the subject is MAIL_SUBJECT, followed by
    " (i/N)" when N > 1 messages are sent (i-th body in sorted order);
  * the text body equals the i-th body file (line ends and trailing
    newlines aside);
  * its attachments are exactly the files under --attachments, byte for
    byte: as they are (MAIL_ATTACH_FORMAT=plain) or gzip-compressed as
    NAME.gz (gzip);
  * To is the first mailbox, Cc the second (if any), and the third (a
    Bcc recipient) shows in no header;
  * it came over STARTTLS (Postfix's Received header says ESMTPS) exactly
    when MAIL_TLS is yes;
  * no other mailbox of the domain received anything.

Prints one line per delivered message and exits 0 when all is as
designed, 1 otherwise (including a timeout).
"""

import argparse
import email
import email.policy
import gzip
import os
import sys
import time


def fail(msg):
    print(f"mailcheck: FAILED: {msg}", flush=True)
    sys.exit(1)


def norm(data):
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def maildir_messages(base, user):
    d = os.path.join(base, user, "new")
    try:
        return sorted(os.path.join(d, f) for f in os.listdir(d))
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True, help="the domain's Maildir folder")
    ap.add_argument("--messages", default="/expected/messages")
    ap.add_argument("--attachments", default="/expected/attachments")
    ap.add_argument("--timeout", type=float, default=50)
    args = ap.parse_args()

    users = os.environ["MAIL_USERS"].split()
    domain = os.environ["MAIL_DOMAIN"]
    sender = os.environ["MAIL_SENDER"]
    subject = os.environ["MAIL_SUBJECT"]
    tls = os.environ.get("MAIL_TLS", "no") == "yes"
    attach_format = os.environ.get("MAIL_ATTACH_FORMAT", "plain")

    bodies = sorted(f for f in os.listdir(args.messages)) if os.path.isdir(args.messages) else []
    if not bodies:
        fail(f"no message bodies under {args.messages}")
    n = len(bodies)
    subjects = {(subject if n == 1 else f"{subject} ({i}/{n})"): b for i, b in enumerate(bodies, 1)}
    attachments = {}
    if os.path.isdir(args.attachments):
        for f in sorted(os.listdir(args.attachments)):
            with open(os.path.join(args.attachments, f), "rb") as fh:
                data = fh.read()
            name = f if attach_format == "plain" else f + ".gz"
            attachments[name] = data
    print(f"mailcheck: waiting for {n} message(s) in each of {len(users)} mailbox(es)", flush=True)

    deadline = time.monotonic() + args.timeout
    while True:
        counts = {u: len(maildir_messages(args.base, u)) for u in users}
        if all(c >= n for c in counts.values()):
            break
        if time.monotonic() > deadline:
            fail(f"timed out after {args.timeout:.0f} s; messages per mailbox: {counts}")
        time.sleep(0.2)
    time.sleep(0.5)  # anything more would be a duplicate

    addresses = [f"{u}@{domain}" for u in users]
    for pos, user in enumerate(users):
        files = maildir_messages(args.base, user)
        if len(files) != n:
            fail(f"{user} has {len(files)} messages, not {n}")
        seen = set()
        for path in files:
            with open(path, "rb") as fh:
                msg = email.message_from_binary_file(fh, policy=email.policy.default)
            subj = str(msg["Subject"] or "")
            if subj not in subjects:
                fail(f"{user}: unexpected subject {subj!r} (expected one of {sorted(subjects)})")
            if subj in seen:
                fail(f"{user}: subject {subj!r} twice")
            seen.add(subj)
            frm = msg["From"].addresses[0].addr_spec if msg["From"] else ""
            if frm != sender:
                fail(f"{user}: From is {frm!r}, not {sender!r}")
            to = [a.addr_spec for a in msg["To"].addresses] if msg["To"] else []
            cc = [a.addr_spec for a in msg["Cc"].addresses] if msg["Cc"] else []
            if to != addresses[:1] or cc != addresses[1:2]:
                fail(f"{user}: To {to} / Cc {cc}, expected {addresses[:1]} / {addresses[1:2]}")
            if msg["Bcc"] is not None:
                fail(f"{user}: the message has a Bcc header: {msg['Bcc']}")
            received = str(msg.get_all("Received", [""])[0])
            if ("with ESMTPS" in received) != tls:
                fail(f"{user}: TLS expected {tls}, Received: {received!r}")
            body_part = msg.get_body(preferencelist=("plain",))
            if body_part is None:
                fail(f"{user}: {subj!r} has no text body")
            with open(os.path.join(args.messages, subjects[subj]), "rb") as fh:
                want = fh.read()
            got = body_part.get_payload(decode=True) or b""
            if norm(got) != norm(want):
                fail(f"{user}: the body of {subj!r} differs from {subjects[subj]} ({len(got)} vs {len(want)} bytes)")
            got_att = {}
            for part in msg.iter_attachments():
                got_att[part.get_filename()] = part.get_payload(decode=True) or b""
            if sorted(got_att) != sorted(attachments):
                fail(f"{user}: attachments {sorted(got_att)}, expected {sorted(attachments)}")
            for name, data in got_att.items():
                if attach_format == "gzip":
                    try:
                        data = gzip.decompress(data)
                    except OSError as e:
                        fail(f"{user}: attachment {name} is not gzip ({e})")
                if data != attachments[name]:
                    fail(f"{user}: attachment {name} differs from the original")
            print(
                f"mailcheck: {user}@{domain} got {subj!r} from {frm}: body {len(got)} bytes, "
                f"{len(got_att)} attachment(s) intact, {'over TLS' if tls else 'without TLS'}",
                flush=True,
            )

    # No other mailbox of the domain got mail (refused addresses included).
    for other in sorted(os.listdir(args.base)):
        if other not in users and maildir_messages(args.base, other):
            fail(f"unexpected mail for {other}@{domain}")
    print(f"mailcheck: all {n * len(users)} deliveries as designed", flush=True)


if __name__ == "__main__":
    main()
