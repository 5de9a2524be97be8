/**
 * The linear near-term pairing (src/detect/near.ts) against the plain every-B-against-every-A
 * pairing it replaced (near-reference.ts): the same candidates, in the same order, on random part
 * lists. near-scanner.test.ts checks the parts the scanner really hands it.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CandidateList, type Candidate } from '../../src/detect/candidate.js';
import { NEAR_GAP, NEAR_GAP_LATIN, NearParts, pairNear, type NearPart } from '../../src/detect/near.js';
import { CHECK_BOUNDARY_START, type ScanTables } from '../../src/lexicon/scan-tables.js';
import type { CompiledLexicon } from '../../src/lexicon/compile.js';
import { work } from '../../src/work-meter.js';
import { naivePairs, type Accept } from './near-reference.js';

const GAPS = { chinese: NEAR_GAP, latin: NEAR_GAP_LATIN };

function linearPairs(lex: CompiledLexicon, tables: ScanTables, buf: NearParts, earlier: number, breakBetween: (from: number, to: number) => boolean, accept: Accept): Candidate[] {
  const out = new CandidateList();
  pairNear(tables, buf, earlier, breakBetween, accept, out);
  return Array.from({ length: out.count }, (_, i) => out.get(i, tables));
}

describe('near-term pairing equals the every-B-against-every-A reference', () => {
  const ENTRIES = 4;
  const lex = { entries: Array.from({ length: ENTRIES }, (_, e) => ({ boundaryStart: e === 3, phrase: `e${e}` })) } as unknown as CompiledLexicon;
  // The tables say what the entries say: entry 3 needs a word boundary at its start (a Latin term's gap).
  const checks = Uint8Array.from({ length: ENTRIES }, (_, e) => (e === 3 ? CHECK_BOUNDARY_START : 0));
  const tables = { category: new Uint8Array(ENTRIES), severity: new Uint8Array(ENTRIES).fill(2), checks, nearBits: new Uint8Array(ENTRIES), phrase: (e: number) => `e${e}`, altText: (a: number) => `m${a}` } as unknown as ScanTables;

  // Parts in order of lane end (as the search emits them): each step moves the end by 0-3 units.
  const partList = fc.array(
    fc.record({ entry: fc.nat(ENTRIES - 1), part: fc.constantFrom<0 | 1>(0, 1), step: fc.nat(3), length: fc.integer({ min: 1, max: 4 }), alt: fc.option(fc.nat(2), { nil: undefined }), noise: fc.nat(2) }),
    { maxLength: 60 },
  );

  test('property: random part lists, with carried A parts, clause breaks and boundary refusals', () => {
    fc.assert(
      fc.property(partList, fc.nat(4), fc.array(fc.nat(200), { maxLength: 6 }), fc.nat(6), (raw, carried, breaks, refuse) => {
        let laneEnd = 0;
        let offset = 0;
        const all: NearPart[] = raw.map((r) => {
          laneEnd += r.step;
          offset += r.step + r.noise; // original offsets grow with the lane, plus noise
          const p: NearPart = { entry: r.entry, part: r.part, laneStart: laneEnd + 4 - r.length, laneEnd: laneEnd + 4, start: offset + 4 - r.length, end: offset + 4 };
          if (r.alt !== undefined) p.alt = r.alt;
          return p;
        });
        // The first parts play the A parts a stream carried from earlier chunks.
        const earlier = all.slice(0, carried).filter((p) => p.part === 0);
        const parts = all.slice(carried);
        const breakBetween = (from: number, to: number) => breaks.some((b) => b >= from && b < to);
        const accept: Accept = (e, aStart, aEnd, bStart, bEnd) => refuse === 0 || (e + aStart + aEnd + bStart + bEnd) % (refuse + 1) !== 0;
        const buf = new NearParts();
        for (const p of [...earlier, ...parts]) buf.addPart(p);
        expect(linearPairs(lex, tables, buf, earlier.length, breakBetween, accept)).toEqual(naivePairs(lex, tables, parts, earlier, breakBetween, accept, GAPS));
      }),
      { numRuns: 3000 },
    );
  });

  test('the old worst case, A B A B … × 8,000: each B walks back over the parts inside it only', () => {
    const buf = new NearParts();
    for (let i = 0; i < 16_000; i++) buf.add(0, (i % 2) as 0 | 1, 2 * i, 2 * i + 2, 2 * i, 2 * i + 2, -1);
    const out = new CandidateList();
    const before = work.steps;
    pairNear(tables, buf, 0, () => false, () => true, out);
    expect(out.count).toBe(8_000);
    expect(work.steps - before).toBeLessThan(16_000); // the reference takes 8,000 × 16,000 steps
  });

  test('4,000 A parts of one entry, then 4,000 B parts: the B parts within the gap of the last A pair, each at once', () => {
    const buf = new NearParts();
    for (let i = 0; i < 4_000; i++) buf.add(1, 0, i, i + 1, i, i + 1, -1);
    for (let i = 0; i < 4_000; i++) buf.add(1, 1, 4_000 + i, 4_001 + i, 4_000 + i, 4_001 + i, -1);
    const out = new CandidateList();
    const before = work.steps;
    pairNear(tables, buf, 0, () => false, () => true, out);
    expect(out.count).toBe(NEAR_GAP + 1);
    expect(work.steps - before).toBeLessThan(100);
  });
});
