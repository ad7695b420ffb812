#!/bin/sh
# ssh-server.sh - entrypoint of the `ssh` scenario's server.
#
# At container start:
#   1. generates fresh host keys (ssh-keygen -A: RSA, ECDSA, Ed25519), so
#      no two runs share them;
#   2. creates the account SSH_USER with password SSH_PASSWORD (both drawn
#      by detgen per run), a bash login shell and the home /home/$SSH_USER
#      (useradd -m, so it gets Debian's skeleton dotfiles);
#   3. copies the files the server holds (detgen's `server_files`, mounted
#      read-only at $SSH_SHARE) into that home, owned by the user;
#   4. runs sshd in the foreground, logging to stderr (sshd -D -e), with
#      password authentication on (/etc/ssh/sshd_config.d/detgen.conf).
# The service counts as ready (its `ready` check) once port 22 listens,
# which happens only after the keys, the account and its files are in place.
set -eu

: "${SSH_USER:?SSH_USER must name the account}"
: "${SSH_PASSWORD:?SSH_PASSWORD must be set}"
SHARE=${SSH_SHARE:-/srv/share}
home=/home/$SSH_USER

ssh-keygen -A

# The drawn name may, rarely, be an account or group the image already has
# (root, daemon, man, sshd, users, ...): reuse it rather than fail, with a
# home under /home and a login shell. The passwd entry is edited directly:
# usermod refuses accounts with running processes (root).
if id -u "$SSH_USER" >/dev/null 2>&1; then
    awk -F: -v OFS=: -v u="$SSH_USER" -v h="$home" \
        '$1 == u { $6 = h; $7 = "/bin/bash" } { print }' /etc/passwd >/etc/passwd.new
    cat /etc/passwd.new >/etc/passwd
    rm -f /etc/passwd.new
    mkdir -p "$home"
    cp -rn /etc/skel/. "$home/"
elif getent group "$SSH_USER" >/dev/null 2>&1; then
    useradd --create-home --home-dir "$home" --shell /bin/bash --gid "$SSH_USER" "$SSH_USER"
else
    useradd --create-home --home-dir "$home" --shell /bin/bash --user-group "$SSH_USER"
fi
printf '%s:%s\n' "$SSH_USER" "$SSH_PASSWORD" | chpasswd

find "$SHARE" -maxdepth 1 -type f -exec cp {} "$home/" \;
chown -R "$SSH_USER:" "$home"
chmod 755 "$home"
find "$home" -maxdepth 1 -type f -name '*.txt' -exec chmod 644 {} +
echo "ssh-server: account $SSH_USER ready with $(find "$home" -maxdepth 1 -type f -name '*.txt' | wc -l) file(s)"

mkdir -p /run/sshd
chmod 0755 /run/sshd
exec /usr/sbin/sshd -D -e
