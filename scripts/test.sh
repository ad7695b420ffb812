#!/usr/bin/env bash
# The project's one test command: prepares the host (Docker engine, compose
# v2, the local base image, tshark), then runs formatting and lint checks and
# the whole test suite: end-to-end Docker runs, WAN emulation on this
# kernel, and netem in a QEMU VM booting Debian's kernel (tests/netem_vm.rs;
# scripts/netem-vm.sh fetches what it needs from Debian's archive).
#
# The VM tests measure timing, so they run first, alone and one VM at a
# time (an emulated guest's clock suffers from a second one). The other test
# binaries then run one after another, each with two test threads (and the
# end-to-end tests run up to three scenario runs at once): on two CPUs a
# second lane finished the catalogue sooner but pushed the
# load average past 20, where timing-sensitive workloads (a media player
# skipping tracks, a BitTorrent announce) missed their deadlines.
# DETGEN_TEST_LANES=N runs N binaries at a time on a bigger host. A failing
# binary's output is printed in full.
#
# Usage: scripts/test.sh          (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo build --locked
# Every test executable (the test profile's artifacts), by name.
mapfile -t bins < <(cargo test --locked --no-run --message-format=json 2>/dev/null |
    grep -E '"profile":\{[^}]*"test":true' | grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | sort)
[ "${#bins[@]}" -gt 0 ] || { echo "test: no test binaries were built" >&2; exit 1; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/detgen-test.XXXXXX")
export LOGS=$logs
# run_bin BINARY [THREADS]: runs one test binary (two test threads unless
# told), its output in $LOGS/<binary>.log.
run_bin() {
    local log name start=$SECONDS
    log="$LOGS/$(basename "$1").log"
    name=$(basename "$1" | sed 's/-[0-9a-f]*$//')
    if "$1" --test-threads "${2:-2}" >"$log" 2>&1; then
        echo "test: ok     $name ($((SECONDS - start)) s)"
    else
        echo "test: FAILED $name ($((SECONDS - start)) s)"
        cat "$log"
        return 1
    fi
}
export -f run_bin

status=0
others=()
for b in "${bins[@]}"; do
    case "$(basename "$b")" in
    netem_vm-*) run_bin "$b" 1 || status=1 ;;
    *) others+=("$b") ;;
    esac
done
printf '%s\n' "${others[@]}" | xargs -P "${DETGEN_TEST_LANES:-1}" -I{} bash -c 'run_bin "$1"' _ {} || status=1
exit $status
