/**
 * `npm run bench:console`: how the moderator console holds up, in headless chromium against a real
 * `pkguard serve`, in two parts.
 * 1. The risk board on a shift: `--streams` live streams (default 1,000) seeded with a flag each,
 *    then `--rate` flags/s (default 50) for `--seconds` (default 15). Per frame: the main-thread time
 *    of the frame (from the frame's start to the first task after it: script, style, layout, paint
 *    record) and the interval between frames (vsync-bound: ≥ 16.7 ms at 60 Hz); the board's order.
 * 2. The flag list under a flood: N flags (default 10,000) sent as fast as the server acks them:
 *    time until the page shows them all, frame intervals while the moderator scrolls through the
 *    whole list and while a live burst arrives at the top, DOM rows and JS heap. `--board-only` skips it.
 * Figures are reported, never asserted (the VM is noisy); results go to bench/results/console-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { IngestSocket } from '../src/client/ingest-socket.js';
import { launchChromium } from './browser.js';
import { BoardLoad, orderBreaks, readBoard } from './console-load.js';
import { BENCH_TOKENS, removeServerDir, startServerProcess } from './e2e/server-process.js';

// The functions passed to page.evaluate run in the page; the server-side tsconfig has no DOM lib.
declare const document: { getElementById(id: string): any; querySelectorAll(s: string): { length: number }; getElementsByTagName(s: string): { length: number } };
declare function requestAnimationFrame(cb: (t: number) => void): number;
declare class MessageChannel {
  port1: { onmessage: (() => void) | null };
  port2: { postMessage(v: unknown): void };
}

const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const N = arg('--flags', 10_000);
const BURST = arg('--burst', 2_000);
const STREAMS_ON_BOARD = arg('--streams', 1_000);
const RATE = arg('--rate', 50);
const SECONDS = arg('--seconds', 15);
const BOARD_ONLY = process.argv.includes('--board-only');
/** `--profile`: what the slowest 5% of frames spent their CPU on, by trace event name. */
const PROFILE = process.argv.includes('--profile');
const SCREENSHOT = fileURLToPath(new URL('../../bench/results/console-board.png', import.meta.url));
const BATCH = 500;
const STREAMS = 40;

const seqs = new Map<string, number>();
/** Sends `count` flagged chat lines over STREAMS streams and resolves when all are acked. */
async function flood(client: IngestSocket, count: number): Promise<void> {
  for (let sent = 0; sent < count; ) {
    const batch: object[] = [];
    for (let i = 0; i < BATCH && sent < count; i++, sent++) {
      const stream = `bench-${sent % STREAMS}`;
      const seq = (seqs.get(stream) ?? 0) + 1;
      seqs.set(stream, seq);
      batch.push({ type: 'chat', stream, seq, ts: Date.now(), user: 'viewer', text: `第${sent}位：全网最低价，加微信` });
    }
    client.send(batch);
    while (client.outstanding > 2 * BATCH) await new Promise((r) => setTimeout(r, 2));
  }
  while (client.outstanding > 0) await new Promise((r) => setTimeout(r, 2));
}

const shown = (page: Page) => page.evaluate(() => Number(document.getElementById('count').textContent.match(/\d+/)?.[0] ?? 0));

async function waitShown(page: Page, n: number): Promise<void> {
  await page.waitForFunction((want) => Number(document.getElementById('count').textContent.match(/\d+/)?.[0] ?? 0) >= want, n, { timeout: 120_000, polling: 50 });
}

/** Frame intervals (ms) over `ms`, while `scrollPerFrame` px are scrolled each frame (0: just watch). */
function frames(page: Page, ms: number, scrollPerFrame: number): Promise<number[]> {
  return page.evaluate(
    ({ ms, step }) =>
      new Promise<number[]>((resolve) => {
        const feed = document.getElementById('feed');
        const out: number[] = [];
        let last = performance.now();
        const end = last + ms;
        const tick = (t: number) => {
          out.push(t - last);
          last = t;
          if (step > 0) feed.scrollTop = (feed.scrollTop + step) % Math.max(1, feed.scrollHeight - feed.clientHeight);
          if (t < end) requestAnimationFrame(tick);
          else resolve(out);
        };
        requestAnimationFrame(tick);
      }),
    { ms, step: scrollPerFrame },
  );
}

