#!/bin/sh
# ftp-server.sh - entrypoint of the `ftp` scenario's server.
#
# At container start:
#   1. creates the FTP account FTP_USER with password FTP_PASSWORD (both
#      drawn by detgen per run) and an empty home /home/$FTP_USER;
#   2. copies the files the server shares (detgen's `server_files`,
#      mounted read-only at $SHARE) into that home, owned by the user;
#   3. copies vsftpd's log to stdout in the background and runs vsftpd in
#      the foreground (config: /etc/vsftpd.conf).
# The service counts as ready (its `ready` check) once port 21 listens,
# which happens only after the account and its files are in place.
set -eu

: "${FTP_USER:?FTP_USER must name the FTP account}"
: "${FTP_PASSWORD:?FTP_PASSWORD must be set}"
SHARE=${FTP_SHARE:-/srv/share}
LOG=/var/log/vsftpd.log
home=/home/$FTP_USER

# The drawn name may, rarely, be an account or group the image already has
# (root, man, lp, news, users, ...): reuse it rather than fail. The passwd
# entry is edited directly: usermod refuses accounts with running
# processes (root).
if id -u "$FTP_USER" >/dev/null 2>&1; then
    awk -F: -v OFS=: -v u="$FTP_USER" -v h="$home" \
        '$1 == u { $6 = h; $7 = "/bin/sh" } { print }' /etc/passwd >/etc/passwd.new
    cat /etc/passwd.new >/etc/passwd
    rm -f /etc/passwd.new
elif getent group "$FTP_USER" >/dev/null 2>&1; then
    useradd --home-dir "$home" --shell /bin/sh --gid "$FTP_USER" "$FTP_USER"
else
    useradd --home-dir "$home" --shell /bin/sh --user-group "$FTP_USER"
fi
printf '%s:%s\n' "$FTP_USER" "$FTP_PASSWORD" | chpasswd
# /etc/ftpusers (checked by PAM) bars system accounts from FTP.
sed -i "/^${FTP_USER}\$/d" /etc/ftpusers

mkdir -p "$home"
find "$SHARE" -maxdepth 1 -type f -exec cp {} "$home/" \;
chown -R "$FTP_USER:" "$home"
chmod 755 "$home"
find "$home" -maxdepth 1 -type f -exec chmod 644 {} +
echo "ftp-server: account $FTP_USER ready with $(find "$home" -maxdepth 1 -type f | wc -l) file(s)"

mkdir -p /run/vsftpd/empty
: >"$LOG"
# Started from a subshell so that tail is not a child of vsftpd (vsftpd
# reaps its children and must not meet one it did not start).
(tail -n +1 -F "$LOG" 2>/dev/null &)
exec /usr/sbin/vsftpd /etc/vsftpd.conf
