#!/bin/bash
# sql-client.sh - the workload of the `sql` scenario.
#
# A customer (or the shop's back office, or a crawler) uses the PHP shop at
# APP_URL (http://app or https://app) with curl, as a browser would: a
# cookie jar for the session, the Referer of the previous page, the drawn
# User-Agent, the style sheet and logo fetched with the first page (when
# ASSETS=yes), keep-alive (each page and its assets over one connection)
# or `Connection: close` (KEEP_ALIVE), and a pause between pages drawn from
# an exponential distribution with mean THINK seconds. Every choice the
# user makes (which link to follow) comes from CLIENT_SEED, so a run is
# reproducible.
#
# The action comes from SQL_TASK (one per subscenario):
#   browse   from the home page, follow PAGES links (categories, pages of a
#            category, sort orders, products)
#   search   search for each of SEARCH_TERMS, re-sort the results
#            (RESORT), open one of them
#   account  register NEW_USER, optionally again (DUPLICATE: refused), sign
#            out, sign in (first with a wrong password if WRONG_FIRST),
#            change the e-mail address and name (and the password if
#            CHANGE_PASSWORD, then sign in again with it), sign out
#   order    register NEW_USER, place ORDERS orders of products in stock,
#            optionally one for more than the stock (OVERORDER: refused),
#            optionally review a product (REVIEW), check the profile
#   api      the back office's JSON API with API_KEY: categories, a page
#            of products, create a product, read it, change it, delete it,
#            read it again (404); with WRONG_KEY first a refused request
#   crawl    wget mirrors the shop recursively to depth CRAWL_DEPTH
# Every response is checked (status code and content); exit 0 when the
# session played out as designed - refusals included - and 1 otherwise.
set -euo pipefail

: "${SQL_TASK:?SQL_TASK must name the action}"
: "${APP_URL:?}"
THINK=${THINK:-0.5}
KEEP_ALIVE=${KEEP_ALIVE:-yes}
ASSETS=${ASSETS:-yes}
UA=${USER_AGENT:-default}
WORK=/tmp/session
JAR=$WORK/cookies
mkdir -p "$WORK"
: >"$JAR"

fail() {
    echo "sql-client: FAILED ($SQL_TASK): $*" >&2
    if [ -n "${body:-}" ] && [ -s "$body" ]; then
        echo "---- last response ($body) ----" >&2
        head -c 3000 "$body" >&2
        echo >&2
    fi
    exit 1
}
log() { echo "sql-client: $*"; }

# ---- reproducible choices -------------------------------------------------
# A stream of uniform numbers in [0, 1) from CLIENT_SEED (mawk's srand).
mapfile -t RNG < <(awk -v s="${CLIENT_SEED:-1}" 'BEGIN { srand(s); for (i = 0; i < 5000; i++) printf "%.6f\n", rand() }')
RNG_I=0
# rand_int N: R = a number in 0..N-1.
rand_int() {
    local u=${RNG[RNG_I]}
    RNG_I=$((RNG_I + 1))
    R=$(awk -v u="$u" -v n="$1" 'BEGIN { print int(u * n) }')
}
# think: a pause, exponential with mean THINK, at most 4 THINK.
think() {
    local u=${RNG[RNG_I]} t
    RNG_I=$((RNG_I + 1))
    t=$(awk -v u="$u" -v m="$THINK" 'BEGIN { t = -m * log(1 - u); if (t > 4 * m) t = 4 * m; printf "%.3f", t }')
    sleep "$t"
}

# ---- HTTP -----------------------------------------------------------------
curl_opts=(-sS -k --max-time 20 -b "$JAR" -c "$JAR")
[ "$UA" = default ] || curl_opts+=(-A "$UA")
[ "$KEEP_ALIVE" = yes ] || curl_opts+=(-H "Connection: close")
referer=
n=0
assets_done=no