/**
 * Per frame over `ms`: the main-thread time from the frame's start to the first task after it
 * (script, style, layout and paint of that frame) and the interval since the previous frame.
 */
function frameWork(page: Page, ms: number): Promise<{ work: number[]; intervals: number[] }> {
  return page.evaluate(
    (ms) =>
      new Promise<{ work: number[]; intervals: number[] }>((resolve) => {
        const work: number[] = [];
        const intervals: number[] = [];
        const channel = new MessageChannel();
        let start = 0;
        channel.port1.onmessage = () => work.push(performance.now() - start);
        let last = performance.now();
        const end = last + ms;
        const tick = (t: number) => {
          intervals.push(t - last);
          last = t;
          start = performance.now();
          channel.port2.postMessage(0);
          if (t < end) requestAnimationFrame(tick);
          else setTimeout(() => resolve({ work, intervals }), 50);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

/** Sends the board's load: the seed, then RATE flags/s for `seconds`, in tenths of a second. */
async function boardLoad(client: IngestSocket, load: BoardLoad, seconds: number, each?: () => Promise<void>): Promise<number> {
  let sent = 0;
  const end = performance.now() + seconds * 1000;
  let nextEach = performance.now() + 1000;
  while (performance.now() < end) {
    const tick = performance.now();
    const batch = load.next(RATE / 10);
    client.send(batch);
    sent += batch.length;
    if (each && performance.now() >= nextEach) {
      await each();
      nextEach = performance.now() + 1000;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - tick))));
  }
  while (client.outstanding > 0) await new Promise((r) => setTimeout(r, 5));
  return sent;
}

async function benchBoard(url: string): Promise<object> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  try {
    await page.goto(`${url}/?token=${BENCH_TOKENS.moderator[0]}`);
    await page.waitForSelector('#status[data-status="live"]');
    const client = await IngestSocket.connect(server.url, BENCH_TOKENS.ingest[0]!);
    const load = new BoardLoad(STREAMS_ON_BOARD);
    const seed = load.seed();
    for (let i = 0; i < seed.length; i += 500) client.send(seed.slice(i, i + 500));
    while (client.outstanding > 0) await new Promise((r) => setTimeout(r, 5));
    await page.waitForFunction((n) => /^(\d+) streams/.exec(document.getElementById('board-count').textContent ?? '')?.[1] === String(n), STREAMS_ON_BOARD, { timeout: 60_000 });
    const cdp = await page.context().newCDPSession(page);
    const trace: TraceEvent[] = [];
    cdp.on('Tracing.dataCollected', (d) => void trace.push(...(d.value as unknown as TraceEvent[])));
    await cdp.send('Tracing.start', { categories: 'devtools.timeline,disabled-by-default-devtools.timeline', transferMode: 'ReportEvents' });
    const measured = frameWork(page, SECONDS * 1000);
    let checks = 0;
    let unsorted = 0;
    const sent = await boardLoad(client, load, SECONDS, async () => {
      checks++;
      if (orderBreaks(await page.evaluate(readBoard)).length > 0) unsorted++;
    });
    const { work, intervals } = await measured;
    const traced = new Promise((r) => cdp.once('Tracing.tracingComplete', r));
    await cdp.send('Tracing.end');
    await traced;
    const cpu = frameCpu(trace);
    const traceOut = process.argv.indexOf('--trace');
    if (traceOut > 0) writeFileSync(process.argv[traceOut + 1]!, JSON.stringify(trace));
    if (PROFILE) console.log(`  slowest 5% of frames, CPU by trace event (ms, summed; nested events count in their parents too):\n${profileSlowFrames(trace)}`);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT });
    const cards = await page.evaluate(() => document.querySelectorAll('#cards .card').length);
    await client.close();
    return { streams: STREAMS_ON_BOARD, flagsPerSecond: RATE, seconds: SECONDS, flagsSent: sent, frameCpu: stats(cpu.frames), mainThreadCpuShare: cpu.share, frameWork: stats(work), frameIntervals: stats(intervals), orderChecks: checks, unsortedChecks: unsorted, cardsDrawn: cards };
  } finally {
    await page.close();
  }
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  tid: number;
  args?: { name?: string; data?: Record<string, unknown> };
}

