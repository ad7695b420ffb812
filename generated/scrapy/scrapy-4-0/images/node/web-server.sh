#!/bin/sh
# web-server.sh - "the internet" of the `scrapy` scenario: one nginx plays
# every site in SITES (the host names are DNS aliases of this container),
# over HTTP (port 80) and HTTPS (port 443).
#
# At container start:
#   1. builds the sites from the drawn inputs (make-site.py: pages, links,
#      robots.txt, sitemaps, redirects and dead links);
#   2. makes a fresh self-signed certificate naming every site
#      (subjectAltName), so no two runs share a key (CERT_KEY: rsa2048 or
#      ecp256);
#   3. writes nginx's configuration (gzip as drawn in GZIP; the access log,
#      with the Host and the User-Agent of every request, on stdout) and
#      runs nginx in the foreground.
# The service is ready (its `ready` check) once ports 80 and 443 listen,
# which happens only after the sites and the certificate exist.
set -eu

: "${SITES:?SITES must list the host names}"
GZIP=${GZIP:-off}
case "$GZIP" in on | off) ;; *) echo "web-server: GZIP must be on or off" >&2; exit 1 ;; esac

python3 /usr/local/bin/make-site.py

mkdir -p /etc/detgen-tls
san=$(for s in $SITES; do printf 'DNS:%s,' "$s"; done | sed 's/,$//')
case "${CERT_KEY:-rsa2048}" in
rsa2048) newkey="-newkey rsa:2048" ;;
ecp256) newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
*) echo "web-server: unknown CERT_KEY" >&2; exit 1 ;;
esac
# shellcheck disable=SC2086
openssl req -x509 $newkey -sha256 -nodes -days 365 -subj "/CN=${SITES%% *}" \
    -addext "subjectAltName=$san" \
    -keyout /etc/detgen-tls/key.pem -out /etc/detgen-tls/cert.pem 2>/dev/null

cat >/etc/nginx/nginx.conf <<CONF
# written by web-server.sh at container start
user www-data;
worker_processes 2;
pid /run/nginx.pid;
error_log /dev/stderr warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_timeout 65;
    log_format detgen '\$remote_addr \$scheme://\$host "\$request" \$status \$body_bytes_sent "\$http_user_agent"';
    access_log /dev/stdout detgen;
    gzip $GZIP;
    gzip_types text/plain text/css application/xml;
    ssl_certificate /etc/detgen-tls/cert.pem;
    ssl_certificate_key /etc/detgen-tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    # Requests for a host that is not one of the sites.
    server { listen 80 default_server; listen 443 ssl default_server; return 421; }
    include /etc/nginx/detgen-sites.conf;
}
CONF
nginx -t -q
echo "web-server: serving $SITES over http and https (gzip $GZIP)"
exec nginx -g 'daemon off;'
