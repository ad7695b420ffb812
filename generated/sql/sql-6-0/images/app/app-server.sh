#!/bin/sh
# app-server.sh - entrypoint of the `sql` scenario's web application.
#
# At container start:
#   1. checks that the database settings are there (DB_HOST, DB_NAME,
#      DB_USER, DB_PASSWORD; DB_DRIVER, DB_STATEMENTS and DB_PERSISTENT
#      choose how PHP talks to MariaDB, API_KEY guards the JSON API);
#   2. makes a fresh self-signed certificate for HTTPS (CN "app", an
#      ECDSA P-256 key: quick to make), so no two runs share a key;
#   3. sends Apache's access and error logs to the container's output and
#      runs Apache in the foreground (HTTP on 80, HTTPS on 443).
# The service is ready (its `ready` check) once ports 80 and 443 listen.
# It starts beside the database; PHP connects to it per request.
set -eu

: "${DB_HOST:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}" "${API_KEY:?}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "/CN=app" \
    -keyout /etc/ssl/private/ssl-cert-snakeoil.key -out /etc/ssl/certs/ssl-cert-snakeoil.pem 2>/dev/null
ln -sf /proc/self/fd/1 /var/log/apache2/access.log
ln -sf /proc/self/fd/1 /var/log/apache2/other_vhosts_access.log
ln -sf /proc/self/fd/2 /var/log/apache2/error.log
echo "app-server: shop on database $DB_NAME at $DB_HOST (driver ${DB_DRIVER:-mysqli}," \
    "${DB_STATEMENTS:-text} statements, persistent connections ${DB_PERSISTENT:-no})"
exec apache2ctl -D FOREGROUND
