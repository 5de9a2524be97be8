/**
 * Takeover of a SIGKILLed node's partitions with a long history, on this machine:
 *
 * 1. a fresh `nats-server -js`; `--events` events of history (final transcript chunks, one in ten
 *    with a flag; records as the stream core writes them) published straight onto the events
 *    stream over `--streams` streams in `--partitions` partitions, as a cluster without snapshots
 *    would have left them;
 * 2. node A starts alone and rebuilds every partition from the whole history (the "before" figure),
 *    leaving a snapshot per partition behind;
 * 3. each run: a new node B joins and receives half the partitions; `--live N` messages are then
 *    sent through both nodes (the tail a takeover replays after the partitions' snapshots: with
 *    `--node-commit`, on the node subjects, mixed with every other partition's); then A is
 *    SIGKILLed, and a message for a stream of one of A's partitions is sent to B at once: the
 *    takeover time is from the SIGKILL to its ack (detection, lease, fence, snapshot + tail replay,
 *    consumer), and to B serving all partitions; B is the next run's A.
 *
 *   node dist/bench/cluster/takeover.js [--events 1000000] [--partitions 64] [--streams 2000] [--runs 3]
 *     [--live 0] [--node-commit]
 * Build first (npm run build). Prints one JSON line per run and a summary.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { Subjects } from '../../src/cluster/subjects.js';
import { BENCH_TOKENS, freePort } from '../e2e/server-process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const NATS_BIN = process.env.NATS_SERVER ?? '/usr/sbin/nats-server';
const T0 = 1_790_000_000_000;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '64' },
    streams: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    live: { type: 'string', default: '0' },
    'node-commit': { type: 'boolean', default: false },
  },
});
const EVENTS = Number(values.events);
const P = Number(values.partitions);
const STREAMS = Number(values.streams);
const RUNS = Number(values.runs);
const LIVE = Number(values.live);
const NODE_COMMIT = values['node-commit'] === true;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc {
  proc: ChildProcess;
  logs: Record<string, unknown>[];
  port: number;
}

function startNats(dir: string, port: number): Promise<ChildProcess> {
  const proc = spawn(NATS_BIN, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    proc.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready')) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`nats-server exited ${code}: ${log}`)));
  });
}

async function startNode(dir: string, natsUrl: string, nodeId: string): Promise<Proc> {
  const port = await freePort();
  const file = join(dir, `${nodeId}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      port,
      host: '127.0.0.1',
      logLevel: 'info',
      watchLexicons: false,
      tokens: BENCH_TOKENS,
      journal: { dir: join(dir, `journal-${nodeId}`) },
      limits: { drainNoticeMs: 0, ratePerSecond: 1_000_000, rateBurst: 1_000_000, tokenRatePerSecond: 1_000_000, globalRatePerSecond: 1_000_000 },
      cluster: { servers: natsUrl, nodeId, partitions: P, nodeCommit: NODE_COMMIT },
    }),
  );
  const proc = spawn(process.execPath, [MAIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'ignore'] });
  const logs: Record<string, unknown>[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      try {
        logs.push(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
      } catch {
        /* not a log line */
      }
      buf = buf.slice(nl + 1);
    }
  });
  for (let i = 0; i < 600 && !logs.some((l) => l.event === 'listening'); i++) await sleep(100);
  return { proc, logs, port };
}

async function health(n: Proc): Promise<{ ready: boolean; cluster: { partitions: number[] } } | undefined> {
  try {
    return (await (await fetch(`http://127.0.0.1:${n.port}/healthz`)).json()) as { ready: boolean; cluster: { partitions: number[] } };
  } catch {
    return undefined;
  }
}

async function waitOwned(nodes: Proc[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const hs = await Promise.all(nodes.map(health));
    const owned = hs.reduce((n, h) => n + (h?.cluster.partitions.length ?? 0), 0);
    if (owned === P && hs.every((h) => h?.ready)) return;
    await sleep(100);
  }
  throw new Error('partitions not all served in time');
}

