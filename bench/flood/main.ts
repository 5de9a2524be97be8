/**
 * `npm run bench:flood`: does a flood cost only its senders? Four connections (another process)
 * send as fast as the server reads them while one well-behaved client sends a message every 10 ms
 * and measures its ack latency. With `--same-token` the flooders use the good client's token (the
 * per-token cap then paces them all, and the fair share still keeps the light client fast).
 *
 * With `--dense` the flooders send flag-dense chat lines instead (全网最低价， × 3,000 each) while
 * three moderators read the feed: none may be cut off as a slow consumer.
 *
 * `--timeline` prints, per wall-clock second, the good client's worst ack beside this process's own
 * event-loop delay (is it the bench that lags?) and the server's runtime second (loop delay, GC,
 * journal fsync, main-thread CPU and run-queue wait): what lines up with the spikes.
 *
 * `--interval <ms>` paces each flooder (default: 20 ms dense, none for batches), so two builds can
 * be compared under the same offered flood; `--server <path>` runs another build's server.
 *
 *   npm run bench:flood -- [--seconds 10] [--flooders 4] [--batch 500] [--same-token] [--dense] [--moderators 3] [--timeline] [--trace MS] [--limits '{"ratePerSecond":…}']
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import { BENCH_TOKENS, startServerProcess } from '../e2e/server-process.js';
import { recentSeconds } from '../e2e/server-stats.js';

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
// `--server <dist/src/cli/main.js of another build>`: the same bench against that build (A/B).
const otherMain = args.includes('--server') ? opt('--server', '') : undefined;
const server = await startServerProcess({ profile, main: otherMain, config: { tokens: { ...BENCH_TOKENS, ingest: [...BENCH_TOKENS.ingest, FLOOD_TOKEN] }, limits } });
try {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./flooders.js', import.meta.url)), server.url, sameToken ? BENCH_TOKENS.ingest[0]! : FLOOD_TOKEN, String(flooders), String(batch), String(seconds), dense ? 'dense' : 'batch', opt('--interval', dense ? '20' : '0')], { stdio: ['ignore', 'pipe', 'inherit'] });
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
  // `--trace MS`: every ack slower than MS, by send offset from the first send (where a slow stretch sits).
  const traceMs = args.includes('--trace') ? Number(opt('--trace', '30')) : undefined;
  const slowAcks: [number, number][] = [];
  // This process's own event-loop delay per wall-clock second: a lagging bench inflates every ack.
  const benchLoop = new Map<number, number>();
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const loopTimer = setInterval(() => {
    benchLoop.set(Math.floor(Date.now() / 1000) - 1, loopDelay.max / 1e6);
    loopDelay.reset();
  }, 1000 - (Date.now() % 1000));
  good.on('message', (data: Buffer) => {
    const r = JSON.parse(data.toString()) as { type: string; seq: number };
    const t0 = sent.get(r.seq);
    if (r.type === 'error') errors++;
    if (t0 !== undefined && args.includes('--timeline')) timeline.push([Date.now() - (performance.now() - t0), performance.now() - t0]);
    if (t0 !== undefined && traceMs !== undefined && performance.now() - t0 > traceMs) slowAcks.push([t0 - start, performance.now() - t0]);
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
  const serverUrl = server.url;
  good.terminate();
  for (const { m } of moderators) m.terminate();
  clearInterval(loopTimer);
  if (timeline.length > 0) {
    // Per wall-clock second (the server's runtime seconds are aligned the same way): the good
    // client's worst ack (by send time), the bench's own loop delay, and the server's second.
    const worst = new Map<number, number>();
    for (const [at, l] of timeline) worst.set(Math.floor(at / 1000), Math.max(worst.get(Math.floor(at / 1000)) ?? 0, l));
    const server = new Map((await recentSeconds(serverUrl)).map((s) => [s.second - 1, s]));
    const f = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(0)).padStart(6);
    console.error('second  ackMax benchLoop loopMax loopP99  gcMax syncMax writeMax mainCpu% mainWait% machine%');
    for (const [sec, l] of [...worst].sort((a, b) => a[0] - b[0])) {
      const s = server.get(sec);
      console.error(`${String(sec % 100).padStart(6)} ${f(l)} ${f(benchLoop.get(sec))}    ${f(s?.loopDelayMaxMs)}  ${f(s?.loopDelayP99Ms)} ${f(s?.gcMaxMs)} ${f(s?.journalSyncMaxMs)}  ${f(s?.journalWriteMaxMs)}   ${f(s?.mainCpuPct)}    ${f(s?.mainWaitPct)}   ${f(s?.machineBusyPct)}`);
    }
  }
  if (traceMs !== undefined) console.error(`acks over ${traceMs} ms (sent at +ms: took ms): ${slowAcks.map(([at, l]) => `${at.toFixed(0)}:${l.toFixed(0)}`).join(' ') || 'none'}`);
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
