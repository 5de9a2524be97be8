/**
 * The pair filter and the collapsed-run starts against references: without collapsing, the plain
 * Aho-Corasick loop stepping every unit through the double array (the search before the filter
 * existed); collapsing, the brute-force oracle of the definition (cases.ts `naiveCollapsed`). Both
 * must agree on every match, whole or in chunks, with exact and with hashed (colliding) pair bits.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Automaton } from '../../src/match/automaton.js';
import { buildAutomaton } from '../../src/match/builder.js';
import { findOverlapping, findOverlappingInString, MatchBuffer, SearchState } from '../../src/match/search.js';
import { naiveCollapsed } from './cases.js';

type Match = [number, number, number];

function reference(a: Automaton, text: string, patterns: readonly string[]): Match[] {
  if (a.collapseRepeats) return naiveCollapsed(patterns, text).map(([p, s, e]) => [patterns.indexOf(p), s, e]);
  const got: Match[] = [];
  let s = 0;
  for (let i = 0; i < text.length; i++) {
    const c = a.classOf[text.charCodeAt(i)]!;
    if (c === 0) {
      s = 0;
      continue;
    }
    for (;;) {
      if (s === 0) {
        s = a.rootNext[c]!;
        break;
      }
      const b = a.base[s]! + c;
      if (a.check[b] === s) {
        s = b;
        break;
      }
      s = a.fail[s]!;
    }
    for (let u = a.outState[s]!; u >= 0; u = a.outNext[u]!) {
      const p = a.outPattern[u]!;
      got.push([p, i + 1 - a.patternLength[p]!, i + 1]);
    }
  }
  return got;
}

function codesOf(s: string): Uint16Array {
  const a = new Uint16Array(s.length);
  for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i);
  return a;
}

function ours(a: Automaton, text: string, cuts: number[] = []): Match[] {
  const out = new MatchBuffer(1);
  const state = new SearchState(a);
  let at = 0;
  for (const cut of [...cuts, text.length]) {
    const part = text.slice(at, cut);
    findOverlapping(a, codesOf(part), part.length, out, state);
    at = cut;
  }
  const got: Match[] = [];
  for (let i = 0; i < out.count; i++) got.push([out.patterns[i]!, out.starts[i]!, out.ends[i]!]);
  return got;
}

function oursInString(a: Automaton, text: string): Match[] {
  const out = new MatchBuffer(1);
  findOverlappingInString(a, text, out);
  const got: Match[] = [];
  for (let i = 0; i < out.count; i++) got.push([out.patterns[i]!, out.starts[i]!, out.ends[i]!]);
  return got;
}

const sorted = (ms: Match[]) => [...ms].sort((x, y) => x[2] - y[2] || x[1] - y[1] || x[0] - y[0]);

describe('pair filter', () => {
  test('property: same matches as the reference search, collapsing or not, whole or chunked', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', '最', '低', '价', 'x');
    const word = fc.array(alphabet, { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 1, maxLength: 25 }),
        fc.array(alphabet, { maxLength: 150 }).map((a) => a.join('')),
        fc.array(fc.nat(150), { maxLength: 4 }),
        fc.boolean(),
        (patterns, text, cuts, collapseRepeats) => {
          const a = buildAutomaton(patterns, { collapseRepeats });
          const want = reference(a, text, patterns);
          const chunks = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((x, y) => x - y);
          expect(sorted(ours(a, text))).toEqual(sorted(want));
          expect(sorted(ours(a, text, chunks))).toEqual(sorted(want));
          expect(sorted(oursInString(a, text))).toEqual(sorted(want));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('long runs of repeats inside a match move the start back over all of them', () => {
    const patterns = ['最低价', '低价', '扣扣号'];
    const a = buildAutomaton(patterns, { collapseRepeats: true });
    const text = '最最最' + '低'.repeat(300) + '价' + '扣扣扣扣号';
    expect(sorted(ours(a, text))).toEqual(sorted(reference(a, text, patterns)));
    expect(sorted(ours(a, text, [4, 150, 303]))).toEqual(sorted(reference(a, text, patterns)));
    expect(ours(a, text).find((m) => m[0] === 0)).toEqual([0, 2, 304]);
  });

  test('hashed pair bits (more classes than the exact table holds) only cost full steps', () => {
    // 1,500 distinct units: 1,501² pairs exceed the exact table, so pairs share bits.
    const units = Array.from({ length: 1500 }, (_, i) => String.fromCharCode(0x4e00 + i));
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    const patterns = [...new Set(Array.from({ length: 3000 }, () => Array.from({ length: 2 + rand(4) }, () => units[rand(40) * 37 % 1500]!).join('')))];
    for (const collapseRepeats of [false, true]) {
      const a = buildAutomaton(patterns, { collapseRepeats });
      expect(a.pairFilter.length * 32).toBeLessThan(1501 * 1501);
      const text = Array.from({ length: 20000 }, () => units[rand(40) * 37 % 1500]!).join('');
      const want = reference(a, text, patterns);
      expect(want.length).toBeGreaterThan(100);
      expect(sorted(ours(a, text, [5000, 12345]))).toEqual(sorted(want));
    }
  });

  test('most units of ordinary text skip the full step', () => {
    const a = buildAutomaton(['全网最低价', '最低价', '加微信'], { collapseRepeats: true });
    const text = '宝宝们这款面霜今天只要九十九全网最低价大家可以加微信吗';
    let full = 0;
    let pc = 0;
    for (let i = 0; i < text.length; i++) {
      const c = a.classOf[text.charCodeAt(i)]!;
      const pair = (pc * a.pairStride + c) & a.pairMask;
      if ((a.pairFilter[pair >>> 5]! >>> pair) & 1) full++;
      pc = c;
    }
    expect(full).toBe('网最低价'.length + '微信'.length);
  });
});
