#!/bin/sh
# stepstone-ready.sh - the `ready` check of the `stepstone` hosts: exit 0
# once sshd listens on port 22 and, if HTTP_PORT is set, httpd on that port
# (state 0A = LISTEN in /proc/net/tcp or tcp6).
listens() {
    hex=$(printf '%04X' "$1")
    cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$hex [0-9A-F:]* 0A "
}
listens 22 || exit 1
[ -z "${HTTP_PORT:-}" ] || listens "$HTTP_PORT" || exit 1
