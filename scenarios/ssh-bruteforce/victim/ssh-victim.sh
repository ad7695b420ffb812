#!/bin/sh
# ssh-victim.sh - entrypoint of the `ssh-bruteforce` scenario's victim.
#
# At container start:
#   1. generates fresh host keys (ssh-keygen -A), so no two runs share them;
#   2. creates the account SSH_USER with password SSH_PASSWORD (both drawn by
#      detgen per run), a bash login shell and a home under /home;
#   3. writes the drawn hardening knobs into sshd's drop-in config:
#      SSH_MAX_AUTH_TRIES (MaxAuthTries: password attempts one connection
#      may make before sshd closes it) and SSH_MAX_STARTUPS (MaxStartups:
#      how many unauthenticated connections sshd keeps at once before it
#      starts dropping new ones);
#   4. runs sshd in the foreground, logging to stderr (sshd -D -e), so every
#      "Failed password" / "Accepted password" line lands in the run's
#      logs/victim.log.
# The service counts as ready (its `ready` check) once port 22 listens.
set -eu

: "${SSH_USER:?SSH_USER must name the account}"
: "${SSH_PASSWORD:?SSH_PASSWORD must be set}"
MAX_AUTH_TRIES=${SSH_MAX_AUTH_TRIES:-6}
MAX_STARTUPS=${SSH_MAX_STARTUPS:-10:30:100}
USE_PAM=${SSH_USE_PAM:-yes}
home=/home/$SSH_USER

ssh-keygen -A

# The drawn name may, rarely, be an account or group the image already has
# (root, daemon, man, sshd, users, ...): reuse it rather than fail, with a
# home under /home and a login shell.
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
chown -R "$SSH_USER:" "$home"

# First value wins in sshd_config: the drop-in is read before the rest.
{
    echo "MaxAuthTries $MAX_AUTH_TRIES"
    echo "MaxStartups $MAX_STARTUPS"
    echo "UsePAM $USE_PAM"
} >/etc/ssh/sshd_config.d/10-drawn.conf
mkdir -p /run/sshd
chmod 0755 /run/sshd
/usr/sbin/sshd -t
echo "ssh-victim: account $SSH_USER ready; MaxAuthTries $MAX_AUTH_TRIES, MaxStartups $MAX_STARTUPS"
exec /usr/sbin/sshd -D -e
