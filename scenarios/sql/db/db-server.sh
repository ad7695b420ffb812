#!/bin/sh
# db-server.sh - entrypoint of the `sql` scenario's database server.
#
# The image holds MariaDB's system tables, made at build time
# (mariadb-install-db). At container start this script
#   1. writes the shop as SQL (gen-data.php, from DATA_SEED and the counts:
#      the database, the application's account, the tables and the drawn
#      rows), followed by a statement that turns the general query log on;
#   2. runs MariaDB in the foreground with that file as its --init-file
#      (settings: /etc/mysql/mariadb.conf.d/90-detgen.cnf; port 3306 on
#      0.0.0.0), copying the query log and the error log to stdout.
# MariaDB accepts connections while it executes the init file, and stops
# reading the file at its first error; so the service's `ready` check asks
# (as root, over the local socket) whether the general query log is on,
# which only the file's last statement does: ready means every row is in.
# (The statements are at most 60000 bytes each: gen-data.php splits its
# INSERTs.)
set -eu

: "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}" "${DATA_SEED:?}"
LOGDIR=/var/log/mysql
INIT=/run/mysqld/init.sql

mkdir -p /run/mysqld "$LOGDIR"
rm -f /run/mysqld/*.pid /run/mysqld/*.sock
{
    php /usr/local/bin/gen-data.php
    echo "SET GLOBAL general_log = 1;"
} >"$INIT"
chown -R mysql:mysql /run/mysqld "$LOGDIR"
chmod 600 "$INIT"
: >"$LOGDIR/query.log"
: >"$LOGDIR/error.log"
chown mysql:mysql "$LOGDIR/query.log" "$LOGDIR/error.log"
echo "db-server: starting MariaDB with database $DB_NAME for account $DB_USER"
# From a subshell, so that tail is not a child of mariadbd.
(tail -n +1 -F "$LOGDIR/error.log" "$LOGDIR/query.log" 2>/dev/null &)
exec mariadbd --user=mysql --init-file="$INIT"
