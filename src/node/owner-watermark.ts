/**
 * This owner's watermark for the flag merge (flag-merge.ts): the lowest flag number it may still
 * publish. Flags are published when their batch's journal write is durable, in batch order, so it
 * is the allocator's next number when the oldest batch still in the core began, or the allocator's
 * next number when none is in flight. Wraps the core's `ingestBatch` (the one path by which flags
 * are raised) to know which batches are in flight.
 */
import type { FlagIdAllocator } from '../flag.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { IngestPeer, StreamService } from '../stream/contracts.js';

export class OwnerWatermark {
  readonly #ids: FlagIdAllocator;
  /** The allocator's next number when each batch in flight began, oldest first (non-decreasing). */
  readonly #starts: number[] = [];
  readonly #changed: () => void;
  #last = 0;

  constructor(ids: FlagIdAllocator, changed: () => void) {
    this.#ids = ids;
    this.#changed = changed;
  }

  value(): number {
    return this.#starts.length > 0 ? this.#starts[0]! : this.#ids.peek();
  }

  /** Another owner published up to, or will publish from, `n`: this one numbers its next flags from there on. */
  moveTo(n: number): void {
    if (n <= this.#ids.peek()) return;
    this.#ids.reset(n);
    this.#notify();
  }

  /** The core's `ingestBatch`, tracked. */
  ingest(core: StreamService, msgs: readonly IngestMessage[], peer: IngestPeer): ReturnType<StreamService['ingestBatch']> {
    const start = this.#ids.peek();
    this.#starts.push(start);
    const p = core.ingestBatch(msgs, peer);
    const done = () => {
      const i = this.#starts.indexOf(start);
      if (i >= 0) this.#starts.splice(i, 1);
      this.#notify();
    };
    p.then(done, done);
    return p;
  }

  #notify(): void {
    const w = this.value();
    if (w === this.#last) return;
    this.#last = w;
    this.#changed();
  }
}
