#!/bin/sh
# victim.sh - the target of the `mirai` scenario: an "IoT device" made of
# BusyBox (Debian's busybox-static, the same multi-call binary such
# devices run), with a web interface (busybox httpd, port 80) and a telnet
# service (busybox telnetd with busybox login, port 23).
#
#   DEVICE_BANNER    the line telnetd shows before the login prompt
#   DEVICE_MODEL     the model named by the web page
#   DEVICE_ACCOUNTS  the device's telnet logins, space-separated user:password
#                    pairs (factory defaults from Mirai's list, or changed
#                    ones); root's is always among them
#
# Passwords are stored as SHA-512 crypt hashes (busybox login cannot read
# Debian's yescrypt); the accounts' shell is BusyBox ash. The service is
# ready once ports 80 and 23 listen.
set -eu

: "${DEVICE_ACCOUNTS:?DEVICE_ACCOUNTS must list user:password pairs}"
banner=${DEVICE_BANNER:-}
model=${DEVICE_MODEL:-IPCamera}

hash() {
    python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))' "$1"
}

set_password() { # user password
    h=$(hash "$2")
    awk -F: -v OFS=: -v u="$1" -v h="$h" '$1 == u { $2 = h } { print }' /etc/shadow >/etc/shadow.new
    cat /etc/shadow.new >/etc/shadow
    rm -f /etc/shadow.new
}

# root's shell is BusyBox's; every account gets its password
sed -i 's#^root:\([^:]*:[^:]*:[^:]*:[^:]*:[^:]*\):.*$#root:\1:/usr/local/bin/ash#' /etc/passwd
for account in $DEVICE_ACCOUNTS; do
    user=${account%%:*}
    if ! id -u "$user" >/dev/null 2>&1; then
        useradd --home-dir "/home/$user" --create-home --shell /usr/local/bin/ash "$user" 2>/dev/null ||
            useradd --home-dir "/home/$user" --create-home --shell /usr/local/bin/ash -g users "$user"
    fi
    set_password "$user" "${account#*:}"
done
printf '\r\n%s\r\n\r\n' "$banner" >/etc/issue.net
: >/etc/motd

mkdir -p /www
cat >/www/index.html <<EOF
<html><head><title>$model</title></head>
<body><h3>$model - Web Service</h3>
<form action="/login.cgi" method="post">User <input name="user"> Password <input name="pass" type="password">
<input type="submit" value="Login"></form></body></html>
EOF
echo "victim: $model, telnet accounts: $(for a in $DEVICE_ACCOUNTS; do printf '%s ' "${a%%:*}"; done)web on :80, telnet on :23"
/usr/local/sbin/httpd -p 80 -h /www
exec /usr/local/sbin/telnetd -F -K -f /etc/issue.net -l /usr/local/sbin/login
