#!/bin/bash
# ftp-client.sh - the workload of the `ftp` scenario.
#
# Plays one plain-FTP session against the server with tnftp (Debian's
# `ftp`), scripted non-interactively: `ftp -n -v -i` reads its commands on
# stdin, logs in with an explicit `user` command (USER/PASS on the wire)
# and prints every server reply, which is kept as a transcript. Between
# commands the user "thinks" for FTP_THINK seconds (`!sleep`, local only).
#
# The action comes from FTP_TASK (one per subscenario):
#   get           download FTP_FILE
#   mget          download every file (mget *)
#   delete        delete FTP_FILE
#   mdelete       delete every file (mdelete *)
#   mkdir-put     mkdir FTP_DIR, cd into it, upload FTP_FILE
#   mkdir-rename  mkdir FTP_DIR, rename it to FTP_NEW_DIR
#   put           upload FTP_FILE
#   put-get       upload FTP_FILE, download it back
#   mput          upload every local file (mput *)
#   dir-cycle     mkdir FTP_DIR, cd, mput *, mdelete *, cd .., chmod
#                 FTP_DIR_MODE FTP_DIR, rmdir FTP_DIR
#   bad-login     log in as FTP_LOGIN_USER / FTP_LOGIN_PASSWORD (wrong),
#                 then try to download FTP_FILE anyway
#   listing       pwd, ls, nlist, dir, then size and modtime of every file
# FTP_MODE (active|passive) and FTP_DATA_COMMANDS (classic: PORT/PASV,
# extended: EPRT/EPSV) choose how data connections are opened.
#
# Afterwards the outcome is checked: the server's reply codes in the
# transcript (every expected success, no unexpected 4xx/5xx, the data
# connections in the requested mode) and the local files (downloads equal
# byte for byte the originals: the server's files are mounted read-only at
# /expected, the client's own at /upload). Exit 0 when the session played
# out as designed - for bad-login that means the login was refused and
# nothing was downloaded - and 1 otherwise, with the transcript on stderr.
set -euo pipefail

: "${FTP_TASK:?FTP_TASK must name the action}"
: "${FTP_USER:?}" "${FTP_PASSWORD:?}"
SERVER=${FTP_SERVER:-server}
MODE=${FTP_MODE:-active}
DATA_COMMANDS=${FTP_DATA_COMMANDS:-classic}
THINK=${FTP_THINK:-0}
EXPECTED=/expected # the server's shared files, for checking downloads
UPLOAD=/upload     # the client's own files
OUTBOX=/root/outbox # local working copy of the client's files (uploads)
INBOX=/root/inbox   # downloads
LOG=/tmp/ftp-session.log       # everything tnftp printed
REPLIES=/tmp/ftp-replies.log   # only the server's replies ("NNN text")

fail() {
    echo "ftp-client: FAILED ($FTP_TASK): $*" >&2
    if [ -s "$LOG" ]; then
        echo "---- session transcript ----" >&2
        cat "$LOG" >&2
    fi
    exit 1
}

case "$MODE" in active | passive) ;; *) fail "FTP_MODE must be active or passive, not '$MODE'" ;; esac
case "$DATA_COMMANDS" in
classic) EPSV=off ;;
extended) EPSV=on ;;
*) fail "FTP_DATA_COMMANDS must be classic or extended, not '$DATA_COMMANDS'" ;;
esac

mkdir -p "$OUTBOX" "$INBOX"
find "$UPLOAD" -maxdepth 1 -type f -exec cp -p {} "$OUTBOX/" \; 2>/dev/null || true

# Names of the server's and the client's files, sorted.
mapfile -t server_files < <(find "$EXPECTED" -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | sort)
mapfile -t local_files < <(find "$OUTBOX" -maxdepth 1 -type f -printf '%f\n' | sort)

# ---- the session script -------------------------------------------------
cmds=()
# A command the user types, followed by a pause.
say() {
    cmds+=("$1")
    cmds+=("!sleep $THINK")
}
# A local setting or command (or the last one), no pause.
add() { cmds+=("$1"); }

need_var() { [ -n "${!1:-}" ] || fail "$1 must be set for task $FTP_TASK"; }

login_user=$FTP_USER
login_password=$FTP_PASSWORD
if [ "$FTP_TASK" = bad-login ]; then
    need_var FTP_LOGIN_USER
    need_var FTP_LOGIN_PASSWORD
    login_user=$FTP_LOGIN_USER
    login_password=$FTP_LOGIN_PASSWORD
    if [ "$login_user" = "$FTP_USER" ] && [ "$login_password" = "$FTP_PASSWORD" ]; then
        fail "the 'wrong' credentials are the right ones; nothing to test"
    fi
