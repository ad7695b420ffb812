#!/bin/sh
# rtmp-server.sh - entrypoint of the `rtmp` scenario's media server.
#
# Writes /etc/nginx/nginx.conf from the drawn settings and runs nginx in the
# foreground with Debian's RTMP module (libnginx-mod-rtmp, loaded through
# /etc/nginx/modules-enabled):
#   - rtmp on port 1935: the live application $RTMP_APP (chunk size,
#     wait_key, wait_video, interleave and meta drawn), optionally
#     recording every published stream to /var/rec/<key>.flv and/or
#     cutting it into HLS fragments in /var/hls; the application `vod`
#     plays the recordings back (rtmp://server/vod/<key>.flv);
#   - http on port 80: /hls/ serves the playlist and the MPEG-TS fragments
#     (HLS subscenario), /stat nginx-rtmp's statistics (XML);
#   - with RTMP_TUNNEL=rtmpt the HTTP port belongs to rtmpt-gateway.py
#     instead (nginx-rtmp has no RTMPT): our RTMP-over-HTTP gateway that
#     relays each tunnel session to nginx's port 1935 on 127.0.0.1.
# The service is ready (its `ready` check) once ports 1935 and 80 listen.
set -eu

APP=${RTMP_APP:-live}
CHUNK=${RTMP_CHUNK_SIZE:-4096}
HLS=${RTMP_HLS:-off}
RECORD=${RTMP_RECORD:-off}
TUNNEL=${RTMP_TUNNEL:-none}

mkdir -p /var/hls /var/rec

if [ "$RECORD" = off ]; then
    record="record off;"
else
    # all (audio and video) or video only; one file per stream key.
    record="record $RECORD; record_path /var/rec; record_unique off;"
fi
if [ "$HLS" = on ]; then
    hls="hls on; hls_path /var/hls; hls_fragment ${RTMP_HLS_FRAGMENT:-2}s; hls_playlist_length ${RTMP_HLS_PLAYLIST:-10}s;"
else
    hls="hls off;"
fi
if [ "$TUNNEL" = rtmpt ]; then
    http_listen=8080
else
    http_listen=80
fi

cat >/etc/nginx/nginx.conf <<EOF
user root;
worker_processes 1;
pid /run/nginx.pid;
error_log /dev/stderr info;
include /etc/nginx/modules-enabled/*.conf;

events { worker_connections 256; }

rtmp {
    server {
        listen 1935;
        chunk_size $CHUNK;
        application $APP {
            live on;
            wait_key ${RTMP_WAIT_KEY:-off};
            wait_video ${RTMP_WAIT_VIDEO:-off};
            interleave ${RTMP_INTERLEAVE:-off};
            meta ${RTMP_META:-on};
            $record
            $hls
        }
        application vod {
            play /var/rec;
        }
    }
}

http {
    access_log /dev/stdout;
    sendfile on;
    server {
        listen $http_listen;
        location /hls/ {
            types {
                application/vnd.apple.mpegurl m3u8;
                video/mp2t ts;
            }
            root /var;
            add_header Cache-Control no-cache;
        }
        location /stat {
            rtmp_stat all;
        }
    }
}
EOF
echo "rtmp-server: application '$APP', chunk size $CHUNK, hls $HLS, record $RECORD, tunnel $TUNNEL"

if [ "$TUNNEL" = rtmpt ]; then
    python3 /usr/local/bin/rtmpt-gateway.py --listen 80 --backend 127.0.0.1:1935 &
fi
exec nginx -g 'daemon off;'
