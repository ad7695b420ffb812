#!/bin/bash
# user.sh - the site's ordinary users in the `heartbleed` scenario.
#
# USER_COUNT users (1-3) browse the HTTPS site at the same time with curl
# (real TLS 1.2 handshakes with the emulated server): the home page, the
# sign-in form, a login POST (USER_TYPO=yes: first a mistyped password,
# refused with 403), then USER_REQUESTS pages (account, orders, the style
# sheet, the home page, now and then a missing page: 404) with the session
# cookie, and a logout. USER_KEEPALIVE=yes fetches the pages on one
# connection (one curl for all of them); otherwise one connection each,
# with USER_THINK seconds between them. USER_HTTP picks HTTP/1.1 or 1.0.
# Their requests - passwords and cookies included - end up in the server's
# memory, where Heartbleed reads them.
#
#   USER_URL        https://server
#   USER_ACCOUNTS   "name:password name:password ..." (the first USER_COUNT used)
#   USER_AGENTS     user agents, one per user, separated by '|'
#   USER_SEED       seeds the choice of pages
#   USER_DELAY      seconds before the first request
# Exit 0 when every answer had the expected status, 1 otherwise.
set -uo pipefail

URL=${USER_URL:-https://server}
COUNT=${USER_COUNT:-1}
REQUESTS=${USER_REQUESTS:-4}
THINK=${USER_THINK:-0.5}
KEEPALIVE=${USER_KEEPALIVE:-no}
HTTP=${USER_HTTP:-1.1}
TYPO=${USER_TYPO:-no}
read -r -a accounts <<<"${USER_ACCOUNTS:?USER_ACCOUNTS lists name:password pairs}"
IFS='|' read -r -a agents <<<"${USER_AGENTS:-curl/7.88.1}"
RANDOM=${USER_SEED:-1}
case "$HTTP" in 1.0) proto=--http1.0 ;; 1.1) proto=--http1.1 ;; *) echo "user: USER_HTTP must be 1.0 or 1.1" >&2; exit 2 ;; esac

sleep "${USER_DELAY:-0}"
failures=/tmp/user-failures
: >"$failures"

# One user's visit: $1 index, $2 name, $3 password, $4 user agent.
visit() {
    local i=$1 name=$2 pw=$3 ua=$4 jar=/tmp/jar-$1 paths=() codes=() want=() k p
    RANDOM=$((${USER_SEED:-1} + i))
    c() { curl -sk --max-time 20 "$proto" -A "$ua" -b "$jar" -c "$jar" "$@"; }
    expect() { # expect WANT GOT WHAT
        if [ "$1" = "$2" ]; then
            echo "user $name: $3 -> $2"
        else
            echo "user $name: $3 -> $2, expected $1" | tee -a "$failures" >&2
        fi
    }
    expect 200 "$(c -o /dev/null -w '%{http_code}' "$URL/")" "GET /"
    sleep "$THINK"
    expect 200 "$(c -o /dev/null -w '%{http_code}' "$URL/login")" "GET /login"
    sleep "$THINK"
    if [ "$TYPO" = yes ]; then
        expect 403 "$(c -o /dev/null -w '%{http_code}' -d "user=$name&password=${pw}1" "$URL/login")" "POST /login (mistyped)"
        sleep "$THINK"
    fi
    expect 302 "$(c -o /dev/null -w '%{http_code}' -d "user=$name&password=$pw" "$URL/login")" "POST /login"
    for ((k = 0; k < REQUESTS; k++)); do
        case $((RANDOM % 6)) in
        0) paths+=("/account") want+=(200) ;;
        1 | 2) paths+=("/orders?page=$((RANDOM % 9 + 1))") want+=(200) ;;
        3) paths+=("/static/site.css") want+=(200) ;;
        4) paths+=("/") want+=(200) ;;
        5) paths+=("/images/banner$((RANDOM % 50)).png") want+=(404) ;;
        esac
    done
    if [ "$KEEPALIVE" = yes ]; then
        local args=()
        for p in "${paths[@]}"; do args+=(-o /dev/null "$URL$p"); done
        mapfile -t codes < <(c -w '%{http_code}\n' "${args[@]}")
    else
        for p in "${paths[@]}"; do
            sleep "$THINK"
            codes+=("$(c -o /dev/null -w '%{http_code}' "$URL$p")")
        done
    fi
    for k in "${!paths[@]}"; do
        expect "${want[$k]}" "${codes[$k]:-none}" "GET ${paths[$k]}"
    done
    sleep "$THINK"
    expect 302 "$(c -o /dev/null -w '%{http_code}' "$URL/logout")" "GET /logout"
}

for ((i = 0; i < COUNT; i++)); do
    entry=${accounts[$i]:?not enough accounts for USER_COUNT}
    visit "$i" "${entry%%:*}" "${entry#*:}" "${agents[$((i % ${#agents[@]}))]}" &
    sleep 0.$((RANDOM % 10))
done
wait
if [ -s "$failures" ]; then
    echo "user: FAILED: $(wc -l <"$failures") unexpected answer(s)" >&2
    exit 1
fi
echo "user: $COUNT user(s) browsed as expected"
