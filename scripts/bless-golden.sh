#!/usr/bin/env bash
# Re-render the golden runs under generated/: every subscenario of every
# scenario at root seed 7, run index 0. Run it after an intentional change
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
echo "golden runs: $(find generated -name manifest.yaml | wc -l)"
