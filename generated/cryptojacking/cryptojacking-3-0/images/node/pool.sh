#!/bin/sh
# pool.sh - entrypoint of the `cryptojacking` scenario's mining pool.
#
# Makes a self-signed certificate for the pool's host name POOL_HOST with
# openssl (for stratum+ssl on POOL_TLS_PORT), then runs the Stratum pool
# emulation (stratum-pool.py; its environment is described there) in the
# foreground. Ready (the `ready` check) once port 3333 listens.
set -eu
: "${POOL_HOST:?POOL_HOST must name the pool}"
mkdir -p /etc/pool
openssl req -x509 -nodes -days 365 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
    -subj "/CN=$POOL_HOST" -addext "subjectAltName=DNS:$POOL_HOST" \
    -keyout /etc/pool/key.pem -out /etc/pool/cert.pem 2>/dev/null
export POOL_CERT=/etc/pool/cert.pem POOL_KEY=/etc/pool/key.pem
exec python3 /usr/local/lib/cryptojacking/stratum-pool.py
