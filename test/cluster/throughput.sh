#!/usr/bin/env bash
# Throughput of a pkguard cluster on this machine: a fresh nats-server -js, N pkguard nodes in
# cluster mode, and the e2e bench's load generator (dist/bench/e2e) against node 1, at fixed rates.
#   test/cluster/throughput.sh NODES "RATE_PER_STREAM ..." [STREAMS] [DURATION_S]
# Build first (npm run build). Writes bench JSON/HTML under bench/results/cluster-<N>n-<rate>.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${1:-1}; RATES=${2:-"2 5 10"}; STREAMS=${3:-1000}; DURATION=${4:-15}
NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)
work=$(mktemp -d /tmp/pkguard-cluster-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
NATS_PORT=$(free_port)
"$NATS_BIN" -js -a 127.0.0.1 -p "$NATS_PORT" -sd "$work/nats" 2>"$work/nats.log" & pids+=($!)
sleep 1
ports=()
for i in $(seq 1 "$NODES"); do
  port=$(free_port); ports+=("$port")
  cat > "$work/node$i.json" <<JSON
{ "port": $port, "host": "127.0.0.1", "logLevel": "warn", "watchLexicons": false,
  "tokens": { "ingest": ["bench-ingest-token-0123456789"], "moderator": ["bench-moderator-token-0123456789"], "control": ["bench-control-token-0123456789"] },
  "journal": { "dir": "$work/journal$i" }, "limits": { "ratePerSecond": 1000000, "rateBurst": 1000000, "tokenRatePerSecond": 1000000, "globalRatePerSecond": 1000000, "drainNoticeMs": 0 },
  "cluster": { "servers": "nats://127.0.0.1:$NATS_PORT", "nodeId": "n$i" } }
JSON
  node dist/src/cli/main.js serve --config "$work/node$i.json" >"$work/node$i.log" 2>&1 & pids+=($!)
done
# Wait until the nodes own all partitions between them, evenly.
share=$(( (64 + NODES - 1) / NODES ))
for _ in $(seq 1 120); do
  total=0; ok=1
  for port in "${ports[@]}"; do
    n=$( (curl -s "http://127.0.0.1:$port/healthz" || true) | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{try{console.log(JSON.parse(s).cluster.partitions.length)}catch{console.log(0)}})")
    total=$((total + n)); { [ "$n" -gt 0 ] && [ "$n" -le "$share" ]; } || ok=0
  done
  [ "$total" = 64 ] && [ "$ok" = 1 ] && break
  sleep 0.5
done
echo "cluster of $NODES node(s) ready (partitions: $total), ingest through ws://127.0.0.1:${ports[0]}"
mkdir -p bench/results
for rate in $RATES; do
  node dist/bench/e2e/main.js --url "ws://127.0.0.1:${ports[0]}" --ingest-token bench-ingest-token-0123456789 --moderator-token bench-moderator-token-0123456789 \
    --streams "$STREAMS" --rate "$rate" --duration "$DURATION" --warmup 5 --p99-bound 200 --out "bench/results/cluster-${NODES}n-${rate}.json" 2>&1 | grep -v '^t=' || true
done
