/**
 * Every stream's risk as of one moment, read a stream at a time: a journal rotation's snapshot is
 * stringified in slices between turns of the event loop (journal/snapshot-line.ts), and building
 * all of it at once held the loop 15-35 ms for 2,000 streams with 16k recent incidents
 * (`bench/e2e/snapshot-cost`). From the moment the snapshot is taken it is told before any book
 * changes: one it has not read yet hands in its state first (copy on write), so what is read is the
 * state as of that moment whichever turn reads it.
 */
import { unwatchBooks, watchBooks, type BookWatcher, type IncidentBook, type RiskState } from './incidents.js';

export class RiskSnapshot implements BookWatcher {
  readonly #books: (readonly [string, IncidentBook])[] = [];
  readonly #windowMs: number;
  /** States handed in by books that changed before they were read (undefined: nothing to keep). */
  readonly #kept = new Map<IncidentBook, RiskState | undefined>();
  /** The books neither read nor kept yet: a change to one of these is kept first. */
  readonly #unread = new Set<IncidentBook>();
  /** What was read so far, in order, and how many books that took. */
  readonly #read: [string, RiskState][] = [];
  #next = 0;

  /** `windowMs`: the sustain window, how far back incidents are kept (see IncidentBook.state). */
  constructor(books: Iterable<readonly [string, IncidentBook]>, windowMs: number) {
    this.#windowMs = windowMs;
    for (const entry of books) {
      this.#books.push(entry);
      this.#unread.add(entry[1]);
    }
    if (this.#unread.size > 0) watchBooks(this);
  }

  beforeChange(book: IncidentBook): void {
    if (this.#unread.delete(book)) {
      this.#kept.set(book, book.state(this.#windowMs));
      if (this.#unread.size === 0) unwatchBooks(this);
    }
  }

  /** The streams worth keeping with their state as of the snapshot, read as they are asked for (any number of passes). */
  *lazyEntries(): Generator<[string, RiskState]> {
    for (let i = 0; ; i++) {
      while (i >= this.#read.length && this.#next < this.#books.length) this.#readNext();
      if (i >= this.#read.length) return;
      yield this.#read[i]!;
    }
  }

  /** Reads every book not read yet, now (a newer snapshot is about to watch them). */
  finish(): void {
    while (this.#next < this.#books.length) this.#readNext();
  }

  /** As JSON.stringify sees it: a plain record of the states. */
  toJSON(): Record<string, RiskState> {
    const out: Record<string, RiskState> = {};
    for (const [stream, state] of this.lazyEntries()) out[stream] = state;
    return out;
  }

  #readNext(): void {
    const [stream, book] = this.#books[this.#next++]!;
    let state: RiskState | undefined;
    if (this.#unread.delete(book)) {
      state = book.state(this.#windowMs);
      if (this.#unread.size === 0) unwatchBooks(this);
    } else state = this.#kept.get(book);
    if (state !== undefined) this.#read.push([stream, state]);
  }
}
