#!/bin/bash
# controller.sh - the MPD client (workload) of the `mopidy` scenario.
#
# A user controls Mopidy over the MPD protocol (TCP 6600) with mpc, one
# connection per command as mpc does (MPD_HOST carries the password when
# the server has one). Optionally an `mpc idleloop` keeps a second
# connection open for the whole session, as a status bar or a second
# client would, and the queue is looked at now and then (`mpc playlist`).
# What the user does comes from MPC_TASK:
#   playlist      load playlist MPC_PLAYLIST_INDEX (of `mpc lsplaylists`),
#                 play it for MPC_LISTEN seconds, skipping MPC_SKIPS tracks
#   shuffle       queue the whole library (one findadd per artist), random
#                 playback (MPC_SHUFFLE=random: `random on`) or a shuffled
#                 queue (MPC_SHUFFLE=shuffle), then `next` every MPC_STEP
#                 seconds, MPC_SKIPS times
#   pause-play    play a playlist, and MPC_CYCLES times: after MPC_STEP s
#                 pause, after MPC_PAUSE s play again (pause/play or toggle)
#   all-playlists every playlist in turn: clear, load, play MPC_STEP s
#   stats-play    stats, outputs, the artists, albums and genres, a search
#                 and a find, then queue the found tracks and play them
#                 MPC_LISTEN seconds
# Every session ends with `stop`. Drawn options: MPC_VOLUME (volume),
# MPC_MODES (repeat/single/consume on), MPC_POLL (seconds between status
# checks). After each step the state is checked (playing, paused, random,
# the current song is in the queue or the playlist, tracks change), and
# the script exits 0 only if the session played out as designed.
set -uo pipefail

export MPD_HOST=${MPD_HOST:-mopidy} MPD_PORT=${MPD_PORT:-6600}
TASK=${MPC_TASK:?MPC_TASK must name the session}
POLL=${MPC_POLL:-2}
LOG=/tmp/mpc.log
: >"$LOG"
idle_pid=