# request WANT URL [curl arguments...]: one request (redirects followed, as
# a browser follows them); the body lands in $body, the final status in
# $status, the final URL in $final. WANT lists the acceptable statuses.
request() {
    local want=$1 url=$2 out
    shift 2
    n=$((n + 1))
    body=$WORK/resp-$n
    local extra=()
    [ -z "$referer" ] || extra+=(-e "$referer")
    out=$(curl "${curl_opts[@]}" "${extra[@]}" -L -o "$body" -w '%{http_code} %{url_effective}' "$@" "$url") ||
        fail "curl ${*} $url failed"
    status=${out%% *}
    final=${out#* }
    [[ " $want " == *" $status "* ]] || fail "$url: status $status, expected $want"
}

# page URL [curl arguments...]: an HTML page (200), with the style sheet
# and logo on the first page when ASSETS=yes (over the same connection
# unless KEEP_ALIVE=no). Checks that the shop rendered the whole page.
page() {
    local url=$1
    shift
    if [ "$ASSETS" = yes ] && [ "$assets_done" = no ] && [ $# -eq 0 ]; then
        assets_done=yes
        n=$((n + 1))
        body=$WORK/resp-$n
        local extra=() out
        [ -z "$referer" ] || extra+=(-e "$referer")
        # One curl, three transfers (--next keeps the connection): the page
        # with the previous page as Referer, then its assets with the page.
        out=$(curl "${curl_opts[@]}" "${extra[@]}" -o "$body" -w '%{http_code}\n' "$url" \
            --next "${curl_opts[@]}" -e "$url" -o /dev/null -w '%{http_code}\n' "$APP_URL/style.css" \
            --next "${curl_opts[@]}" -e "$url" -o /dev/null -w '%{http_code}\n' "$APP_URL/logo.svg") ||
            fail "curl $url (with assets) failed"
        [ "$(echo "$out" | tr '\n' ' ')" = "200 200 200 " ] || fail "$url and its assets: statuses $out"
        status=200
        final=$url
    else
        request 200 "$url" "$@"
    fi
    grep -q 'database statements</footer>' "$body" || fail "$url: the page is incomplete"
    referer=$final
}

# Links of the last page matching a pattern (href values, &amp; decoded).
links() {
    grep -o "href=\"/$1[^\"]*\"" "$body" | sed -e 's/^href="//' -e 's/"$//' -e 's/&amp;/\&/g' | sort -u || true
}

# A form post: fields as name=value pairs, URL-encoded by curl.
post() {
    local want=$1 url=$2 f args=()
    shift 2
    for f in "$@"; do args+=(--data-urlencode "$f"); done
    request "$want" "$url" "${args[@]}"
    grep -q 'database statements</footer>' "$body" || fail "$url: the page is incomplete"
    referer=$final
}

has() { grep -qF -- "$1" "$body"; }

# ---- tasks ----------------------------------------------------------------
browse() {
    local pages=${PAGES:?} i cands=() url
    page "$APP_URL/"
    for ((i = 1; i <= pages; i++)); do
        think
        mapfile -t cands < <(links 'category\.php' ; links 'product\.php')
        if [ ${#cands[@]} -eq 0 ]; then
            url=/
        else
            rand_int ${#cands[@]}
            url=${cands[R]}
        fi
        page "$APP_URL$url"
        case "$url" in
        /category.php*) has '<p class="count">' || fail "$url: no product count" ;;
        /product.php*) has '<span class="stock">' || fail "$url: no stock" ;;
        esac
        log "visited $url"
    done
    log "browsed $pages page(s) after the home page"
}

search() {
    local terms=() term count shown names sorts=() results=()
    read -r -a terms <<<"${SEARCH_TERMS:?}"
    page "$APP_URL/"
    for term in "${terms[@]}"; do
        think
        page "$APP_URL/search.php" -G --data-urlencode "q=$term"
        count=$(grep -o '<p class="count">[0-9]*' "$body" | grep -o '[0-9]*$') || fail "no result count for '$term'"
        shown=$(grep -c '<li class="result">' "$body" || true)
        [ "$shown" -eq $((count < 20 ? count : 20)) ] || fail "'$term': $count results but $shown shown"
        # Every product shown has the word in its name (descriptions only
        # repeat the name's words).
        names=$(grep -o 'class="product" href="[^"]*">[^<]*' "$body" | sed 's/.*">//' || true)
        if [ -n "$names" ] && echo "$names" | grep -viqF -- "$term"; then
            fail "'$term': a result without the word"
        fi
        log "search '$term': $count result(s)"
        if [ "$count" -gt 1 ] && [ "${RESORT:-none}" != none ]; then
            mapfile -t sorts < <(links 'search\.php' | grep -E "sort=$RESORT\$")
            [ ${#sorts[@]} -eq 1 ] || fail "'$term': no link to sort by $RESORT"
            think
            page "$APP_URL${sorts[0]}"
            [ "$(grep -c '<li class="result">' "$body" || true)" -eq "$shown" ] || fail "'$term' by $RESORT: other results"
            log "search '$term' sorted by $RESORT"
        fi
        if [ "$count" -gt 0 ]; then
            mapfile -t results < <(links 'product\.php')
            rand_int ${#results[@]}
            think
            page "$APP_URL${results[R]}"
            has '<span class="stock">' || fail "${results[R]}: no stock"
        fi
    done
    log "searched ${#terms[@]} term(s)"
}

register() {
    page "$APP_URL/register.php"
    think
    post 200 "$APP_URL/register.php" "username=$NEW_USER" "email=$NEW_EMAIL" "full_name=$NEW_NAME" "password=$NEW_PASSWORD"
    has "Welcome, $NEW_USER! Your account was created." || fail "registration of $NEW_USER not confirmed"
    log "registered $NEW_USER"
}

signin() {
    local password=$1 want=$2
    page "$APP_URL/login.php"
    think
    post 200 "$APP_URL/login.php" "username=$NEW_USER" "password=$password"
    if [ "$want" = ok ]; then
        has "<dd class=\"username\">$NEW_USER</dd>" || fail "sign-in of $NEW_USER failed"
        log "signed in as $NEW_USER"
    else
        has 'Invalid user name or password.' || fail "a wrong password was not refused"
        log "wrong password refused for $NEW_USER"
    fi
}

signout() {
    think
    page "$APP_URL/logout.php"
    has 'href="/login.php">Sign in' || fail "still signed in after signing out"
    log "signed out"
}

account() {
    : "${NEW_USER:?}" "${NEW_PASSWORD:?}" "${NEW_EMAIL:?}" "${NEW_NAME:?}"
    page "$APP_URL/"
    think
    register
    if [ "${DUPLICATE:-no}" = yes ]; then
        signout
        page "$APP_URL/register.php"
        think
        post 409 "$APP_URL/register.php" "username=$NEW_USER" "email=$NEW_EMAIL" "full_name=$NEW_NAME" "password=$NEW_PASSWORD"
        has 'That user name is taken.' || fail "a second $NEW_USER was not refused"
        log "second registration of $NEW_USER refused"
    fi
    signout
    if [ "${WRONG_FIRST:-no}" = yes ]; then
        signin "${NEW_PASSWORD}x" refused
    fi
    signin "$NEW_PASSWORD" ok
    think
    local password=
    [ "${CHANGE_PASSWORD:-no}" = yes ] && password=${NEW_PASSWORD2:?}
    post 200 "$APP_URL/profile.php" "email=${UPDATE_EMAIL:?}" "full_name=${UPDATE_NAME:?}" "password=$password"
    has 'Your details were saved.' || fail "profile update not confirmed"
    has "<dd class=\"email\">$UPDATE_EMAIL</dd>" || fail "the new e-mail address is not shown"
    log "profile updated${password:+ with a new password}"
    if [ -n "$password" ]; then
        signout
        signin "$NEW_PASSWORD" refused
        signin "$password" ok
    fi
    signout
}

order() {
    : "${NEW_USER:?}" "${NEW_PASSWORD:?}" "${NEW_EMAIL:?}" "${NEW_NAME:?}"
    local orders=${ORDERS:?} placed=0 tries=0 cands=() url stock qty pid over_done=no
    page "$APP_URL/"
    think
    register
    page "$APP_URL/"
    mapfile -t cands < <(links 'category\.php')
    while [ "$placed" -lt "$orders" ] || { [ "${OVERORDER:-no}" = yes ] && [ "$over_done" = no ]; }; do
        tries=$((tries + 1))
        [ "$tries" -le 40 ] || fail "found no product in stock after 40 pages"
        # A category, then one of its products.
        rand_int ${#cands[@]}
        think
        page "$APP_URL${cands[R]}"
        mapfile -t prods < <(links 'product\.php')
        [ ${#prods[@]} -gt 0 ] || continue
        rand_int ${#prods[@]}
        url=${prods[R]}
        think
        page "$APP_URL$url"
        stock=$(grep -o '<span class="stock">[0-9]*' "$body" | grep -o '[0-9]*$') || fail "$url: no stock"
        pid=${url##*=}
        if [ "$placed" -ge "$orders" ]; then
            # More than there is: the shop refuses and nothing changes.
            qty=$((stock + 1))
            think
            post 409 "$APP_URL/order.php" "product_id=$pid" "quantity=$qty"
            has "only $stock left in stock" || fail "an order beyond the stock was not refused"
            page "$APP_URL$url"
            has "<span class=\"stock\">$stock</span>" || fail "$url: the refused order changed the stock"
            over_done=yes
            log "order of $qty x product $pid refused ($stock in stock)"
            continue
        fi
        [ "$stock" -gt 0 ] || continue
        rand_int "${MAX_QUANTITY:-3}"
        qty=$((R + 1))
        [ "$qty" -le "$stock" ] || qty=$stock
        think
        post 200 "$APP_URL/order.php" "product_id=$pid" "quantity=$qty"
        has 'Thank you! Order #' || fail "order of product $pid not confirmed"
        placed=$((placed + 1))
        log "ordered $qty x product $pid ($stock in stock)"
        page "$APP_URL$url"
        has "<span class=\"stock\">$((stock - qty))</span>" || fail "$url: stock not reduced by $qty"
        if [ "${REVIEW:-no}" = yes ] && [ "$placed" -eq 1 ]; then
            think
            post 200 "$APP_URL/review.php" "product_id=$pid" "rating=${RATING:-5}" "body=${REVIEW_TEXT:-Nice.}"
            has "${REVIEW_TEXT:-Nice.}" || fail "the review is not shown on $url"
            log "reviewed product $pid (${RATING:-5} stars)"
        fi
    done
    think
    page "$APP_URL/profile.php"
    has "<p class=\"orders\">$placed orders</p>" || fail "the profile does not list $placed orders"
    signout
    log "placed $placed order(s)"
}

# api METHOD PATH WANT [JSON body]: one API call; the body in $body.
api_call() {
    local method=$1 path=$2 want=$3 data=${4:-}
    local args=(-X "$method" -H "X-Api-Key: $key" -H 'Accept: application/json')
    [ -z "$data" ] || args+=(-H 'Content-Type: application/json' --data-binary "$data")
    request "$want" "$APP_URL/api.php$path" "${args[@]}"
    log "$method $path -> $status"
}

api() {
    local key=${API_KEY:?} size=${API_PAGE_SIZE:-10} cats total id name got
    if [ "${WRONG_KEY:-no}" = yes ]; then
        key=${API_KEY}0
        api_call GET /categories 401
        jq -e '.error' "$body" >/dev/null || fail "no error for a wrong key"
        key=$API_KEY
        think
    fi
    api_call GET /categories 200
    cats=$(jq 'length' "$body") || fail "categories are not JSON"
    [ "$cats" -gt 0 ] || fail "no categories"
    rand_int "$cats"
    local cat
    cat=$(jq ".[$R].id" "$body")
    think
    api_call GET "/products?limit=$size&offset=0" 200
    total=$(jq '.total' "$body")
    [ "$(jq '.items | length' "$body")" -eq $((total < size ? total : size)) ] || fail "a page of products has the wrong size"
    if [ "$total" -gt "$size" ]; then
        think
        api_call GET "/products?limit=$size&offset=$size" 200
    fi
    think
    name=${NEW_PRODUCT:?}
    api_call POST /products 201 "$(jq -cn --arg n "$name" --argjson c "$cat" --arg p "${NEW_PRICE:?}" --argjson s "${NEW_STOCK:?}" \
        '{name: $n, category_id: $c, price: $p, stock: $s, description: ("A new " + ($n | ascii_downcase) + ".")}')"
    id=$(jq '.id' "$body")
    [ "$(jq -r '.name' "$body")" = "$name" ] || fail "the created product has another name"
    think
    api_call GET "/products/$id" 200
    got=$(jq -r '"\(.price) \(.stock)"' "$body")
    [ "$got" = "$(printf '%.2f' "$NEW_PRICE") $NEW_STOCK" ] || fail "product $id reads back as '$got'"
    think
    api_call PUT "/products/$id" 200 "$(jq -cn --arg p "${UPDATE_PRICE:?}" --argjson s "${UPDATE_STOCK:?}" '{price: $p, stock: $s}')"
    got=$(jq -r '"\(.price) \(.stock)"' "$body")
    [ "$got" = "$(printf '%.2f' "$UPDATE_PRICE") $UPDATE_STOCK" ] || fail "product $id was changed to '$got'"
    think
    api_call DELETE "/products/$id" 204
    think
    api_call GET "/products/$id" 404
    log "created, changed and deleted product $id ($name)"
}

crawl() {
    local depth=${CRAWL_DEPTH:?}
    local args=(-r -l "$depth" -nv -e robots=on --no-check-certificate -P "$WORK/mirror"
        --wait="${CRAWL_WAIT:-0}" --random-wait --reject-regex 'logout')
    [ "$UA" = default ] || args+=(-U "$UA")
    [ "$KEEP_ALIVE" = yes ] || args+=(--no-http-keep-alive)
    local rc=0
    wget "${args[@]}" "$APP_URL/" 2>"$WORK/wget.log" || rc=$?
    cat "$WORK/wget.log"
    [ "$rc" -eq 0 ] || fail "wget exited $rc"
    local pages
    pages=$(grep -rl 'database statements</footer>' "$WORK/mirror" | wc -l)
    [ -f "$WORK/mirror/app/robots.txt" ] || fail "the crawler did not read robots.txt"
    [ "$pages" -ge 2 ] || fail "only $pages page(s) mirrored"
    [ -z "$(find "$WORK/mirror" -path '*api.php*' -print -quit)" ] || fail "the crawler ignored robots.txt"
    log "mirrored $pages page(s) to depth $depth"
}

case "$SQL_TASK" in
browse) browse ;;
search) search ;;
account) account ;;
order) order ;;
api) api ;;
crawl) crawl ;;
*) fail "unknown SQL_TASK '$SQL_TASK'" ;;
esac
