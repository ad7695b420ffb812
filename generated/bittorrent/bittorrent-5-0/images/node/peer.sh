#!/bin/bash
# peer.sh - the seeder and the leechers of the `bittorrent` scenario.
#
# BT_ROLE=seeder: copies the payload (detgen's generated files, mounted
#   read-only at /payload) into /srv/content - one file, or a folder
#   BT_NAME of files (BT_LAYOUT single|multi) - makes a .torrent of it with
#   mktorrent (announce URL BT_ANNOUNCE, piece size 2^BT_PIECE_EXP,
#   private flag BT_PRIVATE, comment BT_COMMENT), uploads it to the
#   tracker's torrent site (BT_SITE), starts seeding it with BT_CLIENT
#   (aria2 or transmission) and, once the site lists it as a seeder
#   (opentracker got its announce), marks itself ready (/tmp/bt-ready, the
#   service's ready check) and seeds until the run is stopped.
#
# BT_ROLE=leecher: waits BT_DELAY seconds (its
#   arrival), visits the site (index, torrent page) and takes the .torrent
#   or the magnet link (BT_FETCH torrent|magnet), downloads it with
#   BT_CLIENT (aria2, transmission or ctorrent), keeps seeding for
#   BT_SEED_TIME seconds after it completes (other leechers get pieces
#   from it), leaves the swarm (the client's "stopped" announce) and
#   checks every file byte for byte against the originals (/payload).
#   Exit 0 only then.
#
# Peer settings: BT_PORT (peer port, TCP; UDP too for DHT and uTP),
# BT_ENCRYPTION (tolerated|preferred|required: MSE/PE, "obfuscation"),
# BT_DHT and BT_PEX (on|off; the DHT is bootstrapped from BT_DHT_ENTRY
# host:port on the scenario network), BT_UTP (transmission's uTP, on|off),
# BT_UPLOAD_KBPS (upload cap, 0 for none), BT_TRACKER_PROTO (http|udp:
# aria2 reaches UDP trackers through its DHT socket, so it runs the DHT
# then), BT_TIMEOUT (seconds). ctorrent gets 8 s to send its "stopped"
# announce after SIGINT and is killed after that.
set -uo pipefail

