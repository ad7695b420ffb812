#!/bin/bash
# web-client.sh - the workload of the `nginx` and `apache` scenarios.
#
# Visits the server's generated site (see the server's make-site.sh) over
# WEB_SCHEME (http or https; the server's certificate is self-signed and
# made at its start, so TLS clients do not verify it) with WEB_TOOL:
#   siege  load: SIEGE_CONCURRENCY simulated users, SIEGE_REPS requests each,
#          a random delay of up to SIEGE_DELAY s before each request, over a
#          URL list of SIEGE_URLS site paths (the home page first, the rest
#          picked at random), walked in order or at random (SIEGE_MODE:
#          sequential | internet), siege's HTML parser fetching page
#          elements or not (SIEGE_PARSER: on | off) and HTTP/1.0 or
#          HTTP/1.1 (SIEGE_PROTOCOL); one connection per request (siege
#          4.0.7 now and then stalls on kept-alive connections, over TLS
#          nearly always).
#   wget   a recursive mirror of the whole site (wget --mirror, robots.txt
#          honoured), WGET_WAIT s between requests (randomised), HTTP
#          keep-alive on or off (WGET_KEEPALIVE), gzip asked for or not
#          (WGET_COMPRESSION: auto | none) and, over https, the TLS version
#          (WGET_TLS: auto | TLSv1_2 | TLSv1_3).
#   curl   a browsing session of CURL_REQUESTS requests picked at random
#          (GET of pages, raw texts, section indexes and the home page, HEAD,
#          a conditional GET that must be answered 304, a byte range that
#          must be answered 206) plus CURL_MISSES requests for a page that
#          does not exist (WEB_MISSING, answered 404), CURL_THINK s apart;
#          CURL_CONNECTION keep-alive (one curl process, one persistent
#          connection) or close (one process and connection per request,
#          `Connection: close`), CURL_HTTP (1.0, 1.1 or 2), CURL_COMPRESSED
#          (on: Accept-Encoding on every request but the range, decoded)
#          and, over https, CURL_TLS (1.2 or 1.3).
# WEB_AGENT is the User-Agent (`default`: the tool's own). WEB_SEED seeds
# bash's random generator, so which paths and requests are picked is fixed
# by the run's parameters. SITE_PAGES lists the site's SECTION/STEM pages
# and SITE_MTIME the modification time of every file of the site (both
# drawn by detgen, the same values the server got); the site's text files
# are mounted read-only at /expected to check what was downloaded.
#
# Exit 0 when the visit played out as designed (every response as
# expected, downloads equal the originals, the connections as asked) and 1
# otherwise, with the reason on stderr.
set -euo pipefail

fail() {
    echo "web-client: FAILED ($WEB_TOOL over $WEB_SCHEME): $*" >&2
    exit 1
}

: "${WEB_TOOL:?WEB_TOOL must be siege, wget or curl}"
: "${WEB_SCHEME:?WEB_SCHEME must be http or https}"
: "${SITE_PAGES:?SITE_PAGES must list the SECTION/STEM pages of the site}"
SERVER=${WEB_SERVER:-server}
AGENT=${WEB_AGENT:-default}
EXPECTED=/expected
WORK=/tmp/web
mkdir -p "$WORK"
case "$WEB_SCHEME" in http | https) ;; *) fail "WEB_SCHEME must be http or https" ;; esac
BASE="$WEB_SCHEME://$SERVER"
# Seeded: the picks below depend only on the run's parameters.
RANDOM=${WEB_SEED:-1}

# ---- the site, as make-site.sh lays it out ------------------------------
sections=() # /SECTION/
pages=()    # /SECTION/STEM.html
texts=()    # /SECTION/STEM.txt
for item in $SITE_PAGES; do
    section=${item%%/*}
    stem=${item#*/}
    [[ " ${sections[*]} " == *" /$section/ "* ]] || sections+=("/$section/")
    pages+=("/$section/$stem.html")
    texts+=("/$section/$stem.txt")
