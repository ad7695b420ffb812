#!/bin/sh
# c2.sh - the Ares server of the `ares` scenario. It stages the operator's
# tools where the agents can download them (uploads/tools/: the files
# mounted at /srv/stage, and the miner under the name MINER_NAME), makes a
# self-signed certificate when ARES_SCHEME is https, and runs the server.
set -eu

uploads=${ARES_UPLOADS:-/srv/ares/uploads}
mkdir -p "$uploads/tools"
find /srv/stage -maxdepth 1 -type f -exec cp {} "$uploads/tools/" \; 2>/dev/null || true
cp /usr/local/lib/ares/miner.py "$uploads/tools/${MINER_NAME:-miner}"
if [ "${ARES_SCHEME:-http}" = https ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=${ARES_CN:-localhost}" \
        -keyout /srv/ares/key.pem -out /srv/ares/cert.pem 2>/dev/null
    export ARES_TLS=/srv/ares/cert.pem,/srv/ares/key.pem
fi
export ARES_UPLOADS="$uploads"
exec python3 /usr/local/lib/ares/ares_server.py
