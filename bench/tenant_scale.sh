#!/usr/bin/env bash
# Tenant-scale benchmarks (issue 15) against one `azsecrets sandbox serve --apps APPS --latency MS`:
#   listing   full listing by createdDateTime ranges vs. sequential paging of the same pages
#   first-hit time from start to an app found by typing its name (it sits on the last page)
#   warm      warm start to the whole cached list on screen, and the delta refresh after it
#   rss       peak RSS of every CLI output mode and of the terminal UI (cli-rss: the CLI only;
#             tui-rss: the terminal UI only, a cold start that lists and writes the cache; the
#             warm start's peak is in the warm mode's lines)
# usage: bench/tenant_scale.sh [APPS] [LATENCY_MS] [listing|first-hit|warm|rss|cli-rss|tui-rss|all] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${1:-50000}
LATENCY=${2:-500}
WHAT=${3:-all}
RUNS=${4:-3}
cargo build --release --quiet --bins --examples
BIN=$PWD/target/release/azsecrets
[ -n "${CARGO_TARGET_DIR:-}" ] && BIN=$CARGO_TARGET_DIR/release/azsecrets
EX=$(dirname "$BIN")/examples

out=$(mktemp)
"$BIN" sandbox serve --apps "$APPS" --latency "$LATENCY" >"$out" 2>&1 &
server=$!
cache=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$out" "$cache"' EXIT
for _ in $(seq 1 600); do grep -q 'Access token:' "$out" 2>/dev/null && break; sleep 0.1; done
GRAPH=$(grep -m1 'Graph URL:' "$out" | awk '{print $3}')
export AZSECRETS_ACCESS_TOKEN=$(grep -m1 'Access token:' "$out" | awk '{print $3}')
export XDG_CACHE_HOME=$cache
[ -n "$GRAPH" ] && [ -n "$AZSECRETS_ACCESS_TOKEN" ] || { echo "sandbox did not start:"; cat "$out"; exit 1; }
# The seed tenant's apps plus the generated ones, as Graph counts them.
TOTAL=$(curl -s -H "Authorization: Bearer $AZSECRETS_ACCESS_TOKEN" -H "ConsistencyLevel: eventual" "${GRAPH%/}/v1.0/applications/\$count")
[ "$TOTAL" -gt "$APPS" ] 2>/dev/null || { echo "could not count the apps: $TOTAL"; exit 1; }
echo "sandbox: $TOTAL apps, ${LATENCY} ms a request"

az() { "$BIN" --graph-url "$GRAPH" --login-url "$GRAPH" --log-file /dev/null "$@"; }
ms() { python3 -c 'import time; print(int(time.monotonic()*1000))'; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
timed() { local t0 t1; t0=$(ms); "$@" >/dev/null; t1=$(ms); echo $((t1 - t0)); }

if [ "$WHAT" = listing ] || [ "$WHAT" = all ]; then
  raw=(); s4=(); s6=(); s8=(); apps=()
  for _ in $(seq 1 "$RUNS"); do
    raw+=("$(timed "$EX/raw_pager" "$GRAPH")")
    s4+=("$(timed az --list-concurrency 4 secrets list --output json)")
    s6+=("$(timed az secrets list --output json)")
    s8+=("$(timed az --list-concurrency 8 secrets list --output json)")
  done
  apps+=("$(timed az apps list --output json)")
  mr=$(median "${raw[@]}"); m4=$(median "${s4[@]}"); m6=$(median "${s6[@]}"); m8=$(median "${s8[@]}")
  echo "sequential paging (raw, median):            ${mr} ms   runs: ${raw[*]}"
  echo "secrets list, 4 ranges (median):            ${m4} ms   runs: ${s4[*]}"
  echo "secrets list, 6 ranges, default (median):   ${m6} ms   runs: ${s6[*]}"
  echo "secrets list, 8 ranges (median):            ${m8} ms   runs: ${s8[*]}"
  python3 -c "print(f'ratio to sequential:  {${m4}/${mr}:.2f}x (4), {${m6}/${mr}:.2f}x (6, default), {${m8}/${mr}:.2f}x (8)')"
  echo "apps list --output json (with certificates: paced at 150 listings a minute): ${apps[0]} ms"
fi

if [ "$WHAT" = first-hit ] || [ "$WHAT" = all ]; then
  # The app generated last: the last page of a sequential listing.
  name=$(az --list-concurrency 8 apps list --search "$(printf '%05d' "$APPS")" --output json \
    | python3 -c "import json,sys; a=[x['displayName'] for x in json.load(sys.stdin) if x['displayName'].endswith('$(printf '%05d' "$APPS")')]; print(a[0])")
  words=$(python3 -c "import re,sys; n=sys.argv[1]; print(' '.join(re.findall(r'[a-z]+|[0-9]+', n)[:2] + [n.split()[-1]]))" "$name")
  echo "app on the last page: $name (typed: $words)"
  for _ in $(seq 1 "$RUNS"); do
    rm -rf "$cache"/*
    "$EX/tenant_scale" first-hit "$GRAPH" "$BIN" "$words" "$name"
  done
fi

if [ "$WHAT" = warm ] || [ "$WHAT" = all ]; then
  # One cold start writes the cache; RUNS warm starts read it, a second apart.
  rm -rf "$cache"/*
  "$EX/tenant_scale" warm "$GRAPH" "$BIN" "$TOTAL" "$RUNS"
fi

if [ "$WHAT" = rss ] || [ "$WHAT" = cli-rss ] || [ "$WHAT" = all ]; then
  # `secrets list --check` exits 6 when something expires: a result, not a failure here.
  peak() { { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null || true; } | tail -1; }
  for mode in "apps list --output json" "apps list" "apps list --sort name" "apps list --sort name --output json" \
              "apps list --filter bil" "secrets list --output json" "secrets list" \
              "secrets list --sort expiry --output json" "secrets list --sort name" "secrets list --check"; do
    # shellcheck disable=SC2086
    kb=$(peak "$BIN" --graph-url "$GRAPH" --login-url "$GRAPH" --log-file /dev/null $mode)
    printf 'peak RSS %-45s %4d MB\n' "$mode" $((kb / 1024))
  done
  if [ "$WHAT" != cli-rss ]; then
    rm -rf "$cache"/*
    "$EX/tenant_scale" rss "$GRAPH" "$BIN" "$TOTAL"
  fi
fi

if [ "$WHAT" = tui-rss ]; then
  for _ in $(seq 1 "$RUNS"); do
    rm -rf "$cache"/*
    "$EX/tenant_scale" rss "$GRAPH" "$BIN" "$TOTAL"
  done
fi
