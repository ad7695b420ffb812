#!/usr/bin/env bash
# Dataset benchmark, measured side by side in one run on the same inputs:
#   1. merge + shift: `detgen dataset build` (one chunk per run) against
#      the manual workflow (per chunk `mergecap`, `editcap -t` by the same
#      shift, then `mergecap -a` to concatenate the chunks);
#   2. features: `detgen features` against a `tshark -T fields` export of
#      the fields the features are computed from.
# Inputs are synthetic captures (examples/synth_captures.rs) in rendered
# ping runs, read from the page cache by both sides. Prints a Markdown
# table: wall time, throughput (input MB/s), peak RSS and the ratios.
#
# Usage: scripts/bench-dataset.sh [MB_PER_RUN [FILES_PER_RUN [RUNS]]]
#        (default 1000 MB x 32 files x 2 runs: 2 GB of captures)
# BENCH_TASKS=merge or BENCH_TASKS=features runs one task only (tshark
# takes about a second per MB: the features task is best run on less).
# Each command runs BENCH_REPEAT times (default 3); the median is reported.
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${1:-1000}
FILES=${2:-32}
RUNS=${3:-2}
TASKS=${BENCH_TASKS:-merge features}
REPEAT=${BENCH_REPEAT:-3}
for tool in mergecap editcap tshark capinfos /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install tshark time)" >&2; exit 1; }
done
cargo build --release --quiet --bin detgen --example synth_captures
BIN=$PWD/target/release/detgen
WORK=$(mktemp -d "${TMPDIR:-/tmp}/detgen-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

runs=()
for r in $(seq 1 "$RUNS"); do
    "$BIN" --scenarios scenarios render ping --seed $((7000 + r)) --out "$WORK/runs/$r" >/dev/null
    runs+=("$WORK/runs/$r/ping-1-0")
done
echo "bench: writing $RUNS x $MB MB of captures ($FILES files per run)" >&2
target/release/examples/synth_captures "$MB" "$FILES" "${runs[@]}"
input_bytes=$(cat "$WORK"/runs/*/ping-1-0/pcap/*.pcap | wc -c)

# measure NAME CMD...: median wall seconds over $REPEAT runs and the
# largest peak RSS (KiB) of CMD and its children.
declare -A SECS KB
measure() {
    local name=$1 r secs kb times=() peak=0
    shift
    for r in $(seq "$REPEAT"); do
        cat "$WORK"/runs/*/ping-1-0/pcap/*.pcap >/dev/null # same warm cache for all
        /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >/dev/null 2>"$WORK/err" || {
            cat "$WORK/err" >&2
            exit 1
        }
        read -r secs kb <"$WORK/time"
        times+=("$secs")
        [ "$kb" -gt "$peak" ] && peak=$kb
    done
    SECS[$name]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((REPEAT + 1) / 2))p")
    KB[$name]=$peak
    echo "bench: $name: ${times[*]} s (median ${SECS[$name]}), peak RSS $peak KiB" >&2
}

echo "bench: detgen dataset build" >&2
measure detgen "$BIN" dataset build "${runs[@]}" --out "$WORK/ds" --gap 1 --force
count() { capinfos -c -a -e -T -r "$1" | awk -F'\t' '{print $2, $3, $4}'; }
dataset=$(count "$WORK/ds/dataset.pcap")
if [[ " $TASKS " == *" merge "* ]]; then
    # The manual workflow gets the shifts detgen computed (finding them by
    # hand would take another pass per chunk, which is not counted).
    grep 'shift_ns:' "$WORK/ds/dataset.yaml" | awk '{printf "%.6f\n", $2 / 1e9}' >"$WORK/shifts"
    cat >"$WORK/manual.sh" <<EOF
set -e
parts=()
i=0
for run in ${runs[*]}; do
    shift_s=\$(sed -n "\$((i + 1))p" "$WORK/shifts")
    mergecap -F pcap -w "$WORK/chunk\$i.pcap" "\$run"/pcap/*.pcap
    editcap -F pcap -t "\$shift_s" "$WORK/chunk\$i.pcap" "$WORK/shifted\$i.pcap"
    rm "$WORK/chunk\$i.pcap"
    parts+=("$WORK/shifted\$i.pcap")
    i=\$((i + 1))
done
mergecap -F pcap -a -w "$WORK/manual.pcap" "\${parts[@]}"
EOF
    echo "bench: mergecap + editcap" >&2
    measure manual bash "$WORK/manual.sh"
    # Same packets, same span?
    b=$(count "$WORK/manual.pcap")
    [ "$dataset" = "$b" ] || { echo "bench: outputs differ: detgen [$dataset] manual [$b]" >&2; exit 1; }
    rm -f "$WORK"/shifted*.pcap "$WORK/manual.pcap"
fi

if [[ " $TASKS " == *" features "* ]]; then
    echo "bench: detgen features" >&2
    measure features "$BIN" features "$WORK/ds" --out "$WORK/features.csv"
    echo "bench: tshark -T fields" >&2
    measure tshark tshark -r "$WORK/ds/dataset.pcap" -T fields -e frame.time_epoch -e ip.src -e ip.dst \
        -e ip.proto -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport -e tcp.flags -e frame.len
fi

mbps() { awk -v b="$input_bytes" -v s="$1" 'BEGIN { printf "%.0f", b / 1e6 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1fx", b / a }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
row() { # TASK TOOL NAME [PEER]
    echo "| $1 | $2 | ${SECS[$3]} | $(mbps "${SECS[$3]}") | $(mib "${KB[$3]}") | ${4:+$(ratio "${SECS[$3]}" "${SECS[$4]:-0}")} |"
}
echo
echo "Inputs: $RUNS runs x $FILES captures, $((input_bytes / 1000000)) MB, $(echo "$dataset" | cut -d' ' -f1) packets; $(nproc) CPUs."
echo
echo "| task | tool | seconds | MB/s | peak RSS (MiB) | detgen speed-up |"
echo "|---|---|---|---|---|---|"
if [[ " $TASKS " == *" merge "* ]]; then
    row "merge + shift" "detgen dataset build" detgen manual
    row "merge + shift" "mergecap + editcap -t + mergecap -a" manual
fi
if [[ " $TASKS " == *" features "* ]]; then
    row "flow features" "detgen features" features tshark
    row "flow features" "tshark -T fields" tshark
fi
