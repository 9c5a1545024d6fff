#!/usr/bin/env bash
# Full listing of 50,000 app registrations: `azsecrets apps list --output json` versus the paging
# limit (examples/raw_pager.rs: a keep-alive client that fetches the same pages and discards them),
# plus peak RSS of the listing. Both run against one `azsecrets sandbox serve --apps 50000`.
#
# usage: bench/listing.sh [APPS] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${1:-50000}
RUNS=${2:-5}
cargo build --release --quiet --bins --examples
BIN=target/release/azsecrets
PAGER=target/release/examples/raw_pager

out=$(mktemp)
"$BIN" sandbox serve --apps "$APPS" >"$out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 300); do grep -q 'Access token:' "$out" 2>/dev/null && break; sleep 0.1; done
GRAPH=$(grep -m1 'Graph URL:' "$out" | awk '{print $3}')
LOGIN=$(grep -m1 'Login URL:' "$out" | awk '{print $3}')
export AZSECRETS_ACCESS_TOKEN=$(grep -m1 'Access token:' "$out" | awk '{print $3}')
[ -n "$GRAPH" ] && [ -n "$AZSECRETS_ACCESS_TOKEN" ] || { echo "sandbox did not start:"; cat "$out"; exit 1; }

ms() { python3 -c 'import time; print(int(time.monotonic()*1000))'; }
run_cli() { "$BIN" --graph-url "$GRAPH" --login-url "$LOGIN" --log-file /dev/null apps list --output json >/dev/null; }
run_raw() { "$PAGER" "$GRAPH" 2>/dev/null; }

# Warm up both (connection setup, page cache).
run_cli; run_raw
cli=(); raw=()
for _ in $(seq 1 "$RUNS"); do
  t0=$(ms); run_raw; t1=$(ms); raw+=($((t1 - t0)))
  t0=$(ms); run_cli; t1=$(ms); cli+=($((t1 - t0)))
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mc=$(median "${cli[@]}"); mr=$(median "${raw[@]}")
rss=$(/usr/bin/time -f '%M' "$BIN" --graph-url "$GRAPH" --login-url "$LOGIN" --log-file /dev/null apps list --output json 2>&1 >/dev/null | tail -1)
count=$("$BIN" --graph-url "$GRAPH" --login-url "$LOGIN" --log-file /dev/null apps list --output json | grep -c '"appId"')
echo "apps listed:          $count"
echo "raw paging (median):  ${mr} ms   runs: ${raw[*]}"
echo "azsecrets (median):   ${mc} ms   runs: ${cli[*]}"
python3 -c "print(f'ratio:                {${mc}/${mr}:.2f}x (target <= 1.25x)')"
echo "peak RSS azsecrets:   $((rss / 1024)) MB (target < 150 MB)"
