/**
 * The stream core's log for one partition, on the JetStream events stream: the cluster's
 * `StreamLog`. Every record a commit makes goes inside a `batch` message on the partition's one
 * batch subject (`ev.<p>.~.batch`, events.ts BatchEvent v2), in the order the core made it: message
 * records with their flags, levels, shutdowns, restores, ... Each batch has a `Nats-Msg-Id`, so a
 * publish retried stores nothing twice.
 *
 * A flag's id is where it is stored: `f<batch sequence * FLAG_ID_SPAN + its place among the batch's
 * flags>` (events.ts), so ids are global and in order across the cluster (`since` reads the one
 * events stream). The processor gets them as renames of its provisional ids once the batch is
 * stored; a record that cites a flag of its own commit (shutdown, retract, recommend) starts a
 * new batch, sent once the one holding the flag is stored.
 *
 * Fencing, on the records themselves: each batch is published expecting the sequence of the
 * partition's previous batch (`Nats-Expected-Last-Subject-Sequence`). A new owner writes an empty
 * batch there on takeover (after its fence, before its replay), so every later batch of an owner
 * that lost the partition expects a stale sequence and is refused by JetStream itself, however late
 * it arrives: a pause anywhere (before sending, between a batch stored and its ack read) changes
 * nothing, and since every record is inside a batch, nothing that owner sends after the takeover is
 * stored. Batch message ids carry the owner's takeover sequence (JetStream checks a message id
 * before the expected sequence: another owner's batch must not pass as a duplicate). (nats-server
 * 2.9 checks the expected sequence against the message's own subject only and has no atomic batch
 * publish, hence one conditional subject per partition and everything inside its messages.)
 *
 * With the node's commit loop (config `nodeCommit`, node-commit.ts) a batch goes instead into the
 * node's one batch of the turn on `ev.n.<node>`, fenced per node by takeover markers
 * (takeover-markers.ts); the takeover batch above is still written (it fences an owner of the
 * per-partition layout and names this owner's term), and replay reads p's records out of the node
 * subjects (node-subject-replay.ts).
 *
 * Copies: a shutdown or restore is also published, once its batch is stored, on its stream's own
 * subject (`ev.<p>.<stream>.shutdown|restore`, header `Pkguard-Copy`, message id
 * `shutdown|restore:<stream>:<epoch>`) for control systems' durable consumers and a starting node's
 * shut-down set. A copy repeats a record already in the fenced history (readers of the history skip
 * it); a takeover makes the copies of the shutdowns and restores it replayed again (copyAgain, same ids), so
 * an owner that died between the batch and its copy leaves none missing.
 *
 * Older histories replay as written: session 12's batches of message records with their flags
 * stored before them, one `flag` message each (id `f<sequence>`; flags whose batch never came are
 * dropped: that message was never acked), and other records on their own subjects; before that, one
 * `msg` record per message.
 *
 * The fence (`fence.<p>` on a stream of its own that keeps the last message per subject) orders
 * takeovers (compare-and-set, retried) and is moved before a snapshot is written.
 *
 * Snapshots (snapshots.ts): every `snapshotEvery` records the processor's state is taken as the
 * append that crosses the count is made (the state then covers exactly the records appended so
 * far), and the appends after it wait until every earlier one is stored: the partition's events up
 * to the highest sequence stored so far (`upTo`) are then exactly what the state covers, and none of
 * a later append is below it. The snapshot is written once that is known; a replay starts from the
 * newest snapshot and reads only the events after its `upTo`.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Flag } from '../flag.js';
import type { FlagRenames, StreamLog } from '../stream/log.js';
import { checkRecord } from '../stream/record-schema.js';
import type { MessageRecord, StreamRecord } from '../stream/records.js';
import type { SnapshotState } from '../stream/log.js';
import { batchRecords, FLAG_ID_SPAN, flagIdOf, H_COPY, isBatchV2, type BatchEvent, type FlagEvent } from './events.js';
import { crashPoint } from './fault.js';
import type { NodeCommit } from './node-commit.js';
import type { NodeTail } from './node-tail.js';
import { mergeBySeq, nodeSubjectsLastSeq, NodeSubjectReplay, REPLAY_PULL } from './node-subject-replay.js';
import type { PubAcks } from './pub-acks.js';
import { lastFence, markTaken } from './takeover-markers.js';
import type { SnapshotStore } from './snapshots.js';
import type { Subjects } from './subjects.js';

const noop = () => {};
/** A promise whose rejection is reported where it is awaited, not as unhandled. */
const handled = <T>(p: Promise<T>): Promise<T> => {
  p.catch(noop);
  return p;
};
/** Renames remembered: more than a stream's risk keeps flags for (escalation.ts MAX_CONTRIBUTIONS). */
const RENAMES_KEPT = 10_000;
/** Replayed records between two turns of the event loop. */
const REPLAY_YIELD_EVERY = 256;
/** A provisional id as the node's allocator hands them out (PROVISIONAL_FLAG_BASE and up). */
const PROVISIONAL = /f8\d{15}/g;

/** The bytes of a v2 batch around its records. */
const BATCH_OVERHEAD = 40;
const NO_FLAGS: readonly Flag[] = [];
const withoutId = ({ id: _id, ...flag }: Flag) => flag;

/**
 * Commits start together at the end of the event-loop turn (one setImmediate for every partition):
 * their publishes then reach the connection in the same microtask round and leave in one socket
 * write (nats.js flushes once per microtask round). Started one by one as they were appended, or
 * each on its own setImmediate (microtasks run between two), every commit was a write of its own.
 */
