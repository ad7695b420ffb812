#!/bin/bash
# victim.sh - entrypoint of the `goldeneye` scenario's victim.
#
# At container start it makes a self-signed certificate and a small site,
# then runs the web server WEB_SERVER names in the foreground:
#   WEB_SERVER          apache2 (Debian's default event MPM) | nginx
#   KEEPALIVE_TIMEOUT   seconds an idle keep-alive connection is kept open
#                       (Apache's KeepAliveTimeout, nginx's keepalive_timeout)
#   TLS_KEY             rsa2048 | rsa3072 | ecdsa-p256 | ecdsa-p384: the
#                       certificate's key (HTTPS on port 443)
#   PAGE, PAGE_SIZE     a page /PAGE.html of PAGE_SIZE bytes besides /index.html
# HTTP listens on 0.0.0.0:80 and HTTPS on 0.0.0.0:443; the service is ready
# (its `ready` check) once both listen. The error log goes to stderr; the
# access log to a file inside the container, as a busy server's would (a
# flood writes tens of thousands of lines).
set -euo pipefail

SERVER=${WEB_SERVER:-apache2}
KA=${KEEPALIVE_TIMEOUT:-5}
KEY=${TLS_KEY:-rsa2048}
PAGE=${PAGE:-page}
PAGE_SIZE=${PAGE_SIZE:-10000}
fail() { echo "victim: $*" >&2; exit 1; }
[[ $PAGE =~ ^[A-Za-z0-9._-]+$ ]] || fail "PAGE '$PAGE' is not a plain file name"
[[ $KA =~ ^[0-9]+$ ]] || fail "KEEPALIVE_TIMEOUT must be an integer"
[[ $PAGE_SIZE =~ ^[0-9]+$ ]] || fail "PAGE_SIZE must be an integer"

# ---- TLS: a fresh self-signed certificate -----------------------------------
tls=/etc/detgen-tls
mkdir -p "$tls"
case "$KEY" in
rsa2048) newkey=(-newkey rsa:2048) ;;
rsa3072) newkey=(-newkey rsa:3072) ;;
ecdsa-p256) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
ecdsa-p384) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:secp384r1) ;;
*) fail "TLS_KEY must be rsa2048, rsa3072, ecdsa-p256 or ecdsa-p384" ;;
esac
openssl req -x509 -nodes -days 30 "${newkey[@]}" -subj "/CN=victim" \
    -addext "subjectAltName=DNS:victim" -addext "basicConstraints=critical,CA:FALSE" \
    -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null

# ---- the site ---------------------------------------------------------------
www=/var/www/html
rm -f "$www"/index*.html
cat >"$www/index.html" <<HTML
<!DOCTYPE html>
<html><head><title>victim</title></head><body>
<h1>Welcome</h1><p>See <a href="/$PAGE.html">$PAGE</a>.</p>
</body></html>
HTML
awk -v size="$PAGE_SIZE" -v title="$PAGE" '
function out(t) {
    if (n + length(t) > size) t = substr(t, 1, size - n)
    printf "%s", t
    n += length(t)
}
BEGIN {
    out("<!DOCTYPE html>\n<html><head><title>" title "</title></head><body>\n")
    for (i = 1; n < size; i++)
        out("<p>Paragraph " i " of " title ": the quick brown fox jumps over the lazy dog.</p>\n")
}' >"$www/$PAGE.html"

case "$SERVER" in
apache2)
    a2enmod -q ssl >/dev/null
    printf 'Listen 0.0.0.0:80\nListen 0.0.0.0:443\n' >/etc/apache2/ports.conf
    a2dissite -q 000-default >/dev/null
    cat >/etc/apache2/sites-available/detgen.conf <<CONF
ServerName victim
KeepAlive On
KeepAliveTimeout $KA
<VirtualHost *:80>
    DocumentRoot $www
    CustomLog /var/log/apache2/access.log combined
</VirtualHost>
<VirtualHost *:443>
    DocumentRoot $www
    SSLEngine on
    SSLCertificateFile $tls/cert.pem
    SSLCertificateKeyFile $tls/key.pem
    CustomLog /var/log/apache2/access.log combined
</VirtualHost>
CONF
    a2ensite -q detgen >/dev/null
    ln -sf /proc/self/fd/2 /var/log/apache2/error.log
    apache2ctl configtest
    echo "victim: apache2, KeepAliveTimeout $KA, TLS key $KEY, /$PAGE.html is $(stat -c %s "$www/$PAGE.html") bytes"
    set +u # envvars reads unset variables
    . /etc/apache2/envvars
    set -u
    mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
    exec apache2 -DFOREGROUND
    ;;
nginx)
    cat >/etc/nginx/nginx.conf <<CONF
worker_processes auto;
error_log stderr;
pid /run/nginx.pid;
events { worker_connections 768; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log /var/log/nginx/access.log;
    keepalive_timeout $KA;
    server {
        listen 0.0.0.0:80;
        listen 0.0.0.0:443 ssl;
        server_name victim;
        ssl_certificate $tls/cert.pem;
        ssl_certificate_key $tls/key.pem;
        root $www;
        index index.html;
    }
}
CONF
    nginx -t
    echo "victim: nginx, keepalive_timeout $KA, TLS key $KEY, /$PAGE.html is $(stat -c %s "$www/$PAGE.html") bytes"
    exec nginx -g 'daemon off;'
    ;;
*) fail "WEB_SERVER must be apache2 or nginx" ;;
esac
