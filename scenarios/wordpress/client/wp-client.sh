#!/bin/bash
# wp-client.sh - the workload of the `wordpress` scenario.
#
# A reader, an author or a remote blogging client uses the WordPress blog
# at WP_URL (http://www.myblog.test or https://...) with curl. The browser
# tasks behave like a browser: a cookie jar, the Referer of the previous
# page, the drawn User-Agent, gzip, the page's style sheets, scripts and
# (some) fonts fetched once each after the page, six at a time (when
# ASSETS=yes), `Connection: close` on every request when KEEP_ALIVE=no, and
# a pause between pages drawn from an exponential distribution with mean
# THINK seconds. Every choice (which link to follow) comes from
# CLIENT_SEED, so a run is reproducible.
#
# The action comes from WP_TASK (one per subscenario):
#   browse   the home page, then VISITS links picked at random (posts,
#            pages, archives, older pages), then the FEED (rss2, atom or
#            comments) twice, the second time conditional (304)
#   search   SEARCH_TERMS, each with ?s=, the second page of results when
#            there is one, then a result
#   comment  a post, then a comment through its form (POST
#            wp-comments-post.php, 302 back), as a reply when REPLY=yes,
#            sent again when RESEND=yes (409, a duplicate)
#   login    wp-login.php as LOGIN_USER (after a wrong password when
#            WRONG_FIRST=yes: the form again), back to the block editor,
#            the REST API (the editor's nonce) publishing the editor's
#            draft, an edit when EDIT=yes, the post, log out
#   xmlrpc   XML-RPC calls to xmlrpc.php as LOGIN_USER (after a refused
#            one when WRONG_FIRST=yes): list methods, blogs, posts,
#            categories, publish, read back, edit, count its comments,
#            delete when DELETE=yes
# Past BUDGET seconds (default 40) the optional steps are left out: more
# visits, searches, second pages of results, opening a result, the edit,
# viewing the published post.
# Every response is checked (status code and content); exit 0 when the
# session played out as designed - refusals included - and 1 otherwise.
set -euo pipefail

: "${WP_TASK:?WP_TASK must name the action}"
: "${WP_URL:?}"
THINK=${THINK:-0.5}
# The session's time budget: past it, the optional steps are left out (a
# visitor reads fewer pages) so that the session ends inside the
# scenario's duration even on a busy host.
DEADLINE=$(($(date +%s) + ${BUDGET:-40}))
late() { [ "$(date +%s)" -ge "$DEADLINE" ]; }
KEEP_ALIVE=${KEEP_ALIVE:-yes}
ASSETS=${ASSETS:-yes}
UA=${USER_AGENT:-default}
WORK=/tmp/session
JAR=$WORK/cookies
mkdir -p "$WORK"
: >"$JAR"

fail() {
    echo "wp-client: FAILED ($WP_TASK): $*" >&2
    if [ -n "${body:-}" ] && [ -s "$body" ]; then
        echo "---- last response ($body) ----" >&2
        head -c 3000 "$body" >&2
        echo >&2
    fi
    exit 1
}
log() { echo "wp-client: $*"; }

