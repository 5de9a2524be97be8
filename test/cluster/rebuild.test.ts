/**
 * A node that takes many partitions at once, each with a long history, keeps its leases while it
 * rebuilds them: at most `rebuildConcurrency` rebuild together (rebuild-slots.ts) and replays let
 * the event loop in (jetstream-log.ts), so lease renewals are not starved. Short leases (3 s,
 * renewed every 0.5 s) on a shared machine make a starved renewal show up as a lost lease, and a
 * lost lease as a partition rebuilt twice. (Before the bound and the leases' own connection, every
 * lease was lost in 2 of 2 runs; `RB_CONC=4096` lifts the bound.)
 */
import { connect, headers } from '@nats-io/transport-node';
import { H_PARTS } from '../../src/cluster/events.js';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Subjects } from '../../src/cluster/subjects.js';
import { removeDir, sleep, type ServerProcess } from '../server/harness.js';
import { hasNatsServer, health, startNats, startNode, type NatsProcess } from './harness.js';

const P = 64;
const PER_PARTITION = 4000;
const BATCH = 200;
const subjects = new Subjects('pkguard', P);
/**
 * RB_NODE_LAYOUT=1: the history on a node subject (one commit per node turn) instead of the
 * partitions' own subjects. Each partition's replay then reads every node batch after its snapshot
 * (bench/README.md session 16, open): a measurement of that cost, not a default test.
 */
const NODE_LAYOUT = process.env.RB_NODE_LAYOUT === '1';

let nats: NatsProcess;
let node: ServerProcess | undefined;

/** Each partition's history as the log writes it: message records in batches, one in ten flagged. */
async function seedHistory(): Promise<void> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc, { timeout: 60_000 });
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.eventsAll()], retention: RetentionPolicy.Limits, storage: StorageType.File });
    const streamsOf = new Map<number, string[]>();
    for (let i = 0; [...streamsOf.values()].reduce((n, s) => n + s.length, 0) < P * 8; i++) {
      const s = `rb-${i}`;
      const p = subjects.partition(s);
      const list = streamsOf.get(p) ?? [];
      if (list.length < 8) streamsOf.set(p, [...list, s]);
    }
    const inflight: Promise<unknown>[] = [];
    const t0 = 1_790_000_000_000;
    for (let p = 0; p < P; p++) {
      const streams = streamsOf.get(p)!;
      for (let from = 0; from < PER_PARTITION; from += BATCH) {
        const records = [];
        for (let k = from; k < from + BATCH; k++) {
          const stream = streams[k % streams.length]!;
          const seq = Math.floor(k / streams.length) + 1;
          const ts = t0 + k * 100;
          const text = k % 10 === 3 ? '今天这款全网最低价' : '欢迎来到直播间今天的福利很多';
          const flags = k % 10 === 3 ? [{ id: `f${p * 1_000_000 + k + 1}`, stream, seq, category: 'extreme', term: '全网最低价', matched: '全网最低价', start: 4, end: 9, severity: 'low', kind: 'transcript', ts, evasion: false, via: 'text' }] : [];
          records.push({ t: 'msg', stream, seq, ts, kind: 'transcript', final: true, flags, text });
        }
        if (NODE_LAYOUT) {
          // One node batch per partition batch (src/cluster/node-commit.ts), all on one node's subject.
          const h = headers();
          h.set(H_PARTS, String(p));
          inflight.push(js.publish(subjects.nodeBatches('seed'), JSON.stringify({ t: 'batch', v: 2, n: 'seed', took: from === 0 ? [p] : [], at: [p, records.length], records }), { headers: h }));
        } else inflight.push(js.publish(subjects.batch(p), JSON.stringify({ t: 'batch', records })));
      }
      if (inflight.length > 500) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
  } finally {
    await nc.close();
  }
}

describe.skipIf(!hasNatsServer)('cluster: many partitions rebuilt at once', () => {
  beforeAll(async () => {
    nats = await startNats();
    await seedHistory();
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    if (node) removeDir(node.dir);
    await nats?.stop();
  }, 60_000);

  test(`a node taking all ${P} partitions (${PER_PARTITION} events each) keeps every lease while it rebuilds them`, { timeout: 180_000 }, async () => {
    node = await startNode(nats, 'rebuilder', { partitions: P, snapshotEvery: 0, ...(process.env.RB_CONC ? { rebuildConcurrency: Number(process.env.RB_CONC) } : {}) });
    const started = () => node!.logs.filter((l) => l.event === 'partition_started');
    const deadline = Date.now() + 150_000;
    for (;;) {
      const h = await health(node);
      if (h.cluster.partitions.length === P && h.ready) break;
      if (Date.now() > deadline) throw new Error(`not all partitions served: ${h.cluster.partitions.length} held, ${started().length} started`);
      await sleep(250);
    }
    const lost = node.logs.filter((l) => l.event === 'lease_lost');
    expect(lost, 'no lease lost while rebuilding').toEqual([]);
    expect(node.logs.filter((l) => l.event === 'events_invalid_record')).toEqual([]);
    // Each partition rebuilt once, each from its whole history.
    expect(started()).toHaveLength(P);
    expect(new Set(started().map((l) => l.partition)).size).toBe(P);
    // Replayed events: batch messages, or on node subjects the partition's records.
    for (const l of started()) expect(l.rebuiltEvents).toBe(NODE_LAYOUT ? PER_PARTITION : PER_PARTITION / BATCH);
    const ms = started().map((l) => l.ms as number).sort((a, b) => a - b);
    console.log(`rebuilt ${P} partitions of ${PER_PARTITION} records each; rebuild ms p50 ${ms[P >> 1]} max ${ms.at(-1)}`);
  });
});
