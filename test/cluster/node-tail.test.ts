/**
 * NodeTail (node-tail.ts) against a real nats-server: node-subject messages interleaved with other
 * subjects of the events stream. Every read yields exactly what a direct read of the node subjects
 * over its range yields (the model), in order, whatever the ranges, chunk sizes, concurrency and
 * cache bound; and replays reading the same stretch together fetch it once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { NodeTail } from '../../src/cluster/node-tail.js';
import { Subjects } from '../../src/cluster/subjects.js';
import { hasNatsServer, startNats, type NatsProcess } from './harness.js';

const subjects = new Subjects('tail', 8);
let nats: NatsProcess;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
/** The model: seq and body of every node-subject message, in order. */
const nodeMsgs: { seq: number; body: { n: string; i: number; pad: string } }[] = [];

/** Seeded, so a failure repeats. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function readAll(tail: NodeTail, from: number, to: number): Promise<number[]> {
  const got: number[] = [];
  for await (const m of tail.read(from, to)) {
    const body = m.json<{ i: number }>();
    expect(body).toEqual(nodeMsgs.find((x) => x.seq === m.seq)!.body);
    got.push(m.seq);
  }
  return got;
}

const model = (from: number, to: number) => nodeMsgs.filter((m) => m.seq >= from && m.seq <= to).map((m) => m.seq);

describe.skipIf(!hasNatsServer)('NodeTail', () => {
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.eventsAll()], retention: RetentionPolicy.Limits, storage: StorageType.File });
    const r = rng(7);
    for (let i = 0; i < 600; i++) {
      // Two nodes' subjects among partition batches and copies; sizes from 10 B to ~20 KB.
      const x = r();
      if (x < 0.35) await js.publish(subjects.batch(i % 8), `{"t":"batch","v":2,"records":[]}`);
      else if (x < 0.4) await js.publish(subjects.event(`s${i}`, 'shutdown'), '{}');
      else {
        const n = x < 0.7 ? 'a' : 'b';
        const body = { n, i, pad: 'x'.repeat(Math.floor(r() * r() * 20_000)) };
        const ack = await js.publish(subjects.nodeBatches(n), JSON.stringify(body));
        nodeMsgs.push({ seq: ack.seq, body });
      }
    }
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  test('any range reads as the model, over chunks of any size', async () => {
    const r = rng(11);
    for (const chunkBytes of [1, 5_000, 60_000, 10_000_000]) {
      const tail = new NodeTail({ js, jsm, subjects, chunkBytes });
      for (let k = 0; k < 12; k++) {
        const to = nodeMsgs[Math.floor(r() * nodeMsgs.length)]!.seq;
        const from = 1 + Math.floor(r() * to);
        expect(await readAll(tail, from, to), `chunks of ${chunkBytes} B, ${from}..${to}`).toEqual(model(from, to));
      }
    }
  }, 60_000);

  test('readers of one stretch at once fetch it once; each message is parsed once', async () => {
    const tail = new NodeTail({ js, jsm, subjects, chunkBytes: 50_000 });
    const to = nodeMsgs.at(-1)!.seq;
    const froms = [1, 1, 1, 40, 200, nodeMsgs[100]!.seq, 1, 3];
    const reads = await Promise.all(froms.map((f) => readAll(tail, f, to)));
    reads.forEach((got, i) => expect(got).toEqual(model(froms[i]!, to)));
    // The readers from 1 share every chunk; the others start inside chunks already fetched or under way.
    expect(tail.fetched).toBeLessThan(nodeMsgs.length * 1.5);
    expect(tail.handed).toBe(reads.reduce((n, g) => n + g.length, 0));
    // Parsed once: the body object a second reader gets is the first reader's.
    const [a, b] = await Promise.all([0, 1].map(async () => {
      for await (const m of tail.read(1, to)) return m.json<object>();
      return undefined;
    }));
    expect(a).toBe(b);
  }, 60_000);

  test('a small cache evicts what no one reads and reads it again when asked: still the model', async () => {
    const tail = new NodeTail({ js, jsm, subjects, chunkBytes: 20_000, cacheBytes: 100_000 });
    const to = nodeMsgs.at(-1)!.seq;
    const reads = await Promise.all([1, 1, 50, 300].map((f) => readAll(tail, f, to)));
    expect(reads[0]).toEqual(model(1, to));
    expect(reads[3]).toEqual(model(300, to));
    expect(tail.cachedBytes).toBeLessThanOrEqual(100_000 + 4 * 20_000 * 4);
    expect(await readAll(tail, 1, to)).toEqual(model(1, to));
    tail.clear();
    expect(tail.cachedBytes).toBe(0);
  }, 60_000);

  test('a read left early releases its chunk: clear() then drops it', async () => {
    const tail = new NodeTail({ js, jsm, subjects, chunkBytes: 10_000_000 });
    const to = nodeMsgs.at(-1)!.seq;
    for await (const m of tail.read(1, to)) if (m.seq > 50) break;
    expect(tail.cachedBytes).toBeGreaterThan(0);
    tail.clear();
    expect(tail.cachedBytes).toBe(0);
  }, 60_000);
});
