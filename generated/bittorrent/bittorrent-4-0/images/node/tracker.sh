#!/bin/sh
# tracker.sh - entrypoint of the `bittorrent` scenario's tracker.
#
# Runs opentracker (Debian's package, built in "private" mode: only info
# hashes on its whitelist are tracked) on port 6969, TCP (HTTP announces
# and scrapes) and UDP (BEP 15 announces), chrooted to /etc/opentracker,
# and in front of it the torrent site (bt.py site, port 80), where the
# seeder uploads its .torrent - which whitelists the info hash and makes
# opentracker reload the list (SIGHUP) - and the leechers find it.
# The service is ready once both ports listen.
set -eu

mkdir -p /srv/torrents
: >/etc/opentracker/whitelist.txt
# opentracker reads the list once before it chroots (from /) and again in
# the chroot on SIGHUP: the same path must work from both roots.
ln -sf /etc/opentracker/whitelist.txt /whitelist.txt
cat >/etc/opentracker/detgen.conf <<EOF
listen.tcp_udp 0.0.0.0:6969
access.whitelist /whitelist.txt
tracker.rootdir /etc/opentracker
tracker.user _opentracker
EOF

/usr/bin/opentracker -f /etc/opentracker/detgen.conf &
echo $! >/run/opentracker.pid
echo "tracker: opentracker (pid $!) on tcp+udp port 6969"
exec python3 -u /usr/local/bin/bt.py site
