/**
 * Which seqs of one stream were processed, exactly, within a bounded window: the highest one and
 * the last `size` below it. A re-sent seq is a duplicate only if that exact seq was processed, so
 * two pipelines interleaving seqs of one stream each get every distinct seq processed once. Below
 * the window nothing is known any more, and such a seq is refused rather than silently acked.
 *
 * A plain sorted array, not a Set: seqs almost always rise, so the common case is one compare and
 * a push; a stream costs a few hundred bytes however many seqs it has seen.
 */
export type SeqVerdict = 'new' | 'duplicate' | 'stale';

export class SeqWindow {
  /** Highest final seq processed; -1 before the first. */
  high = -1;
  /** Seqs above `floor` and below `high` that were processed, ascending. */
  readonly #below: number[] = [];
  /** Everything at or under this is outside the window. */
  #floor = -1;
  readonly #size: number;

  constructor(size: number) {
    this.#size = size;
  }

  /** Rebuilds a window kept in a snapshot (see `save`), or, from older journals, just `high`. */
  static restore(size: number, high: number, kept: readonly number[] | undefined): SeqWindow {
    const w = new SeqWindow(size);
    w.high = high;
    if (kept === undefined || kept.length === 0) w.#floor = high;
    else {
      w.#floor = kept[0]!;
      for (let i = 1; i + 1 < kept.length && w.#below.length <= size; i += 2) {
        for (let s = kept[i]!; s <= kept[i + 1]! && w.#below.length <= size; s++) if (s > w.#floor && s < high) w.#below.push(s);
      }
      w.#below.sort((a, b) => a - b);
    }
    return w;
  }

  verdict(seq: number): SeqVerdict {
    if (seq > this.high) return 'new';
    if (seq === this.high) return 'duplicate';
    if (seq <= this.#floor) return 'stale';
    return this.#indexOf(seq) >= 0 ? 'duplicate' : 'new';
  }

  /** Marks a final seq processed (call only after `verdict` said `new`). */
  mark(seq: number): void {
    if (seq > this.high) {
      if (this.high >= 0) this.#below.push(this.high);
      this.high = seq;
    } else {
      let i = this.#below.length;
      while (i > 0 && this.#below[i - 1]! > seq) i--;
      this.#below.splice(i, 0, seq);
    }
    if (this.#below.length > this.#size) this.#floor = Math.max(this.#floor, this.#below.shift()!);
  }

  /** `[floor, first, last, first, last, ...]`: the seqs below high as inclusive runs (seqs mostly come in runs), for a snapshot. */
  save(): number[] {
    const out = [this.#floor];
    for (const s of this.#below) {
      if (out.length > 1 && out[out.length - 1] === s - 1) out[out.length - 1] = s;
      else out.push(s, s);
    }
    return out;
  }

  /** The lowest seq that is still judged exactly (for error messages). */
  get floor(): number {
    return this.#floor;
  }

  #indexOf(seq: number): number {
    let lo = 0;
    let hi = this.#below.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.#below[mid]!;
      if (v === seq) return mid;
      if (v < seq) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