fi

if [ "$MODE" = passive ]; then add "passive on"; else add "passive off"; fi
add "epsv4 $EPSV"
add "lcd $OUTBOX"
say "open $SERVER"
say "user $login_user $login_password"

# Expected counts, checked against the transcript below.
want_226=0     # completed data transfers (RETR, STOR, LIST, NLST); tnftp
               # hides the replies of the NLST behind mget/mdelete globs
want_dele=0    # 250 Delete operation successful
want_mkd=0     # 257 "..." created
want_cwd=0     # 250 Directory successfully changed
want_rename=0  # 250 Rename successful
want_chmod=0   # 200 SITE CHMOD command ok
want_rmd=0     # 250 Remove directory operation successful
downloads=()   # "downloaded-file original-file" pairs to compare
uploads=()     # local files whose size must show in "N bytes sent"

case "$FTP_TASK" in
get)
    need_var FTP_FILE
    add "lcd $INBOX"
    say "get $FTP_FILE"
    want_226=1
    downloads+=("$INBOX/$FTP_FILE $EXPECTED/$FTP_FILE")
    ;;
mget)
    add "lcd $INBOX"
    say "mget *"
    want_226=${#server_files[@]} # one RETR per file (the NLST is not shown)
    for f in "${server_files[@]}"; do downloads+=("$INBOX/$f $EXPECTED/$f"); done
    ;;
delete)
    need_var FTP_FILE
    say "delete $FTP_FILE"
    want_dele=1
    ;;
mdelete)
    say "mdelete *"
    want_dele=${#server_files[@]} # (the NLST's replies are not shown)
    ;;
mkdir-put)
    need_var FTP_DIR
    need_var FTP_FILE
    say "mkdir $FTP_DIR"
    say "cd $FTP_DIR"
    say "put $FTP_FILE"
    want_mkd=1 want_cwd=1 want_226=1
    uploads+=("$OUTBOX/$FTP_FILE")
    ;;
mkdir-rename)
    need_var FTP_DIR
    need_var FTP_NEW_DIR
    say "mkdir $FTP_DIR"
    say "rename $FTP_DIR $FTP_NEW_DIR"
    want_mkd=1 want_rename=1
    ;;
put)
    need_var FTP_FILE
    say "put $FTP_FILE"
    want_226=1
    uploads+=("$OUTBOX/$FTP_FILE")
    ;;
put-get)
    need_var FTP_FILE
    say "put $FTP_FILE"
    add "lcd $INBOX"
    say "get $FTP_FILE"
    want_226=2
    uploads+=("$OUTBOX/$FTP_FILE")
    downloads+=("$INBOX/$FTP_FILE $OUTBOX/$FTP_FILE")
    ;;
mput)
    say "mput *"
    want_226=${#local_files[@]}
    for f in "${local_files[@]}"; do uploads+=("$OUTBOX/$f"); done
    ;;
dir-cycle)
    need_var FTP_DIR
    need_var FTP_DIR_MODE
    say "mkdir $FTP_DIR"
    say "cd $FTP_DIR"
    say "mput *"
    say "mdelete *"
    say "cd .."
    say "chmod $FTP_DIR_MODE $FTP_DIR"
    say "rmdir $FTP_DIR"
    want_mkd=1 want_cwd=2 want_chmod=1 want_rmd=1
    want_226=${#local_files[@]} # STOR per file (mdelete's NLST is not shown)
    want_dele=${#local_files[@]}
    for f in "${local_files[@]}"; do uploads+=("$OUTBOX/$f"); done
    ;;
bad-login)
    need_var FTP_FILE
    add "lcd $INBOX"
    say "get $FTP_FILE"
    ;;
listing)
    say "pwd"
    say "ls"
    say "nlist"
    say "dir"
    for f in "${server_files[@]}"; do
        say "size $f"
        say "modtime $f"
    done
    want_226=3 # LIST, NLST, LIST
    ;;
*)
    fail "unknown FTP_TASK '$FTP_TASK'"
    ;;
esac
add "bye"

# ---- run it ---------------------------------------------------------------
echo "ftp-client: task $FTP_TASK, $MODE mode, $DATA_COMMANDS data commands, think ${THINK}s, server $SERVER"
rc=0
printf '%s\n' "${cmds[@]}" | timeout 45 ftp -n -v -i -e -q 20 >"$LOG" 2>&1 || rc=$?
# tnftp exits 0 even when commands fail; a non-zero status means it was
# killed by the timeout or crashed.
[ "$rc" -eq 0 ] || fail "ftp exited with status $rc"
cat "$LOG"

