#!/bin/sh
# auth-server.sh - entrypoint of the `basic-auth-bruteforce` scenario's
# web server.
#
# At container start:
#   1. writes the htpasswd file with the one account AUTH_USER /
#      AUTH_PASSWORD (both drawn by detgen), hashed with AUTH_HASH (md5:
#      Apache's APR1, bcrypt, sha1, sha256 or sha512 crypt);
#   2. lays out the site: a public home page, and the protected area
#      /AUTH_PATH/ whose pages are detgen's `protected_files` (mounted at
#      $AUTH_FILES) with an index page listing them;
#   3. configures Apache: HTTP Basic authentication with realm AUTH_REALM
#      on /AUTH_PATH, plain http on 80, or with AUTH_TLS=on https on 443
#      with a self-signed certificate made now (key AUTH_TLS_KEY: rsa or
#      ec); access log (combined, with the user name tried) to stdout,
#      error log (one line per refused login) to stderr;
#   4. runs apache2 in the foreground.
# The service is ready once Apache listens.
set -eu

: "${AUTH_USER:?AUTH_USER must name the account}"
: "${AUTH_PASSWORD:?AUTH_PASSWORD must be set}"
: "${AUTH_PATH:?AUTH_PATH must name the protected directory}"
REALM=${AUTH_REALM:-Restricted}
FILES=${AUTH_FILES:-/srv/protected}
TLS=${AUTH_TLS:-off}
ROOT=/var/www/html
PASSWD=/etc/apache2/htpasswd

case "${AUTH_HASH:-md5}" in
md5) hash=-m ;;
bcrypt) hash=-B ;;
sha1) hash=-s ;;
sha256) hash=-2 ;;
sha512) hash=-5 ;;
*) echo "auth-server: unknown AUTH_HASH '$AUTH_HASH'" >&2; exit 1 ;;
esac
# -i reads the password from stdin, so it never shows in a process list.
printf '%s' "$AUTH_PASSWORD" | htpasswd -c -i "$hash" "$PASSWD" "$AUTH_USER"
chown root:www-data "$PASSWD"
chmod 640 "$PASSWD"

rm -rf "$ROOT"
mkdir -p "$ROOT/$AUTH_PATH"
cat >"$ROOT/index.html" <<HTML
<!DOCTYPE html>
<html><head><title>Welcome</title></head><body>
<h1>Welcome</h1><p>Staff: <a href="/$AUTH_PATH/">sign in</a>.</p>
</body></html>
HTML
{
    echo '<!DOCTYPE html>'
    echo "<html><head><title>$REALM</title></head><body><h1>$REALM</h1><ul>"
    for f in $(find "$FILES" -maxdepth 1 -type f | sort); do
        name=$(basename "$f")
        cp "$f" "$ROOT/$AUTH_PATH/$name"
        echo "<li><a href=\"$name\">$name</a></li>"
    done
    echo '</ul></body></html>'
} >"$ROOT/$AUTH_PATH/index.html"
chmod -R a+rX "$ROOT"

if [ "$TLS" = on ]; then
    case "${AUTH_TLS_KEY:-rsa}" in
    rsa) newkey=rsa:2048 ;;
    ec) newkey="ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
    *) echo "auth-server: AUTH_TLS_KEY must be rsa or ec" >&2; exit 1 ;;
    esac
    mkdir -p /etc/apache2/tls
    # shellcheck disable=SC2086 # newkey holds several words for ec
    openssl req -x509 -nodes -days 30 -subj "/CN=server" -newkey $newkey \
        -keyout /etc/apache2/tls/key.pem -out /etc/apache2/tls/cert.pem 2>/dev/null
    a2enmod -q ssl >/dev/null
    port=443
    tls="SSLEngine on
    SSLCertificateFile /etc/apache2/tls/cert.pem
    SSLCertificateKeyFile /etc/apache2/tls/key.pem"
    echo "Listen 443" >/etc/apache2/ports.conf
else
    port=80
    tls=""
    echo "Listen 80" >/etc/apache2/ports.conf
fi

rm -f /etc/apache2/sites-enabled/*
cat >/etc/apache2/sites-enabled/site.conf <<CONF
ServerName server
<VirtualHost *:$port>
    DocumentRoot $ROOT
    $tls
    ErrorLog /dev/stderr
    CustomLog /dev/stdout combined
    <Location "/$AUTH_PATH">
        AuthType Basic
        AuthName "$REALM"
        AuthBasicProvider file
        AuthUserFile $PASSWD
        Require valid-user
    </Location>
</VirtualHost>
CONF
echo "auth-server: /$AUTH_PATH/ protected (realm \"$REALM\", ${AUTH_HASH:-md5} hash), $( [ "$TLS" = on ] && echo https || echo http ) on port $port"

# Debian's environment for apache2 (run directories, user); it reads
# unset variables, so not under `set -u`.
set +u
# shellcheck disable=SC1091
. /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
apache2 -t
exec apache2 -D FOREGROUND
