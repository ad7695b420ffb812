#!/bin/sh
# "The internet" of the wan-wget scenario: one nginx plays every site in
# SITES (the host names are DNS aliases of this container), over HTTP and
# HTTPS with a self-signed certificate naming them all, made fresh per run.
# Each site gets an index page linking PAGES pages, a stylesheet, and a
# download of DOWNLOAD_BYTES bytes; page contents come from the run's
# generated files mounted at /content.
set -eu
mkdir -p /etc/detgen /srv/sites
san=$(for s in $SITES; do printf 'DNS:%s,' "$s"; done | sed 's/,$//')
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=${SITES%% *}" \
    -addext "subjectAltName=$san" \
    -keyout /etc/detgen/key.pem -out /etc/detgen/cert.pem 2>/dev/null
for site in $SITES; do
    root=/srv/sites/$site
    mkdir -p "$root/pages" "$root/static"
    printf 'body { font-family: sans-serif; } /* %s */\n' "$site" >"$root/static/site.css"
    head -c "$DOWNLOAD_BYTES" /dev/urandom >"$root/static/download.bin"
    {
        printf '<!doctype html>\n<html><head><title>%s</title>' "$site"
        printf '<link rel="stylesheet" href="/static/site.css"></head><body>\n<h1>%s</h1>\n<ul>\n' "$site"
        i=0
        for f in /content/*; do
            [ -f "$f" ] || continue
            [ "$i" -lt "$PAGES" ] || break
            name=$(basename "$f" .txt)
            { printf '<!doctype html>\n<html><body><h1>%s</h1><pre>\n' "$name"; cat "$f"; printf '</pre><a href="/">home</a></body></html>\n'; } \
                >"$root/pages/$name.html"
            printf '<li><a href="/pages/%s.html">%s</a></li>\n' "$name" "$name"
            i=$((i + 1))
        done
        printf '</ul>\n<a href="/static/download.bin">download</a>\n</body></html>\n'
    } >"$root/index.html"
done
{
    echo 'user www-data;'
    echo 'worker_processes 1;'
    echo 'pid /run/nginx.pid;'
    echo 'error_log stderr;'
    echo 'events { worker_connections 256; }'
    echo 'http {'
    echo '  include /etc/nginx/mime.types;'
    echo '  access_log /dev/stdout;'
    echo '  ssl_certificate /etc/detgen/cert.pem;'
    echo '  ssl_certificate_key /etc/detgen/key.pem;'
    echo '  server { listen 80 default_server; listen 443 ssl default_server; return 421; }'
    for site in $SITES; do
        echo "  server { listen 80; listen 443 ssl; server_name $site; root /srv/sites/$site; }"
    done
    echo '}'
} >/etc/detgen/nginx.conf
exec nginx -c /etc/detgen/nginx.conf -g 'daemon off;'
