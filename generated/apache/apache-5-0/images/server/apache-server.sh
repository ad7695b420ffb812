#!/bin/sh
# apache-server.sh - entrypoint of the `apache` scenario's server.
#
# At container start:
#   1. builds the static site from detgen's drawn files (make-site.sh);
#   2. makes a fresh self-signed certificate with openssl (make-cert.sh),
#      so the HTTPS key differs in every run;
#   3. enables the drawn multi-processing module (APACHE_MPM: event, worker
#      or prefork; HTTP/2 needs a threaded one, so under prefork HTTPS
#      offers HTTP/1.1 only) and mod_deflate or not (APACHE_DEFLATE: on or
#      off; on, Debian's configuration compresses HTML, text and CSS);
#   4. runs apache2 in the foreground (site: detgen-site.conf).
# The service counts as ready (its `ready` check) once ports 80 and 443
# listen, which happens only after the site and the certificate exist.
set -eu

MPM=${APACHE_MPM:-event}
DEFLATE=${APACHE_DEFLATE:-on}

sh /usr/local/bin/make-site.sh
sh /usr/local/bin/make-cert.sh

case "$MPM" in event | worker | prefork) ;; *) echo "apache-server: APACHE_MPM must be event, worker or prefork" >&2; exit 1 ;; esac
case "$DEFLATE" in on | off) ;; *) echo "apache-server: APACHE_DEFLATE must be on or off" >&2; exit 1 ;; esac
# What a2enmod/a2dismod do, without their start-up cost: a module is
# enabled by links to its .load (and .conf) in mods-enabled.
mod_on() {
    for f in /etc/apache2/mods-available/"$1".load /etc/apache2/mods-available/"$1".conf; do
        [ -f "$f" ] && ln -sf "../mods-available/${f##*/}" /etc/apache2/mods-enabled/
    done
    return 0
}
mod_off() {
    rm -f /etc/apache2/mods-enabled/"$1".load /etc/apache2/mods-enabled/"$1".conf
}
for m in event worker prefork; do mod_off "mpm_$m"; done
mod_on "mpm_$MPM"
if [ "$DEFLATE" = on ]; then mod_on deflate; else mod_off deflate; fi

# Debian's envvars reads variables that may be unset.
set +u
. /etc/apache2/envvars
set -u
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
apache2 -t
echo "apache-server: serving http://server/ and https://server/ (mpm_$MPM, deflate $DEFLATE)"
exec apache2 -DFOREGROUND