done
content=("${sections[@]}" "${pages[@]}" "${texts[@]}")
everything=(/ /robots.txt /style.css "${content[@]}")

# pick ARRAY_NAME: sets PICKED to one element, at random. Never call it in
# a subshell ($(...)): bash reseeds RANDOM there, and the picks would no
# longer follow from WEB_SEED.
PICKED=
pick() {
    local -n arr=$1
    PICKED=${arr[RANDOM % ${#arr[@]}]}
}

# The original of a /SECTION/STEM.txt path.
original() {
    local p=${1##*/}
    echo "$EXPECTED/$p"
}

# ---- siege ---------------------------------------------------------------
run_siege() {
    local c=${SIEGE_CONCURRENCY:-5} r=${SIEGE_REPS:-5} delay=${SIEGE_DELAY:-0}
    local n=${SIEGE_URLS:-3} mode=${SIEGE_MODE:-sequential}
    local parser=${SIEGE_PARSER:-off}
    local protocol=${SIEGE_PROTOCOL:-HTTP/1.1} i args=()
    {
        echo "$BASE/"
        for ((i = 1; i < n; i++)); do
            pick content
            echo "$BASE$PICKED"
        done
    } >"$WORK/urls.txt"
    case "$parser" in on) parser=true ;; off) parser=false ;; *) fail "SIEGE_PARSER must be on or off" ;; esac
    [ "${SIEGE_CONNECTION:-close}" = close ] || fail "siege runs with SIEGE_CONNECTION=close only"
    # siege's own settings file, in place of ~/.siege/siege.conf
    cat >"$WORK/siegerc" <<RC
verbose = false
quiet = true
color = off
json_output = true
logging = false
show-logfile = false
protocol = $protocol
connection = close
parser = $parser
accept-encoding = gzip, deflate
timeout = 20
failures = 1
limit = 255
RC
    args=(-R "$WORK/siegerc" -f "$WORK/urls.txt" -c "$c" -r "$r")
    if [ "$delay" = 0 ] || [ "$delay" = 0.0 ]; then args+=(-b); else args+=(-d "$delay"); fi
    [ "$mode" = internet ] && args+=(-i)
    [ "$mode" = sequential ] || [ "$mode" = internet ] || fail "SIEGE_MODE must be sequential or internet"
    [ "$AGENT" = default ] || args+=(-A "$AGENT")
    echo "web-client: siege ${args[*]}"
    echo "web-client: URL list:"
    sed 's/^/  /' "$WORK/urls.txt"
    local rc=0
    HOME=$WORK siege "${args[@]}" >"$WORK/siege.json" 2>"$WORK/siege.err" || rc=$?
    cat "$WORK/siege.json"
    [ "$rc" -eq 0 ] || { cat "$WORK/siege.err" >&2; fail "siege exited $rc"; }
    local tx failed
    tx=$(sed -n 's/.*"transactions":[[:space:]]*\([0-9]*\).*/\1/p' "$WORK/siege.json" | head -n 1)
    failed=$(sed -n 's/.*"failed_transactions":[[:space:]]*\([0-9]*\).*/\1/p' "$WORK/siege.json" | head -n 1)
    if [ -z "$tx" ] || [ -z "$failed" ]; then cat "$WORK/siege.err" >&2; fail "no statistics from siege"; fi
    [ "$failed" -eq 0 ] || fail "$failed failed transaction(s)"
    [ "$tx" -ge $((c * r)) ] || fail "$tx transactions, fewer than $c users x $r repetitions"
    if [ "$parser" = false ] && [ "$tx" -ne $((c * r)) ]; then
        fail "$tx transactions, not $c users x $r repetitions"
    fi
    echo "web-client: siege made $tx transactions, none failed"
}

# ---- wget ----------------------------------------------------------------
run_wget() {
    local wait=${WGET_WAIT:-0} keepalive=${WGET_KEEPALIVE:-on}
    local compression=${WGET_COMPRESSION:-none} tls=${WGET_TLS:-auto}
    local args=(--mirror --no-parent -e robots=on -nv -P "$WORK/mirror")
    case "$compression" in auto | none) args+=(--compression="$compression") ;; *) fail "WGET_COMPRESSION must be auto or none" ;; esac
    case "$keepalive" in on) ;; off) args+=(--no-http-keep-alive) ;; *) fail "WGET_KEEPALIVE must be on or off" ;; esac
    if [ "$wait" != 0 ] && [ "$wait" != 0.0 ]; then args+=(--wait="$wait" --random-wait); fi
    [ "$AGENT" = default ] || args+=(--user-agent="$AGENT")
    if [ "$WEB_SCHEME" = https ]; then
        args+=(--no-check-certificate --secure-protocol="$tls")
    fi
    echo "web-client: wget ${args[*]} $BASE/"
    local rc=0
    wget "${args[@]}" "$BASE/" 2>&1 | tee "$WORK/wget.log" || true
    rc=${PIPESTATUS[0]}
    [ "$rc" -eq 0 ] || fail "wget exited $rc"
    local root="$WORK/mirror/$SERVER" p got=0
    for p in "${everything[@]}"; do
        local f="$root$p"
        [ "${p: -1}" = / ] && f="${f}index.html"
        [ -f "$f" ] || fail "the mirror lacks $p"
        got=$((got + 1))
    done
    for p in "${texts[@]}"; do
        cmp -s "$root$p" "$(original "$p")" || fail "$p differs from the original"
    done
    echo "web-client: mirrored all $got paths of the site; the texts equal the originals"
}

