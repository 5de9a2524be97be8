/**
 * The feed of a node with several owner processes: each owner's flags arrive in its own id order
 * (it publishes them as its journal commits), and the merge releases them to this process's feed
 * hub in one id order across owners, so "in id order, no gap, no repeat" holds for every feed
 * client whichever process it is connected to.
 *
 * An owner's watermark W says "every flag I publish from now on is numbered at least W". A flag
 * is released once no owner can still publish a lower one: it is the lowest held, and below every
 * other owner's watermark (or lowest held flag). Owners move their id allocators past every flag id
 * they hear of, and past the first watermark of each link (owner-router.ts), so an idle owner never
 * holds the others back for more than one exchange. An owner that cannot be reached holds nothing back (its watermark is
 * infinite while it is down): on its return it first moves past everything released meanwhile.
 */
import type { Flag } from '../flag.js';

export interface HeldFlags {
  /** The number of the group's first flag (the group of one message is released together). */
  first: number;
  flags: readonly Flag[];
  text: string;
  prev?: string;
}

const number = (f: Flag) => Number(f.id.slice(1));

export class FlagMerge {
  readonly #held: HeldFlags[][];
  readonly #at: number[];
  readonly #watermark: number[];
  readonly #release: (h: HeldFlags) => void;

  constructor(owners: number, release: (h: HeldFlags) => void) {
    this.#held = Array.from({ length: owners }, () => []);
    this.#at = new Array<number>(owners).fill(0);
    // Unknown until the owner says: nothing of the others is released before every owner has.
    this.#watermark = new Array<number>(owners).fill(0);
    this.#release = release;
  }

  /** A message's flags published by owner `o` (in its id order). */
  add(o: number, flags: readonly Flag[], text: string, prev?: string): void {
    if (flags.length === 0) return;
    const h: HeldFlags = { first: number(flags[0]!), flags, text };
    if (prev !== undefined) h.prev = prev;
    this.#held[o]!.push(h);
    // It publishes nothing lower than what it just published.
    this.#watermark[o] = Math.max(this.#watermark[o]!, number(flags[flags.length - 1]!) + 1);
    this.#drain();
  }

  watermark(o: number, w: number): void {
    if (w <= this.#watermark[o]!) return;
    this.#watermark[o] = w;
    this.#drain();
  }

  /** Owner `o` cannot be reached: it holds nothing back until it is linked again. */
  down(o: number): void {
    this.#watermark[o] = Infinity;
    this.#drain();
  }

  /** Owner `o` is linked again: held back from its first watermark on. */
  up(o: number): void {
    this.#watermark[o] = 0;
  }

  /** Every flag numbered below this has been released (and is durable in its owner's journal). */
  frontier(): number {
    let f = Infinity;
    for (let o = 0; o < this.#held.length; o++) f = Math.min(f, this.#lowest(o));
    return f;
  }

  /** The lowest number owner `o` may still publish: its first held flag, or its watermark. */
  #lowest(o: number): number {
    const q = this.#held[o]!;
    const at = this.#at[o]!;
    return at < q.length ? q[at]!.first : this.#watermark[o]!;
  }

  #drain(): void {
    for (;;) {
      let best = -1;
      let bestFirst = Infinity;
      for (let o = 0; o < this.#held.length; o++) {
        const q = this.#held[o]!;
        const at = this.#at[o]!;
        if (at < q.length && q[at]!.first < bestFirst) [best, bestFirst] = [o, q[at]!.first];
      }
      if (best < 0) return;
      for (let o = 0; o < this.#held.length; o++) if (o !== best && this.#lowest(o) < bestFirst) return;
      const q = this.#held[best]!;
      const h = q[this.#at[best]!]!;
      this.#at[best] = this.#at[best]! + 1;
      if (this.#at[best]! > 64 && this.#at[best]! * 2 > q.length) {
        q.splice(0, this.#at[best]!);
        this.#at[best] = 0;
      }
      this.#release(h);
    }
  }
}
