#!/bin/sh
# icecast.sh - entrypoint of the `mopidy` scenario's streaming server.
#
# Runs Icecast 2 (Debian's icecast2) on port 8000: Mopidy is its source
# (shout2send, HTTP PUT with the drawn source password to the drawn mount)
# and the listener tunes in with plain HTTP GETs. Icecast starts as root
# and drops to the icecast2 user (changeowner); its error log is copied
# to stdout. Ready once port 8000 listens.
set -eu

: "${ICE_SOURCE_PASSWORD:?}" "${ICE_ADMIN_PASSWORD:?}"
LOGDIR=/var/log/icecast2
mkdir -p "$LOGDIR"
: >"$LOGDIR/error.log"
: >"$LOGDIR/access.log"
chown -R icecast2:icecast "$LOGDIR"

cat >/etc/icecast2/detgen.xml <<EOF
<icecast>
  <location>${ICE_LOCATION:-Earth}</location>
  <admin>${ICE_ADMIN_EMAIL:-icemaster@localhost}</admin>
  <hostname>icecast</hostname>
  <limits>
    <clients>${ICE_MAX_CLIENTS:-100}</clients>
    <sources>4</sources>
    <queue-size>524288</queue-size>
    <client-timeout>30</client-timeout>
    <header-timeout>15</header-timeout>
    <!-- long enough for a paused player: shout2send stays connected but
         sends nothing while Mopidy is paused -->
    <source-timeout>60</source-timeout>
    <burst-on-connect>${ICE_BURST:-1}</burst-on-connect>
    <burst-size>${ICE_BURST_SIZE:-65535}</burst-size>
  </limits>
  <authentication>
    <source-password>${ICE_SOURCE_PASSWORD}</source-password>
    <relay-password>${ICE_ADMIN_PASSWORD}</relay-password>
    <admin-user>admin</admin-user>
    <admin-password>${ICE_ADMIN_PASSWORD}</admin-password>
  </authentication>
  <listen-socket><port>8000</port></listen-socket>
  <fileserve>1</fileserve>
  <paths>
    <basedir>/usr/share/icecast2</basedir>
    <logdir>${LOGDIR}</logdir>
    <webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot>
    <alias source="/" destination="/status.xsl"/>
  </paths>
  <logging>
    <accesslog>access.log</accesslog>
    <errorlog>error.log</errorlog>
    <loglevel>3</loglevel>
  </logging>
  <security>
    <chroot>0</chroot>
    <changeowner><user>icecast2</user><group>icecast</group></changeowner>
  </security>
</icecast>
EOF

(tail -q -n +1 -F "$LOGDIR/error.log" "$LOGDIR/access.log" 2>/dev/null &)
echo "icecast: listening on port 8000"
exec icecast2 -c /etc/icecast2/detgen.xml
