/**
 * `node dist/bench/worker-handoff.js`: what it would cost the event-loop thread to hand scanning to
 * a worker thread (the "scanning sharded by stream across worker threads" design of issue 17),
 * against scanning on the loop: per message, the main thread's busy time to post a batch of 20
 * messages and take 20 results back (event-loop utilisation; the worker only echoes), and the
 * time to scan the same messages in stream context here. Rounds alternate; medians are printed.
 * The ratio is what to read: the share of the scan's cost the loop keeps after moving it.
 */
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { createScanner } from '../src/index.js';
import { TextPool } from './e2e/text.js';

const BATCH = 20;
const pool = new TextPool({ chars: 30, violationRate: 0.05, evasionRate: 0.3, seed: 1 }, 4000);
const msgs = pool.transcripts.map((text, i) => ({ type: 'transcript', stream: `s${i % 2000}`, seq: 1_733_400_000_000 + i, ts: 1_733_400_000_000 + i, text, final: true }));
const scanner = createScanner();
// The reply is what a worker would send back for a message without flags: its stream, seq and an empty flag list.
const worker = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.on('message', (b) => parentPort.postMessage(b.map((m) => ({ stream: m.stream, seq: m.seq, flags: [] }))));`, { eval: true });

async function handoff(): Promise<number> {
  const e0 = performance.eventLoopUtilization();
  for (let i = 0; i < msgs.length; i += BATCH) {
    const batch = msgs.slice(i, i + BATCH);
    await new Promise((resolve) => {
      worker.once('message', resolve);
      worker.postMessage(batch);
    });
  }
  return (performance.eventLoopUtilization(e0).active / msgs.length) * 1000;
}

function scanHere(): number {
  const t0 = performance.now();
  let flags = 0;
  for (const m of msgs) flags += scanner.stream(m.stream).push(m.text, { seq: m.seq, ts: m.ts, kind: 'transcript' }).length;
  if (flags < 0) throw new Error('unreachable');
  return ((performance.now() - t0) / msgs.length) * 1000;
}

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 9);
const h: number[] = [];
const s: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const a = await handoff();
  const b = scanHere();
  h.push(a);
  s.push(b);
  ratios.push(a / b);
}
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
console.log(`per message on the event-loop thread: hand-off to a worker and back (batches of ${BATCH}) ${med(h).toFixed(2)} µs; scanning it here ${med(s).toFixed(2)} µs; hand-off / scan, median of ${rounds} rounds: ${med(ratios).toFixed(2)}`);
await worker.terminate();
