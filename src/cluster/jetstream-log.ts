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
 */
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import type { Flag } from '../flag.js';
import type { FlagRenames, StreamLog } from '../stream/log.js';
import { checkRecord } from '../stream/record-schema.js';
import type { MessageRecord, StreamRecord } from '../stream/records.js';
import type { FlagEvent } from './events.js';
import { crashPoint } from './fault.js';
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
  badRecords = 0;
  /** Events read by the last replay. */
  replayed = 0;

  constructor(d: { js: JetStreamClient; jsm: JetStreamManager; subjects: Subjects; partition: number; node: string; warn: (event: string, detail: Record<string, unknown>) => void }) {
    this.#node = d.node;
    this.#js = d.js;
    this.#jsm = d.jsm;
    this.#subjects = d.subjects;
    this.#p = d.partition;
    this.#warn = d.warn;
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
    const published = this.#publish(records, this.#lastPublished); // starts at once: appends are pipelined
    this.#lastPublished = published.then(noop, noop);
    published.catch(noop); // awaited below unless an earlier append failed first
    const previous = this.#last;
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

  async close(): Promise<void> {
    await this.#last.catch(() => undefined);
  }

  async #publish(records: readonly StreamRecord[], before: Promise<void>): Promise<FlagRenames> {
    await crashPoint('before_append', () => records.map((r) => (r as { stream?: string }).stream ?? ''), async () => {});
    await this.#advanceFence();
    const renames = new Map<string, string>();
    const renamed = this.#renamed;
    const stored: Promise<unknown>[] = [];
    for (const rec of records) {
      switch (rec.t) {
        case 'ids':
        case 'snapshot':
          break; // ids are sequences; JetStream keeps the history itself
        case 'msg': {
          const kind = rec.final ? 'f' : 'p';
          const acks = await Promise.all(
            rec.flags.map((f, i) => {
              const { id: _id, ...flag } = f;
              const body: FlagEvent = { t: 'flag', stream: rec.stream, seq: rec.seq, final: rec.final, flag, text: rec.text ?? '', ...(rec.prev !== undefined && f.carried !== undefined ? { prev: rec.prev } : {}) };
              return this.#send('flag', body, `flag:${rec.stream}:${rec.seq}:${kind}:${f.category}:${f.term}:${f.start}:${i}`, f.category);
            }),
          );
          rec.flags.forEach((f: Flag, i) => {
            const id = `f${acks[i]!.seq}`;
            renames.set(f.id, id);
            renamed.set(f.id, id);
            if (renamed.size > RENAMES_KEPT) renamed.delete(renamed.keys().next().value!);
            f.id = id;
          });
          // Without its flags (they are stored above), and only where a replay needs it.
          if (rec.flags.length > 0 || rec.text !== undefined) stored.push(this.#send('msg', { ...rec, flags: [] }, `msg:${rec.stream}:${rec.seq}:${kind}`));
          break;
        }
        case 'shutdown': {
          await before; // the flags it cites from earlier appends have their ids
          const id = (p: string) => renamed.get(p) ?? p;
          stored.push(this.#send('shutdown', { ...rec, flagIds: rec.flagIds.map(id), reason: rec.reason.replace(PROVISIONAL, id) }, `shutdown:${rec.stream}:${rec.epoch}`));
          break;
        }
        case 'restore':
          stored.push(this.#send('restore', rec, `restore:${rec.stream}:${rec.epoch}`));
          break;
        case 'retract':
        case 'recommend':
        case 'decline': {
          await before; // the flags they name from earlier appends have their ids
          const id = (p: string) => renamed.get(p) ?? p;
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
    await Promise.all(stored);
    return renames;
  }

  #send(kind: EventKind, body: object, msgID?: string, category?: string) {
    const stream = (body as { stream?: string | null }).stream ?? '';
    return this.#js.publish(this.#subjects.event(stream, kind, category), JSON.stringify(body), msgID ? { msgID } : undefined);
  }

  /** The partition's history, oldest first, with each message's flags joined back to it. */
  async *replay(): AsyncGenerator<StreamRecord> {
    this.replayed = 0;
    const oc = await this.#js.consumers.get(this.#subjects.eventsStream, { filter_subjects: this.#subjects.eventsOfPartition(this.#p), deliver_policy: DeliverPolicy.All });
    const info = await oc.info(true);
    if (info.num_pending === 0) {
      void oc.delete().catch(() => {});
      return;
    }
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
        if (m.info.pending === 0) break;
      }
    } finally {
      iter.stop();
      void oc.delete().catch(() => {}); // not left to expire on the server (it would for 5 min)
    }
    for (const stream of [...flags.keys()]) yield* orphans(stream);
  }
}
