/**
 * Partial ASR hypotheses (`final:false`) are scanned as they come so moderators see a claim early;
 * the final message with the same seq must then not flag it again. Offsets move between hypotheses
 * ("全网最低" → "嗯全网最低价"), so what was reported is kept per (category, term), as the ids of the
 * flags raised: a later hypothesis or the final reports only occurrences beyond those, and the final
 * retracts the reported ones it no longer contains (the ASR changed its mind: "全网最低价" became
 * "全网最低的价位表"). Partials never retract: a phrase a hypothesis drops may come back in the next.
 */
import type { ChunkMeta, Scanner } from '../detect/scanner.js';
import type { Flag, FlagIdAllocator } from '../flag.js';

/** Pending seqs kept per stream; an ASR engine revises only the last few. */
const MAX_PENDING_SEQS = 32;

const keyOf = (f: Pick<Flag, 'category' | 'term'>) => `${f.category}\u0000${f.term}`;

export class PartialTracker {
  /** seq → ids of the flags reported per (category, term), in the order raised. */
  readonly #reported = new Map<number, Map<string, string[]>>();

  /** Keeps the flags not yet reported for `seq` and notes them as reported. */
  fresh(seq: number, flags: Flag[]): Flag[] {
    if (flags.length === 0) return flags;
    const reported = this.#reported.get(seq);
    const seen = new Map<string, number>();
    const out: Flag[] = [];
    for (const f of flags) {
      const key = keyOf(f);
      const n = (seen.get(key) ?? 0) + 1;
      seen.set(key, n);
      if (n > (reported?.get(key)?.length ?? 0)) out.push(f);
    }
    this.note(seq, out);
    return out;
  }

  /** Notes `flags` as reported for `seq` (a replay reads them back from the log as they were raised). */
  note(seq: number, flags: readonly Pick<Flag, 'id' | 'category' | 'term'>[]): void {
    if (flags.length === 0) return;
    let reported = this.#reported.get(seq);
    if (!reported) {
      this.#reported.set(seq, (reported = new Map()));
      if (this.#reported.size > MAX_PENDING_SEQS) this.#reported.delete(this.#reported.keys().next().value!);
    }
    for (const f of flags) {
      const key = keyOf(f);
      const ids = reported.get(key);
      if (ids) ids.push(f.id);
      else reported.set(key, [f.id]);
    }
  }

  /**
   * The final for `seq` arrived: its flags not yet reported, and the ids of reported flags it no
   * longer contains (the latest of a term go first). Forgets the seq and every older one.
   */
  final(seq: number, flags: Flag[]): { flags: Flag[]; retracted: string[] } {
    const reported = this.#reported.get(seq);
    if (!reported) {
      this.settle(seq);
      return { flags, retracted: [] };
    }
    const counts = new Map<string, number>();
    for (const f of flags) counts.set(keyOf(f), (counts.get(keyOf(f)) ?? 0) + 1);
    const retracted: string[] = [];
    for (const [key, ids] of reported) {
      const n = counts.get(key) ?? 0;
      for (let i = n; i < ids.length; i++) retracted.push(ids[i]!);
    }
    const out = this.fresh(seq, flags);
    this.settle(seq);
    return { flags: out, retracted };
  }

  /** A reported flag's id changed (cluster mode: the log assigns ids as it stores flags). */
  rename(from: string, to: string): void {
    for (const reported of this.#reported.values()) {
      for (const ids of reported.values()) {
        const i = ids.indexOf(from);
        if (i >= 0) {
          ids[i] = to;
          return;
        }
      }
    }
  }

  /** Forgets `seq` and everything before it. */
  settle(seq: number): void {
    for (const s of this.#reported.keys()) if (s <= seq) this.#reported.delete(s);
  }

  get size(): number {
    return this.#reported.size;
  }
}

/**
 * Original text of the stream put before a partial hypothesis: more than any lexicon phrase spans
 * with noise inside it (a phone number read in groups included), well under the 256 the carry keeps.
 */
export const PARTIAL_PREFIX_UNITS = 64;

/**
 * Scans a partial hypothesis with the stream's carry (a claim begun in the previous final and
 * completed in this hypothesis is found, its earlier part in `carried`) without moving that carry
 * on: the end of the stream's text and the hypothesis are scanned as one stateless text, and only
 * flags that end in the hypothesis are kept, with offsets into it. Flags that end before it were
 * reported with the earlier chunk; their ids are not used (ids are renumbered: scanning is
 * synchronous, so nothing else drew one meanwhile). Cost (`npm run bench:partials`): about 3× the
 * hypothesis scanned alone for 26–65-unit hypotheses (medians); a fresh stream context per partial
 * was 8–11×.
 */
export function scanPartial(scanner: Scanner, ids: FlagIdAllocator, stream: string, text: string, meta: Omit<ChunkMeta, 'stream'>): Flag[] {
  const tail = scanner.stream(stream).tail;
  const prefix = tail.length > PARTIAL_PREFIX_UNITS ? tail.slice(-PARTIAL_PREFIX_UNITS) : tail;
  if (prefix === '') return scanner.scan(text, { ...meta, stream });
  const next = ids.peek();
  const out: Flag[] = [];
  const flags = scanner.scan(prefix + text, { ...meta, stream });
  // Drawn again in order from `next` (the allocator may step by more than one: owner processes).
  ids.reset(next);
  for (const f of flags) {
    if (f.end <= prefix.length) continue;
    f.id = ids.next();
    if (f.start < prefix.length) {
      f.carried = (f.carried ?? '') + prefix.slice(f.start);
      f.start = 0;
      f.matched = text.slice(0, f.end - prefix.length);
    } else f.start -= prefix.length;
    f.end -= prefix.length;
    out.push(f);
  }
  return out;
}
