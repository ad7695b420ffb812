#!/bin/bash
# smtp-server.sh - entrypoint of the `smtp` scenario's mail server.
#
# At container start:
#   1. writes the drawn mail domain MAIL_DOMAIN into Postfix's main.cf
#      (host name mail.$MAIL_DOMAIN);
#   2. creates one virtual mailbox per name in MAIL_USERS (Maildirs under
#      /var/mail/vhosts/$MAIL_DOMAIN/, owned by the vmail account): every
#      other address of the domain is unknown and refused at RCPT;
#   3. makes a fresh self-signed certificate for STARTTLS (key type
#      MAIL_CERT_KEY);
#   4. starts Postfix in the foreground (postfix start-fg), logging to
#      stdout, and once port 25 listens the service counts as ready;
#   5. runs mailcheck.py, which waits until every mailbox holds the
#      messages the client was drawn to send (bodies under
#      /expected/messages, attachments under /expected/attachments) and
#      checks them: sender, subject, body, attachments, Bcc hidden, and
#      whether they came over TLS (MAIL_TLS);
#   6. waits until no SMTP connection is left open, stops Postfix and
#      exits with the check's status.
# So this service is a workload too: it exits 0 only when the mail really
# arrived as designed, and 1 when it did not within MAIL_CHECK_TIMEOUT
# seconds.
set -euo pipefail

: "${MAIL_DOMAIN:?MAIL_DOMAIN must name the mail domain}"
: "${MAIL_USERS:?MAIL_USERS must list the mailboxes}"
TIMEOUT=${MAIL_CHECK_TIMEOUT:-40}
BASE=/var/mail/vhosts

postconf -e "myhostname = mail.$MAIL_DOMAIN" "virtual_mailbox_domains = $MAIL_DOMAIN"

# The mailboxes: "user@domain domain/user/" (the trailing / means Maildir).
mkdir -p "$BASE/$MAIL_DOMAIN"
: >/etc/postfix/vmailbox
for u in $MAIL_USERS; do
    printf '%s@%s %s/%s/\n' "$u" "$MAIL_DOMAIN" "$MAIL_DOMAIN" "$u" >>/etc/postfix/vmailbox
done
chown -R vmail:vmail "$BASE"
echo "smtp-server: domain $MAIL_DOMAIN, mailboxes: $MAIL_USERS"

# A fresh certificate for STARTTLS in every run, with the drawn key type.
case "${MAIL_CERT_KEY:-rsa2048}" in
rsa2048) newkey=(-newkey rsa:2048) ;;
ecdsa-p256) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1) ;;
ecdsa-p384) newkey=(-newkey ec -pkeyopt ec_paramgen_curve:secp384r1) ;;
*) echo "smtp-server: unknown MAIL_CERT_KEY '$MAIL_CERT_KEY'" >&2; exit 1 ;;
esac
mkdir -p /etc/postfix/tls
openssl req -x509 "${newkey[@]}" -nodes -days 30 -subj "/CN=mail.$MAIL_DOMAIN" \
    -keyout /etc/postfix/tls/server.key -out /etc/postfix/tls/server.crt 2>/dev/null
chmod 600 /etc/postfix/tls/server.key

# The image's installation was checked when it was built (postfix check):
# Postfix's quick-start marker skips the slow integrity checks at start.
touch /var/spool/postfix/quick-start
postfix start-fg &
master=$!

rc=0
python3 /usr/local/bin/mailcheck.py --base "$BASE/$MAIL_DOMAIN" --timeout "$TIMEOUT" || rc=$?

# Let the client finish its last session (QUIT) before stopping: wait
# while a connection to port 25 (hex 0019) is ESTABLISHED (state 01).
for _ in $(seq 100); do
    awk '$2 ~ /:0019$/ && $4 == "01" { found = 1 } END { exit !found }' /proc/net/tcp || break
    sleep 0.1
done
sleep 0.5
postfix stop >/dev/null 2>&1 || true
wait "$master" 2>/dev/null || true
echo "smtp-server: mail check exited $rc"
exit "$rc"
