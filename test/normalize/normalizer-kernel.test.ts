/**
 * The scan kernel (Normalizer.normalize with a LaneSearch) folds and searches in one pass; it must
 * give exactly what folding first and then searching each lane with `findOverlapping` gives: the
 * same lanes, the same matches in the same order, the same search states after, for whole texts
 * and for texts pushed in chunks (carried states), collapsing repeats or not, with and without the
 * pinyin lane. The texts mix every path of the kernel: plain units, noise, clause marks, Latin
 * words (stemmed, leet, hyphenated), expansions, surrogate pairs (with and without a meaning),
 * repeated units.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Automaton } from '../../src/match/automaton.js';
import { buildAutomaton } from '../../src/match/builder.js';
import { LaneSearch } from '../../src/match/lane-search.js';
import { findOverlapping, MatchBuffer, SearchState } from '../../src/match/search.js';
import { Normalizer, type Lane } from '../../src/normalize/normalizer.js';

const PIECES = [
  '全網最低價', '全网', '最最最低', '低低低', '价', '，', '。', ' ', '-', '加 微 信', '加', '薇', 'vx', 'V-X', 'jia wei xin', 'jiaweixin',
  'Curing', 'best', 'b3st', 'lowest', '①③⑧', '⑮', '两千', '🍑', '🐧', '🛰️', '\ud800', '\udc00', '扣扣', '扣', '球球', 'ｓａｌｅｓ', '138', '1', '1 3-8', 'qq',
];

const laneString = (l: Lane) => String.fromCharCode(...l.codes.subarray(0, l.length));

/** Patterns on both lanes: the pieces' own lanes and pieces of them, so matches are frequent. */
function lexicon(): string[] {
  const n = new Normalizer();
  const out = new Set<string>();
  for (const p of PIECES) {
    const r = n.normalize(p);
    for (const s of [laneString(r.text), laneString(r.sounds)]) {
      if (s.length === 0) continue;
      out.add(s);
      if (s.length > 2) out.add(s.slice(1));
      if (s.length > 1) out.add(s.slice(0, 2));
    }
  }
  const two = n.normalize('低价最低 微信 扣扣扣').text;
  out.add(laneString(two));
  return [...out];
}

const snapshot = (l: Lane) => ({ codes: Array.from(l.codes.subarray(0, l.length)), starts: Array.from(l.starts.subarray(0, l.length)), ends: Array.from(l.ends.subarray(0, l.length)) });
const matches = (b: MatchBuffer) => Array.from({ length: b.count }, (_, i) => [b.patterns[i], b.starts[i], b.ends[i]]);
const stateOf = (s: SearchState) => ({ state: s.state, prev: s.prev, position: s.position, pending: s.pending });

/** Folding, then searching each lane; the chunks carry their lanes' states. */
function twoPasses(a: Automaton, chunks: string[], withSounds: boolean) {
  const n = new Normalizer();
  const ts = new SearchState(a);
  const ss = new SearchState(a);
  const tout = new MatchBuffer();
  const sout = new MatchBuffer();
  const lanes = [];
  for (const c of chunks) {
    const r = n.normalize(c, withSounds);
    lanes.push({ text: snapshot(r.text), sounds: snapshot(r.sounds) });
    findOverlapping(a, r.text.codes, r.text.length, tout, ts);
    if (withSounds) findOverlapping(a, r.sounds.codes, r.sounds.length, sout, ss);
  }
  return { lanes, text: matches(tout), sounds: matches(sout), states: [stateOf(ts), stateOf(ss)] };
}

function onePass(a: Automaton, chunks: string[], withSounds: boolean) {
  const n = new Normalizer();
  const search = new LaneSearch();
  const ts = new SearchState(a);
  const ss = new SearchState(a);
  const tout = new MatchBuffer();
  const sout = new MatchBuffer();
  const lanes = [];
  for (const c of chunks) {
    const r = n.normalize(c, withSounds, search.begin(a, n.tables, tout, sout, ts, ss));
    lanes.push({ text: snapshot(r.text), sounds: snapshot(r.sounds) });
  }
  return { lanes, text: matches(tout), sounds: matches(sout), states: [stateOf(ts), stateOf(ss)] };
}

describe('scan kernel: one pass equals fold then search', () => {
  const patterns = lexicon();
  const automata = [buildAutomaton(patterns, { collapseRepeats: true }), buildAutomaton(patterns)];
  const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join(''));
  const cuts = fc.array(fc.nat(), { maxLength: 4 });

  test('the lexicon is not trivial (both lanes have patterns, matches happen)', () => {
    const r = onePass(automata[0]!, ['全網最最低價，加 薇 信 jia wei xin ⑮ 扣扣扣'], true);
    expect(r.text.length).toBeGreaterThan(3);
    expect(r.sounds.length).toBeGreaterThan(3);
  });

  for (const withSounds of [true, false]) {
    test(`property: whole and chunked, collapsing and plain (pinyin lane ${withSounds ? 'on' : 'off'})`, () => {
      fc.assert(
        fc.property(text, cuts, fc.boolean(), (s, at, collapse) => {
          const a = automata[collapse ? 0 : 1]!;
          const points = [...new Set(at.map((x) => x % (s.length + 1)))].sort((x, y) => x - y);
          const chunks = [0, ...points].map((p, i, all) => s.slice(p, all[i + 1] ?? s.length));
          for (const parts of [[s], chunks]) expect(onePass(a, parts, withSounds)).toEqual(twoPasses(a, parts, withSounds));
        }),
        { numRuns: 400 },
      );
    });
  }

  test('a normalizer without a search only builds the lanes, and a search after it starts fresh', () => {
    const a = automata[0]!;
    const n = new Normalizer();
    const lanes = snapshot(n.normalize('全網最低價 jia wei xin').text);
    const tout = new MatchBuffer();
    const sout = new MatchBuffer();
    n.normalize('全網最低價 jia wei xin', true, new LaneSearch().begin(a, n.tables, tout, sout));
    expect(snapshot(n.text)).toEqual(lanes);
    expect(matches(tout)).toEqual(twoPasses(a, ['全網最低價 jia wei xin'], true).text);
  });
});
