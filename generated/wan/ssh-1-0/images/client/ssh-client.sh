#!/bin/bash
# ssh-client.sh - the workload of the `ssh` scenario.
#
# Plays one user's work against the OpenSSH server with OpenSSH's own
# client tools. The password is typed by sshpass (read from $SSHPASS, so it
# never shows in a process list); host keys are accepted without a prompt
# and not remembered (StrictHostKeyChecking=no, UserKnownHostsFile=/dev/null).
# Between actions the user "thinks" for SSH_THINK seconds.
#
# The action comes from SSH_TASK (one per subscenario):
#   download        scp every file of the server's home to the client
#   upload          scp every local file to the server's home, then check
#                   the copies with `sha256sum` over ssh
#   commands        run the remote commands named in SSH_COMMANDS (keys of
#                   the table in remote_command below; the ones reading a
#                   file read SSH_FILE, one of the server's files) in an
#                   SSH_SESSION:
#                     separate     one `ssh user@server CMD` connection each
#                     multiplexed  one master connection (ControlMaster),
#                                  one channel per command
#                     shell        one interactive login shell on a pty; the
#                                  commands are typed key by key, SSH_TYPING
#                                  seconds per key, after each prompt
#   wrong-password  scp SSH_FILE with the wrong password SSH_LOGIN_PASSWORD,
#                   SSH_ATTEMPTS times (one connection per attempt)
#   keyscan         ssh-keyscan the server for SSH_KEY_TYPES ("default":
#                   ssh-keyscan's own choice)
# scp speaks SSH_SCP_PROTOCOL: sftp (OpenSSH 9's default) or legacy (the
# old rcp-style protocol, `scp -O`); SSH_TRANSFER says whether every file
# gets its own scp (each) or one scp moves them all (together).
# SSH_CIPHER, SSH_KEX, SSH_MAC and SSH_HOST_KEY are put at the head of the
# client's default algorithm lists (`-o Ciphers=^...`), so the client still
# offers everything it normally does but the server settles on these.
#
# Afterwards the outcome is checked: downloads equal the server's originals
# (mounted read-only at /expected) byte for byte; uploads have the local
# files' checksums on the server; each command's output is what the command
# must print (exact where it is determined, e.g. whoami, sha256sum, cat; key
# contents otherwise, e.g. "load average" for uptime); every connection
# negotiated the drawn algorithms and authenticated (ssh -v's log); the
# wrong password is refused every time (sshpass exit 5, "Permission
# denied") and nothing is downloaded; ssh-keyscan returns one valid key of
# each asked type. Exit 0 when the work played out as designed (for
# wrong-password: refused), 1 otherwise, with the logs on stderr.
set -euo pipefail

: "${SSH_TASK:?SSH_TASK must name the action}"
: "${SSH_USER:?}" "${SSH_PASSWORD:?}"
SERVER=${SSH_SERVER:-server}
THINK=${SSH_THINK:-0}
EXPECTED=/expected # the server's files, for checking downloads and outputs
UPLOAD=/upload     # the client's own files
INBOX=/root/inbox  # downloads
LOGS=/tmp/ssh-logs # one ssh -v log per connection, plus outputs
HOME_DIR=/home/$SSH_USER
export TERM=xterm # as from a terminal emulator; sent with pty requests

mkdir -p "$INBOX" "$LOGS"
cd /root

