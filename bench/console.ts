/**
 * `npm run bench:console`: how the moderator console holds up under a flood, in headless chromium
 * against a real `pkguard serve`. Measures, for N flags (default 10,000) sent as fast as the
 * server acks them: time until the page shows them all, frame intervals while the moderator
 * scrolls through the whole list and while a live burst arrives at the top, DOM rows and JS heap.
 * Figures are reported, never asserted (the VM is noisy); results go to bench/results/console-*.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { IngestSocket } from '../src/client/ingest-socket.js';
import { launchChromium } from './browser.js';
import { BENCH_TOKENS, removeServerDir, startServerProcess } from './e2e/server-process.js';

// The functions passed to page.evaluate run in the page; the server-side tsconfig has no DOM lib.
declare const document: { getElementById(id: string): any; querySelectorAll(s: string): { length: number }; getElementsByTagName(s: string): { length: number } };
declare function requestAnimationFrame(cb: (t: number) => void): number;

const RESULTS = fileURLToPath(new URL('../../bench/results/', import.meta.url));

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const N = arg('--flags', 10_000);
const BURST = arg('--burst', 2_000);
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

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return { frames: s.length, p50: +q(0.5).toFixed(1), p95: +q(0.95).toFixed(1), max: +s[s.length - 1]!.toFixed(1), over50ms: s.filter((x) => x > 50).length };
}

const server = await startServerProcess();
const browser = await launchChromium();
try {
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
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}console-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`results: ${file}`);
} finally {
  await browser.close();
  await server.stop();
  removeServerDir(server);
}
