/**
 * Which ingest connection's messages the event loop processes next. A frame is processed at once
 * while nothing is queued and this turn has spent less than `sliceMs`; otherwise its messages wait
 * in their connection's queue, and each turn serves slices bounded in time (not in messages) from
 * the connection served least so far (fair queuing on measured CPU, the feed fan-out it causes
 * included), then yields to I/O. A light client's message so waits behind at most about one slice
 * of another connection, however many connections flood and however costly their messages are;
 * a lone heavy sender runs turn after turn, so its throughput barely changes.
 *
 * Why: counting messages let one 18k-unit flag-dense chat line cost as much of a turn as "好看",
 * and the frames of four flooders read in one poll phase ran back to back ahead of everyone.
 */

/** A connection as the scheduler sees it: a queue it can run a slice of. */
export interface IngestLane {
  /** Has queued messages it may run now (not while over its CPU budget). */
  readonly pending: boolean;
  /** Processes the next queued messages, as many as it expects to fit in `maxMs` (at least one); returns the ms spent. */
  runSlice(maxMs: number): number;
}

export class IngestScheduler {
  readonly #sliceMs: number;
  /** Lanes with queued messages. */
  readonly #ready = new Set<IngestLane>();
  /**
   * Each lane's virtual time: CPU ms it was served, kept within one slice of the clock. Unbounded,
   * a light client whose first message hit a cold path (or a GC) owed hundreds of ms and waited
   * seconds while four flooders caught up; the long-run share is the CPU budget's job (cpuShare).
   */
  readonly #served = new Map<IngestLane, number>();
  /** The virtual time of the lane served last: a lane that wakes starts here, so idling earns no credit. */
  #clock = 0;
  /** CPU ms spent on ingest since the last check phase (frames processed at once, fan-out charged). */
  #spentThisTurn = 0;
  #resetArmed = false;
  #turnScheduled = false;

  constructor(sliceMs: number) {
    this.#sliceMs = sliceMs;
  }

  /** May a frame be processed at once? Only when nobody waits and this turn still has room. */
  mayRunNow(): boolean {
    return this.#ready.size === 0 && this.#spentThisTurn < this.#sliceMs;
  }

  /** `lane` spent `ms` outside a slice (a frame processed at once, the fan-out of its flags). */
  account(lane: IngestLane, ms: number): void {
    this.#served.set(lane, this.#bounded((this.#served.get(lane) ?? 0) + ms));
    this.#spentThisTurn += ms;
    if (!this.#resetArmed) {
      this.#resetArmed = true;
      setImmediate(() => {
        this.#resetArmed = false;
        this.#spentThisTurn = 0;
      });
    }
  }

  /** `lane` has queued messages. */
  wake(lane: IngestLane): void {
    if (!this.#ready.has(lane)) {
      // It starts at the clock, owing nothing: one that was idle waits behind at most one slice of each other lane.
      this.#served.set(lane, this.#clock);
      this.#ready.add(lane);
    }
    this.#schedule();
  }

  forget(lane: IngestLane): void {
    this.#ready.delete(lane);
    this.#served.delete(lane);
  }

  /** Lanes waiting now (for tests and metrics). */
  get waiting(): number {
    return this.#ready.size;
  }

  /** Within [clock, clock + sliceMs]: idling earns no credit, and no lane owes more than a slice. */
  #bounded(v: number): number {
    return Math.min(Math.max(v, this.#clock), this.#clock + this.#sliceMs);
  }

  #schedule(): void {
    if (this.#turnScheduled) return;
    this.#turnScheduled = true;
    setImmediate(() => this.#turn());
  }

  /** One turn: slices from the least-served lanes until the turn has spent `sliceMs` (at least one slice). */
  #turn(): void {
    this.#turnScheduled = false;
    const started = performance.now();
    do {
      let next: IngestLane | undefined;
      let least = Infinity;
      for (const lane of this.#ready) {
        // Over its CPU budget since it queued: it is woken again when the budget refills.
        if (!lane.pending) {
          this.#ready.delete(lane);
          continue;
        }
        const v = this.#served.get(lane)!;
        if (v < least) [next, least] = [lane, v];
      }
      if (!next) break;
      this.#clock = least;
      const ms = next.runSlice(this.#sliceMs);
      if (this.#served.has(next)) this.#served.set(next, this.#bounded(least + ms));
      if (!next.pending) this.#ready.delete(next);
    } while (this.#ready.size > 0 && performance.now() - started < this.#sliceMs);
    if (this.#ready.size > 0) this.#schedule();
  }
}
