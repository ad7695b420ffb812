#!/bin/sh
# wp-server.sh - entrypoint of the `wordpress` scenario's web server:
# Debian's wordpress package on Apache (mod_php) with its database on the
# separate `db` service (which it waits for: depends_on, ready).
#
# At container start:
#   1. makes WordPress's keys and salts (/etc/wordpress/detgen-salts.php,
#      read by config-default.php) and a fresh self-signed certificate for
#      HTTPS (CERT_KEY), so no two runs share them;
#   2. installs and fills the blog from the command line (wp-setup.php:
#      WordPress's own install and insert functions, so its tables and rows
#      reach MariaDB over the network), then writes its rewrite rules;
#   3. runs Apache in the foreground: the blog on port 80 and on 443,
#      access log (with the TLS version and the User-Agent) on stdout;
#      beside it, wp-warmup.php asks for a few pages over the loopback
#      interface, so that the first client does not wait for PHP to
#      compile WordPress, and then writes /run/detgen-ready.
# The service is ready (its `ready` check) once that file exists and
# ports 80 and 443 listen.
set -eu

: "${DB_HOST:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}" "${SITE_HOST:?}"

php -r 'foreach (["AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY",
    "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"] as $k)
    printf("define(%s, %s);\n", var_export($k, true), var_export(bin2hex(random_bytes(32)), true));' \
    | sed '1i <?php' >/etc/wordpress/detgen-salts.php

mkdir -p /etc/detgen-tls
case "${CERT_KEY:-rsa2048}" in
rsa2048) newkey="-newkey rsa:2048" ;;
ecp256) newkey="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1" ;;
*) echo "wp-server: unknown CERT_KEY" >&2; exit 1 ;;
esac
# shellcheck disable=SC2086
openssl req -x509 $newkey -sha256 -nodes -days 365 -subj "/CN=$SITE_HOST" \
    -addext "subjectAltName=DNS:$SITE_HOST" \
    -keyout /etc/detgen-tls/key.pem -out /etc/detgen-tls/cert.pem 2>/dev/null

php /usr/local/bin/wp-setup.php
php /usr/local/bin/wp-setup.php rewrite
chown -R www-data:www-data /var/lib/wordpress/wp-content/uploads

echo "wp-server: serving http://$SITE_HOST/ and https://$SITE_HOST/ (database $DB_NAME at $DB_HOST)"
# The warm-up runs beside Apache, started from a subshell so that it is
# not a child of Apache's parent process.
rm -f /run/detgen-ready
(php /usr/local/bin/wp-warmup.php &)
exec apache2ctl -D FOREGROUND