# A failure inside $(...) must end the whole session, not the subshell:
# it signals the main shell, which exits 1.
trap 'exit 1' USR1
fail() {
    echo "controller: FAILED ($TASK): $*" >&2
    echo "---- mpc transcript ----" >&2
    tail -n 60 "$LOG" >&2
    [ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null
    kill -USR1 $$
    exit 1
}

# One mpc command (its own connection), logged; fails the session on error.
m() {
    local out rc=0
    out=$(mpc "$@" 2>&1) || rc=$?
    out=$(grep -v '^warning: MPD 0.21 required' <<<"$out")
    printf '$ mpc %s\n%s\n' "$*" "$out" >>"$LOG"
    [ "$rc" -eq 0 ] || fail "mpc $* exited $rc: $out"
    [ -z "$out" ] || printf '%s\n' "$out"
}
# playing, paused or stopped, from the second line of `mpc status` (mpc
# 0.34's %state% says "paused" for a stopped player too).
state() {
    local s
    s=$(m status)
    case "$s" in
    *'[playing]'*) echo playing ;;
    *'[paused]'*) echo paused ;;
    *) echo stopped ;;
    esac
}
current() { m current -f '%artist% - %title%'; }
# Waits up to 10 s for the player state (the stream may take a moment).
expect_state() {
    local want=$1 s
    for _ in $(seq 50); do
        s=$(state)
        [ "$s" = "$want" ] && return 0
        sleep 0.2
    done
    fail "the player is '$s', not '$want'"
}
# The queue as queued (URIs), kept to check what plays: in consume mode
# played tracks leave the queue.
remember_queue() { m playlist -f '%file%' >/tmp/queue; }
# The current song is one of the queued ones (by URI); prints its name.
in_queue() {
    local uri=
    for _ in 1 2 3 4 5; do
        uri=$(m current -f '%file%')
        [ -n "$uri" ] && break
        sleep 0.3 # between two tracks
    done
    [ -n "$uri" ] || fail "no current song while playing"
    grep -qxF -- "$uri" /tmp/queue || fail "'$uri' was not queued"
    current
}
# Listens for N seconds, checking the status every POLL seconds.
listen() {
    local until now
    until=$(awk -v n="$1" -v t="$(date +%s.%N)" 'BEGIN { printf "%.3f", t + n }')
    while :; do
        now=$(date +%s.%N)
        awk -v a="$now" -v b="$until" 'BEGIN { exit !(a < b) }' || break
        [ "$(state)" = playing ] || fail "playback stopped on its own"
        echo "  playing: $(in_queue)"
        sleep "$(awk -v p="$POLL" -v a="$now" -v b="$until" 'BEGIN { r = b - a; printf "%.2f", (p < r ? p : r) }')"
    done
}
playlists() { m lsplaylists; }
setup() {
    m version >/dev/null
    m status >/dev/null
    if [ "${MPC_IDLE:-no}" = yes ]; then
        mpc idleloop >/tmp/idle.log 2>&1 &
        idle_pid=$!
    fi
    m clear >/dev/null
    m random off >/dev/null
    [ -n "${MPC_VOLUME:-}" ] && m volume "$MPC_VOLUME" >/dev/null
    local mode
    for mode in ${MPC_MODES:-}; do m "$mode" on >/dev/null; done
    return 0
}
finish() {
    m stop >/dev/null
    expect_state stopped
    if [ -n "$idle_pid" ]; then
        kill "$idle_pid" 2>/dev/null
        wait "$idle_pid" 2>/dev/null
        grep -q '^player' /tmp/idle.log || fail "the idle connection saw no player change"
        echo "controller: the idle connection saw $(wc -l </tmp/idle.log) change(s)"
    fi
    echo "controller: session '$TASK' done"
    exit 0
}
pick_playlist() {
    local -a lists
    mapfile -t lists < <(playlists)
    [ ${#lists[@]} -gt 0 ] || fail "no playlists"
    echo "${lists[$((${MPC_PLAYLIST_INDEX:-0} % ${#lists[@]}))]}"
}
load() {
    local name=$1 n
    m clear >/dev/null
    m load "$name" >/dev/null
    remember_queue
    n=$(wc -l </tmp/queue)
    [ "$n" -gt 0 ] || fail "playlist '$name' queued nothing"
    echo "controller: loaded '$name' ($n tracks)"
}

setup
case "$TASK" in
playlist)
    name=$(pick_playlist)
    load "$name"
    m play >/dev/null
    expect_state playing
    skips=${MPC_SKIPS:-0}
    per=$(awk -v l="${MPC_LISTEN:-10}" -v s="$skips" 'BEGIN { printf "%.2f", l / (s + 1) }')
    for ((i = 0; i <= skips; i++)); do
        listen "$per"
        if [ "$i" -lt "$skips" ]; then
            before=$(m status '%songpos%')
            m next >/dev/null
            expect_state playing
            # Mopidy moves to the next track when GStreamer says the new
            # stream started, which a busy host delays: wait up to 10 s.
            for _ in $(seq 50); do
                after=$(m status '%songpos%')
                [ "$before" != "$after" ] && break
                sleep 0.2
            done
            [ "$before" != "$after" ] || fail "next did not change the track"
            echo "  next: track $before -> $after"
        fi
    done
    finish
    ;;
shuffle)
    mapfile -t artists < <(m list artist)
    [ ${#artists[@]} -gt 0 ] || fail "no artists in the library"
    for a in "${artists[@]}"; do m findadd artist "$a" >/dev/null; done
    remember_queue
    n=$(wc -l </tmp/queue)
    echo "controller: queued the library: $n tracks of ${#artists[@]} artist(s)"
    if [ "${MPC_SHUFFLE:-random}" = random ]; then
        m random on >/dev/null
        [ "$(m status '%random%')" = on ] || fail "random is not on"
    else
        m shuffle >/dev/null
    fi
    m play >/dev/null
    expect_state playing
    seen=()
    for ((i = 0; i < ${MPC_SKIPS:-3}; i++)); do
        listen "${MPC_STEP:-3}"
        seen+=("$(current)")
        m next >/dev/null
        expect_state playing
    done
    listen "${MPC_STEP:-3}"
    seen+=("$(current)")
    distinct=$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)
    [ "$distinct" -ge 2 ] || fail "always the same track: ${seen[*]}"
    echo "controller: played $distinct distinct tracks"
    finish
    ;;
pause-play)
    name=$(pick_playlist)
    load "$name"
    m play >/dev/null
    expect_state playing
    for ((i = 1; i <= ${MPC_CYCLES:-2}; i++)); do
        listen "${MPC_STEP:-4}"
        if [ "${MPC_TOGGLE:-no}" = yes ]; then m toggle >/dev/null; else m pause >/dev/null; fi
        expect_state paused
        echo "  paused (cycle $i) at $(m status '%currenttime%')"
        sleep "${MPC_PAUSE:-2}"
        if [ "${MPC_TOGGLE:-no}" = yes ]; then m toggle >/dev/null; else m play >/dev/null; fi
        expect_state playing
        echo "  playing again"
    done
    listen "${MPC_STEP:-4}"
    finish
    ;;
all-playlists)
    mapfile -t lists < <(playlists)
    [ ${#lists[@]} -gt 1 ] || fail "fewer than two playlists"
    for name in "${lists[@]}"; do
        load "$name"
        m play >/dev/null
        expect_state playing
        listen "${MPC_STEP:-3}"
    done
    echo "controller: played all ${#lists[@]} playlists"
    finish
    ;;
stats-play)
    m stats
    echo
    m outputs >/dev/null
    mapfile -t artists < <(m list artist)
    [ ${#artists[@]} -gt 0 ] || fail "no artists in the library"
    m list album >/dev/null
    m list genre >/dev/null
    artist=${artists[$((${MPC_PICK:-0} % ${#artists[@]}))]}
    word=${artist%% *}
    hits=$(m search artist "$word" | wc -l)
    [ "$hits" -gt 0 ] || fail "searching for '$word' found nothing"
    m find artist "$artist" >/dev/null
    m findadd artist "$artist" >/dev/null
    remember_queue
    n=$(wc -l </tmp/queue)
    [ "$n" -gt 0 ] || fail "nothing queued for '$artist'"
    echo "controller: search '$word': $hits hit(s); queued $n track(s) of '$artist'"
    m play >/dev/null
    expect_state playing
    listen "${MPC_LISTEN:-10}"
    m current -f '%artist%' | grep -qxF -- "$artist" || fail "not playing '$artist'"
    finish
    ;;
*) fail "unknown MPC_TASK '$TASK'" ;;
esac
