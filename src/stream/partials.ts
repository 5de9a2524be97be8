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
import { MAX_ID_LENGTH } from '../protocol/ingest.js';

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
 * A stream id no wire message can have (longer than MAX_ID_LENGTH): the scratch stream a partial
 * hypothesis is scanned in, so the real stream's carry is left for the final.
 */
const SCRATCH_STREAM = `\u0000partial-hypothesis${'\u0000'.repeat(MAX_ID_LENGTH)}`;

/**
 * Scans a partial hypothesis with the stream's carry (a phrase begun in the previous final and
 * completed in this hypothesis is found), without moving that carry on: the stream's recent text is
 * scanned again in a scratch stream (what it finds there was reported before and is thrown away,
 * flag ids included: scanning is synchronous, so resetting the allocator reissues none), then the
 * hypothesis. The cost is the tail (at most 256 units, TAIL_UNITS) again per partial.
 */
export function scanPartial(scanner: Scanner, ids: FlagIdAllocator, stream: string, text: string, meta: Omit<ChunkMeta, 'stream'>): Flag[] {
  const tail = scanner.stream(stream).tail;
  if (tail === '') return scanner.scan(text, { ...meta, stream });
  const scratch = scanner.stream(SCRATCH_STREAM);
  try {
    const next = ids.peek();
    scratch.push(tail, { kind: 'transcript' });
    ids.reset(next);
    const flags = scratch.push(text, meta);
    for (const f of flags) f.stream = stream;
    return flags;
  } finally {
    scanner.endStream(SCRATCH_STREAM);
  }
}
