#!/usr/bin/env bash
# The project's one test command: prepares the host (Docker engine, compose
# v2, the local base image, tshark), then runs formatting and lint checks and
# the whole test suite, end-to-end Docker runs included.
#
# Usage: scripts/test.sh          (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-host.sh
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
# Integration tests share the Docker engine; two at a time fit two cores.
cargo test --locked -- --test-threads 2