# ---- curl ----------------------------------------------------------------
run_curl() {
    local n=${CURL_REQUESTS:-5} misses=${CURL_MISSES:-0} think=${CURL_THINK:-0}
    local connection=${CURL_CONNECTION:-keep-alive} version=${CURL_HTTP:-1.1}
    local compressed=${CURL_COMPRESSED:-off} tls=${CURL_TLS:-1.3}
    local missing=${WEB_MISSING:-missing} mtime=${SITE_MTIME:?SITE_MTIME must be the time of the site files}
    local since i j path
    since=$(LC_ALL=C TZ=GMT date -d "@$mtime" '+%a, %d %b %Y %H:%M:%S GMT')

    # Texts that are not empty can be asked for a range.
    local ranged=()
    for path in "${texts[@]}"; do [ -s "$(original "$path")" ] && ranged+=("$path"); done

    # The plan: one line per request, "KIND PATH EXPECTED-CODE [RANGE-END]".
    local plan=() roll
    for ((i = 0; i < n; i++)); do
        roll=$((RANDOM % 100))
        if ((roll < 35)); then pick pages && plan+=("get $PICKED 200")
        elif ((roll < 50)); then pick texts && plan+=("get $PICKED 200")
        elif ((roll < 60)); then pick sections && plan+=("get $PICKED 200")
        elif ((roll < 65)); then plan+=("get / 200")
        elif ((roll < 80)); then pick content && plan+=("head $PICKED 200")
        elif ((roll < 90)); then pick content && plan+=("since $PICKED 304")
        elif ((${#ranged[@]} > 0)); then pick ranged && plan+=("range $PICKED 206 $((RANDOM % 4096))")
        else pick pages && plan+=("get $PICKED 200")
        fi
    done
    for ((i = 0; i < misses; i++)); do
        pick sections
        j=$((RANDOM % (${#plan[@]} + 1)))
        plan=("${plan[@]:0:j}" "miss ${PICKED}$missing.html 404" "${plan[@]:j}")
    done
    # Every session starts at the home page.
    plan=("get / 200" "${plan[@]}")

    # Options every request gets.
    local common=(-sS)
    case "$version" in
    1.0) common+=(--http1.0) ;;
    1.1) common+=(--http1.1) ;;
    2) [ "$WEB_SCHEME" = https ] || fail "HTTP/2 is only offered over https here"; common+=(--http2) ;;
    *) fail "CURL_HTTP must be 1.0, 1.1 or 2" ;;
    esac
    if [ "$WEB_SCHEME" = https ]; then
        common+=(-k)
        case "$tls" in 1.2) common+=(--tlsv1.2 --tls-max 1.2) ;; 1.3) common+=(--tlsv1.3) ;; *) fail "CURL_TLS must be 1.2 or 1.3" ;; esac
    fi
    [ "$AGENT" = default ] || common+=(-A "$AGENT")
    case "$connection" in
    keep-alive) [ "$version" = 1.0 ] && common+=(-H "Connection: keep-alive") ;;
    close) [ "$version" = 2 ] || common+=(-H "Connection: close") ;;
    *) fail "CURL_CONNECTION must be keep-alive or close" ;;
    esac

    # request_args LINE INDEX: the options and URL of one planned request.
    request_args() {
        local k p code end
        read -r k p code end <<<"$1"
        req=("${common[@]}" -w "%{http_code} %{num_connects} %{size_download}\n" -o "$WORK/body-$2")
        # A range is asked for uncompressed: a server that compresses
        # the response ignores the range.
        [ "$compressed" = on ] && [ "$k" != range ] && req+=(--compressed)
        case "$k" in
        get | miss) ;;
        head) req+=(-I) ;;
        since) req+=(-H "If-Modified-Since: $since") ;;
        range) req+=(-r "0-$end") ;;
        esac
        req+=("$BASE$p")
    }

    local how="$connection, HTTP/$version"
    [ "$compressed" = on ] && how="$how, compressed"
    [ "$WEB_SCHEME" = https ] && how="$how, TLS $tls"
    echo "web-client: curl session of ${#plan[@]} request(s) ($how):"
    printf '  %s\n' "${plan[@]}"
    local results="$WORK/results" req=()
    : >"$results"
    if [ "$connection" = keep-alive ]; then
        # One curl process: the requests share one connection, paced by --rate.
        local all=() rate
        rate=$(awk -v t="$think" 'BEGIN { r = (t > 0) ? int(3600 / t) : 0; print (r > 0) ? r "/h" : "" }')
        for ((i = 0; i < ${#plan[@]}; i++)); do
            request_args "${plan[i]}" "$i"
            ((i == 0)) || all+=(--next)
            all+=("${req[@]}")
        done
        [ -z "$rate" ] || all=(--rate "$rate" "${all[@]}")
        curl "${all[@]}" >>"$results" || fail "curl exited $?"
    else
        for ((i = 0; i < ${#plan[@]}; i++)); do
            ((i == 0)) || sleep "$think"
            request_args "${plan[i]}" "$i"
            curl "${req[@]}" >>"$results" || fail "curl exited $? on ${plan[i]}"
        done
    fi

    # Check every response, and the connections used.
    local k p code end got connects total=0 body
    for ((i = 0; i < ${#plan[@]}; i++)); do
        read -r k p code end <<<"${plan[i]}"
        read -r got connects _ < <(sed -n "$((i + 1))p" "$results")
        echo "  $k $p -> $got"
        [ "$got" = "$code" ] || fail "$k $p answered $got, not $code"
        total=$((total + connects))
        body="$WORK/body-$i"
        case "$k" in
        get) [[ "$p" != *.txt ]] || cmp -s "$body" "$(original "$p")" || fail "GET $p differs from the original" ;;
        range) head -c "$((end + 1))" "$(original "$p")" | cmp -s - "$body" || fail "the range 0-$end of $p differs from the original" ;;
        esac
    done
    local want=${#plan[@]}
    [ "$connection" = keep-alive ] && want=1
    [ "$total" -eq "$want" ] || fail "$total connection(s) opened, not $want"
    echo "web-client: ${#plan[@]} responses as expected over $total connection(s)"
}

case "$WEB_TOOL" in
siege) run_siege ;;
wget) run_wget ;;
curl) run_curl ;;
*) fail "WEB_TOOL must be siege, wget or curl" ;;
esac
