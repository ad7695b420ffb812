#!/bin/sh
# app-server.sh - entrypoint of the `sqli` scenario's vulnerable portal.
#
# At container start:
#   1. checks that the database settings are there (DB_HOST, DB_NAME,
#      DB_USER, DB_PASSWORD; PASSWORD_STORAGE says how the portal stores
#      passwords, REGISTER_CHECK how strictly it checks registrations);
#   2. makes a fresh self-signed certificate for HTTPS (CN "app", an
#      ECDSA P-256 key: quick to make), so no two runs share a key;
#   3. sends Apache's access and error logs to the container's output and
#      runs Apache in the foreground (HTTP on 80, HTTPS on 443).
# The service is ready (its `ready` check) once ports 80 and 443 listen.
# It starts beside the database; PHP connects to it per request.
set -eu

: "${DB_HOST:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 365 -subj "/CN=app" \
    -keyout /etc/ssl/private/ssl-cert-snakeoil.key -out /etc/ssl/certs/ssl-cert-snakeoil.pem 2>/dev/null
ln -sf /proc/self/fd/1 /var/log/apache2/access.log
ln -sf /proc/self/fd/1 /var/log/apache2/other_vhosts_access.log
ln -sf /proc/self/fd/2 /var/log/apache2/error.log
echo "app-server: portal on database $DB_NAME at $DB_HOST (passwords ${PASSWORD_STORAGE:-plain}," \
    "registration checks ${REGISTER_CHECK:-strict})"
exec apache2ctl -D FOREGROUND
