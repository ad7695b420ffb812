#!/bin/bash
# mopidy-server.sh - entrypoint of the `mopidy` scenario's music server.
#
#   1. generates the music library and its playlists (make-library.py:
#      drawn tracks, tones, lengths, formats and tags; m3u8 playlists);
#   2. scans it into mopidy-local's library (`mopidy local scan`);
#   3. writes Mopidy's configuration: the MPD frontend on port 6600 (with
#      the drawn password, if any), the local, file and m3u backends, no
#      sound card - the audio output is an MP3 encoder (lamemp3enc, drawn
#      bitrate and mode) feeding shout2send, which streams to the icecast
#      service's drawn mount as an Icecast source (HTTP PUT);
#   4. runs Mopidy in the foreground.
# Ready once port 6600 listens.
set -euo pipefail

export MUSIC_DIR=/srv/music PLAYLIST_DIR=/srv/playlists
python3 /usr/local/bin/make-library.py 2> >(grep -v -e '^$' -e 'GStreamer-WARNING' >&2)

CONF=/etc/mopidy/detgen.conf
mkdir -p /var/lib/mopidy-detgen /var/cache/mopidy-detgen /etc/mopidy

case "${STREAM_MODE:-cbr}" in
cbr) ENC="lamemp3enc target=bitrate bitrate=${STREAM_BITRATE:-128} cbr=true" ;;
abr) ENC="lamemp3enc target=bitrate bitrate=${STREAM_BITRATE:-128} cbr=false" ;;
vbr) ENC="lamemp3enc target=quality quality=${STREAM_QUALITY:-4}" ;;
*) echo "mopidy-server: STREAM_MODE must be cbr, abr or vbr" >&2; exit 1 ;;
esac
# async=false, as in Mopidy's Icecast example: the sink does not wait for
# preroll in state changes. Without it, a `clear` while streaming once
# stalled Mopidy's core past an MPD client's 30 s timeout on a busy host.
SHOUT="shout2send async=false ip=${STREAM_HOST:-icecast} port=${STREAM_PORT:-8000} password=${STREAM_PASSWORD:?} mount=${STREAM_MOUNT:?}"
SHOUT+=" streamname=\"${STREAM_NAME:-Mopidy}\" genre=\"${STREAM_GENRE:-Various}\" description=\"${STREAM_DESCRIPTION:-Music from Mopidy}\""

cat >"$CONF" <<EOF
[core]
cache_dir = /var/cache/mopidy-detgen
data_dir = /var/lib/mopidy-detgen
config_dir = /etc/mopidy
restore_state = false

[logging]
verbosity = ${MOPIDY_VERBOSITY:-0}
color = false

[audio]
mixer = software
mixer_volume = ${MOPIDY_VOLUME:-100}
output = audioresample ! audioconvert ! audio/x-raw,rate=44100,channels=2 ! ${ENC} ! ${SHOUT}

[http]
enabled = false

[stream]
enabled = false

[file]
enabled = true
media_dirs = ${MUSIC_DIR}|Files

[local]
enabled = true
media_dir = ${MUSIC_DIR}
scan_timeout = 5000

[m3u]
enabled = true
playlists_dir = ${PLAYLIST_DIR}
base_dir = ${MUSIC_DIR}
default_extension = .m3u8

[mpd]
enabled = true
hostname = 0.0.0.0
port = 6600
password = ${MPD_PASSWORD:-}
max_connections = 20
connection_timeout = 60
zeroconf =
EOF

mopidy --config "$CONF" local scan 2>&1 | grep -E 'Found|Scanned|Done|WARNING|ERROR' || true
echo "mopidy-server: library ready; streaming to http://${STREAM_HOST:-icecast}:${STREAM_PORT:-8000}${STREAM_MOUNT} while playing"
exec mopidy --config "$CONF"
