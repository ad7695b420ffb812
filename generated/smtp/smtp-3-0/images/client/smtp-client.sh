#!/bin/bash
# smtp-client.sh - the workload of the `smtp` scenario.
#
# A user sends mail with s-nail (Debian's mailx, `mailx -s SUBJECT -c CC
# -b BCC -a FILE TO < body`) to the mailboxes of the server's domain.
# MAIL_TRANSPORT picks how s-nail hands the message over:
#   s-nail   its own SMTP client (mta=smtp://server:25): HELO, or EHLO
#            and STARTTLS when MAIL_TLS is yes;
#   msmtp    msmtp as the sendmail-style relay (mta=/usr/bin/msmtp, a
#            local "MTA" that forwards to server:25): EHLO, STARTTLS when
#            MAIL_TLS is yes.
# One SMTP session per message. Each body under /messages (sorted) is one
# message; with several, the subject gets " (i/N)". The first name in
# MAIL_USERS is the To recipient, the second Cc, the third Bcc. Files
# under /attachments are attached to every message, as they are
# (MAIL_ATTACH_FORMAT=plain) or gzip-compressed (gzip). MAIL_THINK
# seconds pass between two messages.
#
# MAIL_TASK:
#   send             send every message;
#   wrong-recipient  first send the first message with the To address
#                    mistyped (MAIL_WRONG_ADDRESS: an unknown user of the
#                    domain, refused with 550, or a mistyped domain,
#                    refused with 554 "Relay access denied"); s-nail gives
#                    up and nothing is delivered; then the user corrects
#                    the address and sends every message.
# Exit 0 when every session went as designed (accepted and queued, or
# refused at RCPT for the mistyped address), 1 otherwise. The server's
# mailcheck.py verifies the delivery itself.
set -euo pipefail

: "${MAIL_TASK:?MAIL_TASK must name the action}"
: "${MAIL_DOMAIN:?}" "${MAIL_USERS:?}" "${MAIL_SENDER:?}" "${MAIL_SUBJECT:?}"
SERVER=${SMTP_SERVER:-server}
TRANSPORT=${MAIL_TRANSPORT:-s-nail}
TLS=${MAIL_TLS:-no}
HELO=${MAIL_HELO:-$(hostname)}
THINK=${MAIL_THINK:-0}
FORMAT=${MAIL_ATTACH_FORMAT:-plain}
LOGS=/tmp/smtp-logs
OUTBOX=/tmp/outbox
mkdir -p "$LOGS" "$OUTBOX"

fail() {
    echo "smtp-client: FAILED ($MAIL_TASK): $*" >&2
    exit 1
}

case "$TRANSPORT" in s-nail | msmtp) ;; *) fail "MAIL_TRANSPORT must be s-nail or msmtp, not '$TRANSPORT'" ;; esac
case "$TLS" in yes | no) ;; *) fail "MAIL_TLS must be yes or no, not '$TLS'" ;; esac
case "$FORMAT" in plain | gzip) ;; *) fail "MAIL_ATTACH_FORMAT must be plain or gzip, not '$FORMAT'" ;; esac

