#!/bin/sh
# server.sh - entrypoint of the `heartbleed` scenario's victim.
#
# Makes a fresh self-signed certificate for HB_SITE with openssl (RSA key of
# HB_KEY_BITS bits, HB_CERT_DAYS days, organisation HB_ORG), then runs the
# emulated vulnerable (or patched, HB_MODE) TLS server in the foreground;
# see heartbleed-server.py for the rest of its environment. The service is
# ready (its `ready` check) once port 443 listens.
set -eu
: "${HB_SITE:?HB_SITE must name the site}"
BITS=${HB_KEY_BITS:-2048}
DAYS=${HB_CERT_DAYS:-365}
ORG=${HB_ORG:-Example Ltd}
case "$BITS" in 2048 | 3072 | 4096) ;; *) echo "server: HB_KEY_BITS must be 2048, 3072 or 4096" >&2; exit 1 ;; esac
case "$DAYS" in *[!0-9]* | '') echo "server: HB_CERT_DAYS must be a number" >&2; exit 1 ;; esac
mkdir -p /etc/heartbleed
openssl req -x509 -nodes -days "$DAYS" -newkey "rsa:$BITS" \
    -subj "/O=$ORG/CN=$HB_SITE" -addext "subjectAltName=DNS:$HB_SITE" \
    -keyout /etc/heartbleed/key.pem -out /etc/heartbleed/cert.pem 2>/dev/null
echo "server: certificate for $HB_SITE ($BITS-bit RSA, $DAYS days)"
export HB_KEY=/etc/heartbleed/key.pem HB_CERT=/etc/heartbleed/cert.pem
exec python3 /usr/local/lib/heartbleed/heartbleed-server.py