/**
 * From a chromium trace: the main-thread CPU time (thread time, not wall time, so a machine shared
 * with other work does not inflate it) of each task that rendered a frame (ran animation-frame
 * callbacks, style, layout or paint), and the share of the period the main thread was on CPU.
 */
function frameCpu(trace: readonly TraceEvent[]): { frames: number[]; share: number } {
  // The page's main thread: the one that ran its animation frames.
  const main = trace.find((e) => e.name === 'FireAnimationFrame')?.tid;
  const onMain = trace.filter((e) => e.tid === main && e.ph === 'X');
  const tasks = onMain.filter((e) => e.name === 'RunTask').sort((a, b) => a.ts - b.ts);
  const marks = onMain.filter((e) => e.name === 'FireAnimationFrame' || e.name === 'UpdateLayoutTree' || e.name === 'Layout' || e.name === 'Paint').map((e) => e.ts).sort((a, b) => a - b);
  const frames: number[] = [];
  let m = 0;
  let cpu = 0;
  for (const t of tasks) {
    cpu += t.tdur ?? 0;
    while (m < marks.length && marks[m]! < t.ts) m++;
    if (m < marks.length && marks[m]! <= t.ts + (t.dur ?? 0)) frames.push((t.tdur ?? t.dur ?? 0) / 1000);
  }
  const span = tasks.length > 1 ? tasks[tasks.length - 1]!.ts + (tasks[tasks.length - 1]!.dur ?? 0) - tasks[0]!.ts : 1;
  return { frames, share: +(cpu / span).toFixed(3) };
}

/** For the slowest 5% of frame tasks: thread time by event name inside them, and the count of each. */
function profileSlowFrames(trace: readonly TraceEvent[]): string {
  const main = trace.find((e) => e.name === 'FireAnimationFrame')?.tid;
  const onMain = trace.filter((e) => e.tid === main && e.ph === 'X').sort((a, b) => a.ts - b.ts);
  const tasks = onMain.filter((e) => e.name === 'RunTask' && onMain.some((m) => m.name === 'FireAnimationFrame' && m.ts >= e.ts && m.ts <= e.ts + (e.dur ?? 0)));
  const slow = [...tasks].sort((a, b) => (b.tdur ?? 0) - (a.tdur ?? 0)).slice(0, Math.max(1, Math.ceil(tasks.length * 0.05)));
  const by = new Map<string, { ms: number; n: number }>();
  for (const t of slow) {
    for (const e of onMain) {
      if (e === t || e.ts < t.ts || e.ts > t.ts + (t.dur ?? 0) || e.name === 'RunTask') continue;
      const s = by.get(e.name) ?? { ms: 0, n: 0 };
      s.ms += (e.tdur ?? e.dur ?? 0) / 1000;
      s.n++;
      by.set(e.name, s);
    }
  }
  const total = slow.reduce((a, t) => a + (t.tdur ?? 0) / 1000, 0);
  const rows = [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14);
  return [`    ${slow.length} frames, ${total.toFixed(1)} ms CPU in all`, ...rows.map(([name, s]) => `    ${name.padEnd(28)} ${(s.ms / slow.length).toFixed(2).padStart(7)} ms/frame  x${(s.n / slow.length).toFixed(1)}`)].join('\n');
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { frames: s.length, p50: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), max: +s[s.length - 1]!.toFixed(1), over50ms: s.filter((x) => x > 50).length };
}

