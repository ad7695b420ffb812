#!/bin/sh
# web-server.sh - entrypoint of the `url-fuzz` scenario's web server.
#
# At container start it lays out the site under /var/www/html, writes the
# nginx site configuration and runs nginx in the foreground:
#   - index.html, the public home page, linking the public pages (detgen's
#     `public_files`, mounted read-only at $WEB_PUBLIC);
#   - the unlinked paths WEB_PATHS (space separated), each one of
#       name       a page served at the clean URL /name (file name.html),
#       name/      a directory with an index page (/name answers 301 to
#                  /name/, as nginx does for directories),
#       name.ext   a file served as is (a leftover backup, config, script);
#     their contents are detgen's `page_files` (mounted at $WEB_PAGES),
#     taken in name order, one per path;
#   - WEB_SECRET/, a directory whose name no word list holds.
# Clean URLs come from `try_files $uri $uri.html $uri/ =404`, a common
# configuration for static sites. WEB_TLS=on serves https on 443 with a
# self-signed certificate made now (key type WEB_TLS_KEY: rsa or ec),
# otherwise plain http on 80. The access log (combined format) goes to
# stdout. The service is ready once nginx listens.
set -eu

: "${WEB_PATHS:?WEB_PATHS must list the unlinked paths}"
: "${WEB_SECRET:?WEB_SECRET must name the secret directory}"
PAGES=${WEB_PAGES:-/srv/pages}
PUBLIC=${WEB_PUBLIC:-/srv/public}
TLS=${WEB_TLS:-off}
ROOT=/var/www/html

rm -rf "$ROOT"
mkdir -p "$ROOT"

# Contents of the unlinked pages, one file per path, in name order.
contents=$(find "$PAGES" -maxdepth 1 -type f | sort)
n_contents=$(printf '%s\n' "$contents" | grep -c . || true)
[ "$n_contents" -gt 0 ] || { echo "web-server: no page contents in $PAGES" >&2; exit 1; }
content() { # the i-th content file (1-based, wrapping)
    printf '%s\n' "$contents" | sed -n "$(( ($1 - 1) % n_contents + 1 ))p"
}

i=0
for p in $WEB_PATHS; do
    i=$((i + 1))
    src=$(content "$i")
    case "$p" in
    */) mkdir -p "$ROOT/$p" && cp "$src" "$ROOT/${p}index.html" ;;
    *.*) cp "$src" "$ROOT/$p" ;;
    *) cp "$src" "$ROOT/$p.html" ;;
    esac
    echo "web-server: unlinked /$p"
done
mkdir -p "$ROOT/$WEB_SECRET"
cp "$(content $((i + 1)))" "$ROOT/$WEB_SECRET/index.html"
echo "web-server: secret /$WEB_SECRET/"

# The public site: a home page linking every public page.
{
    echo '<!DOCTYPE html>'
    echo '<html><head><title>Welcome</title></head><body>'
    echo '<h1>Welcome</h1><ul>'
    for f in $(find "$PUBLIC" -maxdepth 1 -type f | sort); do
        name=$(basename "$f")
        cp "$f" "$ROOT/$name"
        echo "<li><a href=\"/$name\">$name</a></li>"
    done
    echo '</ul></body></html>'
} >"$ROOT/index.html"
chmod -R a+rX "$ROOT"

if [ "$TLS" = on ]; then
    case "${WEB_TLS_KEY:-rsa}" in
    rsa) newkey=rsa:2048 ;;
    ec) newkey="ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
    *) echo "web-server: WEB_TLS_KEY must be rsa or ec" >&2; exit 1 ;;
    esac
    mkdir -p /etc/nginx/tls
    # shellcheck disable=SC2086 # newkey holds two words for ec
    openssl req -x509 -nodes -days 30 -subj "/CN=server" -newkey $newkey \
        -keyout /etc/nginx/tls/key.pem -out /etc/nginx/tls/cert.pem 2>/dev/null
    listen="listen 443 ssl default_server;
    ssl_certificate /etc/nginx/tls/cert.pem;
    ssl_certificate_key /etc/nginx/tls/key.pem;"
else
    listen="listen 80 default_server;"
fi

cat >/etc/nginx/sites-enabled/default <<CONF
server {
    $listen
    server_name _;
    root $ROOT;
    index index.html;
    access_log /dev/stdout;
    error_log /dev/stderr;
    log_not_found off;
    location / {
        try_files \$uri \$uri.html \$uri/ =404;
    }
}
CONF
nginx -t 2>&1
exec nginx -g 'daemon off;'