read -r -a users <<<"$MAIL_USERS"
addr=("${users[@]/%/@$MAIL_DOMAIN}")
mapfile -t bodies < <(find /messages -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | LC_ALL=C sort)
[ ${#bodies[@]} -gt 0 ] || fail "no message bodies under /messages"

# The attachments, as the user attaches them.
attach=()
while IFS= read -r f; do
    [ -n "$f" ] || continue
    if [ "$FORMAT" = gzip ]; then
        gzip -n -c "/attachments/$f" >"$OUTBOX/$f.gz"
        attach+=(-a "$OUTBOX/$f.gz")
    else
        attach+=(-a "/attachments/$f")
    fi
done < <(find /attachments -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | LC_ALL=C sort)

# s-nail's settings: no resource files (-:/), v15 URL syntax, no SMTP
# AUTH, the client's host name in HELO/EHLO and Message-ID, and verbose
# (-vv) so that the SMTP dialogue lands in the session log.
snail=(s-nail -:/ -vv -S v15-compat -S smtp-auth=none -S "hostname=$HELO" -S sendwait -r "$MAIL_SENDER")
if [ "$TRANSPORT" = s-nail ]; then
    snail+=(-S "mta=smtp://$SERVER:25")
    [ "$TLS" = yes ] && snail+=(-S smtp-use-starttls -S tls-verify=ignore)
else
    # msmtp as the local relay ("sendmail") towards the server.
    cat >"$HOME/.msmtprc" <<EOC
defaults
logfile -
account default
host $SERVER
port 25
domain $HELO
auth off
tls $( [ "$TLS" = yes ] && echo on || echo off)
tls_starttls on
tls_certcheck off
EOC
    chmod 600 "$HOME/.msmtprc"
    snail+=(-S mta=/usr/bin/msmtp -S "mta-arguments=-v")
fi

# The SMTP dialogue of a session log, without the message itself.
dialogue() {
    grep -aE '(>>> |--> |<-- )(SERVER: )?([0-9]{3}[ -]|HELO |EHLO |MAIL FROM:|RCPT TO:|DATA$|QUIT$|STARTTLS$|RSET$)|Connecting to|TLS|SMTP server|message not sent|could not send|not accepted' "$1" |
        grep -avE '^(>>> |--> )(Date|From|To|Cc|Subject|Message-ID|User-Agent|MIME|Content)' || true
}

nsession=0
# send TO SUBJECT BODY: one message (and SMTP session); sets rc and log.
send() {
    local to=$1 subject=$2 body=$3 args=()
    nsession=$((nsession + 1))
    log="$LOGS/session-$nsession.log"
    [ ${#addr[@]} -ge 2 ] && args+=(-c "${addr[1]}")
    [ ${#addr[@]} -ge 3 ] && args+=(-b "${addr[2]}")
    rc=0
    "${snail[@]}" -s "$subject" "${args[@]}" "${attach[@]}" -. "$to" <"/messages/$body" >"$log.raw" 2>&1 || rc=$?
    tr -d '\r' <"$log.raw" >"$log" # msmtp ends its dialogue lines with CR LF
    echo "---- session $nsession: '$subject' to $to ($TRANSPORT, TLS $TLS) exited $rc"
    dialogue "$log"
}

# Checks that a session's message was accepted and queued.
accepted() {
    if [ "$rc" -ne 0 ]; then
        tail -n 20 "$log" >&2
        fail "session $nsession: s-nail exited $rc"
    fi
    grep -aqE '250 .*queued as' "$log" || fail "session $nsession: no 'queued as' reply"
    if [ "$TLS" = yes ]; then
        grep -aqE '(>>> |--> )STARTTLS$' "$log" || fail "session $nsession: no STARTTLS"
        grep -aqE '220 2.0.0 Ready to start TLS' "$log" || fail "session $nsession: STARTTLS was not accepted"
    fi
}

send_all() {
    local i=0 n=${#bodies[@]} subject
    for b in "${bodies[@]}"; do
        i=$((i + 1))
        if [ "$n" -eq 1 ]; then subject=$MAIL_SUBJECT; else subject="$MAIL_SUBJECT ($i/$n)"; fi
        send "${addr[0]}" "$subject" "$b"
        accepted
        [ "$i" -lt "$n" ] && sleep "$THINK"
    done
    echo "smtp-client: $n message(s) accepted for ${addr[*]}"
}

case "$MAIL_TASK" in
send) send_all ;;
wrong-recipient)
    : "${MAIL_WRONG_ADDRESS:?MAIL_WRONG_ADDRESS must be the mistyped address}"
    [ "$MAIL_WRONG_ADDRESS" != "${addr[0]}" ] || fail "the mistyped address is the right one"
    n=${#bodies[@]}
    if [ "$n" -eq 1 ]; then subject=$MAIL_SUBJECT; else subject="$MAIL_SUBJECT (1/$n)"; fi
    send "$MAIL_WRONG_ADDRESS" "$subject" "${bodies[0]}"
    [ "$rc" -ne 0 ] || fail "the mail to $MAIL_WRONG_ADDRESS was accepted"
    grep -aqE '(SERVER: |<-- )55[04] ' "$log" || fail "no 550/554 refusal for $MAIL_WRONG_ADDRESS"
    grep -aqE 'queued as' "$log" && fail "the mail to $MAIL_WRONG_ADDRESS was queued"
    echo "smtp-client: $MAIL_WRONG_ADDRESS was refused; correcting it to ${addr[0]}"
    sleep "$THINK"
    send_all
    ;;
*) fail "unknown MAIL_TASK '$MAIL_TASK'" ;;
esac
