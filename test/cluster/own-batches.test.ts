/**
 * The owner's own batches reach its feed without being parsed again (src/cluster/own-batches.ts).
 *
 * The store alone: kept only ahead of the reader, taken once, bounded.
 *
 * Three real nodes: each node's feed mixes batches it stored itself (records as committed) with
 * other nodes' (parsed), a different mix on every node. If the two paths gave different frames
 * (a flag without its stored id, a shutdown citing provisional ids, a batch out of order, one
 * twice), the three feeds would differ from each other or from a `history` replay, which parses
 * every batch from the events stream. Shutdowns cite flags of their own commit (the log renames
 * them once their batch is stored), the case where an own record differs most from its input.
 */
import { describe, expect, test } from 'vitest';
import { OwnBatches } from '../../src/cluster/own-batches.js';
import type { StreamRecord } from '../../src/stream/records.js';
import { Client, sleep, TOKENS } from '../server/harness.js';
import { balancedNodes, hasNatsServer } from './harness.js';

const rec = (stream: string): StreamRecord => ({ t: 'end', stream, seq: 1, ts: 1 }) as StreamRecord;

describe('OwnBatches', () => {
  test('keeps a batch ahead of the reader until taken, once; one the reader passed is not kept', () => {
    let passed = 10;
    const own = new OwnBatches(() => passed);
    own.keep(10, [rec('a')]); // the reader already handed 10 on (and parsed it)
    own.keep(12, [rec('b')]);
    own.keep(13, []); // nothing to hand on
    expect(own.size).toBe(1);
    passed = 11;
    expect(own.take(11)).toBeUndefined();
    expect(own.take(12)).toEqual([rec('b')]);
    expect(own.take(12)).toBeUndefined();
    expect(own.taken).toBe(1);
  });

  test('bounded: past the limit the oldest kept goes (the reader then parses it)', () => {
    const own = new OwnBatches(() => 0, 3);
    for (let s = 1; s <= 5; s++) own.keep(s, [rec(`s${s}`)]);
    expect(own.size).toBe(3);
    expect(own.take(1)).toBeUndefined();
    expect(own.take(2)).toBeUndefined();
    expect(own.take(5)).toEqual([rec('s5')]);
  });
});


const TEXTS = ['这个真的是销量第一', '大家加微信', '史上最强', '独家合作', '可以根治鼻炎'];
/** What a moderator's feed shows of the history (the frames both paths produce). */
const SHOWN = new Set(['flag', 'level', 'shutdown', 'recommend', 'end']);

describe.skipIf(!hasNatsServer)('cluster: own batches to the feed', () => {
  const { nodes } = balancedNodes('own');

  test('every node feeds the same frames in the same order, equal to a replay parsed from the events stream', { timeout: 120_000 }, async () => {
    const feeds = await Promise.all(nodes.map((n) => Client.open(n.url('/feed', TOKENS.moderator[0]))));
    for (const f of feeds) f.send({ type: 'subscribe' });
    const ingest = await Promise.all(nodes.map((n) => Client.open(n.url('/ingest', TOKENS.ingest[0]))));
    await sleep(300);
    // 90 streams over all 16 partitions; every third one gets the same high claim three times
    // (alert, then shutdown citing its flags), the rest a claim a message. Sent through every node:
    // local ingest and forwards both.
    const streams = Array.from({ length: 90 }, (_, i) => `own-${i}`);
    const hot = (i: number) => i % 3 === 0;
    for (let seq = 1; seq <= 3; seq++) {
      const batches: object[][] = [[], [], []];
      streams.forEach((stream, i) => batches[i % 3]!.push({ type: 'transcript', stream, seq, ts: 1_790_000_000_000 + seq * 1000, text: hot(i) ? '全网最低价' : TEXTS[(i + seq) % TEXTS.length]! }));
      batches.forEach((b, k) => ingest[k]!.send(b));
      for (const [i, stream] of streams.entries()) {
        const ack = await ingest[i % 3]!.ack(stream, seq, 30_000);
        expect(ack).toMatchObject({ type: 'ack', stream, seq });
      }
    }
    const shown = (f: Client) => f.received.filter((m) => SHOWN.has(m.type as string));
    // Settled: every feed has a flag for each of the 270 messages and all 30 shutdowns, and stopped growing.
    const deadline = Date.now() + 60_000;
    let last = -1;
    for (;;) {
      await sleep(1000);
      const total = feeds.reduce((s, f) => s + shown(f).length, 0);
      if ((feeds.every((f) => f.of('flag').length >= 270 && f.of('shutdown').length >= 30) && total === last) || Date.now() > deadline) break;
      last = total;
    }
    const [a, ...rest] = feeds.map(shown);
    expect(a!.filter((m) => m.type === 'shutdown')).toHaveLength(30);
    expect(a!.filter((m) => m.type === 'flag').length).toBeGreaterThanOrEqual(270);
    for (const other of rest) expect(other).toEqual(a);
    // Shutdowns cite the flags as stored (ids the feed showed), not provisional ones.
    const flagIds = new Set(a!.filter((m) => m.type === 'flag').map((m) => (m.flag as { id: string }).id));
    for (const s of a!.filter((m) => m.type === 'shutdown')) for (const id of s.flagIds as string[]) expect(flagIds.has(id), `shutdown of ${String(s.stream)} cites ${id}`).toBe(true);
    // The same flags, parsed from the events stream by a replay.
    const replay = await Client.open(nodes[1]!.url('/feed', TOKENS.moderator[0]));
    replay.send({ type: 'subscribe', history: 100_000 });
    await replay.next(() => replay.of('flag').length >= flagIds.size, 30_000);
    await sleep(300);
    expect(replay.of('flag')).toEqual(a!.filter((m) => m.type === 'flag'));
    // Both paths were taken on every node.
    for (const n of nodes) {
      const metrics = await (await fetch(`http://127.0.0.1:${n.port}/metrics`)).text();
      const count = (source: string) => Number(new RegExp(`pkguard_cluster_events_batches_read_total\\{source="${source}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
      expect(count('own'), `${n.port}: own batches taken`).toBeGreaterThan(0);
      expect(count('parsed'), `${n.port}: other nodes' batches parsed`).toBeGreaterThan(0);
    }
    for (const x of [...feeds, ...ingest, replay]) x.close();
  });
});