const turnEnd: (() => void)[] = [];
function atTurnEnd(start: () => void): void {
  turnEnd.push(start);
  if (turnEnd.length === 1) setImmediate(startTurnEnd);
}
function startTurnEnd(): void {
  for (const start of turnEnd.splice(0)) start();
}

export { PROVISIONAL_FLAG_BASE } from './provisional-ids.js';

/** Another owner wrote the partition's fence: this node lost the partition and must not write. */
export class FencedError extends Error {}

/** One commit's timeline in ms (metrics.ts commitTiming): where an ack's wait goes. */
export interface CommitTiming {
  /** From the oldest append of the commit to the commit starting. */
  queuedMs: number;
  /** Waiting for batches to be stored before the commit's next ones (the fencing condition). */
  fenceMs: number;
  /** Its records handed to the connection (the waits above excluded). */
  sendMs: number;
  /** Their acks from JetStream, and every earlier commit's. */
  storedMs: number;
  records: number;
}

export class JetStreamLog implements StreamLog {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #acks: PubAcks;
  readonly #subjects: Subjects;
  readonly #p: number;
  readonly #warn: (event: string, detail: Record<string, unknown>) => void;
  #last: Promise<unknown> = Promise.resolve();
  /** Appends waiting for the next commit (#pump). */
  #queue: { records: readonly StreamRecord[]; snapshot: string | undefined; at: number; resolve: (r: FlagRenames) => void; reject: (err: Error) => void }[] = [];
  #pumping = false;
  /** Settles once every commit so far is stored (rejects once one failed). */
  #committed: Promise<void> = Promise.resolve();
  /** Provisional id → stored id of recent flags: a shutdown cites flags of earlier appends too. */
  readonly #renamed = new Map<string, string>();
  #pending = 0;
  #failure: Error | undefined;
  /** Sequence of the fence this owner wrote last (0: none yet, appends are refused). */
  #fenceSeq = 0;
  /** The last shutdown and restore per stream the last replay read from batches (copyAgain()). */
  #replayedCopies: (StreamRecord & { t: 'shutdown' | 'restore' })[] = [];
  /** Sequence of the partition's last batch, written by this owner (its takeover's empty one first). */
  #batchSeq = 0;
  /** Settles once the last batch sent is stored (rejects: refused, or its outcome unknown). */
  #batchStored: Promise<void> = handled(Promise.reject(new FencedError('no takeover batch written; not the owner')));
  /** The last batch sent is known to be stored (a batch may be sent now). */
  #chainOk = false;
  /** The message id of the last batch sent: probe() looks for it when its publish failed. */
  #batchSent: string | undefined;
  /** The last batch's publish failed other than by refusal: stored or not is unknown. */
  #batchInDoubt = false;
  /** Sequence of this owner's takeover batch: its batches' message ids carry it. */
  #epoch = 0;
  /** Empty batches sent (their message ids). */
  #links = 0;
  /** Settles once the previous append's fence is stored (fences chain). */
  #lastFence: Promise<void> = Promise.resolve();
  readonly #node: string;
  readonly #snapshots: SnapshotStore | undefined;
  readonly #snapshotEvery: number;
  readonly #timing: ((t: CommitTiming) => void) | undefined;
  readonly #ownStored: ((seq: number, records: readonly StreamRecord[]) => void) | undefined;
  /** One commit per node turn (node-commit.ts): batches go on the node's subject, fenced per node. */
  readonly #nodeCommit: NodeCommit | undefined;
  readonly #nodeTail: NodeTail | undefined;
  /** A batch's size limit: a little under the server's max payload. */
  readonly #maxBytes: number;
  /** The processor's state, once there is a processor to ask (undefined: no snapshot now). */
  #snapshotSource: (() => SnapshotState | undefined) | undefined;
  /** Records appended (or replayed) since the last snapshot was taken. */
  #sinceSnapshot = 0;
  /** Sequence of the partition's snapshot this owner read or wrote last (a write expects it). */
  #snapshotSeq = 0;
  /** Appends wait for this before publishing: the stored end of a snapshot's appends (see above). */
  #cut: Promise<void> = Promise.resolve();
  /** The highest events stream sequence of this partition read or stored by this owner. */
  #maxSeq = 0;
  badRecords = 0;
  /** Events read by the last replay. */
  replayed = 0;
  /** Flags the last replay dropped: their run's batch was never stored (see replay()). */
  orphanFlags = 0;
  /** Whether the last replay started from a snapshot, and after which sequence. */
  replayedFrom: number | undefined;
  /** Snapshots written by this log. */
  snapshotsWritten = 0;

