import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AutomatonBuilder, buildAutomaton } from '../../src/match/builder.js';
import { findOverlapping, MatchBuffer, SearchState } from '../../src/match/search.js';
import { PatternError } from '../../src/errors.js';
import { MATCH_CASES, naiveCollapsed, naiveOverlapping, sortMatches } from './cases.js';

const require = createRequire(import.meta.url);
const AhoCorasick = require('ahocorasick') as new (keywords: string[]) => { search(text: string): [number, string[]][] };

function codesOf(s: string): Uint16Array {
  const a = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}

function run(patterns: string[], haystack: string, collapseRepeats = false, chunks?: number[]): [string, number, number][] {
  const a = buildAutomaton(patterns, { collapseRepeats });
  const out = new MatchBuffer(1);
  if (!chunks) findOverlapping(a, codesOf(haystack), haystack.length, out);
  else {
    const state = new SearchState(a);
    let at = 0;
    for (const cut of [...chunks, haystack.length]) {
      const part = haystack.slice(at, cut);
      findOverlapping(a, codesOf(part), part.length, out, state);
      at = cut;
    }
  }
  const got: [string, number, number][] = [];
  for (let i = 0; i < out.count; i++) got.push([patterns[out.patterns[i]!]!, out.starts[i]!, out.ends[i]!]);
  return sortMatches(got);
}

describe('match semantics table', () => {
  for (const c of MATCH_CASES) {
    test(`${c.name}: overlapping`, () => {
      expect(run(c.patterns, c.haystack)).toEqual(sortMatches([...c.overlapping]));
      expect(naiveOverlapping(c.patterns, c.haystack)).toEqual(sortMatches([...c.overlapping]));
    });
    test(`${c.name}: collapsing repeats`, () => {
      expect(run(c.patterns, c.haystack, true)).toEqual(sortMatches([...(c.collapsed ?? c.overlapping)]));
      expect(naiveCollapsed(c.patterns, c.haystack)).toEqual(sortMatches([...(c.collapsed ?? c.overlapping)]));
    });
    test(`${c.name}: same result when the haystack arrives in chunks`, () => {
      for (let cut = 0; cut <= c.haystack.length; cut++) {
        expect(run(c.patterns, c.haystack, false, [cut])).toEqual(sortMatches([...c.overlapping]));
        expect(run(c.patterns, c.haystack, true, [cut])).toEqual(sortMatches([...(c.collapsed ?? c.overlapping)]));
      }
    });
  }
});

describe('automaton', () => {
  test('refuses an empty pattern with a coded error', () => {
    expect(() => buildAutomaton(['ok', ''])).toThrow(PatternError);
    try {
      buildAutomaton(['']);
    } catch (e) {
      expect((e as PatternError).code).toBe('PKG_ERR_PATTERN_INVALID');
    }
  });

  test('builder removes a single pattern and keeps the other ids', () => {
    const b = new AutomatonBuilder();
    const a = b.add('最低价');
    const c = b.add('独家');
    b.remove(a);
    const auto = b.build();
    const out = new MatchBuffer();
    findOverlapping(auto, codesOf('最低价独家'), 5, out);
    expect(out.count).toBe(1);
    expect(out.patterns[0]).toBe(c);
  });

  test('refuses more distinct units than the 16-bit class table can name, instead of wrapping', () => {
    const all = Array.from({ length: 65536 }, (_, u) => String.fromCharCode(u));
    expect(() => buildAutomaton(all)).toThrow(/distinct code units/);
  });

  test('reports memory and sizes', () => {
    const a = buildAutomaton(['abc', 'abd', 'b']);
    expect(a.patternCount).toBe(3);
    expect(a.stateCount).toBe(6); // root, a, ab, abc, abd, b
    expect(a.memoryUsage()).toBeGreaterThan(65536 * 2);
  });

  test('property: finds exactly what the ahocorasick package finds', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', '最', '低', '价', '🍑');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 30 }), fc.array(alphabet, { maxLength: 200 }).map((a) => a.join('')), (patterns, text) => {
        const ours = run(patterns, text);
        const theirs: [string, number, number][] = [];
        for (const [endIndex, found] of new AhoCorasick(patterns).search(text)) {
          for (const p of found) theirs.push([p, endIndex + 1 - p.length, endIndex + 1]);
        }
        expect(ours).toEqual(sortMatches(theirs));
        expect(ours).toEqual(naiveOverlapping(patterns, text));
      }),
      { numRuns: 300 },
    );
  });

  test('property: collapsing finds exactly what the collapsing oracle finds, whole and chunked', () => {
    // A small alphabet and repeat-heavy texts, so runs, stretched runs and shared collapsed forms are common.
    const alphabet = fc.constantFrom('a', 'b', '扣', '低');
    const piece = fc.tuple(alphabet, fc.integer({ min: 1, max: 4 })).map(([u, n]) => u.repeat(n));
    const word = fc.array(piece, { minLength: 1, maxLength: 4 }).map((a) => a.join('').slice(0, 8));
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 1, maxLength: 12 }),
        fc.array(piece, { maxLength: 40 }).map((a) => a.join('')),
        fc.array(fc.nat(160), { maxLength: 6 }),
        (patterns, text, cuts) => {
          const want = naiveCollapsed(patterns, text);
          expect(run(patterns, text, true)).toEqual(want);
          const seams = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
          expect(run(patterns, text, true, seams)).toEqual(want);
          // Every plain match is among them.
          for (const m of naiveOverlapping(patterns, text)) expect(want).toContainEqual(m);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('property: chunked search equals whole search', () => {
    const alphabet = fc.constantFrom('a', 'b', 'x', '最', '低');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 5 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 1, maxLength: 20 }),
        fc.array(alphabet, { maxLength: 120 }).map((a) => a.join('')),
        fc.array(fc.nat(120), { maxLength: 5 }),
        fc.boolean(),
        (patterns, text, cuts, collapse) => {
          const sorted = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
          expect(run(patterns, text, collapse, sorted)).toEqual(run(patterns, text, collapse));
        },
      ),
      { numRuns: 300 },
    );
  });
});
