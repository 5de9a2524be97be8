/**
 * Which seqs of one stream were processed, exactly, within a bounded window: the highest one and
 * the last `size` below it. A re-sent seq is a duplicate only if that exact seq was processed, so
 * two pipelines interleaving seqs of one stream each get every distinct seq processed once. Below
 * the window nothing is known any more, and such a seq is refused rather than silently acked.
 *
 * The seqs below the highest are kept as runs, since seqs almost always rise by one: a stream then
 * holds one run (two numbers) however many seqs it has seen, and the common case is one compare and
 * one store. Seqs with gaps (millisecond timestamps) cost one number each, as a sorted array would.
 * Tens of thousands of streams each hold one (bench:e2e --memory).
 */
export type SeqVerdict = 'new' | 'duplicate' | 'stale';

/**
 * A snapshot reading many windows over several turns of the event loop (seq-snapshot.ts): told
 * before any window changes, so one it has not read yet hands in its state as of the snapshot.
 */
export interface WindowWatcher {
  beforeChange(window: SeqWindow): void;
}

/**
 * The snapshots being read now (almost always none, at most one per stream core). A registry, not
 * a field per window: tens of thousands of windows, and the per-stream memory budget is 1.5 KB.
 */
const watchers = new Set<WindowWatcher>();

/** `watcher` is told before every window's change from now on, until `unwatchWindows`. */
export function watchWindows(watcher: WindowWatcher): void {
  watchers.add(watcher);
}

export function unwatchWindows(watcher: WindowWatcher): void {
  watchers.delete(watcher);
}

export class SeqWindow {
  #high = -1;
  /**
   * Seqs above `floor` and below `high` that were processed, ascending, as groups: a seq `s` (≥ 0)
   * alone, or followed by `-t` for the run `s..t`. Allocated with the second seq.
   */
  #below: number[] | undefined;
  /** How many seqs `#below` holds. */
  #count = 0;
  /** Everything at or under this is outside the window. */
  #floor = -1;
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  /** Highest final seq processed; -1 before the first. */
  get high(): number {
    return this.#high;
  }

  /** Rebuilds a window kept in a snapshot (see `save`), or, from older journals, just `high`. */
  static restore(size: number, high: number, kept: readonly number[] | undefined): SeqWindow {
    const w = new SeqWindow(size);
    w.#high = high;
    if (kept === undefined || kept.length === 0) w.#floor = high;
    else {
      w.#floor = kept[0]!;
      const seqs: number[] = [];
      for (let i = 1; i + 1 < kept.length && seqs.length <= size; i += 2) {
        for (let s = kept[i]!; s <= kept[i + 1]! && seqs.length <= size; s++) if (s > w.#floor && s < high) seqs.push(s);
      }
      seqs.sort((a, b) => a - b);
      w.#setAll(seqs);
    }
    return w;
  }

  verdict(seq: number): SeqVerdict {
    if (seq > this.high) return 'new';
    if (seq === this.high) return 'duplicate';
    if (seq <= this.#floor) return 'stale';
    return this.#has(seq) ? 'duplicate' : 'new';
  }

  /** Marks a final seq processed (call only after `verdict` said `new`). */
  mark(seq: number): void {
    if (watchers.size !== 0) for (const w of watchers) w.beforeChange(this);
    if (seq > this.#high) {
      if (this.#high >= 0) this.#append(this.#high);
      this.#high = seq;
    } else {
      // Out of order (rare): insert into the plain list and group again.
      const all = this.#all();
      let i = all.length;
      while (i > 0 && all[i - 1]! > seq) i--;
      all.splice(i, 0, seq);
      this.#setAll(all);
    }
    if (this.#count > this.#size) this.#dropLowest();
  }

  /** `[floor, first, last, first, last, ...]`: the seqs below high as inclusive runs, for a snapshot. */
  save(): number[] {
    const out = [this.#floor];
    const b = this.#below;
    if (b) {
      for (let i = 0; i < b.length; i++) {
        const s = b[i]!;
        const t = i + 1 < b.length && b[i + 1]! < 0 ? -b[++i]! : s;
        if (out.length > 1 && out[out.length - 1] === s - 1) out[out.length - 1] = t;
        else out.push(s, t);
      }
    }
    return out;
  }

  /** The lowest seq that is still judged exactly (for error messages). */
  get floor(): number {
    return this.#floor;
  }

  #append(s: number): void {
    this.#count++;
    const b = this.#below;
    if (b === undefined) {
      this.#below = [s];
      return;
    }
    const n = b.length;
    if (n > 0) {
      const last = b[n - 1]!;
      if (last < 0 && -last === s - 1) {
        b[n - 1] = -s;
        return;
      }
      if (last >= 0 && last === s - 1) {
        this.#push(b, -s);
        return;
      }
    }
    this.#push(b, s);
  }

  /** The first two entries in an array of exactly that size (a pushed one reserves 17 slots; most streams never hold more than one run). */
  #push(b: number[], x: number): void {
    if (b.length === 1) this.#below = [b[0]!, x];
    else b.push(x);
  }

  #dropLowest(): void {
    const b = this.#below!;
    const s = b[0]!;
    this.#floor = Math.max(this.#floor, s);
    this.#count--;
    if (b.length > 1 && b[1]! < 0) {
      // A run loses its first seq; a run of two becomes a single seq.
      if (-b[1]! === s + 1) b.splice(0, 2, s + 1);
      else b[0] = s + 1;
    } else b.shift();
  }

  #has(seq: number): boolean {
    const b = this.#below;
    if (!b) return false;
    for (let i = 0; i < b.length; i++) {
      const s = b[i]!;
      if (s > seq) return false;
      const t = i + 1 < b.length && b[i + 1]! < 0 ? -b[++i]! : s;
      if (seq <= t) return true;
    }
    return false;
  }

  #all(): number[] {
    const out: number[] = [];
    const b = this.#below;
    if (b) {
      for (let i = 0; i < b.length; i++) {
        const s = b[i]!;
        const t = i + 1 < b.length && b[i + 1]! < 0 ? -b[++i]! : s;
        for (let x = s; x <= t; x++) out.push(x);
      }
    }
    return out;
  }

  #setAll(seqs: readonly number[]): void {
    this.#below = undefined;
    this.#count = 0;
    for (const s of seqs) this.#append(s);
  }
}
