#!/bin/sh
# agent.sh - an infected host of the `ares` scenario (number
# AGENT_INDEX). It creates the victim's account AGENT_USER
# with a home that holds the user's documents (the drawn files mounted at
# /srv/docs, in ~/$DOCS_DIR), drops the agent with its configuration
# (config.json: ARES_SERVER, HELLO_INTERVAL, HELLO_JITTER, IDLE_TIME,
# AGENT_USER_AGENT, AGENT_SEED) in ~/.cache/.sys/ and runs it as that
# user from the home directory, with a login environment (none of the
# container's variables: the commands the operator runs see a user's).
set -eu

: "${AGENT_USER:?AGENT_USER must name the victim's account}"
user=$AGENT_USER
home=/home/$user
if ! id -u "$user" >/dev/null 2>&1; then
    useradd --home-dir "$home" --create-home --shell /bin/bash "$user" 2>/dev/null ||
        useradd --home-dir "$home" --create-home --shell /bin/bash -g users "$user"
fi
mkdir -p "$home/${DOCS_DIR:-Documents}"
find /srv/docs -maxdepth 1 -type f -exec cp {} "$home/${DOCS_DIR:-Documents}/" \; 2>/dev/null || true
drop=$home/.cache/.sys
mkdir -p "$drop"
cp /usr/local/lib/ares/ares_agent.py "$drop/agent.py"
python3 - "$drop/config.json" <<'PY'
import json, os, sys
e = os.environ
json.dump({
    "server": e["ARES_SERVER"],
    "hello_interval": float(e.get("HELLO_INTERVAL", "2")),
    "hello_jitter": float(e.get("HELLO_JITTER", "0")),
    "idle_time": float(e.get("IDLE_TIME", "60")),
    "user_agent": e.get("AGENT_USER_AGENT", ""),
    "seed": int(e.get("AGENT_SEED", "0")),
}, open(sys.argv[1], "w"))
PY
chown -R "$user:" "$home"
cd "$home"
exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
    env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash LANG=C.UTF-8 \
    PATH=/usr/local/bin:/usr/bin:/bin python3 "$drop/agent.py"
