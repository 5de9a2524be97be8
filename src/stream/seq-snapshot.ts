/**
 * Every live stream's seq window (its highest seq, and the runs below it) as of one moment, read a
 * stream at a time, for a journal rotation's snapshot (`seqs` and `windows`): building both maps at
 * once for 100k streams held the event loop 260-680 ms. As with the escalation's risks
 * (escalate/risk-snapshot.ts), from the moment the snapshot is taken it is told before any window
 * changes, and one it has not read yet hands in its state first, so what is read is the state as
 * of that moment. `seqs` is read through before `windows`: a window counts as read once `windows`
 * has read it.
 */
import type { LazyEntries } from './log.js';
import { unwatchWindows, watchWindows, type SeqWindow, type WindowWatcher } from './seq-window.js';

export class SeqSnapshot implements WindowWatcher {
  readonly #streams: string[];
  readonly #windows: SeqWindow[];
  /** States handed in by windows that changed before `windows` read them: [high, saved runs]. */
  readonly #kept = new Map<SeqWindow, readonly [number, number[]]>();
  /** The windows neither read nor kept yet: a change to one of these is kept first. */
  readonly #unread: Set<SeqWindow>;
  /** How many windows `windows` has read. */
  #read = 0;
  readonly seqs: LazyEntries;
  readonly windows: LazyEntries;

  /** Streams with a window that has a seq (high ≥ 0); `streams[i]`'s window is `windows[i]`. */
  constructor(streams: string[], windows: SeqWindow[]) {
    this.#streams = streams;
    this.#windows = windows;
    this.#unread = new Set(windows);
    if (windows.length > 0) watchWindows(this);
    this.seqs = lazyMap(() => this.#seqEntries());
    this.windows = lazyMap(() => this.#windowEntries());
  }

  beforeChange(window: SeqWindow): void {
    if (this.#unread.delete(window)) this.#keep(window);
  }

  /** Reads every window not read yet, now (a newer snapshot is about to watch them). */
  finish(): void {
    while (this.#read < this.#windows.length) this.#take(this.#read++);
  }

  *#seqEntries(): Generator<[string, number]> {
    for (let i = 0; i < this.#windows.length; i++) {
      const w = this.#windows[i]!;
      yield [this.#streams[i]!, this.#kept.get(w)?.[0] ?? w.high];
    }
  }

  *#windowEntries(): Generator<[string, number[]]> {
    for (let i = 0; i < this.#windows.length; i++) {
      if (i === this.#read) this.#take(this.#read++);
      yield [this.#streams[i]!, this.#kept.get(this.#windows[i]!)![1]];
    }
  }

  /** Window `i` as of the snapshot, kept (if it changed since, it was kept then). */
  #take(i: number): void {
    const w = this.#windows[i]!;
    if (this.#unread.delete(w)) this.#keep(w);
  }

  #keep(w: SeqWindow): void {
    this.#kept.set(w, [w.high, w.save()]);
    if (this.#unread.size === 0) unwatchWindows(this);
  }
}

/** A map read through `entries` as it is asked for; JSON.stringify reads it whole. */
function lazyMap<T>(entries: () => Iterable<[string, T]>): LazyEntries {
  return {
    lazyEntries: entries,
    toJSON: () => {
      const out: Record<string, T> = {};
      for (const [k, v] of entries()) out[k] = v;
      return out;
    },
  };
}
