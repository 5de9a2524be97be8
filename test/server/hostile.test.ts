/**
 * Hostile input: each bad frame gets its specific error (or its connection is cut off), and a
 * well-behaved stream on another connection keeps every ack and flag throughout.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import WebSocket from 'ws';
import { Client, removeDir, sleep, startServer, TOKENS, type ServerProcess } from './harness.js';

let server: ServerProcess;
let good: Client;
let goodSeq = 0;
const T0 = 1_790_000_000_000;

beforeAll(async () => {
  server = await startServer({ config: { limits: { maxBufferedBytes: 64 * 1024, ratePerSecond: 1_000_000, rateBurst: 1_000_000 } } });
  good = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
}, 60_000);

afterAll(async () => {
  good?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
});

/** The well-behaved stream: one violating chunk, acked and flagged. */
async function goodStreamStillWorks(): Promise<void> {
  const seq = ++goodSeq;
  good.send({ type: 'transcript', stream: 'good', seq, ts: T0 + seq, text: '这个真的是销量第一' });
  await good.ack('good', seq);
}

const ingestClient = () => Client.open(server.url('/ingest', TOKENS.ingest[0]));

test('invalid JSON, wrong types, unknown type and binary frames each get their code; the connection stays open', async () => {
  const c = await ingestClient();
  c.send('{"type":"transcript",');
  expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'invalid_json' });
  c.send({ type: 'transcript', stream: 'h', seq: 'one', ts: T0, text: 'x' });
  expect(await c.next((m) => m.code === 'invalid_message')).toMatchObject({ stream: 'h', message: expect.stringMatching(/^seq: /) });
  c.send({ type: 'chat', stream: 'h', seq: 1, ts: T0, text: 42 });
  expect(await c.next((m) => m.code === 'invalid_message' && m.seq === 1)).toMatchObject({ message: expect.stringMatching(/^text: /) });
  c.send({ type: 'telepathy', stream: 'h', seq: 2 });
  expect(await c.next((m) => m.code === 'unknown_type')).toMatchObject({ seq: 2, message: expect.stringContaining('transcript, chat, pk, end') });
  c.send([{ type: 'transcript', stream: 'h', seq: 3, ts: T0, text: '好' }, null, { type: 'end', stream: 'h' }]);
  expect(await c.next((m) => m.code === 'invalid_message' && m.index === 1)).toMatchObject({ message: 'message: expected object, received null' });
  expect(await c.next((m) => m.code === 'invalid_message' && m.index === 2)).toMatchObject({ message: expect.stringMatching(/^seq: /) });
  await c.ack('h', 3);
  c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  expect(await c.next((m) => m.code === 'binary_frame')).toBeTruthy();
  await goodStreamStillWorks();
  expect(c.ws.readyState).toBe(WebSocket.OPEN);
  c.close();
});

test('lone surrogates are scanned as noise: acked, flagged, and the output is valid JSON', async () => {
  const c = await ingestClient();
  const feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  feed.send({ type: 'subscribe', streams: ['sur'] });
  await sleep(50);
  c.send({ type: 'transcript', stream: 'sur', seq: 1, ts: T0, text: '\ud800全网\udc00最低价\ud800' });
  await c.ack('sur', 1);
  const m = await feed.next((x) => x.type === 'flag');
  expect(m.flag).toMatchObject({ term: '全网最低价', matched: '全网\udc00最低价', evasion: true });
  c.close();
  feed.close();
});

test('a 10,000-message batch is refused whole with batch_too_large', async () => {
  const c = await ingestClient();
  const batch = Array.from({ length: 10_000 }, (_, i) => ({ type: 'chat', stream: 'big', seq: i + 1, ts: T0, text: '好' }));
  c.send(batch);
  expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'batch_too_large', message: expect.stringContaining('10000') });
  await goodStreamStillWorks();
  c.send({ type: 'chat', stream: 'big', seq: 1, ts: T0, text: '好' });
  await c.ack('big', 1); // nothing of the refused batch was processed
  expect(c.of('ack')).toEqual([{ type: 'ack', stream: 'big', seq: 1 }]);
  c.close();
});

test('a 10 MB frame closes that connection with 1009; others carry on', async () => {
  const c = await ingestClient();
  c.send({ type: 'chat', stream: 'huge', seq: 1, ts: T0, text: '全'.repeat(10 * 1024 * 1024 / 3) });
  expect((await c.closed).code).toBe(1009);
  await goodStreamStillWorks();
});

test('a client that floods without reading is cut off; the good stream keeps its acks', { timeout: 60_000 }, async () => {
  const flooder = new WebSocket(server.url('/ingest', TOKENS.ingest[0]), { perMessageDeflate: false });
  await new Promise((r) => flooder.once('open', r));
  flooder.pause(); // never read what the server sends
  const junk = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ type: 'chat', stream: 'x'.repeat(128), seq: `bad${i}`, ts: T0, text: 'x' })));
  const pump = (async () => {
    for (let i = 0; i < 150 && flooder.readyState === WebSocket.OPEN; i++) {
      flooder.send(junk);
      if (i % 10 === 0) await goodStreamStillWorks();
      while (flooder.bufferedAmount > 4 * 1024 * 1024 && flooder.readyState === WebSocket.OPEN) await sleep(5);
    }
  })();
  const metrics = async () => (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  for (let i = 0; i < 200 && !/pkguard_forced_disconnects_total\{reason="not_reading"\} 1/.test(await metrics()); i++) await sleep(100);
  expect(await metrics()).toMatch(/pkguard_forced_disconnects_total\{reason="not_reading"\} 1/);
  flooder.terminate();
  await pump;
  await goodStreamStillWorks();
  expect(good.of('error')).toEqual([]);
  expect(server.logs.some((l) => l.event === 'connection_cut_off' && l.reason === 'not_reading')).toBe(true);
});
