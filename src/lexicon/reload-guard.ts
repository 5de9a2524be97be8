/**
 * The hot-reload guard: compares a freshly compiled lexicon with the one serving and lists what
 * it would lose. An editor that saves non-atomically (truncate, then write) can be caught between
 * the two steps; the compile then succeeds on an empty or half-written file, and without this
 * guard the server would report "ok" while its core terms are gone.
 *
 * Counts are entries per file (`CompiledLexicon.fileEntries`): term and allow lines as written,
 * which is what a policy editor sees, not automaton patterns (those depend on pinyin variants and
 * sharing between entries). An entry counts as lost only when no file has it any more, so moving
 * lines between files (or renaming a file) passes.
 */
import type { LexiconDrop } from '../errors.js';
import type { CompiledEntry, CompiledLexicon } from './compile.js';

export interface ReloadGuardOptions {
  /** Largest share (0..1) of a file's entries, or of all entries, a reload may drop. Default 0.2. */
  maxDropShare?: number;
  /**
   * A drop counts as "too many" only from this many entries on: deleting 2 lines of a 5-line
   * file is an edit, not a truncation (emptied and lost files are refused whatever their size).
   * Default 10.
   */
  minDropped?: number;
}

export const DEFAULT_MAX_DROP_SHARE = 0.2;
export const DEFAULT_MIN_DROPPED = 10;

/** What `next` would lose compared with `current`; empty when the reload is safe. */
export function lexiconDrops(current: CompiledLexicon, next: CompiledLexicon, options: ReloadGuardOptions = {}): LexiconDrop[] {
  const maxShare = options.maxDropShare ?? DEFAULT_MAX_DROP_SHARE;
  const minDropped = options.minDropped ?? DEFAULT_MIN_DROPPED;
  const tooMany = (before: number, lost: number) => lost >= minDropped && lost / before > maxShare;
  // An entry is lost when no file of the new lexicon has it any more: lines moved from one file
  // to another are not a loss, lines cut off by a half-written save are.
  const kept = new Set<string>();
  for (const e of next.entries) kept.add(keyOf(e));
  const lostIn = new Map<string, number>();
  for (const e of current.entries) if (!kept.has(keyOf(e))) lostIn.set(e.file, (lostIn.get(e.file) ?? 0) + 1);

  const drops: LexiconDrop[] = [];
  let totalBefore = 0;
  let totalLost = 0;
  for (const [file, before] of Object.entries(current.fileEntries)) {
    const lost = lostIn.get(file) ?? 0;
    totalBefore += before;
    totalLost += lost;
    if (lost === 0) continue;
    const after = next.fileEntries[file];
    const drop = { file, before, after: after ?? 0, lost, share: lost / before };
    if (after === undefined) drops.push({ kind: 'file_missing', ...drop });
    else if (after === 0) drops.push({ kind: 'file_emptied', ...drop });
    else if (tooMany(before, lost)) drops.push({ kind: 'file_shrunk', ...drop });
  }
  // Many files each losing a little can add up to a loss no single file shows.
  if (drops.length === 0 && totalBefore > 0 && tooMany(totalBefore, totalLost)) {
    const totalAfter = Object.values(next.fileEntries).reduce((a, b) => a + b, 0);
    drops.push({ kind: 'total_shrunk', file: null, before: totalBefore, after: totalAfter, lost: totalLost, share: totalLost / totalBefore });
  }
  return drops;
}

function keyOf(e: CompiledEntry): string {
  return `${e.category ?? 'allow'}\u0000${e.phrase}`;
}
