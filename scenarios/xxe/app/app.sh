#!/bin/sh
# ROLE=app: the vulnerable XML profile service, run by www-data (so it can
# read /etc/passwd and its own config, not /etc/shadow).
# ROLE=internal: an internal admin API that only the app's network should
# reach, holding an access token.
set -eu
case "$ROLE" in
app)
    printf '<?php\n$db_password = "%s";\n' "$DB_PASSWORD" >/srv/app/config.php
    chown -R www-data /srv/app
    exec setpriv --reuid www-data --regid www-data --init-groups \
        php -S 0.0.0.0:80 -t /srv/app
    ;;
internal)
    mkdir -p /srv/internal/admin
    printf '%s\n' "$TOKEN" >/srv/internal/admin/token
    exec php -S 0.0.0.0:80 -t /srv/internal
    ;;
esac
