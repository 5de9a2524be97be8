/**
 * One commit per node turn (session 13's design 1): every partition's batch of an event-loop turn
 * goes into ONE v2 batch on the node's own subject `ev.n.<node>` (subjects.ts), published expecting
 * that subject's last sequence, one in flight; the next turn's batches wait for its PubAck. At the
 * bench's frame shape (20 messages on random streams of 1,000, 64 partitions) a frame was ~18
 * partition batches, each a JetStream message and a round trip of its own chain; here it is one
 * (bench/README.md, session 16).
 *
 * Fencing per node (takeover-markers.ts writes the markers): a new owner of partition p appends a
 * `taken` marker to the OLD owner's node subject, without expectation. The old owner's next batch
 * then expects a stale sequence and is refused by the server; this loop reads its subject's tail,
 * sees the marker, fails p's parts (FencedError: the partition's log fails, the node gives p up and
 * its senders get `unavailable`) and sends the rest again expecting the tail's sequence. Only this
 * node writes batches on its subject, so the tail after its last batch holds markers only. A batch
 * is stored only if this node had read every marker before it: an owner paused anywhere cannot
 * store p's records after losing it.
 *
 * Terms: a part carries the takeover sequence (`term`) of the log that made it; a marker for p
 * ends the term it follows. Parts of an ended term are refused here too (a log of p left over from
 * before this node took p again must not write into the new term). The first batch after a
 * takeover lists p in `took`, so a replay can check where a node's term of p starts
 * (node-subject-replay.ts).
 *
 * A publish that fails other than by refusal (timeout, connection) leaves the batch in doubt: its
 * parts fail (their logs fail, the processors rebuild from what is stored, re-sent messages are
 * deduplicated), and the next batch first reads the tail (its own batch there: stored).
 */
import { headers } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { StreamRecord } from '../stream/records.js';
import { FLAG_ID_SPAN, H_PARTS } from './events.js';
import { FencedError } from './jetstream-log.js';
import type { PubAcks } from './pub-acks.js';
import { isTakenMarker } from './takeover-markers.js';
import type { Subjects } from './subjects.js';

/** One partition's batch, waiting for the node's next turn. */
interface Part {
  p: number;
  term: number;
  json: readonly string[];
  bytes: number;
  flags: number;
  /** Called synchronously once stored, before the node's ownStored: flags get their ids here. */
  stored: (seq: number, offset: number, duplicate: boolean) => void;
  records: readonly StreamRecord[];
  resolve: () => void;
  reject: (err: Error) => void;
}

const BATCH_OVERHEAD = 80;

export class NodeCommit {
  readonly subject: string;
  readonly #acks: PubAcks;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #node: string;
  readonly #maxBytes: number;
  readonly #ownStored: ((seq: number, records: readonly StreamRecord[]) => void) | undefined;
  readonly #warn: (event: string, detail: Record<string, unknown>) => void;
  readonly #counted: (what: 'stored' | 'refused' | 'failed' | 'marker') => void;
  /** Message ids: unique per node process, so no other batch passes as a duplicate of one. */
  readonly #boot = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  #n = 0;
  #queue: Part[] = [];
  #sending = false;
  #scheduled = false;
  /** Sequence of the subject's last message as this node knows it (undefined: read it first). */
  #last: number | undefined;
  /** The last batch's message id when its outcome is unknown (the tail will tell). */
  #inDoubt: string | undefined;
  /** The tail read last (resync). */
  #tail: Promise<void> = Promise.resolve();
  /** Partition → the takeover sequence of this node's current term (markers after it end it). */
  readonly #terms = new Map<number, number>();
  /** Partitions taken since the last batch sent (with their term): listed in the next one's `took`. */
  #took: { p: number; term: number }[] = [];
  /** Batches refused for a marker, and markers read (metrics and tests). */
  refused = 0;
  markersRead = 0;
  batches = 0;

