#!/bin/sh
# A user fetching from "the internet" with wget; MODE picks the subscenario.
#   page:    each site in VISIT, its index page with everything it needs
#            (-p), over SCHEME, as AGENT, THINK seconds apart
#   mirror:  a recursive copy (-r -l DEPTH) of each site in VISIT
#   missing: MISSING host names that do not exist (DNS fails), then a page
#            that does not exist on a real site (404)
#   resume:  the download of one site, cut after PARTIAL bytes and resumed
#            with -c (a Range request)
# The site's certificate is self-signed: HTTPS runs without verification,
# as a user clicking through the warning would. Exits 0 when every fetch
# ended as designed (failures included, for `missing`).
set -eu
get() { wget --tries=1 --timeout=10 --no-check-certificate -U "$AGENT" "$@"; }
case "$MODE" in
page)
    for site in $VISIT; do
        get -p -P /tmp/fetch "$SCHEME://$site/"
        sleep "$THINK"
    done
    ;;
mirror)
    for site in $VISIT; do
        get -r -l "$DEPTH" -np -P /tmp/mirror "$SCHEME://$site/"
    done
    ;;
missing)
    for host in $MISSING; do
        if get -O /dev/null "$SCHEME://$host/"; then
            echo "unexpected: $host answered" >&2
            exit 1
        fi
        sleep "$THINK"
    done
    site=${VISIT%% *}
    if get -O /dev/null "$SCHEME://$site/no-such-page-$PAGE_SUFFIX.html"; then
        echo "unexpected: a missing page was served" >&2
        exit 1
    fi
    ;;
resume)
    site=${VISIT%% *}
    # the first attempt stops after PARTIAL bytes, as a dropped connection
    get -O - "$SCHEME://$site/static/download.bin" | head -c "$PARTIAL" >/tmp/download.bin || true
    get -c -O /tmp/download.bin "$SCHEME://$site/static/download.bin"
    [ "$(wc -c </tmp/download.bin)" -eq "$DOWNLOAD_BYTES" ]
    ;;
*)
    echo "unknown MODE $MODE" >&2
    exit 2
    ;;
esac
