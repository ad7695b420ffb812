#!/bin/bash
# rtmp-publish.sh - the `rtmp` scenario's publisher (a live encoder).
#
# FFmpeg generates a test picture (lavfi: testsrc, smptebars, ... at the
# drawn size and frame rate) and a sine tone, encodes them in real time
# (-re) with the drawn codecs and bit rates - H.264 (libx264, ultrafast,
# zerolatency) or Sorenson Spark (flv1); AAC, MP3, Nellymoser or Speex -
# and publishes them for the drawn duration to
# RTMP_PROTO://server/APP/KEY: plain RTMP on port 1935, or RTMPT (RTMP
# tunnelled in HTTP POSTs to port 80). It announces itself with the drawn
# flashVer (FFmpeg's own, or what OBS or FMLE send). Exits with FFmpeg's
# status: 0 when the whole stream was published.
set -euo pipefail

: "${RTMP_APP:?}" "${RTMP_KEY:?}" "${PUB_DURATION:?}"
proto=${RTMP_PROTO:-rtmp}
server=${RTMP_SERVER:-server}
url="$proto://$server/$RTMP_APP/$RTMP_KEY"
fps=${PUB_FPS:-15}
gop=$(( fps * ${PUB_GOP_SECONDS:-2} ))

case "${PUB_VCODEC:-h264}" in
    h264) video=(-c:v libx264 -preset ultrafast -tune zerolatency -pix_fmt yuv420p -profile:v baseline) ;;
    flv1) video=(-c:v flv -pix_fmt yuv420p) ;;
    *) echo "unknown video codec $PUB_VCODEC" >&2; exit 2 ;;
esac
video+=(-b:v "${PUB_VBITRATE:-300}k" -maxrate "${PUB_VBITRATE:-300}k" -bufsize "$(( ${PUB_VBITRATE:-300} * 2 ))k" -g "$gop" -r "$fps")

# FLV carries each audio codec at particular sample rates.
case "${PUB_ACODEC:-aac}" in
    aac) rate=44100; audio=(-c:a aac -b:a "${PUB_ABITRATE:-64}k") ;;
    mp3) rate=22050; audio=(-c:a libmp3lame -b:a "${PUB_ABITRATE:-64}k") ;;
    nellymoser) rate=22050; audio=(-c:a nellymoser) ;;
    speex) rate=16000; audio=(-c:a libspeex) ;;
    *) echo "unknown audio codec $PUB_ACODEC" >&2; exit 2 ;;
esac
audio+=(-ac 1 -ar "$rate")

flashver=()
if [ -n "${PUB_FLASHVER:-}" ]; then
    flashver=(-rtmp_flashver "$PUB_FLASHVER")
fi

echo "publisher: $url for ${PUB_DURATION}s: ${PUB_PATTERN:-testsrc} ${PUB_SIZE:-320x240}@${fps} ${PUB_VCODEC:-h264} ${PUB_VBITRATE:-300}k, ${PUB_ACODEC:-aac} ${PUB_TONE:-440} Hz"
start=$(date +%s.%N)
ffmpeg -hide_banner -nostdin -nostats -loglevel info -re \
    -f lavfi -i "${PUB_PATTERN:-testsrc}=size=${PUB_SIZE:-320x240}:rate=$fps" \
    -f lavfi -i "sine=frequency=${PUB_TONE:-440}:sample_rate=$rate" \
    -t "$PUB_DURATION" -map 0:v -map 1:a \
    "${video[@]}" "${audio[@]}" \
    -threads 1 "${flashver[@]}" -f flv "$url"
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "publisher: published for %.1fs\n", e - s }'