ROLE=${BT_ROLE:?BT_ROLE must be seeder or leecher}
CLIENT=${BT_CLIENT:?BT_CLIENT must be aria2, transmission or ctorrent}
SITE=${BT_SITE:-http://tracker}
PORT=${BT_PORT:-6881}
LAYOUT=${BT_LAYOUT:-single}
NAME=${BT_NAME:-}
ENCRYPTION=${BT_ENCRYPTION:-tolerated}
DHT=${BT_DHT:-off}
PEX=${BT_PEX:-off}
UTP=${BT_UTP:-off}
UPLOAD=${BT_UPLOAD_KBPS:-0}
TIMEOUT=${BT_TIMEOUT:-45}
PAYLOAD=/payload
WORK=/srv/content
LOGS=/tmp/bt
mkdir -p "$LOGS"
client_pid=

log() { echo "$ROLE($CLIENT): $*"; }
fail() {
    echo "$ROLE($CLIENT): FAILED: $*" >&2
    for f in "$LOGS"/*.log; do
        [ -s "$f" ] || continue
        echo "---- $f (last lines) ----" >&2
        tr '\r' '\n' <"$f" | grep -v '^\s*$' | tail -n 40 >&2
    done
    [ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null
    exit 1
}

# The payload's files, sorted, and where the torrent keeps them.
mapfile -t FILES < <(find "$PAYLOAD" -maxdepth 1 -type f -printf '%f\n' | sort)
[ ${#FILES[@]} -gt 0 ] || fail "no payload files in $PAYLOAD"
if [ "$LAYOUT" = single ]; then
    NAME=${FILES[0]}
    FILES=("${FILES[0]}")
    rel() { echo "$NAME"; }
else
    [ -n "$NAME" ] || fail "BT_NAME must name the torrent's folder"
    rel() { echo "$NAME/$1"; }
fi

case "$ENCRYPTION" in
tolerated) TR_ENC=0 ARIA_ENC=(--bt-require-crypto=false --bt-min-crypto-level=plain) ;;
preferred) TR_ENC=1 ARIA_ENC=(--bt-require-crypto=false --bt-min-crypto-level=arc4) ;;
required) TR_ENC=2 ARIA_ENC=(--bt-require-crypto=true --bt-min-crypto-level=arc4) ;;
*) fail "BT_ENCRYPTION must be tolerated, preferred or required" ;;
esac
onoff() { [ "$1" = on ] && echo true || echo false; }

# ---- the clients -------------------------------------------------------------

# aria2c, for DIR and INPUT (a .torrent file or a magnet link); seeds
# SEED_MINUTES after completion, then exits by itself.
start_aria2() {
    local dir=$1 input=$2 seed_minutes=$3
    shift 3
    local dht=$DHT
    # aria2 speaks to UDP trackers through its DHT socket: no DHT, no UDP
    # announces. The DHT then runs without a bootstrap node (no DHT traffic).
    [ "${BT_TRACKER_PROTO:-http}" = udp ] && dht=on
    local args=(--dir="$dir" --listen-port="$PORT" --dht-listen-port="$PORT"
        --enable-dht="$(onoff "$dht")" --enable-dht6=false
        --enable-peer-exchange="$(onoff "$PEX")" --bt-enable-lpd=false
        "${ARIA_ENC[@]}" --seed-ratio=0.0 --seed-time="$seed_minutes"
        --file-allocation=none --summary-interval=0 --console-log-level=notice
        --log="$LOGS/aria2-debug.log" --log-level=info --check-certificate=false
        --dht-file-path="$LOGS/dht.dat" --bt-save-metadata=false --disable-ipv6=true)
    [ "$DHT" = on ] && [ -n "${BT_DHT_ENTRY:-}" ] && args+=(--dht-entry-point="$BT_DHT_ENTRY")
    [ "$UPLOAD" -gt 0 ] && args+=(--max-overall-upload-limit="${UPLOAD}K")
    aria2c "${args[@]}" "$@" "$input" >"$LOGS/aria2.log" 2>&1 &
    client_pid=$!
}

# transmission-daemon in the foreground, driven over RPC on localhost
# (transmission-remote; the loopback is not the captured interface).
TR_CFG=/tmp/transmission
tremote() { transmission-remote 127.0.0.1:9091 "$@"; }
start_transmission() {
    local dir=$1
    mkdir -p "$TR_CFG" "$dir"
    cat >"$TR_CFG/settings.json" <<EOF
{
  "download-dir": "$dir",
  "incomplete-dir-enabled": false,
  "rename-partial-files": true,
  "peer-port": $PORT,
  "peer-port-random-on-start": false,
  "port-forwarding-enabled": false,
  "dht-enabled": $(onoff "$DHT"),
  "pex-enabled": $(onoff "$PEX"),
  "lpd-enabled": false,
  "utp-enabled": $(onoff "$UTP"),
  "encryption": $TR_ENC,
  "speed-limit-up": $UPLOAD,
  "speed-limit-up-enabled": $([ "$UPLOAD" -gt 0 ] && echo true || echo false),
  "ratio-limit-enabled": false,
  "idle-seeding-limit-enabled": false,
  "blocklist-enabled": false,
  "start-added-torrents": true,
  "rpc-enabled": true,
  "rpc-bind-address": "127.0.0.1",
  "rpc-port": 9091,
  "rpc-authentication-required": false,
  "rpc-whitelist-enabled": true,
  "rpc-whitelist": "127.0.0.1",
  "rpc-host-whitelist-enabled": false,
  "message-level": 2
}
EOF
    if [ "$DHT" = on ] && [ -n "${BT_DHT_ENTRY:-}" ]; then
        echo "${BT_DHT_ENTRY%:*} ${BT_DHT_ENTRY##*:}" >"$TR_CFG/dht.bootstrap"
    fi
    transmission-daemon -f -g "$TR_CFG" -e "$LOGS/transmission.log" &
    client_pid=$!
    for _ in $(seq 100); do
        tremote -st >/dev/null 2>&1 && return 0
        kill -0 "$client_pid" 2>/dev/null || fail "transmission-daemon exited"
        sleep 0.1
    done
    fail "transmission-daemon's RPC did not come up"
}
# Adds a .torrent or magnet link (retried: the RPC may still be settling).
tr_add() {
    local out
    for _ in 1 2 3 4 5; do
        out=$(tremote -a "$1" 2>&1)
        echo "transmission-remote: $out"
        case "$out" in *'responded: "success"'*) return 0 ;; esac
        sleep 0.5
    done
    return 1
}
tr_done() { tremote -t all -i 2>/dev/null | grep -q '^  Percent Done: 100%'; }
# A stopped torrent's "stopped" announce waits for the announcer's turns
# (it typically goes out 1-2 s later, later still while a scrape is out),
# and a daemon told to --exit before then never sends it; --exit alone
# sends none. So: stop the torrent, wait (up to 20 s) until the daemon
# reports an announce finished after the last one before the stop, then
# exit, and kill the daemon if it has not gone 25 s later. (Times are
# whole seconds: a stop announced within the second of the previous
# announce waits the 20 s, and still goes out.)
stop_transmission() {
    local before
    before=$(python3 /usr/local/bin/bt.py tr-last-announce) || before=0
    tremote -t all -S >/dev/null 2>&1 || true
    python3 /usr/local/bin/bt.py tr-announced "$before" 20 || log "no \"stopped\" announce went out"
    tremote --exit >/dev/null 2>&1 || true
    for _ in $(seq 250); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$client_pid" 2>/dev/null
    wait "$client_pid" 2>/dev/null
}

# ctorrent (Enhanced CTorrent), HTTP trackers and .torrent files only.
start_ctorrent() {
    local dir=$1 torrent=$2
    mkdir -p "$dir"
    (cd "$dir" && exec ctorrent -e 1 -p "$PORT" -X "touch $LOGS/ctorrent-complete" "$torrent" >"$LOGS/ctorrent.log" 2>&1) &
    client_pid=$!
}
stop_ctorrent() {
    kill -INT "$client_pid" 2>/dev/null # it sends its "stopped" announce
    for _ in $(seq 80); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$client_pid" 2>/dev/null
    wait "$client_pid" 2>/dev/null
}

# Whether every file in DIR is byte for byte the original.
complete() {
    local dir=$1 f
    for f in "${FILES[@]}"; do
        cmp -s "$PAYLOAD/$f" "$dir/$(rel "$f")" || return 1
    done
}

# ---- the seeder ----------------------------------------------------------------

seeder() {
    local torrent=/tmp/upload.torrent ih args
    mkdir -p "$WORK"
    if [ "$LAYOUT" = single ]; then
        cp "$PAYLOAD/$NAME" "$WORK/$NAME"
    else
        mkdir -p "$WORK/$NAME"
        for f in "${FILES[@]}"; do cp "$PAYLOAD/$f" "$WORK/$NAME/$f"; done
    fi
    args=(-a "${BT_ANNOUNCE:?}" -l "${BT_PIECE_EXP:-18}" -o "$torrent")
    [ "${BT_PRIVATE:-no}" = yes ] && args+=(-p)
    [ -n "${BT_COMMENT:-}" ] && args+=(-c "$BT_COMMENT")
    mktorrent "${args[@]}" "$WORK/$NAME" >"$LOGS/mktorrent.log" 2>&1 || fail "mktorrent failed"
    python3 /usr/local/bin/bt.py info "$torrent"
    ih=$(python3 /usr/local/bin/bt.py upload "$SITE" "$torrent") || fail "the upload to $SITE failed"
    log "uploaded to $SITE: info hash $ih"
    case "$CLIENT" in
    aria2) start_aria2 "$WORK" "$torrent" 1000 --check-integrity=true ;;
    transmission)
        start_transmission "$WORK"
        tr_add "$torrent" || fail "transmission did not take the torrent"
        for _ in $(seq 200); do tr_done && break; sleep 0.1; done
        tr_done || fail "transmission did not verify the data"
        ;;
    *) fail "a seeder runs aria2 or transmission" ;;
    esac
    python3 /usr/local/bin/bt.py wait-seeded "$SITE" "$ih" 1 "$TIMEOUT" || fail "the tracker never listed the seeder"
    touch /tmp/bt-ready
    log "seeding $NAME on port $PORT"
    wait "$client_pid"
    fail "the client exited while seeding"
}

# ---- a leecher ------------------------------------------------------------------

leecher() {
    local dl=/srv/downloads input ih rc start seed=${BT_SEED_TIME:-0} mode=${BT_FETCH:-torrent}
    sleep "${BT_DELAY:-0}"
    if [ "$mode" = magnet ]; then input=$LOGS/magnet.txt; else input=/tmp/download.torrent; fi
    ih=$(python3 /usr/local/bin/bt.py browse "$SITE" "$input" "$mode") || fail "could not get the $mode from $SITE"
    [ "$mode" = magnet ] && input=$(cat "$input")
    log "got the $mode of $ih; downloading on port $PORT"
    start=$(date +%s.%N)
    case "$CLIENT" in
    aria2)
        start_aria2 "$dl" "$input" "$(awk -v s="$seed" 'BEGIN { printf "%.3f", s / 60 }')" \
            --bt-stop-timeout="$TIMEOUT"
        for _ in $(seq $((TIMEOUT * 5))); do
            complete "$dl" && break
            kill -0 "$client_pid" 2>/dev/null || break
            sleep 0.2
        done
        complete "$dl" || fail "the download did not complete"
        log "complete after $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s; seeding ${seed} s"
        rc=0
        wait "$client_pid" || rc=$?
        [ "$rc" -eq 0 ] || fail "aria2c exited $rc"
        grep -q '|OK  |' "$LOGS/aria2.log" || fail "aria2c did not report the download OK"
        ;;
    transmission)
        start_transmission "$dl"
        tr_add "$input" || fail "transmission did not take the $mode"
        for _ in $(seq $((TIMEOUT * 5))); do
            tr_done && complete "$dl" && break
            sleep 0.2
        done
        tr_done && complete "$dl" || fail "the download did not complete"
        log "complete after $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s; seeding ${seed} s"
        sleep "$seed"
        tremote -t all -i | grep -E '^  (Name|Hash|State|Have|Downloaded|Uploaded|Ratio|Peers):' || true
        stop_transmission
        ;;
    ctorrent)
        [ "$mode" = torrent ] || fail "ctorrent takes .torrent files only"
        start_ctorrent "$dl" "$input"
        for _ in $(seq $((TIMEOUT * 5))); do
            [ -e "$LOGS/ctorrent-complete" ] && complete "$dl" && break
            kill -0 "$client_pid" 2>/dev/null || break
            sleep 0.2
        done
        [ -e "$LOGS/ctorrent-complete" ] && complete "$dl" || fail "the download did not complete"
        log "complete after $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s; seeding ${seed} s"
        sleep "$seed"
        stop_ctorrent
        ;;
    *) fail "unknown client" ;;
    esac
    # every file, byte for byte, and its sha256
    complete "$dl" || fail "the files changed after completion"
    for f in "${FILES[@]}"; do
        echo "  $(sha256sum <"$dl/$(rel "$f")" | cut -c1-64)  $(rel "$f")"
    done
    log "downloaded ${#FILES[@]} file(s) of $ih intact"
}

case "$ROLE" in
seeder) seeder ;;
leecher) leecher ;;
*) fail "BT_ROLE must be seeder or leecher" ;;
esac