  constructor(d: {
    js: JetStreamClient;
    jsm: JetStreamManager;
    /** The connection's publishes with acks (one per node, pub-acks.ts). */
    acks: PubAcks;
    subjects: Subjects;
    partition: number;
    node: string;
    warn: (event: string, detail: Record<string, unknown>) => void;
    snapshots?: SnapshotStore;
    /** Take a snapshot after this many records (0 or absent: never). */
    snapshotEvery?: number;
    /** Told each commit's timeline. */
    timing?: (t: CommitTiming) => void;
    /**
     * Told each batch this owner stored, with its records as a reader would parse them (flag ids
     * given, cited ids renamed): the node's events reader takes them instead of parsing (own-batches.ts).
     */
    ownStored?: (seq: number, records: readonly StreamRecord[]) => void;
    /** The server's max payload (a batch is split below it; 1 MiB if absent). */
    maxPayload?: number;
    /** The node's commit loop: batches go into its one batch per turn on `ev.n.<node>` (node-commit.ts). */
    nodeCommit?: NodeCommit;
    nodeTail?: NodeTail;
  }) {
    this.#nodeCommit = d.nodeCommit;
    this.#nodeTail = d.nodeTail;
    this.#maxBytes = Math.max(16 * 1024, (d.maxPayload ?? 1024 * 1024) - 8192);
    this.#timing = d.timing;
    this.#ownStored = d.ownStored;
    this.#node = d.node;
    this.#snapshots = d.snapshots;
    this.#snapshotEvery = d.snapshotEvery ?? 0;
    this.#js = d.js;
    this.#jsm = d.jsm;
    this.#acks = d.acks;
    this.#subjects = d.subjects;
    this.#p = d.partition;
    this.#warn = d.warn;
  }

  /** Where snapshots get the partition's state from (the processor over this log). */
  snapshotFrom(source: () => SnapshotState | undefined): void {
    this.#snapshotSource = source;
  }

  get failure(): Error | undefined {
    return this.#failure;
  }

  get pending(): number {
    return this.#pending;
  }

