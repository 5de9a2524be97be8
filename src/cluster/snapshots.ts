/**
 * Partition snapshots: the stream core's snapshot state (src/stream/log.ts `SnapshotState`, the
 * same state the file journal opens each segment with) of one partition as of one events stream
 * sequence, `upTo`. A takeover reads the snapshot and replays only the partition's events after
 * `upTo` (jetstream-log.ts), so the tail it replays is bounded by `snapshotEvery`, not by the history.
 *
 * Stored on `<prefix>.snap.<p>` in a stream that keeps the last message per subject, gzipped JSON.
 * A write names the sequence of the snapshot its writer last read or wrote
 * (`Nats-Expected-Last-Subject-Sequence`), so a stale owner cannot put an older snapshot over a
 * newer owner's one. A snapshot bigger than the server's max payload is not written (the takeover
 * then replays more): the partition's state is per stream, and a partition holds a share of them.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { SnapshotData } from '../stream/log.js';
import type { Subjects } from './subjects.js';

const zip = promisify(gzip);
const unzip = promisify(gunzip);

export interface PartitionSnapshot {
  /** The events stream sequence the state is as of: replay continues after it. */
  upTo: number;
  state: SnapshotData;
  /** Sequence of the snapshot message itself (the next write expects it). */
  seq: number;
}

interface Body {
  v: 1;
  partitions: number;
  partition: number;
  upTo: number;
  node: string;
  ts: number;
  state: SnapshotData;
}

export class SnapshotStore {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #subjects: Subjects;
  readonly #maxBytes: number;

  constructor(d: { js: JetStreamClient; jsm: JetStreamManager; subjects: Subjects; maxBytes: number }) {
    this.#js = d.js;
    this.#jsm = d.jsm;
    this.#subjects = d.subjects;
    this.#maxBytes = d.maxBytes;
  }

  /** The partition's last snapshot, if there is one written for this many partitions. `seq` is 0 when none. */
  async load(p: number): Promise<PartitionSnapshot | { seq: number; upTo?: undefined }> {
    let m;
    try {
      m = await this.#jsm.streams.getMessage(this.#subjects.snapshotsStream, { last_by_subj: this.#subjects.snapshot(p) });
    } catch (err) {
      if (/no message found|not found/i.test((err as Error).message)) return { seq: 0 };
      throw err;
    }
    if (!m) return { seq: 0 };
    let body: Body;
    try {
      body = JSON.parse((await unzip(m.data)).toString('utf8')) as Body;
    } catch {
      return { seq: m.seq }; // damaged: replay the whole history, and write over it
    }
    if (body.v !== 1 || body.partitions !== this.#subjects.partitions || body.partition !== p) return { seq: m.seq };
    return { upTo: body.upTo, state: body.state, seq: m.seq };
  }

  /**
   * Writes the partition's snapshot after the one at `after` (0: none). `stateJson` is the state
   * already serialised. Resolves with the new snapshot's sequence, or undefined when it is too big.
   */
  async save(p: number, d: { upTo: number; node: string; stateJson: string; after: number }): Promise<number | undefined> {
    const json = `{"v":1,"partitions":${this.#subjects.partitions},"partition":${p},"upTo":${d.upTo},"node":${JSON.stringify(d.node)},"ts":${Date.now()},"state":${d.stateJson}}`;
    const data = await zip(Buffer.from(json, 'utf8'));
    if (data.length > this.#maxBytes) return undefined;
    const ack = await this.#js.publish(this.#subjects.snapshot(p), data, { expect: { lastSubjectSequence: d.after } });
    return ack.seq;
  }
}