  constructor(d: {
    acks: PubAcks;
    jsm: JetStreamManager;
    subjects: Subjects;
    node: string;
    warn: (event: string, detail: Record<string, unknown>) => void;
    ownStored?: (seq: number, records: readonly StreamRecord[]) => void;
    maxPayload?: number;
    /** Told each batch's outcome and each marker read (the node's metrics). */
    counted?: (what: 'stored' | 'refused' | 'failed' | 'marker') => void;
  }) {
    this.#counted = d.counted ?? (() => {});
    this.#acks = d.acks;
    this.#jsm = d.jsm;
    this.#stream = d.subjects.eventsStream;
    this.#node = d.node;
    this.subject = d.subjects.nodeBatches(d.node);
    this.#maxBytes = Math.max(16 * 1024, (d.maxPayload ?? 1024 * 1024) - 8192);
    this.#ownStored = d.ownStored;
    this.#warn = d.warn;
  }

  /**
   * This node took p over; its takeover batch is at `term` (markers stored before it are history).
   * The subject's last sequence is read here the first time, before any batch: read lazily at the
   * first send, a marker stored meanwhile would be taken for history (fencing.test caught it).
   */
  async take(p: number, term: number): Promise<void> {
    if (this.#last === undefined) await this.resync();
    this.#terms.set(p, term);
    this.#took.push({ p, term });
  }

  /** Whether this node's term `term` of p still stands as far as the markers read so far say. */
  holds(p: number, term: number): boolean {
    return this.#terms.get(p) === term;
  }

  /**
   * Queues a partition's batch for the node's next turn. Resolves once it is stored (after
   * `stored` was called); rejects with FencedError if p's term ended, or with the publish's error.
   */
  add(p: number, term: number, json: readonly string[], records: readonly StreamRecord[], flags: number, stored: Part['stored']): Promise<void> {
    if (!this.holds(p, term)) return Promise.reject(new FencedError(`partition ${p}: another node took it over (marker on ${this.subject})`));
    let bytes = 0;
    for (const j of json) bytes += j.length + 1;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ p, term, json, bytes, flags, stored, records, resolve, reject });
      if (!this.#sending && !this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          void this.#pump();
        });
      }
    });
  }

  /**
   * Reads this node's subject after the last sequence it knows: markers end terms, its own batch in
   * doubt is found stored or not. Call before the next batch when the last one failed or was refused.
   */
  resync(): Promise<void> {
    // One reader of the tail at a time (two would set #last back and forth); a caller that comes
    // while one runs reads again after it, so it sees every marker stored before it called.
    const next = this.#tail.then(() => this.#readTail());
    this.#tail = next.catch(() => {});
    return next;
  }

  async #readTail(): Promise<void> {
    if (this.#last === undefined) {
      this.#last = await this.#lastOfSubject();
      this.#inDoubt = undefined;
      return; // a fresh start: no term of this process is older than this
    }
    for (;;) {
      const sm = await this.#jsm.streams.getMessage(this.#stream, { seq: this.#last + 1, next_by_subj: this.subject } as unknown as { seq: number });
      if (!sm) break;
      this.#last = sm.seq;
      const id = sm.header?.get('Nats-Msg-Id');
      if (id !== undefined && id !== '' && id === this.#inDoubt) continue; // stored after all
      let body: unknown;
      try {
        body = sm.json();
      } catch {
        body = undefined;
      }
      if (isTakenMarker(body)) {
        this.markersRead++;
        this.#counted('marker');
        const term = this.#terms.get(body.p);
        if (term !== undefined && sm.seq > term) {
          this.#terms.delete(body.p);
          this.#warn('partition_taken', { partition: body.p, by: body.by, marker: sm.seq });
        }
      } else if (id?.startsWith(`n:${this.#node}:`) !== true) this.#warn('node_subject_unexpected', { subject: this.subject, seq: sm.seq });
    }
    this.#inDoubt = undefined;
  }

  async #pump(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    try {
      while (this.#queue.length > 0) {
        if (this.#last === undefined || this.#inDoubt !== undefined) {
          try {
            await this.resync();
          } catch (err) {
            this.#failAll(err as Error);
            continue;
          }
        }
        this.#dropEnded();
        if (this.#queue.length === 0) break;
        await this.#sendOne();
      }
    } finally {
      this.#sending = false;
    }
  }

  /** Fails the parts whose partition's term ended (a marker read, or a newer takeover by this node). */
  #dropEnded(): void {
    const keep: Part[] = [];
    for (const part of this.#queue) {
      if (this.holds(part.p, part.term)) keep.push(part);
      else part.reject(new FencedError(`partition ${part.p}: another node took it over (marker on ${this.subject})`));
    }
    this.#queue = keep;
  }

  #failAll(err: Error): void {
    for (const part of this.#queue.splice(0)) part.reject(err);
  }

  /** One node batch of the parts queued (up to the size and flag limits); waits for its outcome. */
  async #sendOne(): Promise<void> {
    let flags = 0;
    let bytes = BATCH_OVERHEAD;
    let k = 0;
    for (; k < this.#queue.length; k++) {
      const part = this.#queue[k]!;
      if (k > 0 && (flags + part.flags > FLAG_ID_SPAN || bytes + part.bytes > this.#maxBytes)) break;
      flags += part.flags;
      bytes += part.bytes;
    }
    const parts = this.#queue.splice(0, k);
    // Only terms still standing: a marker read since the takeover ended the others (a stale `took`
    // after the marker would reopen the term in a replay's and the model's eyes; paused-owner caught it).
    const took = this.#took.filter((t) => this.holds(t.p, t.term));
    this.#took = [];
    const ps = new Set<number>(took.map((t) => t.p));
    const json: string[] = [];
    /** Which partition each record is of, run-length (partition, count, ...): a dismiss or promote names none. */
    const at: number[] = [];
    for (const part of parts) {
      ps.add(part.p);
      if (at.length > 0 && at[at.length - 2] === part.p) at[at.length - 1] += part.json.length;
      else at.push(part.p, part.json.length);
      for (const j of part.json) json.push(j);
    }
    const body = `{"t":"batch","v":2,"n":${JSON.stringify(this.#node)},"took":[${took.map((t) => t.p).join(',')}],"at":[${at.join(',')}],"records":[${json.join(',')}]}`;
    const h = headers();
    h.set(H_PARTS, [...ps].join(','));
    const msgID = `n:${this.#node}:${this.#boot}:${++this.#n}`;
    this.#inDoubt = msgID;
    try {
      const ack = await this.#acks.publish(this.subject, body, { msgID, expect: this.#last!, headers: h });
      this.#inDoubt = undefined;
      this.#last = ack.seq;
      this.batches++;
      this.#counted('stored');
      let offset = 0;
      const records: StreamRecord[] = [];
      for (const part of parts) {
        part.stored(ack.seq, offset, ack.duplicate);
        offset += part.flags;
        for (const r of part.records) records.push(r);
      }
      // A duplicate stored nothing now: the reader reads (or read) the earlier message at its sequence.
      if (!ack.duplicate) this.#ownStored?.(ack.seq, records);
      for (const part of parts) part.resolve();
    } catch (err) {
      if (/wrong last sequence/i.test((err as Error).message)) {
        // A marker (or several) came after this node's last batch: read them, send the rest again.
        this.refused++;
        this.#counted('refused');
        this.#inDoubt = undefined;
        this.#took = [...took, ...this.#took];
        this.#queue.unshift(...parts);
        try {
          await this.resync();
        } catch (e) {
          this.#failAll(e as Error);
        }
        return;
      }
      // Stored or not is unknown: the tail tells before the next batch (#pump resyncs).
      this.#counted('failed');
      this.#took = [...took, ...this.#took];
      for (const part of parts) part.reject(err as Error);
    }
  }

  async #lastOfSubject(): Promise<number> {
    try {
      return (await this.#jsm.streams.getMessage(this.#stream, { last_by_subj: this.subject }))?.seq ?? 0;
    } catch (err) {
      if (/no message found|not found/i.test((err as Error).message)) return 0;
      throw err;
    }
  }
}
