/**
 * The flags the console holds, newest first through a filter. Entries are kept in ascending id
 * order (the order the feed sends them), so appending is O(1) and "newest first" is an index flip;
 * a replayed older flag is placed by binary search. Duplicates (a resume that overlaps) are ignored.
 */
import { matchesFlag, ALL, type FeedFilter } from './filter.js';
import { flagNumber, type WireFlag } from './wire.js';

export interface FlagEntry {
  readonly flag: WireFlag;
  readonly n: number;
  readonly text: string;
  readonly prev: string | undefined;
  /** Set once the server confirmed a dismiss. */
  dismissed: boolean;
  /** Raised on a partial ASR hypothesis that the final dropped (a `retract` on the feed). */
  retracted: boolean;
  /** The last command answer for this row, shown next to its button. */
  note: string;
}

export class FlagStore {
  readonly limit: number;
  #all: FlagEntry[] = [];
  #view: FlagEntry[] = [];
  readonly #byId = new Map<string, FlagEntry>();
  #filter: FeedFilter = ALL;

  /** `limit`: oldest entries beyond it are dropped (memory stays bounded over a long shift). */
  constructor(limit = 20_000) {
    this.limit = limit;
  }

  /** Adds a flag; false when it was already held. */
  add(flag: WireFlag, text = '', prev?: string): boolean {
    if (this.#byId.has(flag.id)) return false;
    const e: FlagEntry = { flag, n: flagNumber(flag.id), text, prev, dismissed: false, retracted: false, note: '' };
    this.#byId.set(flag.id, e);
    insertOrdered(this.#all, e);
    if (matchesFlag(this.#filter, flag)) insertOrdered(this.#view, e);
    // Trim in steps, not per flag, so a full store does not shift the array on every add.
    if (this.#all.length > this.limit + 1000) this.#trim();
    return true;
  }

  /** The text of a message by the flag whose frame carried it (`textOf`); '' when not held. */
  textOf(id: string | undefined): string {
    return id === undefined ? '' : (this.#byId.get(id)?.text ?? '');
  }

  get(id: string): FlagEntry | undefined {
    return this.#byId.get(id);
  }

  /** Flags shown under the filter. */
  get size(): number {
    return this.#view.length;
  }

  /** The i-th shown flag, newest first. */
  at(i: number): FlagEntry | undefined {
    return this.#view[this.#view.length - 1 - i];
  }

  /** Position of an entry in the shown list (newest first), or -1. */
  indexOf(e: FlagEntry): number {
    const i = lowerBound(this.#view, e.n);
    return this.#view[i] === e ? this.#view.length - 1 - i : -1;
  }

  /** The newest flag id held, for `since` on reconnect. */
  get lastId(): string | undefined {
    return this.#all[this.#all.length - 1]?.flag.id;
  }

  get filter(): FeedFilter {
    return this.#filter;
  }

  setFilter(f: FeedFilter): void {
    this.#filter = f;
    this.#view = this.#all.filter((e) => matchesFlag(f, e.flag));
  }

  #trim(): void {
    const drop = this.#all.length - this.limit;
    for (const e of this.#all.splice(0, drop)) this.#byId.delete(e.flag.id);
    const oldest = this.#all[0]!.n;
    this.#view.splice(0, lowerBound(this.#view, oldest));
  }
}

function lowerBound(a: readonly FlagEntry[], n: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]!.n < n) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertOrdered(a: FlagEntry[], e: FlagEntry): void {
  if (a.length === 0 || a[a.length - 1]!.n < e.n) a.push(e);
  else a.splice(lowerBound(a, e.n), 0, e);
}
