#!/bin/sh
# NTP clients of the `ntp` scenario; MODE picks the subscenario.
#   query: one-shot queries (ntpdate -q from NTPsec, or sntp), QUERIES times
#          with THINK seconds between them.
#   sync:  chronyd measures the server like a syncing daemon would (iburst,
#          SAMPLES samples, NTP version VERSION) and prints the offset it
#          would apply; -Q never sets the clock.
# Exits 0 when every exchange got an answer from the server.
set -eu
server=${NTP_SERVER:-server}
case "$MODE" in
query)
    i=0
    while [ "$i" -lt "$QUERIES" ]; do
        case "$QUERY_TOOL" in
            ntpdate) ntpdate -q "$server" ;;
            sntp) sntp -t 2 "$server" ;;
            *) echo "unknown QUERY_TOOL $QUERY_TOOL" >&2; exit 2 ;;
        esac
        i=$((i + 1))
        if [ "$i" -lt "$QUERIES" ]; then sleep "$THINK"; fi
    done
    ;;
sync)
    out=$(chronyd -Q -t 30 "server $server iburst minpoll 0 maxpoll 0 maxsamples $SAMPLES version $VERSION" 2>&1) || {
        echo "$out" >&2
        exit 1
    }
    echo "$out"
    echo "$out" | grep -q 'System clock wrong by'
    ;;
*)
    echo "unknown MODE $MODE" >&2
    exit 2
    ;;
esac
