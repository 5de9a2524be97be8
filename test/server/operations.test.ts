/**
 * Operations: lexicon hot reload (SIGHUP and file watch, a broken file keeps the old lexicon),
 * graceful SIGTERM, config errors, heartbeat, and the slow feed consumer.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import WebSocket from 'ws';
import { Client, MAIN, removeDir, sleep, startServer, tempDir, TOKENS, type ServerProcess } from './harness.js';

const T0 = 1_790_000_000_000;
let server: ServerProcess | undefined;
afterEach(async () => {
  await server?.stop('SIGKILL');
  if (server) removeDir(server.dir);
  server = undefined;
});

async function waitForLog(s: ServerProcess, event: string, after = 0): Promise<Record<string, unknown>> {
  for (let i = 0; i < 300; i++) {
    const hit = s.logs.slice(after).find((l) => l.event === event);
    if (hit) return hit;
    await sleep(50);
  }
  throw new Error(`no ${event} log; got ${s.logs.map((l) => l.event).join(', ')}`);
}

test('lexicon hot reload: SIGHUP swaps in new terms, a broken file keeps the old lexicon, the file watch reloads too', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const lex = join(dir, 'lexicons');
  mkdirSync(lex);
  writeFileSync(join(lex, 'extreme.tsv'), '宇宙第一\thigh\n');
  server = await startServer({ dir, config: { lexicons: lex, watchLexicons: true } });
  const ingest = await Client.open(server.url('/ingest?flags=1', TOKENS.ingest[0]));
  let seq = 0;
  const flagsFor = async (text: string) => {
    const s = ++seq;
    ingest.send({ type: 'chat', stream: 'lex', seq: s, ts: T0 + s, text });
    await ingest.ack('lex', s);
    await sleep(20);
    return ingest.of('flag').map((m) => m.flag as { seq: number; term: string }).filter((f) => f.seq === s).map((f) => f.term);
  };
  expect(await flagsFor('我们是宇宙第一')).toEqual(['宇宙第一']);
  expect(await flagsFor('银河无敌')).toEqual([]);

  let mark = server.logs.length;
  writeFileSync(join(lex, 'extreme.tsv'), '宇宙第一\thigh\n银河无敌\thigh\n');
  server.proc.kill('SIGHUP');
  await waitForLog(server, 'lexicon_reloaded', mark);
  expect(await flagsFor('银河无敌')).toEqual(['银河无敌']);

  mark = server.logs.length;
  writeFileSync(join(lex, 'extreme.tsv'), '宇宙第一\thigh\n银河无敌\tsevere\n');
  const failed = await waitForLog(server, 'lexicon_reload_failed', mark); // the file watch saw it
  expect(failed.err).toMatch(/extreme\.tsv:2/);
  expect(await flagsFor('银河无敌，宇宙第一')).toEqual(['银河无敌', '宇宙第一']);
  const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  expect(metrics).toMatch(/pkguard_lexicon_reloads_total\{outcome="failed"\} [1-9]/);
  ingest.close();
});

test('SIGTERM drains: in-flight messages are acked, sockets close with 1001, exit code 0', { timeout: 60_000 }, async () => {
  server = await startServer();
  const ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  const feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'transcript', stream: 'term', seq: i + 1, ts: T0 + i, text: '全网最低价' }));
  ingest.send(batch);
  await ingest.ack('term', 1);
  server.proc.kill('SIGTERM');
  expect((await ingest.closed).code).toBe(1001);
  expect((await feed.closed).code).toBe(1001);
  expect(await server.exited).toBe(0);
  // Every message got an answer: an ack, or `shutting_down` for what arrived after the signal.
  const answered = ingest.of('ack').length + ingest.of('error').filter((e) => e.code === 'shutting_down').length;
  expect(answered).toBe(500);
  expect(ingest.of('error').filter((e) => e.code !== 'shutting_down')).toEqual([]);
  expect(server.logs.some((l) => l.event === 'stopped')).toBe(true);
});

test('SIGTERM drains a connection over its CPU budget: its queued messages are answered too', { timeout: 60_000 }, async () => {
  // A CPU share so small that the first slice overdraws the budget for seconds: the rest of the
  // frame waits in the connection's queue, past the drain notice, unless the drain lifts the gate.
  server = await startServer({ config: { limits: { cpuShare: 0.0005, cpuBurstMs: 1, sliceMs: 1, sliceSize: 8 } } });
  const ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  const batch = Array.from({ length: 500 }, (_, i) => ({ type: 'transcript', stream: 'gated', seq: i + 1, ts: T0 + i, text: `全网最低价，史上最强，加微信${i}` }));
  ingest.send(batch);
  await ingest.ack('gated', 1);
  const metrics = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  expect(metrics, 'the connection was paused for CPU').toMatch(/pkguard_ingest_pauses_total\{reason="cpu"\} [1-9]/);
  expect(ingest.of('ack').length, 'still queued when the signal comes').toBeLessThan(500);
  server.proc.kill('SIGTERM');
  expect((await ingest.closed).code).toBe(1001);
  expect(await server.exited).toBe(0);
  const acked = ingest.of('ack').length;
  const refused = ingest.of('error').filter((e) => e.code === 'shutting_down').length;
  expect(acked + refused).toBe(500);
  expect(refused, 'the queue was refused, not processed at full cost').toBeGreaterThan(0);
  expect(ingest.of('error').filter((e) => e.code !== 'shutting_down')).toEqual([]);
});

test('a bad config is refused with the path of the bad field and exit code 2', () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 0, limits: { maxBatch: 'lots' } }));
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/config\.json: limits\.maxBatch: /);
    writeFileSync(file, JSON.stringify({ port: 0, escalation: { thresholds: { watch: 9, alert: 8, shutdown: 16 } } }));
    const r2 = spawnSync(process.execPath, [MAIN, 'serve', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/escalation\.thresholds: thresholds must rise/);
  } finally {
    removeDir(dir);
  }
});

test('the port already in use exits with 69', { timeout: 60_000 }, async () => {
  server = await startServer();
  const dir = tempDir();
  try {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: server.port, host: '127.0.0.1', tokens: TOKENS, journal: { dir: join(dir, 'j') } }));
    const r = spawnSync(process.execPath, [MAIN, 'serve', '--config', file], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(69);
    expect(r.stderr).toMatch(/EADDRINUSE/);
  } finally {
    removeDir(dir);
  }
});

test('heartbeat: a peer that stops answering pings is terminated', { timeout: 60_000 }, async () => {
  server = await startServer({ config: { limits: { heartbeatMs: 200 } } });
  const ws = new WebSocket(server.url('/feed', TOKENS.moderator[0]));
  await new Promise((r) => ws.once('open', r));
  const healthy = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  ws.pause(); // reads nothing, so answers no ping
  for (let i = 0; i < 100; i++) {
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    if (/pkguard_forced_disconnects_total\{reason="heartbeat"\} 1/.test(text)) break;
    await sleep(50);
  }
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  expect(text).toMatch(/pkguard_forced_disconnects_total\{reason="heartbeat"\} 1/);
  expect(text).toMatch(/pkguard_connections\{role="moderator"\} 1/);
  expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
  ws.terminate();
  healthy.close();
});

test('a feed client that stops reading is told slow_consumer and cut off; it resumes with since and misses nothing', { timeout: 90_000 }, async () => {
  server = await startServer({ config: { limits: { maxBufferedBytes: 64 * 1024, ratePerSecond: 1_000_000, rateBurst: 1_000_000 } } });
  const slow = new WebSocket(server.url('/feed', TOKENS.moderator[0]), { perMessageDeflate: false });
  const slowGot: Record<string, unknown>[] = [];
  slow.on('message', (d: Buffer) => slowGot.push(JSON.parse(d.toString()) as Record<string, unknown>));
  const slowClosed = new Promise<number>((r) => slow.once('close', (code) => r(code)));
  await new Promise((r) => slow.once('open', r));
  slow.send(JSON.stringify({ type: 'subscribe' })); // live at once (without it, flags are held for limits.feedGraceMs)
  await sleep(100);
  slow.pause();
  const ingest = await Client.open(server.url('/ingest?flags=1', TOKENS.ingest[0]));
  const text = '全网最低价，'.repeat(10);
  let seq = 0;
  const cutOff = () => server!.logs.some((l) => l.event === 'feed_slow_consumer');
  for (let round = 0; round < 400 && !cutOff(); round++) {
    const batch = Array.from({ length: 50 }, () => ({ type: 'chat', stream: `s${seq % 20}`, seq: ++seq, ts: T0 + seq, text }));
    ingest.send(batch);
    await ingest.ack(batch.at(-1)!.stream, batch.at(-1)!.seq, 30_000);
  }
  expect(cutOff()).toBe(true);
  // A few more flags after the cut-off, which the slow client must get on resume.
  ingest.send({ type: 'chat', stream: 'after', seq: 1, ts: T0, text });
  await ingest.ack('after', 1);
  await sleep(50);
  slow.resume();
  expect(await slowClosed).toBe(4008);
  expect(slowGot.at(-1)).toMatchObject({ type: 'error', code: 'slow_consumer' });
  const lastId = (slowGot.filter((m) => m.type === 'flag').at(-1)!.flag as { id: string }).id;
  expect(slowGot.at(-1)).toMatchObject({ lastFlag: lastId }); // the error names where to resume

  // Resume from the last flag it received: every later flag, once, in order.
  const newest = Math.max(...ingest.of('flag').map((m) => Number((m.flag as { id: string }).id.slice(1))));
  const resumed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  resumed.send({ type: 'subscribe', since: lastId });
  await resumed.next((m) => m.type === 'flag' && (m.flag as { id: string }).id === `f${newest}`, 60_000);
  const ids = resumed.of('flag').map((m) => Number((m.flag as { id: string }).id.slice(1)));
  expect(ids[0]).toBe(Number(lastId.slice(1)) + 1);
  for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe(ids[i - 1]! + 1);
  expect(ids.at(-1)).toBe(newest);
  resumed.close();
  ingest.close();
});
