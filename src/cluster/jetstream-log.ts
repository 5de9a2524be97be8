/**
 * The stream core's log for one partition, on the JetStream events stream: the cluster's
 * `StreamLog`. Records are published under the partition's subjects (subjects.ts), in order, with
 * a `Nats-Msg-Id` each, so re-publishing after a rebuild stores nothing twice.
 *
 * A flag's id is the JetStream sequence of the message that stores it, so ids are global and in
 * order across the cluster (`since` reads the one events stream). That is why a message record
 * travels split: one `flag` message per flag (its id is assigned as it is stored, and returned to
 * the processor as a rename of its provisional id), then the `msg` record itself without them.
 * Replay joins them again; flags whose `msg` record never came (the owner died between the two)
 * still count as their message processed.
 *
 * Fencing: each append first writes the partition's fence message (`fence.<p>` on a stream of its
 * own that keeps the last message per subject) with `Nats-Expected-Last-Subject-Sequence` set to
 * the fence this owner wrote last,
 * and publishes its records only once that is stored. A new owner writes its own fence before
 * replaying, so an old owner that was paused or cut off past its lease finds the fence moved and
 * its append fails (FencedError) before anything of it is stored. (nats-server 2.9 checks that
 * header against the message's own subject only, hence a fence subject rather than a check on
 * every record's subject; and not on the events stream, where a rollup would disturb the readers.)
 *
 * Snapshots (snapshots.ts): every `snapshotEvery` records the processor's state is taken as the
 * append that crosses the count is made (the state then covers exactly the records appended so
 * far), and the appends after it wait until every earlier one is stored: the partition's events up
 * to the highest sequence stored so far (`upTo`) are then exactly what the state covers, and none of
 * a later append is below it. The snapshot is written once that is known; a replay starts from the
 * newest snapshot and reads only the events after its `upTo`.
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Flag } from '../flag.js';
import type { FlagRenames, StreamLog } from '../stream/log.js';
import { checkRecord } from '../stream/record-schema.js';
import type { MessageRecord, StreamRecord } from '../stream/records.js';
import type { SnapshotState } from '../stream/log.js';
import type { FlagEvent } from './events.js';
import { crashPoint } from './fault.js';
import type { SnapshotStore } from './snapshots.js';
import type { EventKind, Subjects } from './subjects.js';

const noop = () => {};
/** Renames remembered: more than a stream's risk keeps flags for (escalation.ts MAX_CONTRIBUTIONS). */
const RENAMES_KEPT = 10_000;
/** A provisional id as the node's allocator hands them out (PROVISIONAL_FLAG_BASE and up). */
const PROVISIONAL = /f8\d{15}/g;

/** Where this node's provisional flag ids start: far above any JetStream sequence, below 2^53. */
export const PROVISIONAL_FLAG_BASE = 8_000_000_000_000_000;

/** Another owner wrote the partition's fence: this node lost the partition and must not write. */
export class FencedError extends Error {}

export class JetStreamLog implements StreamLog {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #subjects: Subjects;
  readonly #p: number;
  readonly #warn: (event: string, detail: Record<string, unknown>) => void;
  #last: Promise<unknown> = Promise.resolve();
  /** Settles once the previous append's messages are published (its flag renames are known). */
  #lastPublished: Promise<void> = Promise.resolve();
  /** Provisional id → stored id of recent flags: a shutdown cites flags of earlier appends too. */
  readonly #renamed = new Map<string, string>();
  #pending = 0;
  #failure: Error | undefined;
  /** Sequence of the fence this owner wrote last (0: none yet, appends are refused). */
  #fenceSeq = 0;
  /** Settles once the previous append's fence is stored (fences chain). */
  #lastFence: Promise<void> = Promise.resolve();
  readonly #node: string;
  readonly #snapshots: SnapshotStore | undefined;
  readonly #snapshotEvery: number;
  /** The processor's state, once there is a processor to ask (undefined: no snapshot now). */
  #snapshotSource: (() => SnapshotState | undefined) | undefined;
  /** Records appended (or replayed) since the last snapshot was taken. */
  #sinceSnapshot = 0;
  /** Sequence of the partition's snapshot this owner read or wrote last (a write expects it). */
  #snapshotSeq = 0;
  /** Settles once every record of the appends so far was sent (the next append's records follow them). */
  #sent: Promise<void> = Promise.resolve();
  /** Appends wait for this before publishing: the stored end of a snapshot's appends (see above). */
  #cut: Promise<void> = Promise.resolve();
  /** The highest events stream sequence of this partition read or stored by this owner. */
  #maxSeq = 0;
  badRecords = 0;
  /** Events read by the last replay. */
  replayed = 0;
  /** Whether the last replay started from a snapshot, and after which sequence. */
  replayedFrom: number | undefined;
  /** Snapshots written by this log. */
  snapshotsWritten = 0;

