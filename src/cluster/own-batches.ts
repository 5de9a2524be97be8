/**
 * The records of this node's own stored batches, kept by their events stream sequence until the
 * node's events reader (node.ts) reaches that sequence: the reader then hands these to the feed
 * instead of decoding and parsing the batch it wrote itself (bench/README, session 15).
 *
 * Why not to the feed at ack time: feeds get flags in id order (= stream order), which `since`
 * relies on; a batch of another node stored just before this one may not have reached the reader
 * yet. So the reader still walks every sequence; only the parse of the owner's own is skipped.
 *
 * Kept only for a sequence the reader has not passed (an ack read after the reader already handed
 * the batch on is dropped: the reader parsed it), and at most `max` batches (an entry the reader
 * never takes, e.g. a reader that restarted past it, costs memory only until the bound pushes it out).
 */
import type { StreamRecord } from '../stream/records.js';

/** Batches kept at most: ~1 s of a loaded node's commits many times over (a few hundred a second). */
const MAX_KEPT = 20_000;

export class OwnBatches {
  readonly #bySeq = new Map<number, readonly StreamRecord[]>();
  readonly #passed: () => number;
  readonly #max: number;
  /** Batches the reader took from here (not parsed). */
  taken = 0;

  /** `passed`: the last sequence the events reader handed on. */
  constructor(passed: () => number, max = MAX_KEPT) {
    this.#passed = passed;
    this.#max = max;
  }

  get size(): number {
    return this.#bySeq.size;
  }

  /**
   * The records stored at `seq`, as the reader would parse them: flags with their stored ids, the
   * ids they cite renamed. The caller gives up the objects (nothing changes them afterwards).
   */
  keep(seq: number, records: readonly StreamRecord[]): void {
    if (seq <= this.#passed() || records.length === 0) return;
    this.#bySeq.set(seq, records);
    // Insertion order is the order acks were read, close to sequence order: the oldest go first.
    if (this.#bySeq.size > this.#max) this.#bySeq.delete(this.#bySeq.keys().next().value!);
  }

  /** The records kept for `seq` (then forgotten), or undefined: the reader parses the message. */
  take(seq: number): readonly StreamRecord[] | undefined {
    const records = this.#bySeq.get(seq);
    if (records === undefined) return undefined;
    this.#bySeq.delete(seq);
    this.taken++;
    return records;
  }
}
