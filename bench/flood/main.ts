/**
 * `npm run bench:flood`: does a flood cost only its senders? Four connections (another process)
 * send as fast as the server reads them while one well-behaved client sends a message every 10 ms
 * and measures its ack latency. With `--same-token` the flooders use the good client's token (the
 * per-token cap then paces them all, and the fair share still keeps the light client fast).
 *
 * With `--dense` the flooders send flag-dense chat lines instead (全网最低价， × 3,000 each) while
 * three moderators read the feed: none may be cut off as a slow consumer.
 *
 *   npm run bench:flood -- [--seconds 10] [--flooders 4] [--batch 500] [--same-token] [--dense] [--moderators 3] [--limits '{"ratePerSecond":…}']
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHistogram } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BENCH_TOKENS, startServerProcess } from '../e2e/server-process.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1]! : dflt;
};
const seconds = Number(opt('--seconds', '10'));
const flooders = Number(opt('--flooders', '4'));
const batch = Number(opt('--batch', '500'));
const sameToken = args.includes('--same-token');
const dense = args.includes('--dense');
const moderatorCount = Number(opt('--moderators', '3'));
const limits = JSON.parse(opt('--limits', '{}')) as Record<string, unknown>;
const FLOOD_TOKEN = 'bench-flood-token-0123456789';

// The server's default limits (not the e2e bench's unlimited ones): this measures the defaults.
const profile = args.includes('--profile');
const server = await startServerProcess({ profile, config: { tokens: { ...BENCH_TOKENS, ingest: [...BENCH_TOKENS.ingest, FLOOD_TOKEN] }, limits } });
try {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./flooders.js', import.meta.url)), server.url, sameToken ? BENCH_TOKENS.ingest[0]! : FLOOD_TOKEN, String(flooders), String(batch), String(seconds), dense ? 'dense' : 'batch'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // Three moderators reading everything live: a flood of flags must not cut them off.
  const moderators = await Promise.all(
    Array.from({ length: moderatorCount }, async () => {
      const m = new WebSocket(`${server.url}/feed`, { headers: { authorization: `Bearer ${BENCH_TOKENS.moderator[0]}` }, perMessageDeflate: false });
      await new Promise((resolve, reject) => m.once('open', resolve).once('error', reject));
      m.send(JSON.stringify({ type: 'subscribe' }));
      const seen = { flags: 0, bytes: 0, cutOff: false };
      // Not parsed: this process also measures the light client, and must not fall behind itself.
      m.on('message', (d: Buffer) => {
        seen.bytes += d.length;
        if (d.indexOf('"type":"flag"') >= 0) seen.flags++;
        if (d.indexOf('slow_consumer') >= 0) seen.cutOff = true;
      });
      m.on('close', (code) => {
        if (code === 4008) seen.cutOff = true;
      });
      return { m, seen };
    }),
  );
  const good = new WebSocket(`${server.url}/ingest`, { headers: { authorization: `Bearer ${BENCH_TOKENS.ingest[0]}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => good.once('open', resolve).once('error', reject));
  const sent = new Map<number, number>();
  const latency = createHistogram();
  let errors = 0;
  const start = performance.now();
  const timeline: [number, number][] = [];
  good.on('message', (data: Buffer) => {
    const r = JSON.parse(data.toString()) as { type: string; seq: number };
    const t0 = sent.get(r.seq);
    if (r.type === 'error') errors++;
    if (t0 !== undefined && args.includes('--timeline')) timeline.push([Math.round(t0 - start), Math.round(performance.now() - t0)]);
    if (t0 !== undefined) latency.record(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    sent.delete(r.seq);
  });
  await new Promise((r) => setTimeout(r, 500)); // let the flood start
  const until = Date.now() + (seconds - 1) * 1000;
  let seq = 0;
  while (Date.now() < until) {
    seq++;
    sent.set(seq, performance.now());
    good.send(JSON.stringify({ type: 'transcript', stream: 'good', seq, ts: 1_790_000_000_000 + seq, text: '这个颜色特别显白，全网最低价' }));
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => child.once('exit', r));
  await new Promise((r) => setTimeout(r, 200));
  good.terminate();
  for (const { m } of moderators) m.terminate();
  if (timeline.length > 0) {
    // The worst latency per half second: shows whether spikes are a start-up burst or steady.
    const worst = new Map<number, number>();
    for (const [at, l] of timeline) worst.set(Math.floor(at / 500), Math.max(worst.get(Math.floor(at / 500)) ?? 0, l));
    console.error([...worst].map(([b, l]) => `${b / 2}s:${l}`).join(' '));
  }
  const ms = (us: number) => (us / 1000).toFixed(1);
  const flood = JSON.parse(out || '{}') as { ackedPerSecond?: number };
  console.log(JSON.stringify({ flooders, batch: dense ? 'dense' : batch, sameToken, limits, moderators: moderators.map(({ seen }) => seen), goodClient: { sent: seq, unanswered: sent.size, errors, p50ms: ms(latency.percentile(50)), p99ms: ms(latency.percentile(99)), maxMs: ms(latency.max) }, floodAckedPerSecond: flood.ackedPerSecond }));
} finally {
  await server.stop();
}
if (server.profileDir) {
  const { summarizeProfile } = await import('../e2e/server-process.js');
  console.error(`server CPU profile, self time:\n${summarizeProfile(server.profileDir).map((p) => `  ${String(p.selfPct).padStart(5)}%  ${p.fn}`).join('\n')}`);
}