fail() {
    echo "ssh-client: FAILED ($SSH_TASK): $*" >&2
    for f in "$LOGS"/*; do
        [ -f "$f" ] || continue
        case "$f" in *.log.txt) continue ;; esac # CR-stripped copies
        echo "---- $f ----" >&2
        head -c 20000 "$f" >&2
        echo >&2
    done
    exit 1
}
need_var() { [ -n "${!1:-}" ] || fail "$1 must be set for task $SSH_TASK"; }
think() { sleep "$THINK"; }

# ---- ssh options -----------------------------------------------------------
opts=(-v -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=10)
# "VAR option": each drawn algorithm goes to the head of its default list.
for pair in "SSH_CIPHER Ciphers" "SSH_KEX KexAlgorithms" "SSH_MAC MACs" "SSH_HOST_KEY HostKeyAlgorithms"; do
    var=${pair% *}
    opt=${pair#* }
    val=${!var:-default}
    [ "$val" = default ] || opts+=(-o "$opt=^$val")
done
case "${SSH_SCP_PROTOCOL:-sftp}" in
sftp) scp_opts=() ;;
legacy) scp_opts=(-O) ;;
*) fail "SSH_SCP_PROTOCOL must be sftp or legacy, not '$SSH_SCP_PROTOCOL'" ;;
esac
TRANSFER=${SSH_TRANSFER:-together}
case "$TRANSFER" in each | together) ;; *) fail "SSH_TRANSFER must be each or together, not '$TRANSFER'" ;; esac

# A fresh log file for the next connection.
nlog=0
next_log() {
    nlog=$((nlog + 1))
    log="$LOGS/conn-$nlog.log"
}

# Check one connection's ssh -v log: it authenticated (unless $2 is
# "refused") and settled on the drawn algorithms.
check_connection() {
    local l=$1.txt want=${2:-accepted} cipher=${SSH_CIPHER:-default} mac=${SSH_MAC:-default}
    tr -d '\r' <"$1" >"$l" # ssh ends its log lines with CR LF
    grep -q '^debug1: Remote protocol version 2.0, remote software version OpenSSH' "$l" ||
        fail "$l: no OpenSSH banner from the server"
    if [ "$want" = refused ]; then
        grep -q '^Authenticated to ' "$l" && fail "$l: the wrong password was accepted"
        grep -q 'Permission denied' "$l" || fail "$l: no 'Permission denied'"
    else
        grep -q '^Authenticated to .* using "password"' "$l" ||
            fail "$l: not authenticated with the password"
    fi
    [ "${SSH_KEX:-default}" = default ] || grep -qxF "debug1: kex: algorithm: $SSH_KEX" "$l" ||
        fail "$l: key exchange is not $SSH_KEX"
    [ "${SSH_HOST_KEY:-default}" = default ] ||
        grep -qxF "debug1: kex: host key algorithm: $SSH_HOST_KEY" "$l" ||
        fail "$l: host key algorithm is not $SSH_HOST_KEY"
    if [ "$cipher" != default ]; then
        # AEAD ciphers carry their own integrity: the MAC is "<implicit>".
        case "$cipher" in chacha20-poly1305* | *-gcm@openssh.com) mac='<implicit>' ;; esac
        for dir in 'client->server' 'server->client'; do
            if [ "$mac" = default ]; then
                grep -q "^debug1: kex: $dir cipher: $cipher MAC: " "$l"
            else
                grep -qF "debug1: kex: $dir cipher: $cipher MAC: $mac compression" "$l"
            fi || fail "$l: $dir is not $cipher / $mac"
        done
    fi
}

# Run a command under sshpass with the account's password (or $2's), its
# stderr (ssh -v) into a fresh log; sets rc.
with_password() {
    local pw=$1
    shift
    next_log
    rc=0
    SSHPASS=$pw sshpass -e "$@" 2>"$log" || rc=$?
}

# The server's file names, sorted as the server's `ls` sorts them (C locale).
mapfile -t server_files < <(find "$EXPECTED" -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | LC_ALL=C sort)
mapfile -t local_files < <(find "$UPLOAD" -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | LC_ALL=C sort)
safe_name() { [[ $1 =~ ^[A-Za-z0-9._-]+$ ]] || fail "unexpected file name '$1'"; }
for f in "${server_files[@]}" "${local_files[@]}"; do safe_name "$f"; done

# ---- remote commands -------------------------------------------------------
# The command line a key stands for.
remote_command() {
    case "$1" in
    whoami) echo "whoami" ;;
    id) echo "id" ;;
    pwd) echo "pwd" ;;
    hostname) echo "hostname" ;;
    uname) echo "uname -a" ;;
    os-release) echo "cat /etc/os-release" ;;
    ls) echo "ls -1" ;;
    ls-la) echo "ls -la" ;;
    wc) echo "wc -c $FILE" ;;
    sha256sum) echo "sha256sum $FILE" ;;
    md5sum) echo "md5sum $FILE" ;;
    head) echo "head -n 5 $FILE" ;;
    cat) echo "cat $FILE" ;;
    df) echo "df -h" ;;
    free) echo "free -m" ;;
    uptime) echo "uptime" ;;
    ps) echo "ps aux" ;;
    date) echo "date" ;;
    env) echo "env" ;;
    w) echo "w" ;;
    *) return 1 ;;
    esac
}

# The exact output of a key's command, where it is determined; status 1
# where it is not.
exact_output() {
    case "$1" in
    whoami) echo "$SSH_USER" ;;
    pwd) echo "$HOME_DIR" ;;
    hostname) echo "$SERVER" ;;
    os-release) cat /etc/os-release ;; # the same base image on both sides
    ls) printf '%s\n' "${server_files[@]}" ;;
    wc) echo "$(stat -c %s "$EXPECTED/$FILE") $FILE" ;;
    sha256sum) (cd "$EXPECTED" && sha256sum "$FILE") ;;
    md5sum) (cd "$EXPECTED" && md5sum "$FILE") ;;
    head) head -n 5 "$EXPECTED/$FILE" ;;
    cat) cat "$EXPECTED/$FILE" ;;
    *) return 1 ;;
    esac
}

# Lines the output must contain (one per line), for every key; for the
# determined ones a part of the exact output that survives a terminal.
needles() {
    case "$1" in
    whoami | pwd | hostname | wc | sha256sum | md5sum) exact_output "$1" ;;
    os-release) head -n 1 /etc/os-release ;;
    ls | ls-la) printf '%s\n' "${server_files[@]}" ;;
    head | cat) head -n 1 "$EXPECTED/$FILE" ;;
    id) printf 'uid=\n(%s)\n' "$SSH_USER" ;;
    uname) echo "Linux $SERVER " ;;
    df) echo "Filesystem" ;;
    free) echo "Mem:" ;;
    uptime | w) echo "load average" ;;
    ps) echo "sshd" ;;
    date) date -u +%Y ;;
    env) echo "USER=$SSH_USER" ;;
    *) return 1 ;;
    esac
}

# Check a command's output file: exactly right if $3 is "exact" and the
# output is determined, else containing every needle.
check_output() {
    local key=$1 out=$2 how=$3 n
    if [ "$how" = exact ] && exact_output "$key" >"$LOGS/expected-$key"; then
        # $(...) drops trailing newlines on both sides, as a terminal would.
        [ "$(cat "$out")" = "$(cat "$LOGS/expected-$key")" ] ||
            fail "output of '$(remote_command "$key")' differs from the expected $LOGS/expected-$key (got $LOGS/${out##*/})"
        return 0
    fi
    while IFS= read -r n; do
        [ -z "$n" ] && continue
        grep -qF -- "$n" "$out" || fail "output of '$(remote_command "$key")' lacks '$n'"
    done < <(needles "$key")
}

