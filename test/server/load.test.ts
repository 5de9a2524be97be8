/**
 * Load smoke test (not a timing assertion): 200 streams over 20 ingest connections for 10 seconds.
 * Every message is acked, no error comes back, and the flags the server raised equal what
 * `pkguard scan` finds in the same texts. Throughput and ack latency are printed for the record.
 */
import { spawnSync } from 'node:child_process';
import { afterAll, expect, test } from 'vitest';
import { Client, MAIN, removeDir, sleep, startServer, TOKENS, type ServerProcess } from './harness.js';

const CONNECTIONS = 20;
const STREAMS_PER_CONNECTION = 10;
const DURATION_MS = 10_000;
const ROUND_MS = 50;

// Sentence parts written for this test: clean talk, claims, and a claim split across two chunks.
const OPENERS = ['家人们', '来来来', '宝宝们看过来', '今天', '最后一波', '姐妹们'];
const GOODS = ['这款面霜', '这个不粘锅', '这件羽绒服', '这套茶具', '这双运动鞋'];
const CLEAN = ['质量很好', '大家看一下细节', '库存不多了', '颜色有三种', '包邮到家', '尺码偏大一点'];
const CLAIMS = ['全网最低价', '销量第一', '加微信领券', '可以根治失眠', '独家合作款', '史上最强', '国家级品质'];

let server: ServerProcess | undefined;
afterAll(async () => {
  await server?.stop();
  if (server) removeDir(server.dir);
});

/** Deterministic text for stream `s`, round `r`. */
function textFor(s: number, r: number): string {
  const h = (s * 7919 + r * 104729) % 1000;
  const parts = [OPENERS[h % OPENERS.length], GOODS[(h >> 2) % GOODS.length]];
  if (h % 5 === 0) parts.push(CLAIMS[h % CLAIMS.length]!);
  else parts.push(CLEAN[h % CLEAN.length]!);
  if (h % 11 === 0) parts.push('全网最'); // completed by the next chunk of this stream
  if (((s * 7919 + (r - 1) * 104729) % 1000) % 11 === 0 && r > 0) parts.unshift('低价');
  return parts.join('');
}

test('200 streams over 20 connections for 10 s: all acked, no errors, flags equal `pkguard scan`', { timeout: 120_000 }, async () => {
  server = await startServer();
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => Client.open(server!.url('/ingest?flags=1', TOKENS.ingest[0]))));
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  for (const c of clients) {
    c.ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as { type: string; stream: string; seq: number } | { type: string; stream: string; seq: number }[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.type !== 'ack') continue;
        const t = sentAt.get(`${m.stream}/${m.seq}`);
        if (t !== undefined) latencies.push(performance.now() - t);
      }
    });
  }
  const lines: string[] = [];
  let sent = 0;
  const started = performance.now();
  let round = 0;
  while (performance.now() - started < DURATION_MS) {
    clients.forEach((c, ci) => {
      const batch = [];
      for (let k = 0; k < STREAMS_PER_CONNECTION; k++) {
        const s = ci * STREAMS_PER_CONNECTION + k;
        const stream = `load${s}`;
        const chat = (s + round) % 4 === 0;
        const text = textFor(s, round);
        batch.push(chat ? { type: 'chat', stream, seq: round, ts: 1_790_000_000_000 + round * ROUND_MS, user: `u${round}`, text } : { type: 'transcript', stream, seq: round, ts: 1_790_000_000_000 + round * ROUND_MS, text });
        lines.push(JSON.stringify({ id: `${stream}/${round}`, text, stream, kind: chat ? 'chat' : 'transcript' }));
        sentAt.set(`${stream}/${round}`, performance.now());
        sent++;
      }
      c.send(batch);
    });
    round++;
    await sleep(ROUND_MS);
  }
  await Promise.all(clients.map((c) => c.next(() => c.of('ack').length >= round * STREAMS_PER_CONNECTION, 60_000)));
  const elapsed = (performance.now() - started) / 1000;

  const acks = clients.reduce((n, c) => n + c.of('ack').length, 0);
  const errors = clients.flatMap((c) => c.of('error'));
  const served = clients.flatMap((c) => c.of('flag').map((m) => m.flag as { category: string }));
  expect(errors).toEqual([]);
  expect(acks).toBe(sent);

  const cli = spawnSync(process.execPath, [MAIN, 'scan'], { input: lines.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const expected = cli.stdout.trim().split('\n').flatMap((l) => (JSON.parse(l) as { flags: { category: string }[] }).flags);
  const byCategory = (fs: { category: string }[]) => fs.reduce<Record<string, number>>((o, f) => ((o[f.category] = (o[f.category] ?? 0) + 1), o), {});
  expect(byCategory(served)).toEqual(byCategory(expected));
  expect(served.length).toBeGreaterThan(sent / 10);

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(1);
  console.log(`load: ${sent} messages in ${elapsed.toFixed(1)} s (${Math.round(sent / elapsed)}/s), ${served.length} flags, ack latency p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms max ${pct(1)} ms`);
  for (const c of clients) c.close();
});
