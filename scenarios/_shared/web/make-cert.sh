#!/bin/sh
# make-cert.sh - a fresh self-signed certificate for the HTTPS listener,
# made with openssl at every container start (so no two runs share a key).
#
# Inputs (environment):
#   CERT_KEY   key type: rsa2048, rsa3072, ecp256 or ecp384 (drawn)
#   CERT_DAYS  validity in days (drawn)
#   CERT_ORG   the subject's organisation (drawn); the common name and the
#              subjectAltName are the server's host name, `server`
#   CERT_DIR   where to write cert.pem and key.pem (default /etc/detgen-tls)
set -eu

KEY=${CERT_KEY:-rsa2048}
DAYS=${CERT_DAYS:-365}
ORG=${CERT_ORG:-Example}
DIR=${CERT_DIR:-/etc/detgen-tls}
NAME=${CERT_NAME:-server}

case "$KEY" in
rsa2048) newkey="-newkey rsa:2048" usage="digitalSignature, keyEncipherment" ;;
rsa3072) newkey="-newkey rsa:3072" usage="digitalSignature, keyEncipherment" ;;
ecp256) newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" usage="digitalSignature" ;;
ecp384) newkey="-newkey ec -pkeyopt ec_paramgen_curve:secp384r1" usage="digitalSignature" ;;
*) echo "make-cert: unknown CERT_KEY '$KEY'" >&2; exit 1 ;;
esac

mkdir -p "$DIR"
# A server certificate (not a CA), signed by its own key.
cat >"$DIR/req.cnf" <<CNF
[req]
prompt = no
distinguished_name = subject
x509_extensions = server
[subject]
O = $ORG
CN = $NAME
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, $usage
extendedKeyUsage = serverAuth
subjectAltName = DNS:$NAME
subjectKeyIdentifier = hash
CNF
# $newkey is split on purpose (an option and its arguments).
# shellcheck disable=SC2086
openssl req -x509 $newkey -sha256 -nodes -days "$DAYS" -config "$DIR/req.cnf" \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>"$DIR/req.log" ||
    { cat "$DIR/req.log" >&2; exit 1; }
chmod 600 "$DIR/key.pem"
echo "make-cert: $KEY certificate for $NAME, $DAYS days, fingerprint" \
    "$(openssl x509 -in "$DIR/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
