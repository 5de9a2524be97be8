/** Trie depth of automaton states (src/match/state-depth.ts) against the definition: the longest suffix of what was read that is a prefix of some pattern. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { buildAutomaton } from '../../src/match/builder.js';
import { findOverlapping, MatchBuffer, SearchState } from '../../src/match/search.js';
import { stateDepths } from '../../src/match/state-depth.js';

/** Length of the longest suffix of `read` that begins some pattern. */
function longestOpenSuffix(read: string, patterns: readonly string[]): number {
  for (let k = Math.min(read.length, Math.max(...patterns.map((p) => p.length))); k > 0; k--) {
    const suffix = read.slice(read.length - k);
    if (patterns.some((p) => p.startsWith(suffix))) return k;
  }
  return 0;
}

test('property: after every unit, the depth of the search state is the longest suffix read that begins a pattern', () => {
  const unit = fc.constantFrom('a', 'b', 'c', '最', '低');
  fc.assert(
    fc.property(fc.uniqueArray(fc.array(unit, { minLength: 1, maxLength: 6 }).map((u) => u.join('')), { minLength: 1, maxLength: 8 }), fc.array(unit, { maxLength: 60 }), (patterns, units) => {
      const a = buildAutomaton(patterns, {});
      const depth = stateDepths(a);
      const st = new SearchState(a);
      const out = new MatchBuffer();
      let read = '';
      for (const u of units) {
        findOverlapping(a, Uint16Array.of(u.charCodeAt(0)), 1, out, st);
        read += u;
        expect(depth[st.state]).toBe(longestOpenSuffix(read, patterns));
      }
    }),
    { numRuns: 300 },
  );
});

test('computed once per automaton', () => {
  const a = buildAutomaton(['全网最低价', '最低'], {});
  expect(stateDepths(a)).toBe(stateDepths(a));
  expect(stateDepths(a)[0]).toBe(0);
});