  constructor(d: {
    js: JetStreamClient;
    jsm: JetStreamManager;
    subjects: Subjects;
    partition: number;
    node: string;
    warn: (event: string, detail: Record<string, unknown>) => void;
    snapshots?: SnapshotStore;
    /** Take a snapshot after this many records (0 or absent: never). */
    snapshotEvery?: number;
  }) {
    this.#node = d.node;
    this.#snapshots = d.snapshots;
    this.#snapshotEvery = d.snapshotEvery ?? 0;
    this.#js = d.js;
    this.#jsm = d.jsm;
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
   * Publishes in order. Appends are not awaited one by one (that would cost a round trip each):
   * once one fails, every later one fails too, even if JetStream stored it; the processor rebuilds
   * from what is stored and the re-sent messages are deduplicated.
   */
  append(records: readonly StreamRecord[]): Promise<FlagRenames> {
    if (this.#failure) return Promise.reject(this.#failure);
    this.#pending += records.length;
    // Taken now, synchronously: the state covers exactly the records appended so far, these included.
    const snapshot = this.#snapshotDue(records.length);
    const published = this.#publish(records, this.#lastPublished, this.#cut); // starts at once: appends are pipelined
    this.#lastPublished = published.then(noop, noop);
    published.catch(noop); // awaited below unless an earlier append failed first
    const previous = this.#last;
    if (snapshot !== undefined) {
      // Later appends publish only once this one and every earlier one is stored: then #maxSeq is the cut.
      const upTo = Promise.all([previous, published]).then(() => this.#maxSeq);
      this.#cut = upTo.then(noop, noop);
      upTo.then(
        (at) => this.#saveSnapshot(snapshot, at),
        () => {}, // not stored: no snapshot of it (the processor rebuilds)
      );
    }
    const result = (async () => {
      try {
        await previous;
        return await published;
      } catch (err) {
        this.#failure ??= err as Error;
        throw this.#failure;
      } finally {
        this.#pending -= records.length;
      }
    })();
    this.#last = result.then(noop);
    this.#last.catch(noop); // the next append or barrier sees the rejection
    return result;
  }

  /**
   * Takes the partition over: writes a fence after whatever fence is there (compare-and-set on the
   * fence subject's last sequence, retried if another owner's lands in between). Call before replay.
   */
  async fence(): Promise<void> {
    const subject = this.#subjects.fence(this.#p);
    for (let attempt = 0; ; attempt++) {
      let last = 0;
      try {
        last = (await this.#jsm.streams.getMessage(this.#subjects.fencesStream, { last_by_subj: subject }))?.seq ?? 0;
      } catch (err) {
        if (!/no message found|not found/i.test((err as Error).message)) throw err;
      }
      try {
        this.#fenceSeq = await this.#writeFence(last);
        return;
      } catch (err) {
        if (attempt >= 5 || !/wrong last sequence/i.test((err as Error).message)) throw err;
      }
    }
  }

  async #writeFence(after: number): Promise<number> {
    const ack = await this.#js.publish(this.#subjects.fence(this.#p), JSON.stringify({ node: this.#node, ts: Date.now() }), { expect: { lastSubjectSequence: after } });
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
      this.#failure = undefined;
      this.#last = Promise.resolve();
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
   * Publishes one append's records. They are sent in append order, after every record of the
   * earlier appends was sent (`#sent`): one connection's publishes are stored in the order sent, so
   * the partition's history holds each stream's records in the order the core made them, and a
   * replay rebuilds the state the core had (pipelined appends that interleaved would not). Only a
   * record citing flags (shutdown, retract, recommend) waits for their ids before it is sent.
   */
  async #publish(records: readonly StreamRecord[], before: Promise<void>, cut: Promise<void>): Promise<FlagRenames> {
    await crashPoint('before_append', () => records.map((r) => (r as { stream?: string }).stream ?? ''), async () => {});
    await cut;
    await this.#advanceFence();
    const renames = new Map<string, string>();
    const renamed = this.#renamed;
    const stored: Promise<unknown>[] = [];
    /** This append's flags sent and not yet renamed. */
    let unnamed: { flags: Flag[]; acks: Promise<{ seq: number }[]> }[] = [];
    const rename = async () => {
      const groups = unnamed;
      unnamed = [];
      for (const g of groups) {
        const acks = await g.acks;
        g.flags.forEach((f, i) => {
          const id = `f${acks[i]!.seq}`;
          renames.set(f.id, id);
          renamed.set(f.id, id);
          if (renamed.size > RENAMES_KEPT) renamed.delete(renamed.keys().next().value!);
          f.id = id;
        });
      }
    };
    const cites = async () => {
      await before; // the flags it cites from earlier appends have their ids
      await rename(); // and those of this append
      return (p: string) => renamed.get(p) ?? p;
    };
    const sentBefore = this.#sent;
    let sent!: () => void;
    this.#sent = new Promise<void>((r) => (sent = r));
    try {
      await sentBefore;
      for (const rec of records) {
        switch (rec.t) {
          case 'ids':
          case 'snapshot':
            break; // ids are sequences; JetStream keeps the history itself
          case 'msg': {
            const kind = rec.final ? 'f' : 'p';
            if (rec.flags.length > 0) {
              const acks = Promise.all(
                rec.flags.map((f, i) => {
                  const { id: _id, ...flag } = f;
                  const body: FlagEvent = { t: 'flag', stream: rec.stream, seq: rec.seq, final: rec.final, flag, text: rec.text ?? '', ...(rec.prev !== undefined && f.carried !== undefined ? { prev: rec.prev } : {}) };
                  return this.#send('flag', body, `flag:${rec.stream}:${rec.seq}:${kind}:${f.category}:${f.term}:${f.start}:${i}`, f.category);
                }),
              );
              acks.catch(noop); // awaited by rename()
              unnamed.push({ flags: rec.flags, acks });
              stored.push(acks);
            }
            // Without its flags (they are stored above). Every message, flagged or not: its seq and
            // time are state too (the seq window, the risk's decay), which a replay must rebuild.
            stored.push(this.#send('msg', { ...rec, flags: [] }, `msg:${rec.stream}:${rec.seq}:${kind}`));
            break;
          }
          case 'shutdown': {
            const id = await cites();
            stored.push(this.#send('shutdown', { ...rec, flagIds: rec.flagIds.map(id), reason: rec.reason.replace(PROVISIONAL, id) }, `shutdown:${rec.stream}:${rec.epoch}`));
            break;
          }
          case 'restore':
            stored.push(this.#send('restore', rec, `restore:${rec.stream}:${rec.epoch}`));
            break;
          case 'retract':
          case 'recommend':
          case 'decline': {
            const id = rec.t === 'decline' ? (p: string) => p : await cites();
            const body = rec.t === 'retract' ? { ...rec, flagId: id(rec.flagId) } : rec.t === 'recommend' ? { ...rec, flagIds: rec.flagIds.map(id), reason: rec.reason.replace(PROVISIONAL, id) } : rec;
            stored.push(this.#send(rec.t, body));
            break;
          }
          case 'dismiss':
            stored.push(this.#send('dismiss', rec, `dismiss:${rec.flagId}`));
            break;
          case 'pk':
            stored.push(this.#send('pk', rec, `pk:${rec.stream}:${rec.seq}`));
            break;
          case 'end':
            stored.push(this.#send('end', rec, `end:${rec.stream}:${rec.seq}`));
            break;
          case 'level':
            stored.push(this.#send('level', rec));
            break;
        }
      }
    } finally {
      sent();
    }
    for (const p of stored) p.catch(noop); // a rejection is reported below, once
    await rename();
    await Promise.all(stored);
    return renames;
  }

  async #send(kind: EventKind, body: object, msgID?: string, category?: string) {
    const stream = (body as { stream?: string | null }).stream ?? '';
    const ack = await this.#js.publish(this.#subjects.event(stream, kind, category), JSON.stringify(body), msgID ? { msgID } : undefined);
    if (ack.seq > this.#maxSeq) this.#maxSeq = ack.seq;
    return ack;
  }

  /** The partition's history, oldest first, with each message's flags joined back to it. */
  async *replay(): AsyncGenerator<StreamRecord> {
    this.replayed = 0;
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
    const last = await this.#lastSeq();
    this.#sinceSnapshot = 0;
    if (last < (from.opt_start_seq ?? 1)) return;
    const oc = await this.#js.consumers.get(this.#subjects.eventsStream, { filter_subjects: this.#subjects.eventsOfPartition(this.#p), ...from });
    const flags = new Map<string, { seq: number; final: boolean; flags: Flag[]; ts: number; kind: 'transcript' | 'chat'; text: string; prev?: string }>();
    const orphans = function* (stream: string): Generator<StreamRecord> {
      const f = flags.get(stream);
      if (!f) return;
      flags.delete(stream);
      yield { t: 'msg', stream, seq: f.seq, ts: f.ts, kind: f.kind, final: f.final, flags: f.flags, text: f.text, ...(f.prev !== undefined ? { prev: f.prev } : {}) };
    };
    const iter = await oc.consume({ max_messages: 1000 });
    try {
      for await (const m of iter) {
        this.replayed++;
        if (m.seq > this.#maxSeq) this.#maxSeq = m.seq;
        let body: unknown;
        try {
          body = m.json();
        } catch {
          body = undefined;
        }
        const t = (body as { t?: unknown } | undefined)?.t;
        if (t === 'flag') {
          const e = body as FlagEvent;
          const flag = { ...e.flag, id: `f${m.seq}` } as Flag;
          let group = flags.get(e.stream);
          if (group && (group.seq !== e.seq || group.final !== e.final)) yield* orphans(e.stream);
          group = flags.get(e.stream);
          if (!group) flags.set(e.stream, (group = { seq: e.seq, final: e.final, flags: [], ts: flag.ts ?? 0, kind: flag.kind ?? 'transcript', text: e.text, ...(e.prev !== undefined ? { prev: e.prev } : {}) }));
          group.flags.push(flag);
        } else {
          const checked = checkRecord(body);
          if (!checked.ok) {
            this.badRecords++;
            this.#warn('events_invalid_record', { partition: this.#p, seq: m.seq, reason: checked.reason });
          } else if (checked.record.t === 'msg') {
            const rec: MessageRecord = checked.record;
            const group = flags.get(rec.stream);
            if (group && group.seq === rec.seq && group.final === rec.final) {
              flags.delete(rec.stream);
              rec.flags = group.flags;
            } else yield* orphans(rec.stream);
            yield rec;
          } else {
            const stream = (checked.record as { stream?: string | null }).stream;
            if (typeof stream === 'string') yield* orphans(stream);
            yield checked.record;
          }
        }
        if (m.seq >= last) break;
      }
    } finally {
      iter.stop();
      void oc.delete().catch(() => {}); // not left to expire on the server (it would for 5 min)
    }
    for (const stream of [...flags.keys()]) yield* orphans(stream);
    this.#sinceSnapshot = this.replayed;
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