# ---- check the outcome ----------------------------------------------------
# Server replies start with a 3-digit code and a space or '-'; tnftp's
# transfer summaries ("429 bytes received in ...") look alike.
grep -E '^[1-5][0-9]{2}( |-)' "$LOG" | grep -v -E '^[0-9]+ bytes (received|sent) in ' >"$REPLIES" || true
count() { grep -c -E -e "$1" "$REPLIES" || true; }
expect() { # expect N REGEX WHAT
    local n
    n=$(count "$2")
    [ "$n" -eq "$1" ] || fail "expected $1 x $3, saw $n (/$2/)"
}

expect 1 '^220 ' "server greeting (220)"
expect 1 '^221 ' "goodbye (221)"
# tnftp's own errors: "Not connected." or "ftp: ...". After a refused PORT
# (bad-login) tnftp retries its data socket and may report that it cannot
# bind it again; that belongs to the designed failure.
allowed_local_error='^$'
[ "$FTP_TASK" != bad-login ] || allowed_local_error="^ftp: Can't bind for data connection"
if grep -E '^(Not connected\.|ftp: )' "$LOG" | grep -q -v -E -e "$allowed_local_error"; then
    fail "the client reported a connection or local error"
fi

if [ "$FTP_TASK" = bad-login ]; then
    expect 1 '^530 Login incorrect' "refused login (530 Login incorrect)"
    expect 0 '^230 ' "successful login (230)"
    [ "$(count '^530 Please login with USER and PASS')" -ge 1 ] ||
        fail "the download attempt was not refused with 530"
    expect 0 '^226 ' "completed transfer (226)"
    if grep -E '^[45][0-9][0-9] ' "$REPLIES" | grep -q -v -E '^530 '; then
        fail "unexpected error reply (only 530 is expected)"
    fi
    [ ! -s "$INBOX/$FTP_FILE" ] || fail "$FTP_FILE was downloaded without a login"
    echo "ftp-client: OK: login as '$login_user' refused, download refused"
    exit 0
fi

expect 1 '^230 ' "successful login (230)"
if grep -q -E '^[45][0-9][0-9] ' "$REPLIES"; then
    fail "unexpected error reply: $(grep -E '^[45][0-9][0-9] ' "$REPLIES" | head -1)"
fi
expect "$want_226" '^226 ' "completed data transfer (226)"
expect "$want_dele" '^250 Delete operation successful' "DELE success (250)"
expect "$want_mkd" '^257 ".*" created' "MKD success (257)"
expect "$want_cwd" '^250 Directory successfully changed' "CWD success (250)"
expect "$want_rename" '^250 Rename successful' "RNTO success (250)"
expect "$want_chmod" '^200 SITE CHMOD command ok' "SITE CHMOD success (200)"
expect "$want_rmd" '^250 Remove directory operation successful' "RMD success (250)"

# Data connections in the requested mode and command family.
if [ "$want_226" -gt 0 ]; then
    case "$MODE/$DATA_COMMANDS" in
    active/classic) expect "$want_226" '^200 PORT command successful' "PORT (active, classic)" ;;
    active/extended) expect "$want_226" '^200 EPRT command successful' "EPRT (active, extended)" ;;
    passive/classic) expect "$want_226" '^227 Entering Passive Mode' "PASV (passive, classic)" ;;
    passive/extended) expect "$want_226" '^229 Entering Extended Passive Mode' "EPSV (passive, extended)" ;;
    esac
fi

for pair in "${downloads[@]}"; do
    read -r got orig <<<"$pair"
    [ -f "$got" ] || fail "download $got is missing"
    cmp -s "$got" "$orig" || fail "download $got differs from $orig"
done
for f in "${uploads[@]}"; do
    size=$(stat -c %s "$f")
    # (tnftp prints no summary for an empty file)
    [ "$size" -eq 0 ] || grep -q -E "^$size bytes sent in " "$LOG" ||
        fail "no '$size bytes sent' line for $f"
done

if [ "$FTP_TASK" = listing ]; then
    grep -q '^Remote directory: /' "$LOG" || fail "pwd printed no remote directory"
    for f in "${server_files[@]}"; do
        # ls and dir print "-rw-r--r-- ... name", nlist prints "name".
        [ "$(grep -c -E -e " $f\$" "$LOG")" -eq 2 ] || fail "LIST output lacks $f"
        grep -q -x -F -e "$f" "$LOG" || fail "NLST output lacks $f"
        size=$(stat -c %s "$EXPECTED/$f")
        grep -q -x -F -e "$f	$size" "$LOG" || fail "size of $f is not $size"
        grep -q -E -e "^$f	[A-Z][a-z]{2}, " "$LOG" || fail "no modtime for $f"
    done
fi

echo "ftp-client: OK: $FTP_TASK played out as designed"