/** History as the stream core's JetStream log writes it: per message a `msg` record, one in ten with a flag before it. */
async function buildHistory(natsUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc, { timeout: 60_000 }); // a loaded machine answers slowly
  const subjects = new Subjects('pkguard', P);
  await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.eventsAll()], retention: RetentionPolicy.Limits, storage: StorageType.File });
  const seqs = new Map<string, number>();
  let written = 0;
  const inflight: Promise<unknown>[] = [];
  const t0 = Date.now();
  for (let i = 0; written < EVENTS; i++) {
    const stream = `hist-${i % STREAMS}`;
    const seq = (seqs.get(stream) ?? 0) + 1;
    seqs.set(stream, seq);
    const ts = T0 + i * 50;
    const flagged = i % 10 === 3;
    const text = flagged ? '今天这款全网最低价' : '欢迎来到直播间今天的福利很多';
    if (flagged) {
      const flag = { stream, seq, category: 'extreme', term: '全网最低价', matched: '全网最低价', start: 4, end: 9, severity: 'low', kind: 'transcript', ts, evasion: false, via: 'text' };
      inflight.push(js.publish(subjects.event(stream, 'flag', 'extreme'), JSON.stringify({ t: 'flag', stream, seq, final: true, flag, text })));
      written++;
    }
    inflight.push(js.publish(subjects.event(stream, 'msg'), JSON.stringify({ t: 'msg', stream, seq, ts, kind: 'transcript', final: true, flags: [], text })));
    written++;
    if (inflight.length >= 2000) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  console.error(`history: ${written} events over ${STREAMS} streams, ${P} partitions, written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  await nc.close();
}

/** A stream whose partition `owner` holds. */
async function streamOwnedBy(owner: Proc): Promise<string> {
  const owned = new Set((await health(owner))!.cluster.partitions);
  const subjects = new Subjects('pkguard', P);
  for (let i = 0; ; i++) if (owned.has(subjects.partition(`probe-${i}`))) return `probe-${i}`;
}

function ackOf(url: string, stream: string): { sent: Promise<void>; acked: Promise<number> } {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let sent!: () => void;
  const sentP = new Promise<void>((r) => (sent = r));
  const acked = new Promise<number>((resolve, reject) => {
    ws.once('open', () => {
      ws.send(JSON.stringify({ type: 'transcript', stream, seq: 1, ts: Date.now(), text: '大家好' }));
      sent();
    });
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { type: string; stream?: string };
      if (m.type === 'ack' && m.stream === stream) {
        resolve(Date.now());
        ws.close();
      } else if (m.type === 'error') reject(new Error(d.toString()));
    });
    ws.once('error', reject);
  });
  return { sent: sentP, acked };
}

/**
 * `count` final transcript chunks (one in ten flagged) over `STREAMS` live streams, through every
 * node's /ingest: 4 connections each, frames of 20, the next frame once the last is acked.
 */
async function drive(nodes: Proc[], count: number, round: number): Promise<number> {
  const t0 = Date.now();
  const conns = nodes.flatMap((n) => Array.from({ length: 4 }, () => n));
  let next = 0;
  const seqs = new Map<string, number>();
  await Promise.all(
    conns.map(
      (n) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${n.port}/ingest?token=${BENCH_TOKENS.ingest[0]}`, { perMessageDeflate: false });
          let waiting = 0;
          const send = () => {
            if (next >= count) {
              ws.close();
              resolve();
              return;
            }
            const frame = [];
            for (let k = 0; k < 20 && next < count; k++, next++) {
              const stream = `live${round}-${next % STREAMS}`;
              const seq = (seqs.get(stream) ?? 0) + 1;
              seqs.set(stream, seq);
              frame.push({ type: 'transcript', stream, seq, ts: Date.now(), text: next % 10 === 3 ? '今天这款全网最低价' : '欢迎来到直播间今天的福利很多' });
            }
            waiting = frame.length;
            ws.send(JSON.stringify(frame));
          };
          ws.once('open', send);
          ws.on('message', (d: Buffer) => {
            for (const m of [JSON.parse(d.toString())].flat() as { type: string }[]) {
              if (m.type === 'error') return reject(new Error(d.toString()));
              if (m.type === 'ack' && --waiting === 0) send();
            }
          });
          ws.once('error', reject);
        }),
    ),
  );
  return Date.now() - t0;
}