const server = await startServerProcess();
const browser = await launchChromium();
try {
  const httpUrl = server.url.replace('ws:', 'http:');
  const board = (await benchBoard(httpUrl)) as { frameCpu: ReturnType<typeof stats>; mainThreadCpuShare: number; frameWork: ReturnType<typeof stats>; frameIntervals: ReturnType<typeof stats>; flagsSent: number; orderChecks: number; unsortedChecks: number; cardsDrawn: number };
  console.log(`console bench, board: ${STREAMS_ON_BOARD} live streams, ${RATE} flags/s for ${SECONDS} s (${board.flagsSent} flags), ${board.cardsDrawn} cards drawn`);
  console.log(`  frame time (main-thread CPU of each rendering task): p50 ${board.frameCpu.p50} ms, p95 ${board.frameCpu.p95} ms, max ${board.frameCpu.max} ms over ${board.frameCpu.frames} frames; main thread on CPU ${(board.mainThreadCpuShare * 100).toFixed(0)}% of the time`);
  console.log(`  frame wall time (frame start to the next task, includes waiting for a CPU): p50 ${board.frameWork.p50} ms, p95 ${board.frameWork.p95} ms, max ${board.frameWork.max} ms over ${board.frameWork.frames} frames`);
  console.log(`  frame interval: p50 ${board.frameIntervals.p50} ms, p95 ${board.frameIntervals.p95} ms, max ${board.frameIntervals.max} ms, ${board.frameIntervals.over50ms} over 50 ms`);
  console.log(`  screenshot: ${SCREENSHOT}`);
  console.log(`  board order checked ${board.orderChecks} times, out of order ${board.unsortedChecks} times`);
  writeResult(BOARD_ONLY ? { board } : { board, flood: await benchFlood() });
} finally {
  await browser.close();
  await server.stop();
  removeServerDir(server);
}

function writeResult(result: object): void {
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}console-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ loadavg: loadavg(), ...result }, null, 2));
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; results: ${file}`);
}

/** Part 2: the flag list under a flood of N flags, then a live burst. */
async function benchFlood(): Promise<object> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${server.url.replace('ws:', 'http:')}/?token=${BENCH_TOKENS.moderator[0]}`);
  await page.waitForSelector('#status[data-status="live"]');
  const client = await IngestSocket.connect(server.url, BENCH_TOKENS.ingest[0]!);

  const t0 = performance.now();
  await flood(client, N);
  const acked = performance.now() - t0;
  await waitShown(page, N);
  const displayed = performance.now() - t0;

  const scrolling = stats(await frames(page, 3000, 600));
  await page.evaluate(() => (document.getElementById('feed').scrollTop = 0));
  const burstFrames = frames(page, 2500, 0);
  const t1 = performance.now();
  await flood(client, BURST);
  await waitShown(page, N + BURST);
  const burstShown = performance.now() - t1;
  const burst = stats(await burstFrames);

  const dom = await page.evaluate(() => ({ rows: document.querySelectorAll('.flag-row').length, nodes: document.getElementsByTagName('*').length }));
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await client.close();

  const result = {
    flags: N,
    burst: BURST,
    msToAllAcked: Math.round(acked),
    msToAllShown: Math.round(displayed),
    shown: await shown(page),
    scrollingFrames: scrolling,
    burstFrames: burst,
    msToBurstShown: Math.round(burstShown),
    domRows: dom.rows,
    domNodes: dom.nodes,
    jsHeapMB: +(heap.usedSize / 1e6).toFixed(1),
  };
  console.log(`console bench: ${N} flags, then a live burst of ${BURST}`);
  console.log(`  all ${N} acked by the server in ${result.msToAllAcked} ms; all shown on the page in ${result.msToAllShown} ms`);
  console.log(`  scrolling the whole list (600 px/frame, 3 s): frame p50 ${scrolling.p50} ms, p95 ${scrolling.p95} ms, max ${scrolling.max} ms, ${scrolling.over50ms} of ${scrolling.frames} frames over 50 ms`);
  console.log(`  burst of ${BURST} at the top: shown in ${result.msToBurstShown} ms; frame p50 ${burst.p50} ms, p95 ${burst.p95} ms, max ${burst.max} ms, ${burst.over50ms} of ${burst.frames} over 50 ms`);
  console.log(`  DOM: ${dom.rows} flag rows, ${dom.nodes} elements in all; JS heap after GC ${result.jsHeapMB} MB`);
  return result;
}
