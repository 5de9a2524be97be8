/**
 * A stream's `end` on the feed (real server, real sockets): moderators get `{"type":"end"}` after
 * what the end itself flagged, control connections do not, a re-sent end is not told twice, and a
 * subscriber's `streams` pages carry `ended` (the end's seq and event time) until the stream is
 * flagged past it, with the level the feed last said (the core released the stream: normal, risk 0).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, removeDir, sleep, startServer, TOKENS, type ServerProcess } from './harness.js';

let server: ServerProcess;
let ingest: Client;
let feed: Client;
let control: Client;
const T0 = 1_790_000_000_000;

beforeAll(async () => {
  server = await startServer();
  ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  control = await Client.open(server.url('/feed', TOKENS.control[0]));
}, 60_000);

afterAll(async () => {
  for (const c of [ingest, feed, control]) c?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
});

/** A fresh moderator connection's state pages, merged: the stream summaries it was sent on subscribe. */
async function statePages(filter: Record<string, unknown> = {}, srv: ServerProcess = server): Promise<Map<string, Record<string, unknown>>> {
  const c = await Client.open(srv.url('/feed', TOKENS.moderator[0]));
  try {
    c.send({ type: 'subscribe', ...filter });
    await c.next((m) => m.type === 'streams' && m.done === true);
    const out = new Map<string, Record<string, unknown>>();
    for (const page of c.of('streams')) for (const s of page.streams as Record<string, unknown>[]) out.set(s.stream as string, s);
    return out;
  } finally {
    c.close();
  }
}

test('an end goes out to moderators as an end frame, after the flags the end itself raised', async () => {
  ingest.send([
    { type: 'transcript', stream: 'e1', seq: 1, ts: T0, text: '这款全网最低价' },
    { type: 'transcript', stream: 'e1', seq: 2, ts: T0 + 1, text: '销量第一的产品' },
    { type: 'transcript', stream: 'e1', seq: 3, ts: T0 + 2, text: '史上最强的效果' },
    { type: 'end', stream: 'e1', seq: 4, ts: T0 + 3 },
  ]);
  await ingest.ack('e1', 4);
  const end = await feed.next((m) => m.type === 'end' && m.stream === 'e1');
  expect(end).toEqual({ type: 'end', stream: 'e1', seq: 4, ts: T0 + 3 });
  const mine = feed.received.filter((m) => m.stream === 'e1' || (m.flag as { stream?: string } | undefined)?.stream === 'e1');
  expect(mine[mine.length - 1]).toBe(end);
  // Control connections act on shutdowns only.
  await sleep(100);
  expect(control.received.filter((m) => m.type === 'end')).toEqual([]);
  // Re-sent: acked again as a duplicate, not told again.
  ingest.send({ type: 'end', stream: 'e1', seq: 4, ts: T0 + 3 });
  expect((await ingest.next((m) => m.type === 'ack' && m.stream === 'e1' && m.seq === 4 && m.duplicate === true)).duplicate).toBe(true);
  await sleep(100);
  expect(feed.of('end').filter((m) => m.stream === 'e1')).toHaveLength(1);
});

test('state pages carry ended with the level the feed last said; a flag after the end lifts it', async () => {
  const lastLevel = [...feed.of('level')].reverse().find((m) => m.stream === 'e1')!;
  expect(lastLevel.level).not.toBe('normal');
  const ended = (await statePages()).get('e1')!;
  expect(ended).toMatchObject({ stream: 'e1', level: lastLevel.level, risk: lastLevel.risk, ended: { seq: 4, ts: T0 + 3 } });
  // A stream filter that leaves it out leaves its end out too.
  expect((await statePages({ streams: ['other'] })).has('e1')).toBe(false);

  // Heard from again: live (a new session's escalation starts from zero).
  ingest.send({ type: 'transcript', stream: 'e1', seq: 5, ts: T0 + 10, text: '这款全网最低价' });
  await ingest.ack('e1', 5);
  await feed.next((m) => m.type === 'flag' && (m.flag as { stream: string; seq: number }).seq === 5 && (m.flag as { stream: string }).stream === 'e1');
  expect((await statePages()).get('e1')!.ended).toBeUndefined();
});

test('a shut-down stream that ended stays shut down with its reason; its PK reads as the feed last told it', async () => {
  ingest.send([
    { type: 'pk', stream: 'e2', seq: 1, ts: T0, state: 'start', opponent: 'e3' },
    { type: 'transcript', stream: 'e2', seq: 2, ts: T0 + 1, text: '喝了能治癌' },
  ]);
  const shutdown = await feed.next((m) => m.type === 'shutdown' && m.stream === 'e2');
  ingest.send({ type: 'end', stream: 'e2', seq: 3, ts: T0 + 2 });
  await feed.next((m) => m.type === 'end' && m.stream === 'e2');
  const s = (await statePages()).get('e2')!;
  // The core released the stream (no PK); the feed said PK start and nothing since.
  expect(s).toMatchObject({ level: 'shutdown', reason: shutdown.reason, pk: true, opponent: 'e3', ended: { seq: 3, ts: T0 + 2 } });
});

describe.each([1, 2])('after a restart (SIGKILL), %i owner process(es)', (processes) => {
  let s: ServerProcess | undefined;
  afterAll(async () => {
    await s?.stop();
    if (s) removeDir(s.dir);
  });

  test('a new moderator still sees the stream ended, and a flag past the end lifts it', async () => {
    s = await startServer({ config: { processes } });
    const streams = ['r1', 'r2', 'r3'];
    let inc = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    for (const st of streams) {
      inc.send([
        { type: 'transcript', stream: st, seq: 1, ts: T0, text: '这款全网最低价' },
        { type: 'end', stream: st, seq: 2, ts: T0 + 1 },
      ]);
      await inc.ack(st, 2);
    }
    // r3 is heard from again before the restart: not ended.
    inc.send({ type: 'transcript', stream: 'r3', seq: 3, ts: T0 + 2, text: '销量第一的产品' });
    await inc.ack('r3', 3);
    inc.close();
    const dir = s.dir;
    await s.stop('SIGKILL');
    s = await startServer({ dir, config: { processes } });

    const pages = await statePages({}, s);
    expect(pages.get('r1')?.ended).toEqual({ seq: 2, ts: T0 + 1 });
    expect(pages.get('r2')?.ended).toEqual({ seq: 2, ts: T0 + 1 });
    expect(pages.get('r3')?.ended).toBeUndefined();

    // r1: a flag past the end lifts it; r2: a clean chunk does not (only a flag, which the feed can see).
    const watcher = await Client.open(s.url('/feed', TOKENS.moderator[0]));
    watcher.send({ type: 'subscribe' });
    await watcher.next((m) => m.type === 'streams' && m.done === true);
    inc = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    inc.send([
      { type: 'transcript', stream: 'r1', seq: 3, ts: T0 + 5, text: '史上最强的效果' },
      { type: 'transcript', stream: 'r2', seq: 3, ts: T0 + 5, text: '大家晚上好' },
    ]);
    await inc.ack('r2', 3);
    await watcher.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === 'r1');
    const after = await statePages({}, s);
    expect(after.get('r1')?.ended).toBeUndefined();
    expect(after.get('r2')?.ended).toEqual({ seq: 2, ts: T0 + 1 });
    inc.close();
    watcher.close();
  });
});