  /**
   * Queues the records for the next commit (group commit: see #pump). Resolves once they and
   * every record appended before them are stored; once one append fails, every later one fails
   * too, even if JetStream stored it: the processor rebuilds from what is stored and the re-sent
   * messages are deduplicated.
   */
  append(records: readonly StreamRecord[]): Promise<FlagRenames> {
    if (this.#failure) return Promise.reject(this.#failure);
    this.#pending += records.length;
    // Taken now, synchronously: the state covers exactly the records appended so far, these included.
    const snapshot = this.#snapshotDue(records.length);
    const result = new Promise<FlagRenames>((resolve, reject) => this.#queue.push({ records, snapshot, at: performance.now(), resolve, reject }));
    const done = () => {
      this.#pending -= records.length;
    };
    result.then(done, done);
    this.#last = result.then(noop);
    this.#last.catch(noop); // the next append or barrier sees the rejection
    if (!this.#pumping) {
      this.#pumping = true;
      atTurnEnd(() => void this.#pump());
    }
    return result;
  }

  /**
   * Group commit, one loop per partition: every append queued while the previous commit was being
   * sent goes out as one commit, its `msg` records as one `batch` message per run. A batch waits
   * until the previous batch is stored (it expects that one's sequence: the fencing condition, one
   * round trip, the only one per commit that waits when the commit is one run); the rest is sent
   * without waiting for acks: one connection's publishes are stored in the order sent, so the
   * partition's history holds the records in the order the core made them. The per-message cost is
   * then one share of a commit instead of a JetStream round trip, and the commit grows with the load.
   *
   * A commit ends at an append that carries a snapshot (its state covers exactly the records up
   * to it): the next commit waits until it and every earlier one is stored (#cut), so the events
   * stored up to `#maxSeq` then are exactly what the snapshot covers.
   */
  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        await this.#cut;
        const first = this.#queue.findIndex((q) => q.snapshot !== undefined);
        const commit = this.#queue.splice(0, first < 0 ? this.#queue.length : first + 1);
        const failed = (err: unknown) => {
          this.#failure ??= err as Error;
          for (const q of commit) q.reject(this.#failure);
        };
        if (this.#failure) {
          failed(this.#failure);
          continue;
        }
        const records = commit.length === 1 ? commit[0]!.records : commit.flatMap((q) => q.records);
        const t0 = performance.now();
        let stored: Promise<FlagRenames>;
        let waited = 0;
        let t2 = t0;
        try {
          await crashPoint('before_append', () => records.map((r) => (r as { stream?: string }).stream ?? ''), async () => {});
          const sent = await this.#sendCommit(records);
          stored = sent.stored;
          waited = sent.waitedMs;
          t2 = performance.now();
        } catch (err) {
          failed(err);
          continue;
        }
        // In order: a commit is stored once it and every earlier one is.
        const previous = this.#committed;
        const all = (async () => {
          await previous;
          return await stored;
        })();
        this.#committed = all.then(noop);
        this.#committed.catch(noop);
        all.then((renames) => {
          this.#timing?.({ queuedMs: t0 - commit[0]!.at, fenceMs: waited, sendMs: t2 - t0 - waited, storedMs: performance.now() - t2, records: records.length });
          for (const q of commit) q.resolve(renames);
        }, failed);
        const snapshot = commit.at(-1)!.snapshot;
        if (snapshot !== undefined) {
          const upTo = all.then(() => this.#maxSeq);
          this.#cut = upTo.then(noop, noop);
          upTo.then(
            (at) => this.#saveSnapshot(snapshot, at),
            () => {}, // not stored: no snapshot of it (the processor rebuilds)
          );
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /**
   * Takes the partition over: writes a fence after whatever fence is there (compare-and-set on the
   * fence subject's last sequence, retried if another owner's lands in between). Call before replay.
   */
  async fence(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const { seq: last, node: previous } = await lastFence(this.#jsm, this.#subjects, this.#p);
      // Node subjects: the previous owner's subject gets a marker before the fence moves
      // (takeover-markers.ts), so its next batch is refused. Also when the fence names this node
      // (an earlier process with the same id, or a term that ended): markers before this term's
      // takeover batch do not end it (node-commit.ts).
      if (this.#nodeCommit && previous !== undefined) await markTaken(this.#acks, this.#subjects, previous, this.#p, this.#node);
      try {
        this.#fenceSeq = await this.#writeFence(last);
        break;
      } catch (err) {
        if (attempt >= 5 || !/wrong last sequence/i.test((err as Error).message)) throw err;
      }
    }
    await this.#takeBatches();
    await this.#nodeCommit?.take(this.#p, this.#epoch);
  }

  /**
   * The takeover's empty batch, expecting the partition's last batch: from here on a batch of the
   * previous owner (which expects its own last one) is refused, however late it arrives. Retried
   * if one of the previous owner's lands in between (it is then part of the history replayed).
   */
  async #takeBatches(): Promise<void> {
    const subject = this.#subjects.batch(this.#p);
    let last = (await this.#lastOf(subject)).seq;
    for (let attempt = 0; ; attempt++) {
      try {
        const ack = await this.#sendTo(subject, { t: 'batch', v: 2, records: [] } satisfies BatchEvent, undefined, last);
        this.#batchSeq = ack.seq;
        this.#epoch = ack.seq;
        this.#batchSent = undefined;
        this.#batchStored = Promise.resolve();
        this.#chainOk = true;
        return;
      } catch (err) {
        // The previous owner is still storing batches: expect the one the refusal names (one round
        // trip a try, so this overtakes an owner that stores one batch per round trip at most).
        const named = /wrong last sequence: (\d+)/i.exec((err as Error).message);
        if (attempt >= 20 || !named) throw err;
        last = Number(named[1]);
      }
    }
  }

  /** The last message on `subject` in the events stream (seq 0: none), with its message id. */
  async #lastOf(subject: string): Promise<{ seq: number; msgID?: string }> {
    try {
      const sm = await this.#jsm.streams.getMessage(this.#subjects.eventsStream, { last_by_subj: subject });
      const msgID = sm?.header?.get('Nats-Msg-Id');
      return sm ? { seq: sm.seq, ...(msgID ? { msgID } : {}) } : { seq: 0 };
    } catch (err) {
      if (/no message found|not found/i.test((err as Error).message)) return { seq: 0 };
      throw err;
    }
  }

  /**
   * Sends one batch expecting the partition's previous one, which must be known stored (#chainOk);
   * synchronously, so it leaves in the same write as the flags sent just before it.
   * #batchStored settles once it is stored. Refused because another owner's batch came in between:
   * FencedError. A duplicate (this owner's same batch stored before, within JetStream's duplicate
   * window) stores nothing, so the last batch stays what it was.
   */
  #sendBatch(body: string, msgID: string, onStored: (seq: number, duplicate: boolean) => void = noop): void {
    if (!this.#chainOk) throw new Error(`partition ${this.#p}: a batch sent before the previous one was stored`);
    this.#chainOk = false;
    this.#batchSent = msgID;
    const stored = this.#sendTo(this.#subjects.batch(this.#p), body, msgID, this.#batchSeq).then(
      (ack) => {
        if (!ack.duplicate) this.#batchSeq = ack.seq;
        onStored(ack.seq, ack.duplicate);
        this.#chainOk = true;
      },
      (err: unknown) => {
        if (/wrong last sequence/i.test((err as Error).message)) {
          this.#fenceSeq = 0;
          throw new FencedError(`partition ${this.#p}: another node took it over (fence moved: batch refused)`);
        }
        this.#batchInDoubt = true;
        throw err;
      },
    );
    this.#batchStored = handled(stored);
  }

  /**
   * As #sendBatch, into the node's next batch (node-commit.ts): `offset` is the place of this
   * partition's first flag among the node batch's flags. Refused because another node took the
   * partition (a marker on this node's subject): FencedError.
   */
  #sendNodeBatch(nc: NodeCommit, json: readonly string[], records: readonly StreamRecord[], flags: number, onStored: (seq: number, duplicate: boolean, offset: number) => void): void {
    if (!this.#chainOk) throw new Error(`partition ${this.#p}: a batch sent before the previous one was stored`);
    this.#chainOk = false;
    const stored = nc
      .add(this.#p, this.#epoch, json, records, flags, (seq, offset, duplicate) => {
        if (seq > this.#maxSeq) this.#maxSeq = seq;
        onStored(seq, duplicate, offset);
      })
      .then(
        () => {
          this.#chainOk = true;
        },
        (err: unknown) => {
          if (err instanceof FencedError) this.#fenceSeq = 0;
          else this.#batchInDoubt = true;
          throw err;
        },
      );
    this.#batchStored = handled(stored);
  }

  /** Resolves once the last batch sent is stored; rejects if it was refused or its outcome is unknown. */
  async #batchesStored(): Promise<void> {
    if (!this.#chainOk) await this.#batchStored;
  }

  async #writeFence(after: number): Promise<number> {
    const ack = await this.#acks.publish(this.#subjects.fence(this.#p), JSON.stringify({ node: this.#node, ts: Date.now() }), { expect: after });
    return ack.seq;
  }

  /** Moves the fence on from this owner's last one; fails (FencedError) once another owner wrote one. */
  #advanceFence(): Promise<void> {
    const step = this.#lastFence.then(async () => {
      if (this.#fenceSeq === 0) throw new FencedError(`partition ${this.#p}: no fence written; not the owner`);
      try {
        this.#fenceSeq = await this.#writeFence(this.#fenceSeq);
      } catch (err) {
        if (/wrong last sequence/i.test((err as Error).message)) {
          this.#fenceSeq = 0;
          throw new FencedError(`partition ${this.#p}: another node took it over (fence moved)`);
        }
        throw err;
      }
    });
    this.#lastFence = step.catch(noop);
    return step;
  }

  barrier(): Promise<void> {
    return this.#last.then(() => undefined);
  }

  async probe(): Promise<boolean> {
    if (!this.#failure) return true;
    if (this.#failure instanceof FencedError) return false; // for good: the partition is someone else's
    try {
      await this.#last.catch(() => undefined);
      await this.#jsm.streams.info(this.#subjects.eventsStream);
      if (this.#nodeCommit) {
        // The node's subject tells: a marker after this term's start ended it.
        await this.#nodeCommit.resync();
        if (!this.#nodeCommit.holds(this.#p, this.#epoch)) {
          this.#failure = new FencedError(`partition ${this.#p}: another node took it over (marker on the node subject)`);
          return false;
        }
        this.#batchInDoubt = false;
        this.#batchStored = Promise.resolve();
        this.#chainOk = true;
      } else if (this.#batchInDoubt) {
        // The last batch's publish failed, so it may be stored or not: if the partition's last batch
        // is it, it is this owner's last; if it is neither it nor the one before, another owner wrote.
        const last = await this.#lastOf(this.#subjects.batch(this.#p));
        if (last.msgID !== undefined && last.msgID === this.#batchSent) this.#batchSeq = last.seq;
        else if (last.seq !== this.#batchSeq) {
          this.#failure = new FencedError(`partition ${this.#p}: another node took it over (fence moved: its batch is the last)`);
          return false;
        }
        this.#batchInDoubt = false;
        this.#batchStored = Promise.resolve();
        this.#chainOk = true;
      }
      this.#failure = undefined;
      this.#last = Promise.resolve();
      this.#committed = Promise.resolve();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Stops appending. An owner handing the partition over (SIGTERM, rebalancing) leaves a snapshot
   * as of its last event, so the next owner replays nothing.
   */
  async close(): Promise<void> {
    await this.#last.catch(() => undefined);
    if (this.#failure || this.#sinceSnapshot === 0 || !this.#snapshots || !this.#snapshotSource || this.#snapshotEvery <= 0) return;
    const state = this.#snapshotSource();
    if (!state) return;
    this.#sinceSnapshot = 0;
    await this.#cut;
    await this.#saveSnapshot(JSON.stringify(state), this.#maxSeq);
  }

  /**
   * Takes a snapshot now if one is due (a takeover that replayed a long tail leaves one behind, so
   * the next takeover does not replay it again). Cut like an append's: after everything appended.
   */
  snapshotIfDue(): void {
    if (this.#failure) return;
    const snapshot = this.#snapshotDue(0);
    if (snapshot === undefined) return;
    const upTo = this.#last.then(() => this.#maxSeq);
    this.#cut = upTo.then(noop, noop);
    upTo.then((at) => this.#saveSnapshot(snapshot, at), noop);
  }

  /** The state to snapshot with this append, serialised, when one is due. */
  #snapshotDue(count: number): string | undefined {
    if (this.#snapshotEvery <= 0 || !this.#snapshots || !this.#snapshotSource) return undefined;
    this.#sinceSnapshot += count;
    if (this.#sinceSnapshot < this.#snapshotEvery) return undefined;
    const state = this.#snapshotSource();
    if (!state) return undefined;
    this.#sinceSnapshot = 0;
    return JSON.stringify(state);
  }

  /**
   * Writes a snapshot taken at an append once that append and all before it are stored (`upTo`).
   * Flag ids in it that were provisional then are renamed to the ids the log gave them; the fence
   * is moved first, so an owner that lost the partition writes no snapshot either.
   */
  async #saveSnapshot(stateJson: string, upTo: number): Promise<void> {
    const store = this.#snapshots!;
    try {
      // The next commit's fence first: the appends waiting on the cut are sent before the snapshot
      // is written, rather than behind its two round trips.
      await new Promise((r) => setImmediate(r));
      await crashPoint('before_snapshot', () => [`snapshot-${this.#p}`], async () => {});
      const renamed = this.#renamed;
      const json = stateJson.replace(PROVISIONAL, (id) => renamed.get(id) ?? id);
      await this.#advanceFence();
      const seq = await store.save(this.#p, { upTo, node: this.#node, stateJson: json, after: this.#snapshotSeq });
      if (seq === undefined) this.#warn('snapshot_too_big', { partition: this.#p, upTo });
      else {
        this.#snapshotSeq = seq;
        this.snapshotsWritten++;
      }
      await crashPoint('after_snapshot', () => [`snapshot-${this.#p}`], async () => {});
    } catch (err) {
      this.#warn('snapshot_not_written', { partition: this.#p, upTo, err: (err as Error).message });
    }
  }

  /**
   * Sends one commit's records, in order, and resolves (once all are sent) to a promise of their
   * acks. Every record goes inside a v2 batch (events.ts): flags in their message record (an id is
   * the batch's sequence and the flag's place in it), levels, shutdowns and the rest as they come.
   * Each batch is published expecting the partition's previous batch, so nothing this owner sends
   * after another owner's takeover batch is stored (see the header). A commit is one batch unless
   * it is over the size limit or FLAG_ID_SPAN flags, or a record cites a flag of this commit (a
   * shutdown, retract or recommend names flags by id, known only once their batch is stored): the
   * batch ends there, and the next one is sent once it is stored, chained on its sequence.
   * Shutdown and restore records are copied to their stream's subject once stored (H_COPY).
   * `waitedMs`: the time spent waiting for earlier batches to be stored.
   */
  async #sendCommit(records: readonly StreamRecord[]): Promise<{ stored: Promise<FlagRenames>; waitedMs: number }> {
    const renames = new Map<string, string>();
    const renamed = this.#renamed;
    const stored: Promise<unknown>[] = [];
    /** A rejection is reported once, below; the commit may wait long after it happened. */
    const keep = (p: Promise<unknown>) => {
      p.catch(noop);
      stored.push(p);
    };
    let waitedMs = 0;
    /** Waits until the last batch sent is stored (the condition for sending the next). */
    const settle = async () => {
      if (this.#chainOk) return;
      const t = performance.now();
      try {
        await this.#batchesStored();
      } finally {
        waitedMs += performance.now() - t;
      }
    };
    /** The batch being filled: its records as JSON (and as objects, for ownStored), the flags they carry (in order), the copies to make. */
    let parts: string[] = [];
    let objs: StreamRecord[] = [];
    let bytes = BATCH_OVERHEAD;
    let flags: Flag[] = [];
    let copies: { subject: string; body: string; msgID: string }[] = [];
    const flush = async () => {
      if (parts.length === 0) return;
      await settle();
      const body = this.#nodeCommit ? '' : `{"t":"batch","v":2,"records":[${parts.join(',')}]}`;
      const sentParts = parts;
      const named = flags;
      const copied = copies;
      const kept = objs;
      parts = [];
      objs = [];
      bytes = BATCH_OVERHEAD;
      flags = [];
      copies = [];
      const onStored = (seq: number, duplicate: boolean, offset = 0) => {
        named.forEach((f, i) => {
          const id = flagIdOf(seq, offset + i);
          renames.set(f.id, id);
          renamed.set(f.id, id);
          if (renamed.size > RENAMES_KEPT) renamed.delete(renamed.keys().next().value!);
          f.id = id;
        });
        // A duplicate stored nothing now: the reader reads (or read) the earlier message at `seq`.
        // (A node batch holds other partitions' records too: the node commit hands them on at once.)
        if (!duplicate && !this.#nodeCommit) this.#ownStored?.(seq, kept);
      };
      if (this.#nodeCommit) this.#sendNodeBatch(this.#nodeCommit, sentParts, kept, named.length, onStored);
      else this.#sendBatch(body, `b:${this.#epoch}:${++this.#links}`, onStored);
      keep(this.#batchStored);
      if (copied.length > 0) keep(this.#batchStored.then(() => Promise.all(copied.map((c) => this.#sendCopy(c.subject, c.body, c.msgID)))));
    };
    /** `kept`: the record as a reader parses it back (a message record's flags get their ids once stored). */
    const add = async (rec: object, kept: StreamRecord, flagged: readonly Flag[] = NO_FLAGS) => {
      const json = JSON.stringify(rec);
      if (parts.length > 0 && (bytes + json.length + 1 > this.#maxBytes || flags.length + flagged.length > FLAG_ID_SPAN)) await flush();
      parts.push(json);
      objs.push(kept);
      bytes += json.length + 1;
      for (const f of flagged) flags.push(f);
    };
    /** A record citing flags: those of this commit get their ids first (their batch stored). */
    const cites = async () => {
      if (flags.length > 0) await flush();
      await settle();
      return (p: string) => renamed.get(p) ?? p;
    };
    for (const rec of records) {
      switch (rec.t) {
        case 'ids':
        case 'snapshot':
          break; // ids are sequences; JetStream keeps the history itself
        case 'msg':
          // Its flags without their provisional ids: an id is where the flag is stored (events.ts).
          await add(rec.flags.length === 0 ? rec : { ...rec, flags: rec.flags.map(withoutId) }, rec, rec.flags);
          break;
        case 'shutdown': {
          const id = await cites();
          const body = { ...rec, flagIds: rec.flagIds.map(id), reason: rec.reason.replace(PROVISIONAL, id) };
          await add(body, body);
          copies.push({ subject: this.#subjects.event(rec.stream, 'shutdown'), body: JSON.stringify(body), msgID: `shutdown:${rec.stream}:${rec.epoch}` });
          break;
        }
        case 'restore':
          await add(rec, rec);
          copies.push({ subject: this.#subjects.event(rec.stream, 'restore'), body: JSON.stringify(rec), msgID: `restore:${rec.stream}:${rec.epoch}` });
          break;
        case 'retract':
        case 'recommend': {
          const id = await cites();
          const body = rec.t === 'retract' ? { ...rec, flagId: id(rec.flagId) } : { ...rec, flagIds: rec.flagIds.map(id), reason: rec.reason.replace(PROVISIONAL, id) };
          await add(body, body);
          break;
        }
        default:
          await add(rec, rec);
      }
    }
    await flush();
    const all = (async () => {
      await Promise.all(stored);
      return renames;
    })();
    all.catch(noop); // awaited by the pump
    return { stored: all, waitedMs };
  }

  /** A copy of a stored shutdown or restore on its stream's subject (events.ts H_COPY). */
  async #sendCopy(subject: string, body: string, msgID: string) {
    const h = headers();
    h.set(H_COPY, '1');
    const ack = await this.#acks.publish(subject, body, { msgID, headers: h });
    if (ack.seq > this.#maxSeq) this.#maxSeq = ack.seq;
    return ack;
  }

  /** `expect`: the sequence the subject's last message must have (the publish is refused otherwise). */
  async #sendTo(subject: string, body: object | string, msgID?: string, expect?: number) {
    const ack = await this.#acks.publish(subject, typeof body === 'string' ? body : JSON.stringify(body), { ...(msgID !== undefined ? { msgID } : {}), ...(expect !== undefined ? { expect } : {}) });
    if (ack.seq > this.#maxSeq) this.#maxSeq = ack.seq;
    return ack;
  }

  /** The partition's history, oldest first, with each message's flags joined back to it. */
  async *replay(): AsyncGenerator<StreamRecord> {
    this.replayed = 0;
    this.orphanFlags = 0;
    this.replayedFrom = undefined;
    let from: { deliver_policy: DeliverPolicy; opt_start_seq?: number } = { deliver_policy: DeliverPolicy.All };
    if (this.#snapshots) {
      const snap = await this.#snapshots.load(this.#p);
      this.#snapshotSeq = snap.seq;
      if (snap.upTo !== undefined) {
        this.replayedFrom = snap.upTo;
        if (snap.upTo > this.#maxSeq) this.#maxSeq = snap.upTo;
        from = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: snap.upTo + 1 };
        yield { t: 'snapshot', ...snap.state };
      }
    }
    // Read up to the partition's last event as of now. Not by the consumer's pending count:
    // nats-server 2.9 counted a filtered consumer's pending from a start sequence short (4 of 250
    // in a test), and a replay that stopped at 0 lost the partition's last events.
    // Node subjects (node-commit.ts): p's records may be on any node's subject, so the replay reads
    // every event after the snapshot (nats-server 2.9 has no multi-filter consumers).
    // Only when some node subject has events after the snapshot, whether or not this node writes
    // there (a reader, or a node started with it off, still reads such a history); otherwise the
    // partition's own filter reads its layout alone. Known cost: on node subjects each partition's
    // replay reads the whole stream's tail (bench/README.md, session 16).
    const start = from.opt_start_seq ?? 1;
    const nodeLast = await nodeSubjectsLastSeq(this.#jsm, this.#subjects);
    const nodes = nodeLast >= start ? new NodeSubjectReplay(this.#subjects, this.#p) : undefined;
    const partLast = await this.#lastSeq();
    const last = Math.max(partLast, nodes ? nodeLast : 0);
    this.#sinceSnapshot = 0;
    if (last < (from.opt_start_seq ?? 1)) return;
    // Two filtered reads merged in sequence order (nats-server 2.9 has no multi-filter consumer):
    // the partition's own subjects and the node subjects. Not `ev.>`: that read every other
    // partition's history too (rebuild.test: 54-155 s instead of 14 s, a NATS disconnect).
    const sources: { filter: string; last: number }[] = [];
    if (partLast >= start) sources.push({ filter: this.#subjects.eventsOfPartition(this.#p), last: partLast });
    if (nodes) sources.push({ filter: this.#subjects.nodeBatchesAll(), last: nodeLast });
    // The node subjects through the node's shared reader when there is one (node-tail.ts): the
    // partitions it replays together read and parse that stretch once.
    const tail = this.#nodeTail;
    const reads = await Promise.all(
      sources.map(async (src) => {
        if (tail && src.filter === this.#subjects.nodeBatchesAll()) return { iter: tail.read(start, src.last), last: src.last, close: noop };
        const oc = await this.#js.consumers.get(this.#subjects.eventsStream, { filter_subjects: src.filter, ...from });
        const iter = await oc.consume({ max_messages: src.filter === this.#subjects.nodeBatchesAll() ? REPLAY_PULL.nodes : REPLAY_PULL.partition });
        return {
          iter,
          last: src.last,
          close: () => {
            iter.stop();
            void oc.delete().catch(() => {}); // not left to expire on the server (it would for 5 min)
          },
        };
      }),
    );
    // Flags wait here for their message record, keyed by stream, seq and final; a run's flags all
    // come before its batch, in the same write. Flags whose record never came belong to a run that
    // was never stored in full (its batch refused: an owner that lost the partition; or the owner
    // died between the two): its messages were not acked, so they are not processed and are
    // dropped here; the re-sent message raises the same flag again, which JetStream's duplicate
    // window turns into the one already stored (same message id), so a feed sees it once.
    const flags = new Map<string, { stream: string; seq: number; final: boolean; flags: Flag[]; ts: number; kind: 'transcript' | 'chat'; text: string; prev?: string }>();
    const keyOf = (stream: string, seq: number, final: boolean) => `${stream}\0${seq}\0${final ? 1 : 0}`;
    const drop = (key: string) => {
      this.orphanFlags += flags.get(key)!.flags.length;
      flags.delete(key);
    };
    /** Flags of `stream` still waiting (of a message other than `except`): orphans by now. */
    const dropOrphansOf = (stream: string, except?: string) => {
      for (const [key, f] of flags) if (f.stream === stream && key !== except) drop(key);
    };
    /** A message record, with its flags joined back. */
    const joined = (rec: MessageRecord): MessageRecord => {
      const key = keyOf(rec.stream, rec.seq, rec.final);
      const group = flags.get(key);
      if (group) {
        flags.delete(key);
        rec.flags = group.flags;
      }
      return rec;
    };
    /** The last shutdown and restore of each stream replayed from batches: their copies are made again below. */
    const copies = new Map<string, StreamRecord & { t: 'shutdown' | 'restore' }>();
    const iter = mergeBySeq(reads);
    let sinceYield = 0;
    try {
      for await (const m of iter) {
        const onNodes = nodes?.read(m);
        // This owner's takeover batch is no history to it; on node subjects, p's records count.
        if (onNodes !== undefined) this.replayed += onNodes.length;
        else if (m.seq !== this.#epoch) this.replayed++;
        sinceYield++;
        if (m.seq > this.#maxSeq) this.#maxSeq = m.seq;
        // A pulled batch is handed on in microtasks: let timers and I/O in now and then, so lease
        // renewals and served partitions are not held up behind a long replay.
        if (sinceYield >= REPLAY_YIELD_EVERY) {
          sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
        if (onNodes !== undefined) {
          sinceYield += onNodes.length;
          yield* this.#validRecords(onNodes, m.seq, copies);
          if (m.seq >= last) break;
          continue;
        }
        if (m.headers?.get(H_COPY)) {
          if (m.seq >= last) break;
          continue; // a copy of a record stored in a batch
        }
        let body: unknown;
        try {
          body = m.json();
        } catch {
          body = undefined;
        }
        const t = (body as { t?: unknown } | undefined)?.t;
        if (isBatchV2(body)) {
          // Every record of a commit, flags inside their message records (events.ts). Flags of the
          // older layout still waiting here belong to a run never stored in full.
          for (const key of [...flags.keys()]) drop(key);
          const recs = batchRecords(body, m.seq);
          sinceYield += recs.length;
          yield* this.#validRecords(recs, m.seq, copies);
        } else if (t === 'flag') {
          const e = body as FlagEvent;
          const flag = { ...e.flag, id: `f${m.seq}` } as Flag;
          const key = keyOf(e.stream, e.seq, e.final);
          let group = flags.get(key);
          if (!group) flags.set(key, (group = { stream: e.stream, seq: e.seq, final: e.final, flags: [], ts: flag.ts ?? 0, kind: flag.kind ?? 'transcript', text: e.text, ...(e.prev !== undefined ? { prev: e.prev } : {}) }));
          group.flags.push(flag);
        } else if (t === 'batch') {
          const recs: MessageRecord[] = [];
          for (const r of (body as { records?: unknown }).records instanceof Array ? (body as BatchEvent).records : []) {
            const checked = checkRecord(r);
            if (checked.ok && checked.record.t === 'msg') recs.push(checked.record);
            else {
              this.badRecords++;
              this.#warn('events_invalid_record', { partition: this.#p, seq: m.seq, reason: checked.ok ? 'not a message record in a batch' : checked.reason });
            }
          }
          // Flags waiting that no record of this batch claims belong to a run never stored in full.
          const claimed = new Set(recs.map((r) => keyOf(r.stream, r.seq, r.final)));
          for (const key of [...flags.keys()]) if (!claimed.has(key)) drop(key);
          sinceYield += recs.length;
          for (const rec of recs) yield joined(rec);
        } else {
          const checked = checkRecord(body);
          if (!checked.ok) {
            this.badRecords++;
            this.#warn('events_invalid_record', { partition: this.#p, seq: m.seq, reason: checked.reason });
          } else if (checked.record.t === 'msg') {
            const rec: MessageRecord = checked.record;
            dropOrphansOf(rec.stream, keyOf(rec.stream, rec.seq, rec.final));
            yield joined(rec);
          } else {
            const stream = (checked.record as { stream?: string | null }).stream;
            if (typeof stream === 'string') dropOrphansOf(stream);
            yield checked.record;
          }
        }
        if (m.seq >= last) break;
      }
    } finally {
      for (const r of reads) r.close();
    }
    for (const key of [...flags.keys()]) drop(key);
    this.#replayedCopies = [...copies.values()];
    if (this.orphanFlags > 0) this.#warn('events_orphan_flags', { partition: this.#p, flags: this.orphanFlags });
    if (nodes && nodes.fencedRecords > 0) this.#warn('events_fenced_records', { partition: this.#p, records: nodes.fencedRecords });
    this.#sinceSnapshot = this.replayed;
  }

  /** A batch's records that pass the record schema (the rest counted and warned about); shutdowns and restores noted for copyAgain. */
  *#validRecords(records: readonly unknown[], seq: number, copies: Map<string, StreamRecord & { t: 'shutdown' | 'restore' }>): Generator<StreamRecord> {
    for (const r of records) {
      const checked = checkRecord(r);
      if (!checked.ok) {
        this.badRecords++;
        this.#warn('events_invalid_record', { partition: this.#p, seq, reason: checked.reason });
        continue;
      }
      const rec = checked.record;
      if (rec.t === 'shutdown' || rec.t === 'restore') copies.set(`${rec.t}:${rec.stream}`, rec);
      yield rec;
    }
  }

  /**
   * After the replay, by the owner: the copies of the shutdowns and restores it read are made again
   * (an owner that died between a batch and its copies left them unmade), under the same message ids,
   * so a copy that exists is not stored twice within the duplicate window.
   */
  async copyAgain(): Promise<void> {
    const recs = this.#replayedCopies;
    this.#replayedCopies = [];
    await Promise.all(recs.map((rec) => this.#sendCopy(this.#subjects.event(rec.stream, rec.t), JSON.stringify(rec), `${rec.t}:${rec.stream}:${rec.epoch}`)));
  }

  /** Sequence of the partition's newest event (0: none). */
  async #lastSeq(): Promise<number> {
    try {
      return (await this.#jsm.streams.getMessage(this.#subjects.eventsStream, { last_by_subj: this.#subjects.eventsOfPartition(this.#p) }))?.seq ?? 0;
    } catch (err) {
      if (/no message found|not found/i.test((err as Error).message)) return 0;
      throw err;
    }
  }
}