# ---- the tasks -------------------------------------------------------------
download() {
    local f
    if [ ${#server_files[@]} -eq 0 ]; then fail "the server has no files to download"; fi
    if [ "$TRANSFER" = each ]; then
        for f in "${server_files[@]}"; do
            with_password "$SSH_PASSWORD" scp "${scp_opts[@]}" "${opts[@]}" "$SSH_USER@$SERVER:$f" "$INBOX/"
            [ "$rc" -eq 0 ] || fail "scp of $f exited $rc"
            check_connection "$log"
            think
        done
    else
        # The remote side expands the pattern (the shell in legacy mode,
        # scp's sftp glob otherwise): one connection for all files.
        with_password "$SSH_PASSWORD" scp "${scp_opts[@]}" "${opts[@]}" "$SSH_USER@$SERVER:*.txt" "$INBOX/"
        [ "$rc" -eq 0 ] || fail "scp of *.txt exited $rc"
        check_connection "$log"
    fi
    for f in "${server_files[@]}"; do
        [ -f "$INBOX/$f" ] || fail "$f was not downloaded"
        [ "$(stat -c %s "$INBOX/$f")" = "$(stat -c %s "$EXPECTED/$f")" ] ||
            fail "$f has $(stat -c %s "$INBOX/$f") bytes, not $(stat -c %s "$EXPECTED/$f")"
        cmp -s "$INBOX/$f" "$EXPECTED/$f" || fail "$f differs from the server's copy"
    done
    local got
    got=$(find "$INBOX" -maxdepth 1 -type f | wc -l)
    [ "$got" -eq ${#server_files[@]} ] || fail "$got files downloaded, not ${#server_files[@]}"
    echo "ssh-client: downloaded ${#server_files[@]} file(s) ($TRANSFER, ${SSH_SCP_PROTOCOL:-sftp})"
}

upload() {
    local f
    if [ ${#local_files[@]} -eq 0 ]; then fail "the client has no files to upload"; fi
    if [ "$TRANSFER" = each ]; then
        for f in "${local_files[@]}"; do
            with_password "$SSH_PASSWORD" scp "${scp_opts[@]}" "${opts[@]}" "$UPLOAD/$f" "$SSH_USER@$SERVER:"
            [ "$rc" -eq 0 ] || fail "scp of $f exited $rc"
            check_connection "$log"
            think
        done
    else
        with_password "$SSH_PASSWORD" scp "${scp_opts[@]}" "${opts[@]}" "${local_files[@]/#/$UPLOAD/}" "$SSH_USER@$SERVER:"
        [ "$rc" -eq 0 ] || fail "scp of ${#local_files[@]} file(s) exited $rc"
        check_connection "$log"
        think
    fi
    # The user checks the copies on the server.
    with_password "$SSH_PASSWORD" ssh "${opts[@]}" "$SSH_USER@$SERVER" "sha256sum ${local_files[*]}" >"$LOGS/remote-sums"
    [ "$rc" -eq 0 ] || fail "remote sha256sum exited $rc"
    check_connection "$log"
    (cd "$UPLOAD" && sha256sum "${local_files[@]}") >"$LOGS/local-sums"
    cmp -s "$LOGS/remote-sums" "$LOGS/local-sums" ||
        fail "the server's copies differ from the local files ($LOGS/remote-sums vs $LOGS/local-sums)"
    echo "ssh-client: uploaded ${#local_files[@]} file(s) ($TRANSFER, ${SSH_SCP_PROTOCOL:-sftp})"
}

commands() {
    need_var SSH_COMMANDS
    need_var FILE
    safe_name "$FILE"
    [ -f "$EXPECTED/$FILE" ] || fail "SSH_FILE $FILE is not one of the server's files"
    local session=${SSH_SESSION:-separate} keys key cmd i=0
    read -r -a keys <<<"$SSH_COMMANDS"
    [ ${#keys[@]} -gt 0 ] || fail "SSH_COMMANDS names no command"
    for key in "${keys[@]}"; do remote_command "$key" >/dev/null || fail "unknown command key '$key'"; done
    case "$session" in
    separate)
        for key in "${keys[@]}"; do
            i=$((i + 1))
            cmd=$(remote_command "$key")
            with_password "$SSH_PASSWORD" ssh "${opts[@]}" "$SSH_USER@$SERVER" "$cmd" >"$LOGS/out-$i-$key"
            [ "$rc" -eq 0 ] || fail "'$cmd' exited $rc"
            check_connection "$log"
            check_output "$key" "$LOGS/out-$i-$key" exact
            think
        done
        ;;
    multiplexed)
        local cm=/tmp/ssh-control master_log pid
        next_log
        master_log=$log
        SSHPASS=$SSH_PASSWORD sshpass -e ssh "${opts[@]}" -o ControlMaster=yes -o ControlPath="$cm" \
            -N "$SSH_USER@$SERVER" 2>"$master_log" &
        pid=$!
        for _ in $(seq 100); do
            ssh -o ControlPath="$cm" -O check "$SSH_USER@$SERVER" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || fail "the master connection ended early"
            sleep 0.1
        done
        ssh -o ControlPath="$cm" -O check "$SSH_USER@$SERVER" 2>/dev/null ||
            fail "the master connection did not come up"
        check_connection "$master_log"
        think
        for key in "${keys[@]}"; do
            i=$((i + 1))
            cmd=$(remote_command "$key")
            rc=0
            ssh -o ControlPath="$cm" "$SSH_USER@$SERVER" "$cmd" >"$LOGS/out-$i-$key" 2>"$LOGS/mux-$i.log" || rc=$?
            [ "$rc" -eq 0 ] || fail "'$cmd' exited $rc"
            check_output "$key" "$LOGS/out-$i-$key" exact
            think
        done
        ssh -o ControlPath="$cm" -O exit "$SSH_USER@$SERVER" 2>/dev/null || fail "the master did not exit on request"
        # A master told to exit ends with status 255; a wait too long is not.
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && fail "the master connection did not end"
        wait "$pid" || true
        ;;
    shell)
        local typing=${SSH_TYPING:-0.1} transcript=$LOGS/transcript fifo=/tmp/ssh-keys
        # Prompts seen so far: Debian's PS1 ends in ":~$ " (":~# " for root).
        prompts() { grep -aoE ':~[$#] ' "$transcript" 2>/dev/null | wc -l; }
        wait_prompt() {
            local n=$1
            for _ in $(seq 300); do
                [ "$(prompts)" -ge "$n" ] && return 0
                kill -0 "$pid" 2>/dev/null || return 1
                sleep 0.05
            done
            return 1
        }
        # Types a line key by key, then Enter (a carriage return).
        type_line() {
            local line=$1 j
            for ((j = 0; j < ${#line}; j++)); do
                printf '%s' "${line:j:1}"
                sleep "$typing"
            done
            printf '\r'
        }
        mkfifo "$fifo"
        next_log
        : >"$transcript"
        SSHPASS=$SSH_PASSWORD sshpass -e ssh "${opts[@]}" -tt "$SSH_USER@$SERVER" <"$fifo" >"$transcript" 2>"$log" &
        pid=$!
        exec 3>"$fifo" # the keyboard
        for key in "${keys[@]}" exit; do
            i=$((i + 1))
            wait_prompt "$i" || fail "no prompt number $i from the remote shell"
            think
            if [ "$key" = exit ]; then cmd="exit"; else cmd=$(remote_command "$key"); fi
            type_line "$cmd" >&3
        done
        rc=0
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        exec 3>&-
        wait "$pid" || rc=$?
        [ "$rc" -eq 0 ] || fail "the shell session exited $rc"
        check_connection "$log"
        tr -d '\r' <"$transcript" >"$transcript.txt"
        for key in "${keys[@]}"; do check_output "$key" "$transcript.txt" contains; done
        ;;
    *) fail "SSH_SESSION must be separate, multiplexed or shell, not '$session'" ;;
    esac
    echo "ssh-client: ran ${#keys[@]} command(s) ($session): $SSH_COMMANDS"
}

wrong_password() {
    need_var SSH_LOGIN_PASSWORD
    need_var FILE
    [ "$SSH_LOGIN_PASSWORD" != "$SSH_PASSWORD" ] || fail "the 'wrong' password is the right one; nothing to test"
    local attempts=${SSH_ATTEMPTS:-1} a
    for ((a = 1; a <= attempts; a++)); do
        with_password "$SSH_LOGIN_PASSWORD" scp "${scp_opts[@]}" "${opts[@]}" "$SSH_USER@$SERVER:$FILE" "$INBOX/"
        # sshpass exits 5 when ssh asks again: the password was refused.
        [ "$rc" -eq 5 ] || fail "attempt $a: sshpass exited $rc, not 5 (password refused)"
        check_connection "$log" refused
        if [ "$a" -lt "$attempts" ]; then think; fi
    done
    [ -z "$(find "$INBOX" -mindepth 1 -print -quit)" ] || fail "a file was downloaded despite the wrong password"
    echo "ssh-client: the wrong password was refused $attempts time(s)"
}

keyscan() {
    local types=${SSH_KEY_TYPES:-default} args=(-T 10) t want=() line n
    [ "$types" = default ] || args+=(-t "$types")
    next_log
    rc=0
    ssh-keyscan "${args[@]}" "$SERVER" >"$LOGS/keys" 2>"$log" || rc=$?
    [ "$rc" -eq 0 ] || fail "ssh-keyscan exited $rc"
    [ "$types" = default ] && types=rsa,ecdsa,ed25519 # the server's key types
    IFS=, read -r -a want <<<"$types"
    for t in "${want[@]}"; do
        case "$t" in
        rsa) line="$SERVER ssh-rsa " ;;
        ecdsa) line="$SERVER ecdsa-sha2-nistp256 " ;;
        ed25519) line="$SERVER ssh-ed25519 " ;;
        *) fail "unknown key type '$t'" ;;
        esac
        [ "$(grep -c "^$line" "$LOGS/keys")" -eq 1 ] || fail "not exactly one $t key from the server"
    done
    n=$(grep -vc '^#' "$LOGS/keys" || true)
    [ "$n" -eq ${#want[@]} ] || fail "$n keys, not ${#want[@]}"
    ssh-keygen -l -f "$LOGS/keys" >"$LOGS/fingerprints" || fail "ssh-keygen cannot read the keys"
    [ "$(wc -l <"$LOGS/fingerprints")" -eq ${#want[@]} ] || fail "not every key has a fingerprint"
    grep -q "^# $SERVER:22 SSH-2.0-OpenSSH" "$LOGS/keys" "$log" || fail "no OpenSSH banner in ssh-keyscan's report"
    echo "ssh-client: scanned ${#want[@]} host key(s):"
    cat "$LOGS/fingerprints"
}

FILE=${SSH_FILE:-}
case "$SSH_TASK" in
download) download ;;
upload) upload ;;
commands) commands ;;
wrong-password) wrong_password ;;
keyscan) keyscan ;;
*) fail "unknown SSH_TASK '$SSH_TASK'" ;;
esac
