/**
 * The node commit loop (src/cluster/node-commit.ts) against a real nats-server: every partition's
 * batch of a turn is one JetStream message on the node's subject, and a `taken` marker on that
 * subject (takeover-markers.ts) ends the node's term of that partition: its next batch is refused
 * by the server, the partition's part fails with FencedError, the others are sent again and stored,
 * and no record of the taken partition is stored after the marker. The replay reader
 * (node-subject-replay.ts) then takes the partition's records out of the node batches and counts
 * none as fenced.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FencedError } from '../../src/cluster/jetstream-log.js';
import { NodeCommit } from '../../src/cluster/node-commit.js';
import { NodeSubjectReplay } from '../../src/cluster/node-subject-replay.js';
import { PubAcks } from '../../src/cluster/pub-acks.js';
import { Subjects } from '../../src/cluster/subjects.js';
import { markTaken } from '../../src/cluster/takeover-markers.js';
import type { StreamRecord } from '../../src/stream/records.js';
import { hasNatsServer, startNats, type NatsProcess } from './harness.js';
import { storedEvents } from './history.js';

const subjects = new Subjects('pkguard', 8);
let nats: NatsProcess;
let nc: NatsConnection;
let jsm: JetStreamManager;

/** A stream of partition p (the records' streams do not decide their partition: `at` does). */
const end = (stream: string, seq: number) => ({ t: 'end', stream, seq, ts: 1_790_000_000_000 + seq }) as StreamRecord;

describe.skipIf(!hasNatsServer)('cluster: one commit per node turn, fenced by takeover markers', () => {
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.eventsAll()], retention: RetentionPolicy.Limits, storage: StorageType.File });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  }, 60_000);

  test('a turn is one message; a marker fails that partition only, and nothing of it is stored after the marker', async () => {
    const acks = new PubAcks(nc);
    const own: number[] = [];
    const a = new NodeCommit({ acks, jsm, subjects, node: 'a', warn: () => {}, ownStored: (seq) => own.push(seq) });
    await a.take(1, 0);
    await a.take(2, 0);
    const add = (p: number, rec: StreamRecord) => {
      let at = 0;
      return a.add(p, 0, [JSON.stringify(rec)], [rec], 0, (seq) => (at = seq)).then(() => at);
    };
    // One turn, two partitions: one JetStream message.
    const [s1, s2] = await Promise.all([add(1, end('one', 1)), add(2, end('two', 1))]);
    expect(s1).toBe(s2);
    expect(a.batches).toBe(1);
    expect(own).toEqual([s1]);

    // Another node takes partition 1 over: its marker on a's subject.
    const marker = await markTaken(acks, subjects, 'a', 1, 'b');
    const late = add(1, end('one', 2)).then(
      () => 'stored',
      (err: unknown) => (err instanceof FencedError ? 'fenced' : String(err)),
    );
    const other = add(2, end('two', 2));
    expect(await late).toBe('fenced');
    expect(await other).toBeGreaterThan(marker);
    expect(a.refused).toBe(1);
    expect(a.holds(1, 0)).toBe(false);
    expect(a.holds(2, 0)).toBe(true);
    // Refused at once from now on.
    await expect(add(1, end('one', 3))).rejects.toBeInstanceOf(FencedError);

    // Stored: partition 1 has its first record (with its took) before the marker, none after.
    const p1 = await storedEvents(nats.url, subjects.eventsStream, 'pkguard.ev.1.>');
    expect(p1.map((e) => [e.seq, e.records.map((r) => `${r.t}${r.seq ?? ''}`)])).toEqual([
      [s1, ['took', 'end1']],
      [marker, ['taken']],
    ]);
    const p2 = await storedEvents(nats.url, subjects.eventsStream, 'pkguard.ev.2.>');
    expect(p2.flatMap((e) => e.records.filter((r) => r.t === 'end').map((r) => r.seq))).toEqual([1, 2]);

    // The replay reader: partition 1's record, none fenced; partition 2's two.
    for (const [p, want] of [[1, ['one/1']], [2, ['two/1', 'two/2']]] as const) {
      const replay = new NodeSubjectReplay(subjects, p);
      const got: string[] = [];
      const oc = await jetstream(nc).consumers.get(subjects.eventsStream, { filter_subjects: subjects.nodeBatchesAll(), deliver_policy: DeliverPolicy.All });
      const iter = await oc.consume();
      for await (const m of iter) {
        for (const r of replay.read(m) ?? []) got.push(`${(r as { stream: string }).stream}/${(r as { seq: number }).seq}`);
        if (m.info.pending === 0) break;
      }
      iter.stop();
      expect(got).toEqual(want);
      expect(replay.fencedRecords).toBe(0);
    }
    acks.close();
  });

  test('the replay reader drops a record stored after its node\'s marker (the check fencing makes moot)', () => {
    const replay = new NodeSubjectReplay(subjects, 3);
    const msg = (seq: number, body: object) => ({ subject: subjects.nodeBatches('a'), seq, headers: undefined, json: <T>() => JSON.parse(JSON.stringify(body)) as T });
    const batch = (took: number[], stream: string) => ({ t: 'batch', v: 2, n: 'a', took, at: [3, 1], records: [end(stream, 1)] });
    expect(replay.read(msg(1, batch([3], 'x')))).toHaveLength(1);
    expect(replay.read(msg(2, { t: 'taken', p: 3, by: 'b' }))).toHaveLength(0);
    expect(replay.read(msg(3, batch([], 'y')))).toHaveLength(0);
    expect(replay.fencedRecords).toBe(1);
    expect(replay.read(msg(4, batch([3], 'z')))).toHaveLength(1); // a took again: a new term
  });
});
