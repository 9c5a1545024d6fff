#!/usr/bin/env bash
# First page to screen against `azsecrets sandbox serve --apps 50000` (see examples/first_rows.rs).
# usage: bench/first_rows.sh [APPS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${1:-50000}
RUNS=${2:-7}
cargo build --release --quiet --bins --examples
out=$(mktemp)
target/release/azsecrets sandbox serve --apps "$APPS" >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 300); do grep -q 'Access token:' "$out" 2>/dev/null && break; sleep 0.1; done
GRAPH=$(grep -m1 'Graph URL:' "$out" | awk '{print $3}')
export AZSECRETS_ACCESS_TOKEN=$(grep -m1 'Access token:' "$out" | awk '{print $3}')
target/release/examples/first_rows "$GRAPH" target/release/azsecrets "$RUNS"
