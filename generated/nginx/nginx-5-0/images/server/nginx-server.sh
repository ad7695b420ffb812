#!/bin/sh
# nginx-server.sh - entrypoint of the `nginx` scenario's server.
#
# At container start:
#   1. builds the static site from detgen's drawn files (make-site.sh);
#   2. makes a fresh self-signed certificate with openssl (make-cert.sh),
#      so the HTTPS key differs in every run;
#   3. writes nginx's configuration: the site on port 80 (HTTP/1.x) and on
#      port 443 (TLS 1.2 and 1.3, HTTP/2 offered by ALPN), gzip on or off
#      as drawn (NGINX_GZIP), access log on stdout, errors on stderr;
#   4. runs nginx in the foreground.
# The service counts as ready (its `ready` check) once ports 80 and 443
# listen, which happens only after the site and the certificate exist.
set -eu

GZIP=${NGINX_GZIP:-off}
case "$GZIP" in on | off) ;; *) echo "nginx-server: NGINX_GZIP must be on or off" >&2; exit 1 ;; esac

sh /usr/local/bin/make-site.sh
sh /usr/local/bin/make-cert.sh

cat >/etc/nginx/nginx.conf <<CONF
# written by nginx-server.sh at container start
user www-data;
worker_processes 2;
pid /run/nginx.pid;
error_log /dev/stderr warn;

events {
    worker_connections 1024;
}

http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    access_log /dev/stdout combined;

    gzip $GZIP;
    gzip_types text/plain text/css;
    gzip_min_length 256;

    server {
        listen 80;
        listen 443 ssl http2;
        server_name server;
        root /var/www/site;
        index index.html;

        ssl_certificate /etc/detgen-tls/cert.pem;
        ssl_certificate_key /etc/detgen-tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:SSL:1m;

        location / {
            try_files \$uri \$uri/ =404;
        }
    }
}
CONF
nginx -t -q
echo "nginx-server: serving http://server/ and https://server/ (gzip $GZIP)"
exec nginx -g 'daemon off;'
