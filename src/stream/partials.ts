/**
 * Partial ASR hypotheses (`final:false`) are scanned as they come so moderators see a claim early;
 * the final message with the same seq must then not flag it again. Offsets move between hypotheses
 * ("全网最低" → "嗯全网最低价"), so what was reported is counted per (category, term): the final (or
 * a later partial) reports only occurrences beyond those counts.
 */
import type { Flag } from '../flag.js';

/** Pending seqs kept per stream; an ASR engine revises only the last few. */
const MAX_PENDING_SEQS = 32;

const keyOf = (f: Pick<Flag, 'category' | 'term'>) => `${f.category}\u0000${f.term}`;

export class PartialTracker {
  /** seq → reported count per (category, term). */
  readonly #reported = new Map<number, Map<string, number>>();

  /** Keeps the flags not yet reported for `seq` and counts them as reported. */
  fresh(seq: number, flags: Flag[]): Flag[] {
    let counts = this.#reported.get(seq);
    if (!counts) {
      if (flags.length === 0) return flags;
      counts = new Map();
      this.#reported.set(seq, counts);
      if (this.#reported.size > MAX_PENDING_SEQS) this.#reported.delete(this.#reported.keys().next().value!);
    }
    const seen = new Map<string, number>();
    const out: Flag[] = [];
    for (const f of flags) {
      const key = keyOf(f);
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n > (counts.get(key) ?? 0)) {
        counts.set(key, n);
        out.push(f);
      }
    }
    return out;
  }

  /** The final for `seq` arrived: filters its flags and forgets the seq (and any older ones). */
  final(seq: number, flags: Flag[]): Flag[] {
    const out = this.#reported.has(seq) ? this.fresh(seq, flags) : flags;
    this.settle(seq);
    return out;
  }

  /** Forgets `seq` and everything before it. */
  settle(seq: number): void {
    for (const s of this.#reported.keys()) if (s <= seq) this.#reported.delete(s);
  }

  get size(): number {
    return this.#reported.size;
  }
}
