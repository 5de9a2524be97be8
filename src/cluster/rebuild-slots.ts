/**
 * At most `limit` partitions rebuild at once on a node. A node taking many partitions at once (it
 * joined, or a peer died) otherwise replays all their histories together: under load that held its
 * event loop long enough to starve its own lease renewals, and it lost the partitions it was
 * rebuilding. The others wait their turn, held (and renewed) but not yet served.
 */
export class RebuildSlots {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    this.#limit = Math.max(1, limit);
  }

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves once a slot is free; call the returned function to give it back (once). */
  async take(): Promise<() => void> {
    if (this.#running >= this.#limit) await new Promise<void>((r) => this.#waiting.push(r));
    else this.#running++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const next = this.#waiting.shift();
      if (next) next(); // the slot passes straight on
      else this.#running--;
    };
  }
}
