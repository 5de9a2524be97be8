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
/** Partitions whose runs one node batch carries (a node turn commits several partitions at once). */
const PARTS_PER_NODE_BATCH = 8;

/**
 * Each partition's history as the log writes it: message records in batches, one in ten flagged.
 * `partition`: on each partition's own subject. `node`: on one node subject (one commit per node
 * turn, node-commit.ts), each node batch carrying runs of several partitions, so every partition's
 * replay reads every node batch, and the node's shared reader (node-tail.ts) reads them once.
 */
async function seedHistory(nats: NatsProcess, layout: 'partition' | 'node'): Promise<void> {
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
    const t0 = 1_790_000_000_000;
    const run = (p: number, from: number) => {
      const streams = streamsOf.get(p)!;
      const records = [];
      for (let k = from; k < from + BATCH; k++) {
        const stream = streams[k % streams.length]!;
        const seq = Math.floor(k / streams.length) + 1;
        const ts = t0 + k * 100;
        const text = k % 10 === 3 ? '今天这款全网最低价' : '欢迎来到直播间今天的福利很多';
        const flags = k % 10 === 3 ? [{ id: `f${p * 1_000_000 + k + 1}`, stream, seq, category: 'extreme', term: '全网最低价', matched: '全网最低价', start: 4, end: 9, severity: 'low', kind: 'transcript', ts, evasion: false, via: 'text' }] : [];
        records.push({ t: 'msg', stream, seq, ts, kind: 'transcript', final: true, flags, text });
      }
      return records;
    };
    const inflight: Promise<unknown>[] = [];
    if (layout === 'partition') {
      for (let p = 0; p < P; p++) for (let from = 0; from < PER_PARTITION; from += BATCH) inflight.push(js.publish(subjects.batch(p), JSON.stringify({ t: 'batch', records: run(p, from) })));
    } else {
      for (let g = 0; g < P; g += PARTS_PER_NODE_BATCH) {
        const group = Array.from({ length: PARTS_PER_NODE_BATCH }, (_, i) => g + i);
        for (let from = 0; from < PER_PARTITION; from += BATCH) {
          const h = headers();
          h.set(H_PARTS, group.join(','));
          const body = { t: 'batch', v: 2, n: 'seed', took: from === 0 ? group : [], at: group.flatMap((p) => [p, BATCH]), records: group.flatMap((p) => run(p, from)) };
          inflight.push(js.publish(subjects.nodeBatches('seed'), JSON.stringify(body), { headers: h }));
          if (inflight.length > 50) await Promise.all(inflight.splice(0));
        }
      }
    }
    await Promise.all(inflight);
  } finally {
    await nc.close();
  }
}

describe.skipIf(!hasNatsServer).each(['partition', 'node'] as const)('cluster: many partitions rebuilt at once, history on %s subjects', (layout) => {
  let nats: NatsProcess;
  let node: ServerProcess | undefined;

  beforeAll(async () => {
    nats = await startNats();
    await seedHistory(nats, layout);
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
    for (const l of started()) expect(l.rebuiltEvents).toBe(layout === 'node' ? PER_PARTITION : PER_PARTITION / BATCH);
    const ms = started().map((l) => l.ms as number).sort((a, b) => a - b);
    console.log(`${layout} subjects: rebuilt ${P} partitions of ${PER_PARTITION} records each; rebuild ms p50 ${ms[P >> 1]} max ${ms.at(-1)}`);
  });
});
