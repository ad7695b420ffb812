#!/usr/bin/env bash
# Self-test of scripts/netem-vm.sh: five netem checks in the VM, each with
# loose bounds (TCG adds ~0.5-1 ms per round trip and rare stalls of tens of
# ms, so medians and means get a margin). Takes about 70 s once cached.
#
# Usage: scripts/netem-vm/selftest.sh
# Prints one line per check and closes with "N passed, N failed".
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
harness=$here/../netem-vm.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/netem-vm-selftest.XXXXXX")
trap 'rm -rf "$work"' EXIT

cat >"$work/delay.sh" <<'EOF'
/usr/sbin/tc qdisc add dev $DEV root netem delay 50ms 10ms
EOF
cat >"$work/pareto.sh" <<'EOF'
/usr/sbin/tc qdisc add dev $DEV root netem delay 40ms 10ms distribution pareto
EOF
cat >"$work/loss.sh" <<'EOF'
/usr/sbin/tc qdisc add dev $DEV root netem loss 20%
EOF
cat >"$work/ifb.sh" <<'EOF'
set -e
/usr/sbin/ip link add ifb0 type ifb
/usr/sbin/ip link set ifb0 up
/usr/sbin/tc qdisc add dev $DEV handle ffff: ingress
/usr/sbin/tc filter add dev $DEV parent ffff: matchall action mirred egress redirect dev ifb0
/usr/sbin/tc qdisc add dev ifb0 root netem delay 30ms
/usr/sbin/tc qdisc add dev $DEV root netem delay 20ms
EOF
cat >"$work/bimodal.sh" <<'EOF'
/usr/sbin/tc qdisc add dev $DEV root netem delay 40ms 10ms distribution bimodal
EOF
# A custom table: half the entries at -1 standard deviation (-8192), half at
# +1 (8192), so delays are 30 ms or 50 ms.
{
    echo "# bimodal: -1 and +1 standard deviation, half each"
    for _ in $(seq 256); do echo "-8192 -8192 -8192 -8192 -8192 -8192 -8192 -8192"; done
    for _ in $(seq 256); do echo "8192 8192 8192 8192 8192 8192 8192 8192"; done
} >"$work/bimodal.dist"

passed=0 failed=0
# check NAME PYTHON-CONDITION [HARNESS ARGS...]; the condition sees d (the
# JSON), r (rtt_ms), mean, median, loss (percent), lo (RTTs < 40), hi.
check() {
    local name=$1 cond=$2 start end verdict
    shift 2
    start=$(date +%s)
    if ! "$harness" "$@" >"$work/$name.json" 2>"$work/$name.err"; then
        echo "FAIL $name: the harness failed"; sed 's/^/    /' "$work/$name.err"
        failed=$((failed + 1)); return
    fi
    end=$(date +%s)
    verdict=$(python3 - "$work/$name.json" "$cond" <<'EOF'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
r = d["rtt_ms"]
mean = statistics.mean(r) if r else float("nan")
median = statistics.median(r) if r else float("nan")
loss = 100.0 * (d["sent"] - d["received"]) / d["sent"] if d["sent"] else 100.0
lo = [x for x in r if x < 40]
hi = [x for x in r if x >= 40]
ok = d["script_exit"] == 0 and eval(sys.argv[2])
print(("ok" if ok else "bad") + f" exit={d['script_exit']} sent={d['sent']} received={d['received']}"
      f" loss={loss:.1f}% mean={mean:.2f} median={median:.2f}"
      f" min={min(r, default=0):.2f} max={max(r, default=0):.2f}"
      f" low={len(lo)} high={len(hi)}")
EOF
)
    if [[ $verdict == ok* ]]; then
        echo "ok   $name (${verdict#ok }; $((end - start)) s)"; passed=$((passed + 1))
    else
        echo "FAIL $name (${verdict#bad }; $((end - start)) s; wanted $cond)"; failed=$((failed + 1))
    fi
}

check delay   '47 <= mean <= 55 and d["received"] == d["sent"]' "$work/delay.sh"
check pareto  '37 <= mean <= 45 and min(r) >= 33' "$work/pareto.sh"
check loss    '14 <= loss <= 26' --count 1000 "$work/loss.sh"
check ifb     '49 <= median <= 54 and min(r) >= 49.5' "$work/ifb.sh"
check bimodal 'len(lo) > 0.3 * len(r) and len(hi) > 0.3 * len(r) and 29.5 <= statistics.median(lo) <= 34 and 49.5 <= statistics.median(hi) <= 54' \
    "$work/bimodal.sh" "$work/bimodal.dist"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
