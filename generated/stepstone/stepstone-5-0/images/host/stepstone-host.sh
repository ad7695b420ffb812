#!/bin/sh
# stepstone-host.sh - entrypoint of the `stepstone` scenario's SSH hosts
# (the stepping stone and the victim).
#
# At container start:
#   1. generates fresh host keys of the types in HOST_KEYS (drawn: some of
#      ed25519, ecdsa256/384/521, i.e. ECDSA on that NIST curve, and
#      rsa, 2048 bits), so no two runs share them;
#   2. creates the account HOST_USER with password HOST_PASSWORD (drawn by
#      detgen), a bash login shell and a home under /home (Debian's
#      skeleton dotfiles included, so the prompt is "user@host:~$ ");
#   3. HOST_HISTORY ("|"-separated lines), if set, becomes the account's
#      ~/.bash_history: what the user did before the attacker came (on the
#      stone, the ssh to the victim that the attacker finds);
#   4. HOST_SHARE, if set, is a folder of files copied into the home (the
#      victim's documents);
#   5. HTTP_PORT, if set, starts busybox httpd on that port serving
#      HOST_SHARE (the victim's intranet web server), as www-data;
#   6. runs sshd in the foreground, logging to stderr (sshd -D -e).
# stepstone-ready.sh (the service's `ready` check) passes once port 22 and
# HTTP_PORT listen, which is after all of the above.
set -eu

: "${HOST_USER:?HOST_USER must name the account}"
: "${HOST_PASSWORD:?HOST_PASSWORD must be set}"
home=/home/$HOST_USER

# sshd offers the keys it has (HostKey lines in detgen.conf name all three
# files; a missing one is skipped with a log line).
for t in ${HOST_KEYS:-ed25519 ecdsa256 rsa}; do
    case "$t" in
    ed25519) ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key ;;
    ecdsa256 | ecdsa384 | ecdsa521) ssh-keygen -q -t ecdsa -b "${t#ecdsa}" -N '' -f /etc/ssh/ssh_host_ecdsa_key ;;
    rsa) ssh-keygen -q -t rsa -b 2048 -N '' -f /etc/ssh/ssh_host_rsa_key ;;
    *) echo "stepstone-host: unknown host key type '$t'" >&2 && exit 1 ;;
    esac
done

# The drawn name may, rarely, be an account or group the image already has
# (root, daemon, man, sshd, ...): reuse it, with a home under /home and a
# login shell (the passwd entry is edited directly: usermod refuses
# accounts with running processes).
if id -u "$HOST_USER" >/dev/null 2>&1; then
    awk -F: -v OFS=: -v u="$HOST_USER" -v h="$home" \
        '$1 == u { $6 = h; $7 = "/bin/bash" } { print }' /etc/passwd >/etc/passwd.new
    cat /etc/passwd.new >/etc/passwd
    rm -f /etc/passwd.new
    mkdir -p "$home"
    cp -rn /etc/skel/. "$home/"
elif getent group "$HOST_USER" >/dev/null 2>&1; then
    useradd --create-home --home-dir "$home" --shell /bin/bash --gid "$HOST_USER" "$HOST_USER"
else
    useradd --create-home --home-dir "$home" --shell /bin/bash --user-group "$HOST_USER"
fi
printf '%s:%s\n' "$HOST_USER" "$HOST_PASSWORD" | chpasswd

if [ -n "${HOST_HISTORY:-}" ]; then
    printf '%s\n' "$HOST_HISTORY" | tr '|' '\n' >"$home/.bash_history"
    chmod 600 "$home/.bash_history"
fi
if [ -n "${HOST_SHARE:-}" ]; then
    find "$HOST_SHARE" -maxdepth 1 -type f -exec cp {} "$home/" \;
fi
chown -R "$HOST_USER:" "$home"
chmod 755 "$home"
echo "stepstone-host: $(hostname): account $HOST_USER ready with $(find "$home" -maxdepth 1 -type f -name '*.txt' | wc -l) file(s)"

if [ -n "${HTTP_PORT:-}" ]; then
    : "${HOST_SHARE:?HTTP_PORT needs HOST_SHARE, the folder to serve}"
    busybox httpd -f -vv -p "$HTTP_PORT" -u www-data -h "$HOST_SHARE" &
    echo "stepstone-host: httpd serves $HOST_SHARE on port $HTTP_PORT"
fi

mkdir -p /run/sshd
chmod 0755 /run/sshd
exec /usr/sbin/sshd -D -e
