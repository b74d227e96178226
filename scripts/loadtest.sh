#!/usr/bin/env bash
# Load test of `transformer serve` with wrk (Debian's package) on 127.0.0.1, single Multi30k
# sentences per request through LibreTranslate's POST /translate, at 1, 8 and 64 concurrent
# clients, then the same sentences offline with `transformer translate --batch-size 32`.
# With SOAK=SECONDS, then 64 clients for that long while the server's resident memory is sampled
# every 30 s. Figures: docs/PERFORMANCE.md. Needs `swift build -c release` (both products).
#   bash scripts/loadtest.sh [SECONDS_PER_LEVEL]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
export SENTENCES=${SENTENCES:-../shared/data/multi30k/test_2016_flickr.de}
bin=${BIN:-.build/release}
work=$(mktemp -d)
"$bin/transformer-serve" --port 0 > "$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=""
while [ -z "$port" ]; do sleep 0.2; port=$(sed -n 's|.*http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/server.log" | head -1); done
url=http://127.0.0.1:$port
wrk -t2 -c8 -d5s -s scripts/loadtest.lua "$url" > /dev/null   # warm-up
for clients in 1 8 64; do
  threads=$(( clients < 2 ? 1 : 2 ))
  echo "== $clients clients, $seconds s"
  wrk -t$threads -c$clients -d${seconds}s --timeout 30s --latency -s scripts/loadtest.lua "$url" | grep -E "Requests/sec|non-200|latency p50|Socket errors"
done
echo "== offline: transformer translate --batch-size 32 on the $(wc -l < "$SENTENCES") sentences"
start=$(date +%s.%N)
"$bin/transformer" translate --batch-size 32 --input "$SENTENCES" > /dev/null
end=$(date +%s.%N)
awk -v n="$(wc -l < "$SENTENCES")" -v s="$start" -v e="$end" 'BEGIN { printf "%.1f s, %.1f sentences/s\n", e - s, n / (e - s) }'
if [ -n "${SOAK:-}" ]; then
  echo "== soak: 64 clients for $SOAK s; resident memory of the server (MB) every 30 s"
  wrk -t2 -c64 -d${SOAK}s --timeout 30s --latency -s scripts/loadtest.lua "$url" > "$work/soak.txt" &
  load=$!
  while kill -0 $load 2>/dev/null; do
    echo "$(date +%T) $(awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' /proc/$pid/status)"
    sleep 30
  done
  grep -E "Requests/sec|non-200|latency p50|Socket errors" "$work/soak.txt"
fi
kill -TERM $pid
wait $pid
echo "server exited $?"
