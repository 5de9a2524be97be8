/**
 * The near-term pairing pkguard used before it was made linear, kept as the reference the linear
 * one is checked against: every B part against every A part, the B paired with the A of its entry
 * that ends last at or before B's start (the first of those), within the gap. Quadratic; tests only.
 */
import { CandidateList, type Candidate } from '../../src/detect/candidate.js';
import type { NearPart } from '../../src/detect/near.js';
import type { ScanTables } from '../../src/lexicon/scan-tables.js';
import type { CompiledLexicon } from '../../src/lexicon/compile.js';

export type Accept = (entry: number, aStart: number, aEnd: number, bStart: number, bEnd: number) => boolean;

export function naivePairs(
  lex: CompiledLexicon,
  tables: ScanTables,
  parts: readonly NearPart[],
  earlier: readonly NearPart[],
  breakBetween: (from: number, to: number) => boolean,
  accept: Accept,
  gaps: { chinese: number; latin: number },
): Candidate[] {
  const out = new CandidateList();
  for (const b of parts) {
    if (b.part !== 1) continue;
    let best: NearPart | undefined;
    const gap = lex.entries[b.entry]!.boundaryStart ? gaps.latin : gaps.chinese;
    for (const a of [...earlier, ...parts]) {
      if (a.part !== 0 || a.entry !== b.entry || a.laneEnd > b.laneStart || b.laneStart - a.laneEnd > gap) continue;
      if (!best || a.laneEnd > best.laneEnd) best = a;
    }
    if (!best || !accept(b.entry, best.start, best.end, b.start, b.end) || breakBetween(best.end, b.start)) continue;
    const e = b.entry;
    if (best.alt !== undefined && b.alt !== undefined) out.addAlt(tables.category[e]!, tables.severity[e]!, best.start, b.end, e, best.alt, b.alt);
    else out.add(tables.category[e]!, tables.severity[e]!, best.start, b.end, 0, e);
  }
  return Array.from({ length: out.count }, (_, i) => out.get(i, tables));
}
