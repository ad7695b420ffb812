#!/bin/sh
# An NTP server: chronyd serving its own clock at a drawn stratum to anyone
# on the scenario network. -x: never touch the container's (the host's)
# clock, so no SYS_TIME capability is needed.
set -eu
cat >/etc/chrony/detgen.conf <<CONF
local stratum ${NTP_STRATUM}
allow all
port 123
cmdport 0
driftfile /var/lib/chrony/detgen.drift
CONF
exec chronyd -d -x -f /etc/chrony/detgen.conf
