#!/usr/bin/env bash
# Re-render the golden runs under generated/: every subscenario of every
# scenario at root seed 7, run index 0, and under generated/wan a few runs
# with WAN profiles and host load. Run it after an intentional change
# to a spec or template, and commit the result on its own with the reason.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet
rm -rf generated
mkdir -p generated
for spec in scenarios/*/scenario.yaml; do
    name=$(basename "$(dirname "$spec")")
    ./target/debug/detgen --scenarios scenarios render "$name" --subscenario all --seed 7 --out "generated/$name" >/dev/null
done
# WAN emulation and host load: a few runs with presets, each drawing its own
# links and distribution tables.
d=./target/debug/detgen
$d --scenarios scenarios render ftp --subscenario 1 --seed 7 --wan paper-primary --out generated/wan >/dev/null
$d --scenarios scenarios render ssh --subscenario 1 --seed 7 --wan mobile --host-load --out generated/wan >/dev/null
$d --scenarios scenarios render ping --seed 7 --wan dsl --out generated/wan >/dev/null
echo "golden runs: $(find generated -name manifest.yaml | wc -l)"
