#!/bin/bash
# rtmp-viewer.sh - one viewer of the `rtmp` scenario.
#
# VIEW_MODE says what the viewer watches:
#   live  the live stream over RTMP (rtmp://server/APP/KEY, port 1935) or
#         RTMPT (rtmpt://server/APP/KEY, tunnelled in HTTP to port 80),
#         with rtmpdump (stopped after VIEW_SECONDS with SIGINT, as a user
#         closing it) or FFmpeg (-t VIEW_SECONDS, stream copy, no decoding);
#   hls   the HLS rendition over HTTP (http://server/hls/KEY.m3u8): a web
#         player's loop in curl (reload the playlist, fetch each new
#         MPEG-TS fragment, wait half a target duration) or FFmpeg's HLS
#         demuxer;
#   vod   the recording of the stream, once the publisher is done (the
#         server's /stat page no longer shows it publishing), from
#         nginx-rtmp's VOD application (rtmp://server/vod/KEY.flv):
#         rtmpdump downloads all of it (its default 10-hour buffer lets
#         the server send at full speed), FFmpeg plays VIEW_SECONDS of it.
# It starts after VIEW_DELAY seconds, announces the drawn flashVer, page
# and SWF URLs (RTMP) or User-Agent (HLS), and checks with ffprobe that
# what it received holds video (and audio) frames: enough for the time it
# watched, or for the whole recording. Exits 0 when it did, 1 otherwise.
set -uo pipefail

id=${VIEWER_ID:-1}
mode=${VIEW_MODE:-live}
tool=${VIEW_TOOL:-ffmpeg}
proto=${VIEW_PROTO:-rtmp}
server=${RTMP_SERVER:-server}
secs=${VIEW_SECONDS:-5}
fps=${PUB_FPS:-15}
out=/tmp/view
mkdir -p "$out"

log() { echo "viewer$id: $*"; }
fail() { log "FAILED: $*"; exit 1; }

sleep "${VIEW_DELAY:-0}"

# What the player tells the server about itself (connect's flashVer,
# pageUrl, swfUrl) and its buffer (set_buffer_length, milliseconds).
rtmp_opts_ffmpeg=(-rtmp_flashver "${VIEW_FLASHVER:-LNX 11,2,202,644}")
rtmp_opts_rtmpdump=(-f "${VIEW_FLASHVER:-LNX 11,2,202,644}")
if [ -n "${VIEW_PAGE_URL:-}" ]; then
    rtmp_opts_ffmpeg+=(-rtmp_pageurl "$VIEW_PAGE_URL")
    rtmp_opts_rtmpdump+=(-p "$VIEW_PAGE_URL")
fi
if [ -n "${VIEW_SWF_URL:-}" ]; then
    rtmp_opts_ffmpeg+=(-rtmp_swfurl "$VIEW_SWF_URL")
    rtmp_opts_rtmpdump+=(-s "$VIEW_SWF_URL")
fi
buffer=${VIEW_BUFFER_MS:-3000}

# check FILE MIN_VIDEO_PACKETS: ffprobe counts the packets of each kind
# and reads the duration (into $duration).
check() {
    local v a
    v=$(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1" 2>/dev/null | head -1)
    a=$(ffprobe -v error -count_packets -select_streams a:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1" 2>/dev/null | head -1)
    duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" 2>/dev/null | head -1)
    [[ "$v" =~ ^[0-9]+$ ]] || v=0
    [[ "$a" =~ ^[0-9]+$ ]] || a=0
    duration=${duration:-0}
    log "received $(stat -c %s "$1" 2>/dev/null || echo 0) bytes: $v video and $a audio packets, ${duration}s"
    [ "$v" -ge "$2" ] || fail "expected at least $2 video packets"
    [ "$a" -ge 1 ] || fail "no audio packets"
}

# At least half the frames of the time watched (key-frame waits and
# buffering eat into it).
min_frames=$(( secs * fps / 2 ))
[ "$min_frames" -ge 2 ] || min_frames=2

case "$mode" in
live)
    url="$proto://$server/$RTMP_APP/$RTMP_KEY"
    log "watching $url for ${secs}s with $tool"
    if [ "$tool" = rtmpdump ]; then
        rtmpdump -r "$url" -v "${rtmp_opts_rtmpdump[@]}" -b "$buffer" -m 15 -o "$out/live.flv" &
        pid=$!
        # The watching time starts with the picture: wait (a live stream
        # not yet published keeps the player waiting) until media arrives.
        deadline=$(( $(date +%s) + 25 ))
        while [ "$(stat -c %s "$out/live.flv" 2>/dev/null || echo 0)" -lt 4096 ] \
            && kill -0 "$pid" 2>/dev/null && [ "$(date +%s)" -lt "$deadline" ]; do
            sleep 0.2
        done
        sleep "$secs"
        # The user closes the player (rtmpdump cleans up on SIGINT: it
        # deletes the stream and exits 2, "download incomplete").
        kill -INT "$pid" 2>/dev/null
        wait "$pid"
        rc=$?
        case $rc in 0|2) ;; *) fail "rtmpdump exited $rc" ;; esac
    else
        ffmpeg -hide_banner -nostdin -nostats -loglevel info -rw_timeout 15000000 \
            -rtmp_live live "${rtmp_opts_ffmpeg[@]}" -rtmp_buffer "$buffer" -i "$url" \
            -t "$secs" -c copy -f flv -y "$out/live.flv" || fail "ffmpeg exited $?"
    fi
    check "$out/live.flv" "$min_frames"
    ;;
