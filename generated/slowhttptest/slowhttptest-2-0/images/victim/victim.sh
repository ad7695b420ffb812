#!/bin/bash
# victim.sh - entrypoint of the `slowhttptest` scenario's victim.
#
# At container start it configures Debian's Apache httpd from drawn
# parameters and runs it in the foreground:
#   APACHE_MPM          event | worker | prefork (the multi-processing module)
#   APACHE_MAX_WORKERS  MaxRequestWorkers: how many requests it serves at once
#                       (rounded up to whole processes of 25 threads for the
#                       threaded MPMs)
#   APACHE_REQTIMEOUT   on: mod_reqtimeout as Debian ships it, the stock
#                       defence against slow requests (the headers within
#                       20 s, extended up to 40 s while they come at 500
#                       bytes/s; the body within 10 s, then at 500 bytes/s);
#                       off: disabled, the classic defenceless target
#   TLS_KEY             rsa2048 | rsa3072 | ecdsa-p256 | ecdsa-p384: the key
#                       of the self-signed certificate made now (HTTPS, 443)
#   PAGE, PAGE_SIZE     a page /PAGE.html of PAGE_SIZE bytes (deterministic
#                       HTML text), the attack's target
# HTTP listens on 0.0.0.0:80 and HTTPS on 0.0.0.0:443; the service is ready
# (its `ready` check) once both listen. Error log to stderr, access log
# (with the request's duration in microseconds) to stdout.
set -euo pipefail

MPM=${APACHE_MPM:-event}
MAX=${APACHE_MAX_WORKERS:-150}
REQTIMEOUT=${APACHE_REQTIMEOUT:-on}
KEY=${TLS_KEY:-rsa2048}
PAGE=${PAGE:-index}
PAGE_SIZE=${PAGE_SIZE:-10000}
fail() { echo "victim: $*" >&2; exit 1; }
[[ $PAGE =~ ^[A-Za-z0-9._-]+$ ]] || fail "PAGE '$PAGE' is not a plain file name"
[[ $MAX =~ ^[0-9]+$ && $MAX -ge 1 ]] || fail "APACHE_MAX_WORKERS must be a positive integer"
[[ $PAGE_SIZE =~ ^[0-9]+$ ]] || fail "PAGE_SIZE must be an integer"

# ---- multi-processing module and its limits ---------------------------------
case "$MPM" in event | worker | prefork) ;; *) fail "APACHE_MPM must be event, worker or prefork" ;; esac
a2dismod -q -f mpm_event mpm_worker mpm_prefork >/dev/null
a2enmod -q "mpm_$MPM" >/dev/null
if [ "$MPM" = prefork ]; then
    [ "$MAX" -le 256 ] || MAX=256 # prefork's ServerLimit
    limits="<IfModule mpm_prefork_module>
    StartServers 5
    MaxRequestWorkers $MAX
</IfModule>"
else
    procs=$(((MAX + 24) / 25))
    MAX=$((procs * 25))
    limits="<IfModule mpm_${MPM}_module>
    ServerLimit $procs
    StartServers 2
    ThreadsPerChild 25
    MaxRequestWorkers $MAX
</IfModule>"
fi
printf '%s\n' "$limits" >/etc/apache2/conf-available/detgen-mpm.conf
a2enconf -q detgen-mpm >/dev/null

# ---- mod_reqtimeout ---------------------------------------------------------
case "$REQTIMEOUT" in
on) a2enmod -q reqtimeout >/dev/null ;;
off) a2dismod -q -f reqtimeout >/dev/null ;;
*) fail "APACHE_REQTIMEOUT must be on or off" ;;
esac

# ---- TLS: a fresh self-signed certificate -----------------------------------
tls=/etc/apache2/detgen
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
a2enmod -q ssl >/dev/null

# ---- site -------------------------------------------------------------------
printf 'Listen 0.0.0.0:80\nListen 0.0.0.0:443\n' >/etc/apache2/ports.conf
a2dissite -q 000-default >/dev/null
cat >/etc/apache2/sites-available/detgen.conf <<CONF
ServerName victim
LogFormat "%h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\" %D" detgen
<VirtualHost *:80>
    DocumentRoot /var/www/html
    CustomLog /proc/self/fd/1 detgen
</VirtualHost>
<VirtualHost *:443>
    DocumentRoot /var/www/html
    SSLEngine on
    SSLCertificateFile $tls/cert.pem
    SSLCertificateKeyFile $tls/key.pem
    CustomLog /proc/self/fd/1 detgen
</VirtualHost>
CONF
a2ensite -q detgen >/dev/null
# The global error log goes to the container's stderr.
ln -sf /proc/self/fd/2 /var/log/apache2/error.log

# The target page: numbered paragraphs up to exactly PAGE_SIZE bytes.
awk -v size="$PAGE_SIZE" -v title="$PAGE" '
function out(t) {
    if (n + length(t) > size) t = substr(t, 1, size - n)
    printf "%s", t
    n += length(t)
}
BEGIN {
    out("<!DOCTYPE html>\n<html><head><title>" title "</title></head><body>\n")
    out("<form method=\"post\" action=\"/" title ".html\"><input name=\"q\"><input type=\"submit\"></form>\n")
    for (i = 1; n < size; i++)
        out("<p>Paragraph " i " of " title ": the quick brown fox jumps over the lazy dog.</p>\n")
}' >"/var/www/html/$PAGE.html"

apache2ctl configtest
echo "victim: apache2 $MPM MPM, MaxRequestWorkers $MAX, mod_reqtimeout $REQTIMEOUT, TLS key $KEY," \
    "/$PAGE.html is $(stat -c %s "/var/www/html/$PAGE.html") bytes"
set +u # envvars reads unset variables
. /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
exec apache2 -DFOREGROUND
