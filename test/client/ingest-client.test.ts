/**
 * `IngestClient` against a real server, one promise at a time: a refused token fails `connect`,
 * a message refused (by the client's own check, or by the server) rejects with its code and costs
 * nothing else, a stopped server (SIGSTOP: it reads nothing, acks nothing) fills the window so
 * `ready()` waits, and `close()` gives up on what is left, telling each message's promise.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { IngestClient, IngestConnectError, IngestRefusedError, IngestUnackedError } from '../../src/index.js';
import { removeDir, sleep, startServer, TOKENS, type ServerProcess } from '../server/harness.js';
import { smallLexiconDir } from '../stream/embedded.js';
import { T0 } from './harness.js';

const lexicons = smallLexiconDir();
let server: ServerProcess;
let url: string;

beforeAll(async () => {
  server = await startServer({ config: { lexicons, limits: { maxSeqAhead: 1000 } } });
  url = `ws://127.0.0.1:${server.port}`;
}, 60_000);

afterAll(async () => {
  server.proc.kill('SIGCONT');
  await server?.stop();
  if (server) removeDir(server.dir);
  rmSync(lexicons, { recursive: true, force: true });
});

const chat = (stream: string, seq: number, text = '好看') => ({ type: 'chat' as const, stream, seq, ts: T0 + seq, text });

test('a refused token fails connect with status 401 at once (no retry loop)', async () => {
  const t0 = Date.now();
  const err = await IngestClient.connect(url, 'not-a-valid-token-0123456789').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(IngestConnectError);
  expect(err).toMatchObject({ code: 'PKG_ERR_INGEST_CONNECT', status: 401 });
  expect(Date.now() - t0).toBeLessThan(5000);
});

test('refusals reject only their own message, with the wire code and the field; shutdown arrives once', async () => {
  const client = await IngestClient.connect(url, TOKENS.ingest[0]!);
  const shutdowns: string[] = [];
  client.on('shutdown', (s) => shutdowns.push(`${s.stream}#${s.epoch}`));
  const ok1 = client.send(chat('r1', 1));
  const local = client.send({ type: 'chat', stream: 'r1', seq: -1, ts: T0, text: 'x' });
  const farAhead = client.send(chat('r2', 5000)); // the server allows at most 1000 above the stream's highest
  const ok2 = client.send(chat('r1', 2, '全网最低价'));
  const critical = client.send({ type: 'transcript', stream: 'r3', seq: 1, ts: T0, text: '喝了能治癌' });

  await expect(local).rejects.toBeInstanceOf(IngestRefusedError);
  await expect(local).rejects.toMatchObject({ code: 'PKG_ERR_INGEST_REFUSED', wireCode: 'invalid_message', local: true, stream: 'r1', seq: -1, message: expect.stringContaining('seq') });
  await expect(farAhead).rejects.toMatchObject({ code: 'PKG_ERR_INGEST_REFUSED', wireCode: 'invalid_message', local: false, stream: 'r2', seq: 5000, message: expect.stringContaining('seq') });
  expect(await ok1).toEqual({ stream: 'r1', seq: 1, duplicate: false });
  expect(await ok2).toEqual({ stream: 'r1', seq: 2, duplicate: false });
  expect(await critical).toMatchObject({ stream: 'r3', seq: 1 });
  // Sent again: acked as a duplicate, processed once.
  expect(await client.send(chat('r1', 2, '全网最低价'))).toEqual({ stream: 'r1', seq: 2, duplicate: true });
  for (let i = 0; i < 50 && shutdowns.length === 0; i++) await sleep(20);
  expect(shutdowns).toEqual(['r3#1']);
  const closed = await client.close();
  expect(closed).toMatchObject({ drained: true, unacked: [], stats: { sent: 5, acked: 4, duplicates: 1, refused: 2, givenUp: 0 } });
  await expect(client.send(chat('r1', 3))).rejects.toMatchObject({ code: 'PKG_ERR_INGEST_UNACKED', reason: 'closed' });
});

test('a stopped server: the window fills and ready() waits; close() gives up on each unacked message and says so', { timeout: 60_000 }, async () => {
  const client = await IngestClient.connect(url, TOKENS.ingest[0]!, { window: 50, heartbeatMs: 60_000 });
  server.proc.kill('SIGSTOP');
  try {
    const fates: Promise<unknown>[] = [];
    let sent = 0;
    for (let seq = 1; seq <= 200; seq++) {
      const room = await Promise.race([client.ready().then(() => true), sleep(300).then(() => false)]);
      if (!room) break;
      fates.push(client.send(chat('stopped', seq)).then(() => 'acked', (e: unknown) => e));
      sent++;
    }
    expect(sent).toBe(50); // pushed back at the window
    const closed = await client.close({ timeoutMs: 300 });
    expect(closed.drained).toBe(false);
    expect(closed.unacked).toHaveLength(50);
    expect(closed.unacked[0]).toEqual({ stream: 'stopped', seq: 1 });
    const outcomes = await Promise.all(fates);
    expect(outcomes.every((e) => e instanceof IngestUnackedError && e.reason === 'close_timeout')).toBe(true);
    expect(closed.stats).toMatchObject({ sent: 50, acked: 0, givenUp: 50 });
  } finally {
    server.proc.kill('SIGCONT');
  }
});