hls)
    base="http://$server/hls"
    playlist="$base/$RTMP_KEY.m3u8"
    ua=${VIEW_USER_AGENT:-Mozilla/5.0}
    log "watching $playlist for ${secs}s with $tool"
    if [ "$tool" = curl ]; then
        # A web player: wait for the playlist, then reload it and fetch
        # every fragment not fetched yet, until the time is up.
        deadline=$(( $(date +%s) + 20 ))
        until curl -sf -A "$ua" -H "Referer: ${VIEW_PAGE_URL:-}" -o "$out/list.m3u8" "$playlist"; do
            [ "$(date +%s)" -lt "$deadline" ] || fail "the playlist never appeared"
            sleep 1
        done
        end=$(( $(date +%s) + secs ))
        : >"$out/all.ts"
        declare -A seen=()
        order=()
        while :; do
            target=$(sed -n 's/^#EXT-X-TARGETDURATION:\([0-9]*\).*/\1/p' "$out/list.m3u8")
            args=()
            while read -r seg; do
                [ -n "$seg" ] && [ -z "${seen[$seg]:-}" ] || continue
                seen[$seg]=1
                args+=(-o "$out/$seg" "$base/$seg")
                order+=("$seg")
            done < <(grep -v '^#' "$out/list.m3u8" | tr -d '\r')
            if [ ${#args[@]} -gt 0 ]; then
                # One curl for the new fragments: one kept-alive connection.
                curl -sf -A "$ua" -H "Referer: ${VIEW_PAGE_URL:-}" "${args[@]}" || fail "fragment download failed"
            fi
            [ "$(date +%s)" -lt "$end" ] || break
            grep -q '^#EXT-X-ENDLIST' "$out/list.m3u8" && break
            sleep "$(awk -v t="${target:-2}" 'BEGIN { print t / 2 }')"
            curl -sf -A "$ua" -H "Referer: ${VIEW_PAGE_URL:-}" -o "$out/list.m3u8" "$playlist" || fail "playlist reload failed"
        done
        for seg in "${order[@]}"; do cat "$out/$seg" >>"$out/all.ts"; done
        log "fetched ${#order[@]} fragment(s)"
        [ "${#order[@]}" -ge 2 ] || fail "expected at least 2 fragments"
        check "$out/all.ts" "$min_frames"
    else
        deadline=$(( $(date +%s) + 20 ))
        until ffmpeg -hide_banner -nostdin -nostats -loglevel info -rw_timeout 15000000 \
            -user_agent "$ua" -i "$playlist" -t "$secs" -c copy -f mpegts -y "$out/all.ts"; do
            [ "$(date +%s)" -lt "$deadline" ] || fail "ffmpeg could not play the playlist"
            sleep 1
        done
        check "$out/all.ts" "$min_frames"
    fi
    ;;
vod)
    url="$proto://$server/vod/$RTMP_KEY.flv"
    # The recording is closed when the broadcast ends: check, as the
    # site's replay page would, that the server's statistics no longer
    # list the stream as publishing (GET /stat, nginx-rtmp's XML).
    deadline=$(( $(date +%s) + 40 ))
    while curl -sf -A "${VIEW_USER_AGENT:-Mozilla/5.0}" "http://$server/stat" | python3 -c '
import sys, xml.etree.ElementTree as ET
key = sys.argv[1]
live = [s for s in ET.parse(sys.stdin).iter("stream") if s.findtext("name") == key and s.find("publishing") is not None]
sys.exit(0 if live else 1)' "$RTMP_KEY"; do
        [ "$(date +%s)" -lt "$deadline" ] || fail "the broadcast never ended"
        log "the broadcast is still on; waiting"
        sleep 1
    done
    log "replaying $url with $tool"
    deadline=$(( $(date +%s) + 20 ))
    while :; do
        if [ "$tool" = rtmpdump ]; then
            # rtmpdump's default buffer (10 hours): the server sends at full speed.
            rtmpdump -r "$url" "${rtmp_opts_rtmpdump[@]}" -m 15 -o "$out/vod.flv" && break
        else
            ffmpeg -hide_banner -nostdin -nostats -loglevel info -rw_timeout 15000000 \
                "${rtmp_opts_ffmpeg[@]}" -rtmp_buffer "$buffer" -i "$url" -t "$secs" -c copy -f flv -y "$out/vod.flv" && break
        fi
        [ "$(date +%s)" -lt "$deadline" ] || fail "the recording could not be played"
        sleep 1
    done
    if [ "$tool" = rtmpdump ]; then
        # The whole recording: about as long as the publisher published.
        check "$out/vod.flv" $(( ${PUB_DURATION:-10} * fps / 2 ))
        awk -v d="$duration" -v p="${PUB_DURATION:-10}" 'BEGIN { exit !(d >= p - 2.5) }' \
            || fail "the recording lasts ${duration}s, the stream ${PUB_DURATION}s"
    else
        check "$out/vod.flv" "$min_frames"
    fi
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
log "done"
