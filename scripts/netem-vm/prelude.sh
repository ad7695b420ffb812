# Sourced in the guest before the test script (see scripts/netem-vm.sh).
# Busybox sh would run its own `ip` and `tc` applets for these bare names;
# these functions send them to the real iproute2 binaries instead, so a
# script written for a normal system works unchanged.
ip() { /usr/sbin/ip "$@"; }
tc() { /usr/sbin/tc "$@"; }
