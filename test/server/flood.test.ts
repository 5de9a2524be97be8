/**
 * A flood costs only its senders: four connections flood the default-limits server with frames of
 * flag-dense chat lines (全网最低价， × 3,000, ~100 flags kept each) while three moderators read every
 * flag and a light client sends one message at a time. No moderator is cut off, every light message
 * is answered, and it is answered in turn, not after the flooders' queued frames: each frame of
 * twelve dense lines is ~100+ ms of work, processed in time-bounded slices, least-served connection
 * first (src/server/ingest-scheduler.ts). Processed a frame per turn, the light client waited behind
 * several of them, for seconds under load. The bound is loose (a loaded CI machine); the timing
 * target is bench:flood's.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { Client, removeDir, sleep, startServer, TOKENS, type ServerProcess } from './harness.js';

let server: ServerProcess;
const DENSE = '全网最低价，'.repeat(3000);

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeDir(server.dir);
});

async function open(path: string, token: string): Promise<WebSocket> {
  const ws = new WebSocket(server.url(path, token), { perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return ws;
}

test('four connections flooding flag-dense frames: the light client is answered in turn, no moderator is cut off', { timeout: 120_000 }, async () => {
  const moderators = await Promise.all(
    [0, 1, 2].map(async () => {
      const m = await open('/feed', TOKENS.moderator[0]);
      m.send(JSON.stringify({ type: 'subscribe' }));
      const seen = { flags: 0, cutOff: false };
      m.on('message', (d: Buffer) => {
        if (d.indexOf('"type":"flag"') >= 0) seen.flags++;
        if (d.indexOf('slow_consumer') >= 0) seen.cutOff = true;
      });
      m.on('close', (code) => (seen.cutOff ||= code === 4008));
      return { m, seen };
    }),
  );

  let flooding = true;
  let floodAcked = 0;
  const flooders = await Promise.all([0, 1, 2, 3].map(() => open('/ingest', TOKENS.ingest[0])));
  flooders.forEach((ws, c) => {
    let seq = 0;
    // Two frames of twelve dense lines ahead at all times: the server always has a backlog.
    const frame = () => Array.from({ length: 12 }, () => ({ type: 'chat', stream: `dense-${c}`, seq: ++seq, ts: 1_790_000_000_000 + seq, user: 'troll', text: DENSE }));
    ws.on('message', (d: Buffer) => {
      const replies = JSON.parse(d.toString()) as { type: string; seq: number }[];
      for (const r of replies) if (r.type === 'ack') floodAcked++;
      if (flooding && replies.some((r) => r.type === 'ack' && r.seq % 12 === 0)) ws.send(JSON.stringify(frame()));
    });
    ws.send(JSON.stringify(frame()));
    ws.send(JSON.stringify(frame()));
  });
  await sleep(1500); // past the cold start: the backlog is there

  const light = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  const latencies: number[] = [];
  for (let seq = 1; seq <= 40; seq++) {
    const t0 = performance.now();
    light.send({ type: 'transcript', stream: 'light', seq, ts: 1_790_000_000_000 + seq, text: '这个颜色特别显白' });
    await light.ack('light', seq, 30_000);
    latencies.push(performance.now() - t0);
  }
  flooding = false;
  const floodedMeanwhile = floodAcked;
  latencies.sort((a, b) => a - b);
  console.log(`[flood] light client acks ${latencies.map((l) => l.toFixed(0)).join(' ')} ms; flood acked ${floodedMeanwhile}; moderators got ${moderators.map((m) => m.seen.flags).join('/')} flags`);

  expect(moderators.every((m) => !m.seen.cutOff)).toBe(true);
  expect(moderators.every((m) => m.seen.flags > 1000)).toBe(true);
  expect(floodedMeanwhile).toBeGreaterThan(48); // the flood went on, paced, not refused
  // A frame of twelve dense lines processed in one turn, per flooder, held the light client for
  // seconds on a loaded machine (3.3 and 3.9 s); in time-bounded slices it waits about one slice
  // and the journal commits it shares (0.7 s at most at load 10-14 on 2 cores).
  expect(latencies.at(-1)!).toBeLessThan(1500);

  light.close();
  for (const ws of flooders) ws.terminate();
  for (const { m } of moderators) m.terminate();
});