# ---- reproducible choices -------------------------------------------------
# Two streams from CLIENT_SEED (mawk's srand), made once: uniform numbers
# as integers in 0..999999, and exponential pauses with mean 1000 (at most
# 4000); the choices below are bash arithmetic on them.
mapfile -t RNG < <(awk -v s="${CLIENT_SEED:-1}" 'BEGIN { srand(s); for (i = 0; i < 4000; i++) print int(rand() * 1000000) }')
mapfile -t EXP < <(awk -v s="${CLIENT_SEED:-1}" 'BEGIN { srand(s + 1); for (i = 0; i < 1000; i++) { t = int(-1000 * log(1 - rand())); print (t > 4000 ? 4000 : t) } }')
THINK_MS=$(awk -v t="$THINK" 'BEGIN { printf "%d", t * 1000 }')
RNG_I=0
EXP_I=0
# rand_int N: R = a number in 0..N-1.
rand_int() {
    R=$((RNG[RNG_I] * $1 / 1000000))
    RNG_I=$((RNG_I + 1))
}
# pick ARGS...: P = one of the arguments, at random.
pick() {
    [ $# -gt 0 ] || fail "nothing to pick from"
    rand_int $#
    local a=("$@")
    P=${a[R]}
}
# think: a pause, exponential with mean THINK seconds, at most 4 THINK.
think() {
    local ms=$((EXP[EXP_I] * THINK_MS / 1000))
    EXP_I=$((EXP_I + 1))
    sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}
WORDS=(garden river coffee morning winter summer journey kitchen bread recipe camera photo light
    shadow city street market music guitar piano concert book library story forest trail bicycle
    train harbour island ocean sunset evening lantern tea notebook letter travel village bridge
    museum painting workshop pottery festival theatre weekend holiday friend owl fox lovely great
    thanks indeed really agree wonderful idea)
# words N: W = N random words.
words() {
    local i out=()
    for ((i = 0; i < $1; i++)); do
        rand_int ${#WORDS[@]}
        out+=("${WORDS[R]}")
    done
    W="${out[*]}"
}

# ---- HTTP -----------------------------------------------------------------
curl_opts=(-sS -k --compressed --max-time 40 -b "$JAR" -c "$JAR")
[ "$UA" = default ] || curl_opts+=(-A "$UA")
[ "$KEEP_ALIVE" = yes ] || curl_opts+=(-H "Connection: close")
referer=
n=0
declare -A fetched=()

# request WANT URL [curl arguments...]: one request, redirects not
# followed; the body lands in $body, the headers in $headers, the status in
# $status and a redirect's target in $location. WANT lists the acceptable
# statuses.
request() {
    local want=$1 url=$2 out
    shift 2
    n=$((n + 1))
    body=$WORK/resp-$n
    headers=$WORK/head-$n
    local extra=()
    [ -z "$referer" ] || extra+=(-e "$referer")
    out=$(curl "${curl_opts[@]}" "${extra[@]}" -D "$headers" -o "$body" -w '%{http_code} %{redirect_url}' "$@" "$url") ||
        fail "curl ${*} $url failed"
    status=${out%% *}
    location=${out#* }
    [[ " $want " == *" $status "* ]] || fail "$url: status $status, expected $want"
}

# Same-host URLs in the last page: attribute values (href, src) or CSS
# url()s, &amp; decoded, fragments dropped.
attr_urls() {
    grep -oE "$1=[\"'][^\"']*[\"']" "$body" | sed -E "s/^$1=[\"']//; s/[\"']\$//; s/&#038;|&amp;/\\&/g; s/#.*//" |
        grep -E "^$WP_URL(/|\$)" | awk '!seen[$0]++' || true
}

# assets: the last page's style sheets, scripts and up to two regular
# fonts, each once per session (a browser's cache).
assets() {
    [ "$ASSETS" = yes ] || return 0
    local page=$body urls=() u args=() out
    mapfile -t urls < <(
        grep -oE "<link rel=['\"]stylesheet['\"][^>]*href=['\"][^'\"]*['\"]" "$page" | sed -E "s/.*href=['\"]//; s/['\"]\$//"
        grep -oE "<script[^>]*src=['\"][^'\"]*['\"]" "$page" | sed -E "s/.*src=['\"]//; s/['\"]\$//"
        grep -oE "url\('/wp-content/[^']*Regular[^']*\.woff2'\)" "$page" | sed -E "s#^url\('#$WP_URL#; s#'\)\$##" | head -n 2
    )
    for u in "${urls[@]}"; do
        u=${u//&#038;/\&}
        u=${u//&amp;/\&}
        [[ $u == "$WP_URL"/* ]] || continue
        [ -z "${fetched[$u]:-}" ] || continue
        fetched[$u]=1
        args+=(-o /dev/null "$u")
    done
    [ ${#args[@]} -gt 0 ] || return 0
    # Up to six at a time, as a browser opens up to six connections to a
    # host (each kept alive for the next asset unless KEEP_ALIVE=no).
    out=$(curl "${curl_opts[@]}" --parallel --parallel-max 6 -e "$final" -w '%{http_code}\n' "${args[@]}") ||
        fail "fetching the assets of $final failed"
    [ -z "$(echo "$out" | grep -v '^200$')" ] || fail "assets of $final: statuses $(echo "$out" | sort | uniq -c | tr '\n' ' ')"
}

# page URL: an HTML page of the blog (200, redirects followed as a browser
# follows them, e.g. a canonical URL), then its assets. $final is where it
# ended.
page() {
    local url=$1 out
    shift
    n=$((n + 1))
    body=$WORK/resp-$n
    headers=$WORK/head-$n
    local extra=()
    [ -z "$referer" ] || extra+=(-e "$referer")
    out=$(curl "${curl_opts[@]}" "${extra[@]}" -L -D "$headers" -o "$body" -w '%{http_code} %{url_effective}' "$@" "$url") ||
        fail "curl $url failed"
    status=${out%% *}
    final=${out#* }
    [ "$status" = 200 ] || fail "$url: status $status"
    grep -q '</html>' "$body" || fail "$url: the page is incomplete"
    local html=$body
    assets
    body=$html
    referer=$final
}

# The links of the last page a reader would follow: same host, no admin,
# login, feeds, API, assets or comment-reply links.
reader_links() {
    attr_urls href | grep -vE '/wp-(admin|login|json|content|includes|comments-post)|xmlrpc|feed|rest_route|replytocom|\?s=|\.(css|js|xml)(\?|$)' || true
}

# The posts listed on the last page (their title links).
post_links() {
    grep -oE 'class="wp-block-post-title"><a href="[^"]*"' "$body" | sed -E 's/.*href="//; s/"$//; s/&#038;|&amp;/\&/g' | awk '!seen[$0]++' || true
}

# The REST API's root, from the last page's <link rel="https://api.w.org/">.
rest_root() {
    API=$(grep -oE "<link rel=\"https://api.w.org/\" href=\"[^\"]*\"" "$body" | head -n 1 | sed -E 's/.*href="//; s/"$//; s/&#038;|&amp;/\&/g' || true)
    [ -n "$API" ] || fail "no REST API link on the page"
}
# api_url ROUTE [QUERY]: the URL of a REST route, whether the root is
# /wp-json/ (pretty permalinks) or ?rest_route=/ (plain).
api_url() {
    local q=${2:-}
    if [[ $API == *"rest_route="* ]]; then
        A="${API}$1${q:+&$q}"
    else
        A="${API}$1${q:+?$q}"
    fi
}

# ---- tasks ----------------------------------------------------------------
browse() {
    local visits=${VISITS:?} i cands=() feed etag lm
    page "$WP_URL/"
    local home=$body
    for ((i = 1; i <= visits; i++)); do
        if [ "$i" -gt 1 ] && late; then
            log "out of time: $((i - 1)) of $visits visits"
            visits=$((i - 1))
            break
        fi
        think
        # Now and then the reader goes back to the home page; otherwise
        # they follow a link of the page they are on (another page).
        rand_int 4
        mapfile -t cands < <(reader_links | grep -vxF "$final" || true)
        if [ "$R" = 0 ] || [ ${#cands[@]} -eq 0 ]; then
            page "$WP_URL/"
        else
            pick "${cands[@]}"
            page "$P"
        fi
        log "visit $i: $final"
    done
    # The feed, as a feed reader fetches it: then again, conditionally.
    body=$home
    feed=$(grep -oE '<link rel="alternate" type="application/rss\+xml" title="[^"]*" href="[^"]*"' "$body" |
        sed -E 's/.*href="//; s/"$//')
    local posts_feed comments_feed
    posts_feed=$(echo "$feed" | grep -v comments | head -n 1)
    comments_feed=$(echo "$feed" | grep comments | head -n 1)
    case "${FEED:-rss2}" in
    rss2) feed=$posts_feed ;;
    comments) feed=$comments_feed ;;
    atom) if [[ $posts_feed == *"?feed="* ]]; then feed=$WP_URL/?feed=atom; else feed=${posts_feed%/}/atom/; fi ;;
    *) fail "unknown FEED $FEED" ;;
    esac
    [ -n "$feed" ] || fail "no feed link on the home page"
    think
    referer=
    request 200 "$feed"
    grep -qE '<rss|<feed' "$body" || fail "$feed is not a feed"
    etag=$(grep -i '^etag:' "$headers" | head -n 1 | sed -E 's/^[^:]*: *//' | tr -d '\r')
    lm=$(grep -i '^last-modified:' "$headers" | head -n 1 | sed -E 's/^[^:]*: *//' | tr -d '\r')
    [ -n "$etag" ] && [ -n "$lm" ] || fail "$feed has no ETag or Last-Modified"
    local items
    items=$(grep -cE '<item>|<entry>' "$body" || true)
    think
    request 304 "$feed" -H "If-None-Match: $etag" -H "If-Modified-Since: $lm"
    log "browsed $visits pages; feed $feed: $items entries, then 304 Not Modified"
}

search() {
    local term cands=() hits next
    page "$WP_URL/"
    local searched=0
    for term in ${SEARCH_TERMS:?}; do
        if [ "$searched" -gt 0 ] && late; then
            log "out of time: $searched searches"
            break
        fi
        searched=$((searched + 1))
        think
        page "$WP_URL/?s=$term"
        hits=$(post_links | wc -l)
        log "search '$term': $hits results on the first page"
        next=$(grep -oE '<a href="[^"]*" class="wp-block-query-pagination-next"' "$body" | sed -E 's/^<a href="//; s/".*//; s/&#038;|&amp;/\&/g' | head -n 1 || true)
        mapfile -t cands < <(post_links)
        if [ -n "$next" ] && ! late; then
            think
            page "$next"
            log "search '$term': page 2 at $final"
            mapfile -t cands < <(post_links)
        fi
    done
    if [ ${#cands[@]} -gt 0 ] && ! late; then
        think
        pick "${cands[@]}"
        page "$P"
        log "opened $final"
    fi
}

comment() {
    local cands=() post_id parent=0 ids=() text form
    page "$WP_URL/"
    mapfile -t cands < <(post_links)
    pick "${cands[@]}"
    think
    page "$P"
    local post_url=$final
    form=$(grep -oE 'action="[^"]*wp-comments-post\.php"' "$body" | head -n 1 | sed -E 's/^action="//; s/"$//')
    [ -n "$form" ] || fail "$post_url has no comment form"
    post_id=$(grep -oE "name=['\"]comment_post_ID['\"] value=['\"][0-9]+['\"]" "$body" | grep -oE '[0-9]+' | head -n 1)
    [ -n "$post_id" ] || fail "$post_url: no comment_post_ID"
    mapfile -t ids < <(grep -oE 'id="comment-[0-9]+"' "$body" | grep -oE '[0-9]+' | awk '!seen[$0]++')
    if [ "${REPLY:-no}" = yes ] && [ ${#ids[@]} -gt 0 ]; then
        pick "${ids[@]}"
        parent=$P
    fi
    words "${COMMENT_WORDS:-10}"
    text="${W^}."
    think
    local fields=(--data-urlencode "comment=$text" --data-urlencode "author=${COMMENTER:?}"
        --data-urlencode "email=${COMMENT_EMAIL:?}" --data-urlencode "url=${COMMENT_URL:-}"
        --data-urlencode "submit=Post Comment" --data-urlencode "comment_post_ID=$post_id"
        --data-urlencode "comment_parent=$parent")
    request 302 "$form" "${fields[@]}"
    [[ $location == "$post_url"* ]] || fail "the comment went to $location, not back to $post_url"
    local cid
    cid=$(echo "$location" | grep -oE 'comment-[0-9]+' | grep -oE '[0-9]+' || true)
    [ -n "$cid" ] || fail "no comment id in $location"
    local held=no
    [[ $location != *unapproved=* ]] || held=yes
    # Back to the post, where the comment shows (or waits for moderation).
    page "$location"
    grep -qF "$text" "$body" || fail "the comment is not on $final"
    if [ $held = yes ]; then
        grep -q 'awaiting moderation' "$body" || fail "no moderation notice on $final"
    fi
    log "comment $cid by $COMMENTER on post $post_id (reply to ${parent}, held for moderation: $held)"
    if [ "${RESEND:-no}" = yes ]; then
        think
        referer=$post_url
        request 409 "$form" "${fields[@]}"
        grep -q 'Duplicate comment detected' "$body" || fail "the resent comment was not refused as a duplicate"
        log "the same comment again: refused as a duplicate (409)"
    fi
}

login() {
    local user=${LOGIN_USER:?} pass=${LOGIN_PASSWORD:?} nonce draft cats cat title content logout
    # The author's bookmark: the sign-in page, back to the editor after.
    local editor=$WP_URL/wp-admin/post-new.php
    page "$WP_URL/wp-login.php?redirect_to=$(jq -rn --arg u "$editor" '$u | @uri')"
    grep -q 'name="log"' "$body" || fail "no login form"
    grep -q 'wordpress_test_cookie' "$JAR" || fail "no test cookie"
    local form=(--data-urlencode "log=$user" --data-urlencode "wp-submit=Log In"
        --data-urlencode "redirect_to=$editor" --data-urlencode "testcookie=1")
    if [ "${WRONG_FIRST:-no}" = yes ]; then
        think
        request 200 "$WP_URL/wp-login.php" "${form[@]}" --data-urlencode "pwd=${pass}x"
        grep -q 'id="login_error"' "$body" || fail "a wrong password was not refused"
        log "wrong password for $user: refused"
    fi
    think
    request 302 "$WP_URL/wp-login.php" "${form[@]}" --data-urlencode "pwd=$pass"
    [ "$location" = "$editor" ] || fail "the login went to $location"
    grep -q 'wordpress_logged_in_' "$JAR" || fail "no login cookie"
    log "$user signed in (302 to $location)"
    page "$editor"
    # The block editor's REST API root and nonce, and the draft it opened.
    API=$(grep -oE 'createRootURLMiddleware\( "[^"]+" \)' "$body" | head -n 1 | sed -E 's/^[^"]*"//; s/".*//' || true)
    [ -n "$API" ] || fail "the editor has no REST API root"
    nonce=$(grep -oE 'createNonceMiddleware\( "[0-9a-f]+" \)' "$body" | grep -oE '[0-9a-f]{6,}' | head -n 1 || true)
    draft=$(grep -oE "initializeEditor\( 'editor', \"post\", [0-9]+" "$body" | grep -oE '[0-9]+$' | head -n 1 || true)
    [ -n "$draft" ] || fail "the editor opened no draft"
    if [ -z "$nonce" ]; then
        request 200 "$WP_URL/wp-admin/admin-ajax.php?action=rest-nonce"
        nonce=$(cat "$body")
    fi
    [ -n "$nonce" ] || fail "no REST nonce"
    # The admin bar's log-out link, in case there is no time to view the
    # post (where the same link is).
    logout=$(grep -oE 'href="[^"]*wp-login\.php\?action=logout[^"]*"' "$body" | head -n 1 | sed -E 's/^href="//; s/"$//; s/&#038;|&amp;/\&/g' || true)
    # What the editor asks at start, then the publication of its draft.
    local rest=(-H "X-WP-Nonce: $nonce" -H "Accept: application/json, */*;q=0.1")
    api_url wp/v2/users/me "context=edit"
    request 200 "$A" "${rest[@]}"
    [ "$(jq -r .slug "$body")" = "$user" ] || fail "the REST API does not know $user"
    api_url wp/v2/categories "per_page=100&context=view&_fields=id,name,parent"
    request 200 "$A" "${rest[@]}"
    cats=$(jq length "$body")
    [ "$cats" -gt 0 ] || fail "no categories"
    rand_int "$cats"
    cat=$(jq ".[$R].id" "$body")
    rand_int 4
    words $((R + 2))
    title="${W^}"
    words "${POST_WORDS:-40}"
    content="<!-- wp:paragraph -->\n<p>${W^}.</p>\n<!-- /wp:paragraph -->"
    think
    api_url "wp/v2/posts/$draft" "_locale=user"
    request 200 "$A" "${rest[@]}" -H "Content-Type: application/json" -X POST \
        --data-binary "$(jq -cn --arg t "$title" --arg c "$content" --argjson cat "$cat" --argjson id "$draft" \
            '{id: $id, title: $t, content: ($c | gsub("\\\\n"; "\n")), status: "publish", categories: [$cat]}')"
    [ "$(jq -r .status "$body")" = publish ] || fail "the post was not published"
    local link
    link=$(jq -r .link "$body")
    log "published post $draft '$title' at $link"
    if [ "${EDIT:-no}" = yes ] && ! late; then
        think
        words 12
        request 200 "$A" "${rest[@]}" -H "Content-Type: application/json" -X POST \
            --data-binary "$(jq -cn --arg c "$content<!-- wp:paragraph -->
<p>Update: ${W}.</p>
<!-- /wp:paragraph -->" '{content: ($c | gsub("\\\\n"; "\n"))}')"
        jq -e '.content.raw | contains("Update:")' "$body" >/dev/null || fail "the edit did not stick"
        log "edited post $draft"
    fi
    if ! late; then
        think
        referer=
        page "$link"
        grep -qF "$title" "$body" || fail "the post is not at $link"
        logout=$(grep -oE 'href="[^"]*wp-login\.php\?action=logout[^"]*"' "$body" | head -n 1 | sed -E 's/^href="//; s/"$//; s/&#038;|&amp;/\&/g' || true)
    fi
    [ -n "$logout" ] || fail "no log-out link in the admin bar"
    think
    request 302 "$logout"
    [[ $location == *loggedout=true* ]] || fail "log-out went to $location"
    log "$user signed out"
}

# ---- XML-RPC --------------------------------------------------------------
# Values of XML-RPC parameters (the drawn texts are words: nothing to escape).
xstr() { printf '<value><string>%s</string></value>' "$1"; }
xint() { printf '<value><int>%s</int></value>' "$1"; }
# xstruct NAME VALUE...: a struct of members.
xstruct() {
    local out="<value><struct>"
    while [ $# -ge 2 ]; do
        out+="<member><name>$1</name>$2</member>"
        shift 2
    done
    printf '%s</struct></value>' "$out"
}
# xcall METHOD PARAM...: one call (POST text/xml to xmlrpc.php, 200 even
# for a fault); $fault is the fault's code, empty when the call succeeded.
xcall() {
    local method=$1 p xml=""
    shift
    for p in "$@"; do xml+="<param>$p</param>"; done
    referer=
    request 200 "$WP_URL/xmlrpc.php" -H "Content-Type: text/xml" \
        --data-binary "<?xml version=\"1.0\"?><methodCall><methodName>$method</methodName><params>$xml</params></methodCall>"
    # The fault struct spreads over several lines: joined, without the
    # white space between tags.
    fault=$(tr -d '\n' <"$body" | sed -E 's/>[[:space:]]+</></g' |
        grep -oE '<name>faultCode</name><value><int>[0-9]+' | grep -oE '[0-9]+$' || true)
}

xmlrpc() {
    local user=${LOGIN_USER:?} pass=${LOGIN_PASSWORD:?} methods id title content cats=() auth=()
    auth=("$(xint 1)" "$(xstr "$user")" "$(xstr "$pass")")
    # Discovery, as a blogging client finds the endpoint (Really Simple
    # Discovery).
    referer=
    request 200 "$WP_URL/xmlrpc.php?rsd"
    grep -q 'name="WordPress"' "$body" || fail "no RSD document"
    xcall system.listMethods
    methods=$(grep -c '<string>' "$body" || true)
    grep -q '<string>wp.newPost</string>' "$body" || fail "wp.newPost is not offered"
    if [ "${WRONG_FIRST:-no}" = yes ]; then
        think
        xcall wp.getUsersBlogs "$(xstr "$user")" "$(xstr "${pass}x")"
        [ "$fault" = 403 ] || fail "a wrong password gave fault '${fault}', not 403"
        log "wrong password for $user: fault 403"
    fi
    think
    xcall wp.getUsersBlogs "$(xstr "$user")" "$(xstr "$pass")"
    [ -z "$fault" ] || fail "wp.getUsersBlogs: fault $fault"
    grep -q '<name>isAdmin</name>' "$body" || fail "wp.getUsersBlogs returned no blog"
    xcall wp.getPosts "${auth[@]}" "$(xstruct number "$(xint "${RECENT:-10}")")"
    [ -z "$fault" ] || fail "wp.getPosts: fault $fault"
    local posts
    posts=$(grep -c '<name>post_id</name>' "$body" || true)
    [ "$posts" -gt 0 ] || fail "wp.getPosts returned no post"
    xcall wp.getTerms "${auth[@]}" "$(xstr category)"
    [ -z "$fault" ] || fail "wp.getTerms: fault $fault"
    mapfile -t cats < <(grep -oE '<name>name</name><value><string>[^<]*</string>' "$body" | sed -E 's/.*<string>//; s/<\/string>//')
    [ ${#cats[@]} -gt 0 ] || fail "no category"
    pick "${cats[@]}"
    local cat=$P
    rand_int 4
    words $((R + 2))
    title="${W^}"
    words "${POST_WORDS:-40}"
    content="${W^}."
    think
    xcall wp.newPost "${auth[@]}" "$(xstruct post_title "$(xstr "$title")" post_content "$(xstr "$content")" \
        post_status "$(xstr publish)" \
        terms_names "$(xstruct category "<value><array><data>$(xstr "$cat")</data></array></value>")")"
    [ -z "$fault" ] || fail "wp.newPost: fault $fault"
    id=$(grep -oE '<string>[0-9]+</string>' "$body" | grep -oE '[0-9]+' | head -n 1 || true)
    [ -n "$id" ] || fail "wp.newPost returned no id"
    log "published post $id '$title' in '$cat' over XML-RPC"
    xcall wp.getPost "${auth[@]}" "$(xint "$id")"
    [ -z "$fault" ] || fail "wp.getPost: fault $fault"
    grep -qF "$title" "$body" || fail "wp.getPost: another title"
    think
    words 10
    xcall wp.editPost "${auth[@]}" "$(xint "$id")" "$(xstruct post_content "$(xstr "$content Update: $W.")")"
    [ -z "$fault" ] || fail "wp.editPost: fault $fault"
    grep -q '<boolean>1</boolean>' "$body" || fail "wp.editPost did not succeed"
    xcall wp.getCommentCount "${auth[@]}" "$(xint "$id")"
    [ -z "$fault" ] || fail "wp.getCommentCount: fault $fault"
    if [ "${DELETE:-no}" = yes ]; then
        think
        xcall wp.deletePost "${auth[@]}" "$(xint "$id")"
        [ -z "$fault" ] || fail "wp.deletePost: fault $fault"
        grep -q '<boolean>1</boolean>' "$body" || fail "wp.deletePost did not succeed"
        log "deleted post $id"
    fi
    log "XML-RPC session of $user done ($methods methods offered, $posts recent posts)"
}

case "$WP_TASK" in
browse) browse ;;
search) search ;;
comment) comment ;;
login) login ;;
xmlrpc) xmlrpc ;;
*) fail "unknown WP_TASK" ;;
esac
log "$WP_TASK done ($n requests)"
