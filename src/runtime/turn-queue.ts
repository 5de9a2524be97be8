/**
 * Items queued during one event-loop turn, handed over together once at its end: one socket write
 * or one `postMessage` per turn instead of one per item. At 50k msg/s a write per batch cost more
 * than the batch's own forward (bench/e2e/forward-cost.ts); the core thread's hand-off posts one
 * message per turn for the same reason (bench/README "Session 10").
 *
 * `setImmediate`, not a microtask: everything the turn's I/O callbacks queue goes in the same flush.
 * Items keep their order; anything queued during a flush goes in the next one.
 */
export class TurnQueue<T> {
  readonly #flush: (items: T[]) => void;
  #items: T[] = [];
  #scheduled = false;

  /** `flush` gets the turn's items (never empty) and may keep the array. */
  constructor(flush: (items: T[]) => void) {
    this.#flush = flush;
  }

  push(item: T): void {
    this.#items.push(item);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      const items = this.#items;
      this.#items = [];
      if (items.length > 0) this.#flush(items);
    });
  }

  /** Queued and not yet flushed. */
  get length(): number {
    return this.#items.length;
  }
}
