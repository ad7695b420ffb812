#!/usr/bin/env bash
# The project's one test command: prepares the host (Docker engine, compose
# v2, the local base image, tshark), then runs formatting and lint checks and
# the whole test suite: end-to-end Docker runs, WAN emulation on this
# kernel, and netem in a QEMU VM booting Debian's kernel (tests/netem_vm.rs;
# scripts/netem-vm.sh fetches what it needs from Debian's archive).
#
# Usage: scripts/test.sh          (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Integration tests share the Docker engine; two at a time fit two cores.
# (Test binaries run one after another, so the VM tests have the machine.)
cargo test --locked -- --test-threads 2
