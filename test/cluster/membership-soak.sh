#!/usr/bin/env bash
# Membership soak: a fresh nats-server -js and N pkguard nodes (64 partitions, default leases), then
# every second for M minutes each node's /healthz is sampled: the membership it reports must equal
# the live node count, and the partitions must stay spread (each owned once). Prints a summary line
# and exits 1 on any mismatch. Build first (npm run build).
#   test/cluster/membership-soak.sh [NODES=3] [MINUTES=10]
set -euo pipefail
cd "$(dirname "$0")/../.."
NODES=${1:-3}; MINUTES=${2:-10}
NATS_BIN=$(command -v nats-server || echo /usr/sbin/nats-server)
work=$(mktemp -d /tmp/pkguard-soak.XXXXXX)
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
  "tokens": { "ingest": ["soak-ingest-token-0123456789"], "moderator": ["soak-moderator-token-0123456789"], "control": ["soak-control-token-0123456789"] },
  "journal": { "dir": "$work/journal$i" },
  "cluster": { "servers": "nats://127.0.0.1:$NATS_PORT", "nodeId": "soak$i" } }
JSON
  node dist/src/cli/main.js serve --config "$work/node$i.json" >"$work/node$i.log" 2>&1 & pids+=($!)
done
ports_csv=$(IFS=,; echo "${ports[*]}")
node --input-type=module - "$ports_csv" "$NODES" "$MINUTES" <<'JS'
const [portsCsv, nodesArg, minutesArg] = process.argv.slice(2);
const ports = portsCsv.split(',').map(Number), nodes = Number(nodesArg), end = Date.now() + Number(minutesArg) * 60_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Settle: every node answers and the partitions are spread.
for (let i = 0; i < 120; i++) {
  try { const hs = await Promise.all(ports.map(async (p) => (await fetch(`http://127.0.0.1:${p}/healthz`)).json())); if (hs.reduce((n, h) => n + h.cluster.partitions.length, 0) === 64 && hs.every((h) => h.cluster.nodes === nodes)) break; } catch {}
  await sleep(500);
}
let samples = 0, wrongCount = 0, notSpread = 0, notReady = 0; const seen = {};
while (Date.now() < end) {
  const hs = await Promise.all(ports.map(async (p) => (await fetch(`http://127.0.0.1:${p}/healthz`)).json()));
  for (const h of hs) { samples++; seen[h.cluster.nodes] = (seen[h.cluster.nodes] ?? 0) + 1; if (h.cluster.nodes !== nodes) wrongCount++; if (!h.ready) notReady++; }
  const owned = hs.flatMap((h) => h.cluster.partitions);
  if (owned.length !== 64 || new Set(owned).size !== 64) notSpread++;
  await sleep(1000);
}
console.log(`membership soak: ${nodes} nodes, ${minutesArg} min, ${samples} samples; membership counts seen ${JSON.stringify(seen)}; wrong ${wrongCount}; rounds not spread ${notSpread}; not ready ${notReady}`);
process.exit(wrongCount === 0 ? 0 : 1);
JS
