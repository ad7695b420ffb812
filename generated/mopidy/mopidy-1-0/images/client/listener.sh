#!/bin/bash
# listener.sh - the stream listener (workload) of the `mopidy` scenario.
#
# Someone tunes in to the Icecast stream that Mopidy feeds while it plays:
# after LISTEN_DELAY seconds, curl GETs STREAM_URL with a media player's
# User-Agent (LISTEN_AGENT) and, if LISTEN_ICY is yes, asks for ICY
# metadata (Icy-MetaData: 1) as players do. When the mount is not there
# (404: nothing plays yet, or the player was stopped) or the stream ends,
# it tries again a second later. It waits up to LISTEN_WAIT seconds for
# the stream, stays tuned for LISTEN_SECONDS from the moment it first
# hears it, and gives up early once the stream has ended for good (six
# tries in a row fail after it has heard something).
# Exit 0 when it received at least LISTEN_MIN_BYTES of MP3 (audio/mpeg,
# starting with an MPEG frame or an ID3 tag) with status 200.
set -uo pipefail

URL=${STREAM_URL:?}
SECONDS_WANTED=${LISTEN_SECONDS:-10}
MIN=${LISTEN_MIN_BYTES:-8000}
AGENT=${LISTEN_AGENT:-VLC/3.0.18 LibVLC/3.0.18}
OUT=/tmp/listen
mkdir -p "$OUT"

now() { date +%s.%N; }
later() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a + b }'; }
left() { awk -v d="$1" -v t="$(now)" 'BEGIN { printf "%.2f", d - t }'; }

sleep "${LISTEN_DELAY:-0}"
start=$(now)
# Until the stream is first heard the deadline is the wait; from then on
# it is LISTEN_SECONDS after that moment.
deadline=$(later "$start" "${LISTEN_WAIT:-40}")
args=(-sS -A "$AGENT" -H 'Accept: */*')
[ "${LISTEN_ICY:-no}" = yes ] && args+=(-H 'Icy-MetaData: 1')

total=0 tries=0 heard=0 misses=0 ok=0
while :; do
    rest=$(left "$deadline")
    awk -v l="$rest" 'BEGIN { exit !(l > 0.5) }' || break
    tries=$((tries + 1))
    rc=0
    t0=$(now)
    # never longer than the listening time itself
    maxt=$(awk -v r="$rest" -v w="$SECONDS_WANTED" 'BEGIN { printf "%.2f", (r < w ? r : w) }')
    code=$(curl "${args[@]}" --max-time "$maxt" -D "$OUT/headers-$tries" -o "$OUT/audio-$tries" \
        -w '%{http_code}' "$URL" 2>"$OUT/curl-$tries.err") || rc=$?
    size=$(stat -c %s "$OUT/audio-$tries" 2>/dev/null || echo 0)
    if [ "$code" = 200 ] && [ "$size" -gt 0 ]; then
        if [ "$heard" = 0 ]; then
            heard=1
            deadline=$(later "$t0" "$SECONDS_WANTED")
        fi
        ctype=$(grep -i '^content-type:' "$OUT/headers-$tries" | tr -d '\r' | awk '{print $2}')
        # an ID3 tag or MPEG audio frame syncs (the stream may start
        # mid-frame: a player resynchronises on the next header)
        syncs=$(head -c 16384 "$OUT/audio-$tries" | od -An -tx1 -v -w1 | tr -d ' ' | paste -sd' ' |
            grep -oE '(^| )ff f[23ab]( |$)' | wc -l)
        if [ "$syncs" -lt 1 ] && [ "$(head -c 3 "$OUT/audio-$tries")" != ID3 ]; then
            echo "listener: try $tries: no MP3 frame in the data" >&2
            exit 1
        fi
        [ "$ctype" = audio/mpeg ] || { echo "listener: content type '$ctype', not audio/mpeg" >&2; exit 1; }
        name=$(grep -i '^icy-name:' "$OUT/headers-$tries" | tr -d '\r' | sed 's/^[^:]*: *//')
        echo "listener: try $tries: heard $size bytes of '$name' (curl exit $rc)"
        total=$((total + size))
        ok=$((ok + 1)) misses=0
    else
        misses=$((misses + 1))
        if [ "$heard" = 1 ] && [ "$misses" -ge 6 ]; then
            echo "listener: the stream has ended"
            break
        fi
        sleep 1
    fi
done
took=$(awk -v s="$start" -v t="$(date +%s.%N)" 'BEGIN { printf "%.1f", t - s }')
if [ "$total" -lt "$MIN" ]; then
    echo "listener: FAILED: only $total bytes in $tries tries ($took s)" >&2
    tail -n 3 "$OUT"/curl-*.err >&2 2>/dev/null
    exit 1
fi
echo "listener: heard $total bytes of MP3 in $ok connection(s) over $took s"
