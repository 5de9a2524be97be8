/**
 * A node of two owner processes (config `processes: 2`), through real WebSocket connections to the
 * real server: each stream is owned by the process its id hashes to, messages of the other owner's
 * streams are forwarded, and acks come back in frame order once the owner's journal holds them.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ownerOfFlag, ownerOfStream } from '../../src/node/owner-of.js';
import { Client, removeDir, startServer, tempDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { journalRecords, streamsOf } from './owner-harness.js';

const T0 = 1_732_260_000_000;
const auth = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role][0]}` });

/** Flag numbers a client received, in order. */
const flagNumbers = (c: Client) => c.of('flag').map((m) => Number((m.flag as { id: string }).id.slice(1)));

describe('two owner processes', () => {
  let server: ServerProcess;
  afterAll(async () => {
    await server?.stop();
    if (server) removeDir(server.dir);
  });

  it('acks every message of a frame in order, each stream journaled by its owner only, flag ids in owner classes', async () => {
    server = await startServer({ config: { processes: 2 } });
    const [a0, b0] = streamsOf(0, 2);
    const [a1, b1] = streamsOf(1, 2);
    const feed = await Client.open(server.url('/feed'), auth('moderator'));
    const ingest = await Client.open(server.url('/ingest?flags=1'), auth('ingest'));
    const frame = [a0, a1, b0, b1, a1, a0].map((stream, i) => ({ type: 'transcript', stream, seq: i + 1, ts: T0 + i, text: i % 2 === 0 ? '这个真的是销量第一' : '今天天气不错' }));
    // Several connections are handed to both processes in turn: send on a few so both routes run.
    const more = await Promise.all([1, 2, 3].map(() => Client.open(server.url('/ingest?flags=1'), auth('ingest'))));
    ingest.send(frame);
    const replies = await ingest.next((m) => m.type === 'ack' && m.seq === 6).then(() => ingest.received.filter((m) => m.type === 'ack' || m.type === 'error'));
    expect(replies.map((r) => [r.type, r.stream, r.seq])).toEqual(frame.map((m) => ['ack', m.stream, m.seq]));
    for (const [k, c] of more.entries()) {
      c.send([a0, a1].map((stream) => ({ type: 'transcript', stream, seq: 100 + k, ts: T0 + 100 + k, text: '这个真的是销量第一' })));
      await c.ack(a1, 100 + k);
      await c.ack(a0, 100 + k);
    }
    // ?flags=1: the flags of forwarded streams reach the sending connection too.
    const flagged = await ingest.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === a1);
    expect(flagged).toBeTruthy();
    // The feed shows both owners' flags.
    await feed.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === a0);
    await feed.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === a1);
    await new Promise((r) => setTimeout(r, 300));
    for (const owner of [0, 1]) {
      const records = journalRecords(server.dir, owner);
      const msgs = records.filter((r) => r.t === 'msg');
      expect(msgs.length).toBeGreaterThan(0);
      for (const r of msgs) expect(ownerOfStream(r.stream as string, 2)).toBe(owner);
      for (const r of msgs) for (const f of r.flags as { id: string }[]) expect(ownerOfFlag(f.id, 2)).toBe(owner);
    }
    const ids = feed.of('flag').map((m) => (m.flag as { id: string }).id);
    expect(new Set(ids).size).toBe(ids.length);
    // The console's drill-down reads the stream's owner's journal, whichever process answers.
    for (let k = 0; k < 4; k++) {
      for (const stream of [a0, a1]) {
        const res = await fetch(`http://127.0.0.1:${server.port}/api/stream?stream=${stream}`, { headers: auth('moderator') });
        expect(((await res.json()) as { flagged: unknown[] }).flagged.length).toBeGreaterThan(0);
      }
    }
    for (const c of [ingest, feed, ...more]) c.close();
  });

  it('every feed connection gets both owners\' flags in one id order, and since resumes across owners with no gap or repeat', async () => {
    const streams = [...streamsOf(0, 3, 'm'), ...streamsOf(1, 3, 'm')];
    // Several feed connections: the primary hands them to both processes.
    const feeds = await Promise.all([0, 1, 2, 3].map(() => Client.open(server.url('/feed'), auth('moderator'))));
    for (const f of feeds) f.send({ type: 'subscribe' });
    const ingest = await Client.open(server.url('/ingest'), auth('ingest'));
    let seq = 1000;
    for (let round = 0; round < 20; round++) {
      ingest.send(streams.map((stream, k) => ({ type: 'chat', stream, seq: ++seq, ts: T0 + seq, user: 'u', text: (round + k) % 3 === 0 ? '今天天气不错' : '这个真的是销量第一' })));
    }
    await ingest.ack(streams[streams.length - 1]!, seq, 30_000);
    const total = await new Promise<number>((resolve) => setTimeout(() => resolve(Math.max(...feeds.map((f) => f.of('flag').length))), 1000));
    expect(total).toBeGreaterThan(60);
    const reference = flagNumbers(feeds[0]!);
    for (const f of feeds) {
      const got = flagNumbers(f);
      // Strictly rising: one id order across both owners, no repeat.
      for (let i = 1; i < got.length; i++) expect(got[i]).toBeGreaterThan(got[i - 1]!);
      expect(got.slice(-reference.length)).toEqual(reference.slice(-got.length));
    }
    const tail = reference.slice(-40);
    expect(new Set(tail.map((n) => ownerOfFlag(`f${n}`, 2))).size).toBe(2);
    // Resume from the middle, on several connections (both processes): exactly the later flags, in order.
    const since = tail[10]!;
    const resumed = await Promise.all([0, 1, 2].map(() => Client.open(server.url('/feed'), auth('moderator'))));
    for (const r of resumed) r.send({ type: 'subscribe', since: `f${since}` });
    const expected = reference.filter((n) => n > since);
    for (const r of resumed) {
      await r.next((m) => m.type === 'flag' && (m.flag as { id: string }).id === `f${expected[expected.length - 1]}`, 20_000);
      expect(flagNumbers(r)).toEqual(expected);
    }
    for (const c of [ingest, ...feeds, ...resumed]) c.close();
  });

  it('the primary listens on the port itself: a port in use stops the node with exit 69, as one process does', async () => {
    const held = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
    const port = (held.address() as { port: number }).port;
    const dir = tempDir();
    try {
      await expect(startServer({ dir, config: { processes: 2, port } })).rejects.toThrow(/exited with 69/);
    } finally {
      held.close();
      removeDir(dir);
    }
  });

  it('PKGUARD_PROCESSES overrides the config; a journal written with another process count is refused at start', async () => {
    const one = await startServer();
    const ingest = await Client.open(one.url('/ingest'), auth('ingest'));
    ingest.send({ type: 'transcript', stream: 'r1', seq: 1, ts: T0, text: '你好' });
    await ingest.ack('r1', 1);
    ingest.close();
    await one.stop();
    // One process's journal under two owners: stream state would split between journals.
    await expect(startServer({ dir: one.dir, env: { PKGUARD_PROCESSES: '2' } })).rejects.toThrow(/one-process journal/);
    removeDir(one.dir);
    const two = await startServer({ env: { PKGUARD_PROCESSES: '2' } });
    expect(two.logs.filter((l) => l.event === 'owner_ready').map((l) => l.owner).sort()).toEqual([0, 1]);
    await two.stop();
    await expect(startServer({ dir: two.dir, env: { PKGUARD_PROCESSES: '3' } })).rejects.toThrow(/written by 2 owner processes/);
    removeDir(two.dir);
  });
});