/** One history; node A rebuilds it whole, then each run: a new node joins, the older one is SIGKILLed. */
async function main(): Promise<Record<string, number>[]> {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-takeover-'));
  const port = await freePort();
  const nats = await startNats(join(dir, 'nats'), port);
  const url = `nats://127.0.0.1:${port}`;
  const nodes: Proc[] = [];
  const results: Record<string, number>[] = [];
  try {
    await buildHistory(url);
    let a = await startNode(dir, url, 'n0');
    nodes.push(a);
    const tA = Date.now();
    await waitOwned([a], 1_800_000);
    const fullStarts = a.logs.filter((l) => l.event === 'partition_started');
    console.log(JSON.stringify({ fullReplayAllPartitionsS: (Date.now() - tA) / 1000, fullReplayMaxPartitionMs: Math.max(...fullStarts.map((l) => l.ms as number)), fullReplayMaxEvents: Math.max(...fullStarts.map((l) => l.rebuiltEvents as number)) }));
    await sleep(3000); // the snapshots A writes after its replays
    for (let k = 1; k <= RUNS; k++) {
      const b = await startNode(dir, url, `n${k}`);
      nodes.push(b);
      await waitOwned([a, b], 300_000);
      await sleep(2000);
      const liveMs = LIVE > 0 ? await drive([a, b], LIVE, k) : 0;
      const stream = await streamOwnedBy(a);
      const bLogsAt = b.logs.length;
      const probe = ackOf(`ws://127.0.0.1:${b.port}/ingest?token=${BENCH_TOKENS.ingest[0]}`, stream);
      await probe.sent;
      const killed = Date.now();
      a.proc.kill('SIGKILL');
      const acked = await probe.acked;
      await waitOwned([b], 120_000);
      const allServed = Date.now();
      const takeovers = b.logs.slice(bLogsAt).filter((l) => l.event === 'partition_started');
      const r = {
        run: k,
        events: EVENTS,
        live: LIVE,
        liveMsgPerS: LIVE > 0 ? Math.round(LIVE / (liveMs / 1000)) : 0,
        nodeCommit: NODE_COMMIT ? 1 : 0,
        takeoverAckMs: acked - killed,
        takeoverAllServedMs: allServed - killed,
        takenOver: takeovers.length,
        takeoverMaxRebuildMs: Math.max(...takeovers.map((l) => l.ms as number)),
        takeoverMaxFenceMs: Math.max(...takeovers.map((l) => (l.fenceMs as number) ?? 0)),
        takeoverMaxReplayMs: Math.max(...takeovers.map((l) => (l.replayMs as number) ?? 0)),
        takeoverSumRebuildMs: takeovers.reduce((n, l) => n + (l.ms as number), 0),
        takeoverMaxReplayedEvents: Math.max(...takeovers.map((l) => l.rebuiltEvents as number)),
        takeoverFromSnapshot: takeovers.filter((l) => l.fromSnapshot !== null).length,
      };
      console.log(JSON.stringify(r));
      results.push(r);
      a = b;
    }
    return results;
  } finally {
    for (const n of nodes) n.proc.kill('SIGKILL');
    nats.kill('SIGKILL');
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }
}

const results = await main();
const sorted = (key: string) => results.map((r) => r[key]!).sort((x, y) => x - y);
for (const key of ['takeoverAckMs', 'takeoverAllServedMs', 'takeoverMaxRebuildMs']) {
  const v = sorted(key);
  console.log(`${key}: min ${v[0]} median ${v[Math.floor(v.length / 2)]} max ${v[v.length - 1]}`);
}
