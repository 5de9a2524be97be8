/**
 * Every message an `IngestClient` has taken and the server has not yet answered, kept per stream in
 * send order. It decides what goes on the wire next (round robin over streams, in order within
 * one) and what goes again after a reconnect or a retryable refusal.
 *
 * Why per stream, with a cap (`perStream`) on how many of one stream are on the wire unacked: the
 * server remembers the last `limits.seqWindow` (default 64) processed seqs of a stream, and a re-sent
 * seq below them is refused, not deduped. With at most `perStream` ≤ seqWindow of a stream
 * unacked, every message re-sent after a crash is still inside that window, so it is acked as a
 * duplicate when it had been processed and processed when it had not: exactly once.
 */
export interface IngestAck {
  stream: string;
  seq: number;
  /** The server had processed it already (a re-send after a lost ack): acked, not processed twice. */
  duplicate: boolean;
}

export interface Pending {
  readonly stream: string;
  readonly seq: number;
  /** Serialized once, at `send`: a re-send costs no JSON work, and later edits to the object do not leak in. */
  readonly json: string;
  /** UTF-8 bytes of `json`, for the frame size cap. */
  readonly bytes: number;
  /** Times it went on the wire. */
  tries: number;
  resolve(ack: IngestAck): void;
  reject(err: Error): void;
}

class Lane {
  readonly entries: Pending[] = [];
  /** `entries[0 .. sent)` are on the wire of the current connection. */
  sent = 0;
  /** A retryable refusal holds the lane back until then (ms epoch). */
  blockedUntil = 0;
  /** Retryable refusals in a row (the backoff exponent); an ack resets it. */
  failures = 0;
}

export class UnackedLedger {
  readonly #perStream: number;
  readonly #lanes = new Map<string, Lane>();
  /** Lanes with a message that may go on the wire now, in round-robin order. */
  readonly #sendable = new Set<Lane>();
  readonly #blocked = new Set<Lane>();
  /** Messages held (on the wire or waiting). */
  size = 0;
  /** Messages on the wire of the current connection. */
  inFlight = 0;
  /** Messages put on the wire a second time or more. */
  resent = 0;

  constructor(perStream: number) {
    this.#perStream = perStream;
  }

  add(p: Pending): void {
    let lane = this.#lanes.get(p.stream);
    if (!lane) this.#lanes.set(p.stream, (lane = new Lane()));
    lane.entries.push(p);
    this.size++;
    this.#check(lane);
  }

  /** Held and not on the wire. */
  get waiting(): number {
    return this.size - this.inFlight;
  }

  get hasSendable(): boolean {
    return this.#sendable.size > 0;
  }

  /** Removes and returns the oldest held message `stream`/`seq` (the one an ack or error answers). */
  take(stream: string, seq: number): Pending | undefined {
    const lane = this.#lanes.get(stream);
    if (!lane) return undefined;
    const i = lane.entries.findIndex((p) => p.seq === seq);
    if (i < 0) return undefined;
    const [p] = lane.entries.splice(i, 1);
    if (i < lane.sent) {
      lane.sent--;
      this.inFlight--;
    }
    this.size--;
    if (lane.entries.length === 0) this.#drop(stream, lane);
    else this.#check(lane);
    return p;
  }

  /** An answer came for this stream: its retry backoff starts over. */
  settled(stream: string): void {
    const lane = this.#lanes.get(stream);
    if (lane) lane.failures = 0;
  }

  /**
   * A retryable refusal (`internal`, `shutting_down`) of one of `stream`'s messages: the stream's
   * held messages all go again, in order, once `delayFor(failures)` ms have passed. Returns the delay.
   */
  rewind(stream: string, now: number, delayFor: (failures: number) => number): number {
    const lane = this.#lanes.get(stream);
    if (!lane) return 0;
    this.inFlight -= lane.sent;
    lane.sent = 0;
    const delay = delayFor(++lane.failures);
    lane.blockedUntil = now + delay;
    this.#sendable.delete(lane);
    this.#blocked.add(lane);
    return delay;
  }

  /** Lanes whose hold has passed become sendable again. */
  unblock(now: number): void {
    for (const lane of this.#blocked) {
      if (lane.blockedUntil > now) continue;
      this.#blocked.delete(lane);
      lane.blockedUntil = 0;
      this.#check(lane);
    }
  }

  /** When the earliest held-back stream may go again (undefined: none is held back). */
  nextUnblock(): number | undefined {
    let next: number | undefined;
    for (const lane of this.#blocked) if (next === undefined || lane.blockedUntil < next) next = lane.blockedUntil;
    return next;
  }

  /** A new connection: everything held goes again, in order within each stream, holds lifted. */
  rewindAll(): void {
    this.inFlight = 0;
    this.#blocked.clear();
    for (const lane of this.#lanes.values()) {
      lane.sent = 0;
      lane.blockedUntil = 0;
      this.#check(lane);
    }
  }

  /**
   * Takes the next messages for one frame into `out` (their JSON): round robin over streams, in
   * order within one, at most `perStream` of a stream and `window` in all on the wire.
   */
  fill(out: string[], maxCount: number, maxBytes: number, window: number): void {
    let bytes = 2;
    let full = false;
    for (const lane of this.#sendable) {
      this.#sendable.delete(lane); // re-added at the end when still sendable: round robin
      while (lane.sent < lane.entries.length && lane.sent < this.#perStream && this.inFlight < window && out.length < maxCount) {
        const p = lane.entries[lane.sent]!;
        if (out.length > 0 && bytes + p.bytes + 1 > maxBytes) {
          full = true;
          break;
        }
        out.push(p.json);
        bytes += p.bytes + 1;
        if (p.tries++ > 0) this.resent++;
        lane.sent++;
        this.inFlight++;
      }
      this.#check(lane);
      if (full || out.length >= maxCount || this.inFlight >= window) break;
    }
  }

  /** Removes and returns everything held, in order per stream (for a client that gives up). */
  takeAll(): Pending[] {
    const all: Pending[] = [];
    for (const lane of this.#lanes.values()) all.push(...lane.entries);
    this.#lanes.clear();
    this.#sendable.clear();
    this.#blocked.clear();
    this.size = 0;
    this.inFlight = 0;
    return all;
  }

  #check(lane: Lane): void {
    if (lane.blockedUntil === 0 && lane.sent < lane.entries.length && lane.sent < this.#perStream) this.#sendable.add(lane);
    else this.#sendable.delete(lane);
  }

  #drop(stream: string, lane: Lane): void {
    this.#lanes.delete(stream);
    this.#sendable.delete(lane);
    this.#blocked.delete(lane);
  }
}
