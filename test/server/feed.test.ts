/**
 * Feed features the console relies on: `history` on subscribe, a re-subscribe that never moves
 * the position back, `prev` on a flag carried across a seam, PK opponents in the `streams` summary, and
 * command errors that name their command.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, TOKENS, removeDir, startServer, type ServerProcess } from './harness.js';

let server: ServerProcess;
let ingest: Client;
const flagIds: string[] = [];

beforeAll(async () => {
  server = await startServer();
  ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  const ts = Date.now();
  const send = async (m: Record<string, unknown>) => {
    ingest.send(m);
    await ingest.ack(m.stream as string, m.seq as number);
  };
  await send({ type: 'pk', stream: 'a', seq: 1, ts, state: 'start', opponent: 'b' });
  await send({ type: 'transcript', stream: 'a', seq: 2, ts, text: '想要的加微信', final: true });
  await send({ type: 'transcript', stream: 'a', seq: 3, ts, text: '价格是全网最', final: true });
  await send({ type: 'transcript', stream: 'a', seq: 4, ts, text: '低价哦', final: true });
  const all = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  all.send({ type: 'subscribe', history: 1000 });
  const streams = await all.next((m) => m.type === 'streams');
  await all.next((m) => m.type === 'flag' && (m.flag as { id: string }).id === streams.lastFlag);
  for (const m of all.of('flag')) flagIds.push((m.flag as { id: string }).id);
  all.close();
});

afterAll(async () => {
  ingest?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
});

describe('feed for the console', () => {
  test('streams summary carries the newest flag id, thresholds and the PK opponent', async () => {
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'subscribe' });
    const s = await c.next((m) => m.type === 'streams');
    expect(s.lastFlag).toBe(flagIds[flagIds.length - 1]);
    expect(s.thresholds).toEqual({ watch: 3, alert: 8, shutdown: 16 });
    expect(s.streams).toContainEqual(expect.objectContaining({ stream: 'a', pk: true, opponent: 'b' }));
    await new Promise((r) => setTimeout(r, 200));
    expect(c.of('flag')).toEqual([]); // no position: live only
    c.close();
  });

  test('history counts back from the newest flag id', async () => {
    expect(flagIds.length).toBeGreaterThanOrEqual(2);
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'subscribe', history: 1 });
    const last = flagIds[flagIds.length - 1]!;
    await c.next((m) => m.type === 'flag' && (m.flag as { id: string }).id === last);
    await new Promise((r) => setTimeout(r, 200));
    expect(c.of('flag').map((m) => (m.flag as { id: string }).id)).toEqual([last]);
    c.close();
  });

  test('a re-subscribe never moves a connection back: it says position_kept and sends nothing twice; a new connection replays', async () => {
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'subscribe', history: 1000 });
    await c.next((m) => m.type === 'flag' && (m.flag as { id: string }).id === flagIds[flagIds.length - 1]);
    c.send({ type: 'subscribe', categories: ['contact'], history: 1000 });
    const notice = await c.next((m) => m.type === 'notice');
    expect(notice).toMatchObject({ code: 'position_kept', position: flagIds[flagIds.length - 1] });
    await c.next((m) => m.type === 'streams' && c.received.indexOf(m) > c.received.indexOf(notice));
    await new Promise((r) => setTimeout(r, 200));
    expect(c.of('flag').map((m) => (m.flag as { id: string }).id)).toEqual(flagIds);
    c.close();
    // To see older flags under another filter, a client opens a new connection (the console does).
    const wider = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    wider.send({ type: 'subscribe', categories: ['contact'], history: 1000 });
    await wider.next((m) => m.type === 'flag');
    await new Promise((r) => setTimeout(r, 200));
    expect(wider.of('flag').length).toBeGreaterThan(0);
    expect(wider.of('flag').every((m) => (m.flag as { category: string }).category === 'contact')).toBe(true);
    wider.close();
  });

  test('a flag carried across chunks comes with the text before the seam, live and replayed', async () => {
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'subscribe', history: 1000 });
    const carried = await c.next((m) => m.type === 'flag' && (m.flag as { carried?: string }).carried !== undefined);
    const flag = carried.flag as { carried: string };
    expect(carried.text).toBe('低价哦');
    expect(carried.prev).toMatch(new RegExp(`${flag.carried}$`));
    expect(carried.prev as string).toContain('价格是');
    const plain = c.of('flag').find((m) => (m.flag as { carried?: string }).carried === undefined)!;
    expect(plain.prev).toBeUndefined();
    c.close();
  });

  test('a shut-down stream carries its reason in the summary', async () => {
    ingest.send({ type: 'transcript', stream: 'z', seq: 1, ts: Date.now(), text: '喝了能治癌', final: true });
    await ingest.ack('z', 1);
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'subscribe', streams: ['z'] });
    const s = await c.next((m) => m.type === 'streams');
    expect(s.streams).toEqual([expect.objectContaining({ stream: 'z', level: 'shutdown', reason: expect.stringMatching(/^critical flag f\d+: /) })]);
    c.close();
  });

  test('a dismissal survives a restart: dismissing the same flag again is a noop', async () => {
    const id = flagIds[0]!;
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'dismiss', flagId: id });
    expect(await c.next((m) => m.type === 'ok' && m.command === 'dismiss')).not.toHaveProperty('noop');
    c.close();
    ingest.close();
    await server.stop();
    server = await startServer({ dir: server.dir });
    ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
    const again = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    again.send({ type: 'dismiss', flagId: id });
    expect(await again.next((m) => m.type === 'ok' && m.command === 'dismiss')).toMatchObject({ flagId: id, noop: true });
    // The shutdown reason is rebuilt from the journal too.
    again.send({ type: 'subscribe', streams: ['z'] });
    const s = await again.next((m) => m.type === 'streams');
    expect(s.streams).toEqual([expect.objectContaining({ stream: 'z', level: 'shutdown', reason: expect.stringMatching(/^critical flag/) })]);
    again.close();
  });

  test('a refused command names the command and its target', async () => {
    const c = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    c.send({ type: 'dismiss', flagId: 'f99999' });
    c.send({ type: 'restore', stream: 'nope' });
    const e1 = await c.next((m) => m.type === 'error' && m.code === 'unknown_flag');
    expect(e1).toMatchObject({ command: 'dismiss', flagId: 'f99999' });
    const e2 = await c.next((m) => m.type === 'error' && m.code === 'unknown_stream');
    expect(e2).toMatchObject({ command: 'restore', stream: 'nope' });
    c.close();
  });
});

describe('since older than retention', () => {
  test('the resuming client is told which flags are gone, then gets what is held', async () => {
    const s = await startServer({ config: { journal: { segmentBytes: 4096, retainBytes: 4096 } } });
    try {
      const ing = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
      ing.send({ type: 'pk', stream: 'ret', seq: 1, ts: Date.now(), state: 'start', opponent: 'rival-room' });
      await ing.ack('ret', 1);
      for (let seq = 2; seq <= 61; seq++) {
        ing.send({ type: 'transcript', stream: 'ret', seq, ts: Date.now(), text: `第${seq}次说：这个真的是销量第一，全网最低价`, final: true });
        await ing.ack('ret', seq);
      }
      ing.close();
      // Retention deletes segments after the appends that rotated them, so it may still be running:
      // ask until two answers agree (each must be right as of when it was given).
      let notice: Record<string, unknown> | undefined;
      for (let tries = 0; tries < 50; tries++) {
        const c = await Client.open(s.url('/feed', TOKENS.moderator[0]));
        c.send({ type: 'subscribe', since: 'f1' });
        const n = await c.next((m) => m.type === 'notice');
        expect(n).toMatchObject({ code: 'history_truncated', firstAvailable: expect.stringMatching(/^f\d+$/) });
        const first = await c.next((m) => m.type === 'flag');
        expect((first.flag as { id: string }).id).toBe(n.firstAvailable);
        c.close();
        const settled = notice?.firstAvailable === n.firstAvailable;
        notice = n;
        if (settled) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!notice) throw new Error('no history_truncated notice');

      const fresh = await Client.open(s.url('/feed', TOKENS.moderator[0]));
      fresh.send({ type: 'subscribe', since: notice.firstAvailable as string });
      await fresh.next((m) => m.type === 'flag');
      expect(fresh.of('notice')).toEqual([]); // nothing asked for is gone
      fresh.close();

      // The PK start went with the deleted segments; after a restart the segment snapshot still
      // says the stream is in PK, against whom.
      await s.stop();
      const again = await startServer({ dir: s.dir, config: { journal: { segmentBytes: 4096, retainBytes: 4096 } } });
      try {
        const m = await Client.open(again.url('/feed', TOKENS.moderator[0]));
        m.send({ type: 'subscribe', streams: ['ret'] });
        const summary = await m.next((x) => x.type === 'streams');
        expect(summary.streams).toEqual([expect.objectContaining({ stream: 'ret', pk: true, opponent: 'rival-room' })]);
        m.close();
      } finally {
        await again.stop();
      }
    } finally {
      await s.stop();
      removeDir(s.dir);
    }
  });
});
