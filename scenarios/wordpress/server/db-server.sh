#!/bin/sh
# db-server.sh - entrypoint of the `wordpress` scenario's database server
# (MariaDB, Debian's MySQL, in the scenario's server image).
#
# The image holds MariaDB's system tables, made at build time
# (mariadb-install-db). At container start this script
#   1. writes an init file that creates the blog's database DB_NAME and
#      WordPress's account DB_USER (password DB_PASSWORD, from any address
#      of the scenario network), followed by a statement that turns the
#      general query log on;
#   2. runs MariaDB in the foreground with that file as its --init-file
#      (settings: /etc/mysql/mariadb.conf.d/90-detgen.cnf; port 3306, no
#      TLS, so the captures show every statement), copying the query log
#      and the error log to stdout.
# The service's `ready` check asks (as root, over the local socket) whether
# the general query log is on, which only the init file's last statement
# does: ready means the database and the account exist. WordPress creates
# its tables itself when it installs (wp-server.sh on the wordpress service).
set -eu

: "${DB_NAME:?}" "${DB_USER:?}" "${DB_PASSWORD:?}"
LOGDIR=/var/log/mysql
INIT=/run/mysqld/init.sql

# The drawn names and password are letters and digits; refuse anything else
# rather than quote it into SQL.
for v in "$DB_NAME" "$DB_USER" "$DB_PASSWORD"; do
    case "$v" in *[!A-Za-z0-9_]*) echo "db-server: unexpected character in '$v'" >&2; exit 1 ;; esac
done

mkdir -p /run/mysqld "$LOGDIR"
rm -f /run/mysqld/*.pid /run/mysqld/*.sock
cat >"$INIT" <<SQL
CREATE DATABASE \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER '$DB_USER'@'%' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'%';
SET GLOBAL general_log = 1;
SQL
chown -R mysql:mysql /run/mysqld "$LOGDIR"
chmod 600 "$INIT"
: >"$LOGDIR/query.log"
: >"$LOGDIR/error.log"
chown mysql:mysql "$LOGDIR/query.log" "$LOGDIR/error.log"
echo "db-server: starting MariaDB with database $DB_NAME for account $DB_USER"
# From a subshell, so that tail is not a child of mariadbd.
(tail -n +1 -F "$LOGDIR/error.log" "$LOGDIR/query.log" 2>/dev/null &)
exec mariadbd --user=mysql --init-file="$INIT"
