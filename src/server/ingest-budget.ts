/**
 * How fast each ingest connection may send: its own cap, and a fair share of the token's and of
 * the node's caps among the connections that are sending. A flood then costs only its senders: four
 * flooding connections split the node's budget between them, while a light client (far under its
 * share) is never paused, and the event loop keeps the headroom that holds everyone's latency.
 *
 * Shares are counted over connections that sent in the last second, so idle pipelines do not thin
 * everyone else's share.
 */
import type { Limits } from '../config.js';

const ACTIVE_MS = 1000;

export class IngestBudget {
  readonly #limits: Limits;
  /** Connection → [token, last send (ms)]. */
  readonly #active = new Map<object, { token: string; at: number }>();
  #counted = 0;
  #global = 0;
  readonly #perToken = new Map<string, number>();

  constructor(limits: Limits) {
    this.#limits = limits;
  }

  /** The rate (messages per second) `conn`, sending with `token`, may use now. */
  rateFor(conn: object, token: string, now: number): number {
    this.#active.set(conn, { token, at: now });
    if (now - this.#counted > 100) this.#count(now);
    const { ratePerSecond, tokenRatePerSecond, globalRatePerSecond } = this.#limits;
    return Math.min(ratePerSecond, tokenRatePerSecond / Math.max(1, this.#perToken.get(token) ?? 1), globalRatePerSecond / Math.max(1, this.#global));
  }

  /** CPU milliseconds per second `conn` may spend on processing: its fair share of `cpuShare` of one core. */
  cpuFor(conn: object): number {
    if (!this.#active.has(conn)) return this.#limits.cpuShare * 1000;
    const now = Date.now();
    if (now - this.#counted > 100) this.#count(now);
    return (this.#limits.cpuShare * 1000) / Math.max(1, this.#global);
  }

  forget(conn: object): void {
    this.#active.delete(conn);
  }

  #count(now: number): void {
    this.#counted = now;
    this.#perToken.clear();
    this.#global = 0;
    for (const [conn, a] of this.#active) {
      if (now - a.at > ACTIVE_MS) {
        this.#active.delete(conn);
        continue;
      }
      this.#global++;
      this.#perToken.set(a.token, (this.#perToken.get(a.token) ?? 0) + 1);
    }
  }
}
