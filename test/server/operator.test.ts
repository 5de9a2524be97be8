/**
 * What an operator and a new user meet around the server: `/healthz` without filesystem paths and
 * 503 for the whole drain while the listener is still open, `/metrics` behind an optional token, an
 * empty batch answered, and a flood paced by fair shares while a light client keeps its acks.
 */
import { afterEach, expect, test } from 'vitest';
import { Client, removeDir, sleep, startServer, TOKENS, type ServerProcess } from './harness.js';

const started: ServerProcess[] = [];
afterEach(async () => {
  for (const s of started.splice(0)) {
    await s.stop().catch(() => {});
    removeDir(s.dir);
  }
});
async function server(config: Record<string, unknown> = {}): Promise<ServerProcess> {
  const s = await startServer({ config });
  started.push(s);
  return s;
}
const http = (s: ServerProcess, path: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${s.port}${path}`, { headers });

test('/healthz names no filesystem path and answers 503 during a drain, before the listener closes', { timeout: 60_000 }, async () => {
  const s = await server({ limits: { drainNoticeMs: 600 } });
  const ok = await http(s, '/healthz');
  expect(ok.status).toBe(200);
  const body = await ok.text();
  expect(body).not.toContain(s.dir);
  expect(JSON.parse(body)).toMatchObject({ ready: true, journal: { writable: true } });
  const stopping = s.stop();
  let draining: Response | undefined;
  for (let i = 0; i < 40 && !draining; i++) {
    const r = await http(s, '/healthz').catch(() => undefined);
    if (r?.status === 503) draining = r;
    else await sleep(10);
  }
  await stopping;
  expect(draining?.status).toBe(503);
  expect(await draining!.json()).toMatchObject({ ready: false, draining: true });
});

test('/metrics asks for a token when the config names one', { timeout: 60_000 }, async () => {
  const s = await server({ tokens: { ...TOKENS, metrics: ['metrics-token-0123456789abcdef'] } });
  expect((await http(s, '/metrics')).status).toBe(401);
  expect((await http(s, '/metrics', { authorization: 'Bearer wrong-token-0123456789abcdef' })).status).toBe(401);
  const good = await http(s, '/metrics', { authorization: 'Bearer metrics-token-0123456789abcdef' });
  expect(good.status).toBe(200);
  expect(await good.text()).toContain('pkguard_journal_writable 1');
});

test('an empty array frame gets an error, on ingest and on the feed', { timeout: 60_000 }, async () => {
  const s = await server();
  const ing = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  ing.send([]);
  expect(await ing.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message', message: expect.stringMatching(/^frame: empty array/) });
  const feed = await Client.open(s.url('/feed', TOKENS.moderator[0]));
  feed.send([]);
  expect(await feed.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_message' });
  ing.close();
  feed.close();
});

test('a flood is paced to its fair share of the node; a light client on the same token is never paused', { timeout: 60_000 }, async () => {
  const s = await server({ limits: { globalRatePerSecond: 2000, tokenRatePerSecond: 2000, rateBurst: 500, sliceSize: 50 } });
  const flood = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  const light = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  const t0 = Date.now();
  // 6,000 messages offered at once: at its share (≤ 2,000/s) they take well over a second.
  for (let f = 0; f < 12; f++) flood.send(Array.from({ length: 500 }, (_, i) => ({ type: 'chat', stream: `flood-${i % 20}`, seq: f * 25 + Math.floor(i / 20), ts: 1, text: '好看' })));
  const lightAcks: number[] = [];
  for (let seq = 1; seq <= 10; seq++) {
    const sent = Date.now();
    light.send({ type: 'chat', stream: 'light', seq, ts: 1, text: '好看' });
    await light.ack('light', seq);
    lightAcks.push(Date.now() - sent);
    await sleep(50);
  }
  await flood.next(() => flood.of('ack').length + flood.of('error').length >= 6000 || false, 30_000).catch(() => undefined);
  for (let i = 0; i < 600 && flood.of('ack').length < 6000; i++) await sleep(50);
  const floodSeconds = (Date.now() - t0) / 1000;
  expect(flood.of('ack')).toHaveLength(6000); // paced, never dropped
  expect(floodSeconds).toBeGreaterThan(1.5);
  const metrics = await (await http(s, '/metrics')).text();
  expect(metrics).toMatch(/pkguard_ingest_pauses_total\{reason="rate"\} [1-9]/);
  // The light client's acks all came, between the flood's slices (not after the whole flood).
  expect(lightAcks).toHaveLength(10);
  flood.close();
  light.close();
});

test('flag-dense chat lines are paced by the CPU they cost, fan-out included, not by their count', { timeout: 60_000 }, async () => {
  const s = await server({ limits: { cpuShare: 0.2, cpuBurstMs: 10 } });
  const troll = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  const moderator = await Client.open(s.url('/feed', TOKENS.moderator[0]));
  moderator.send({ type: 'subscribe' });
  const dense = '全网最低价，'.repeat(3000);
  for (let i = 0; i < 40; i++) troll.send({ type: 'chat', stream: 'troll-room', seq: i + 1, ts: 1, user: 'troll', text: dense }); // 54 KB each
  const light = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  for (let seq = 1; seq <= 5; seq++) {
    light.send({ type: 'chat', stream: 'light', seq, ts: 1, text: '好看' });
    await light.ack('light', seq);
  }
  for (let i = 0; i < 600 && troll.of('ack').length < 40; i++) await sleep(50);
  expect(troll.of('ack')).toHaveLength(40); // paced, never dropped
  const metrics = await (await http(s, '/metrics')).text();
  expect(metrics).toMatch(/pkguard_ingest_pauses_total\{reason="cpu"\} [1-9]/);
  expect(moderator.of('error')).toEqual([]); // no moderator cut off
  for (const c of [troll, moderator, light]) c.close();
});
