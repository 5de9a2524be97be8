/**
 * The packed lane carry against the truth: streams searched chunk by chunk, interleaved so the
 * shared working lanes hold another stream's carry in between, each unpacked and packed again
 * around every chunk, must find every match of the whole text searched at once, at the same
 * original offsets, even one stretched far back by a run of repeats. And a stream at rest keeps
 * a few dozen integers, not the rings.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Lanes } from '../../src/detect/lane-carry.js';
import { buildAutomaton } from '../../src/match/builder.js';
import { findOverlapping, MatchBuffer, SearchState } from '../../src/match/search.js';

describe('lane carry', () => {
  test('property: interleaved packed streams find the whole search, starts mapped to the same original offsets', () => {
    const alphabet = fc.constantFrom('a', 'b', '扣', '低');
    const piece = fc.tuple(alphabet, fc.integer({ min: 1, max: 40 })).map(([u, n]) => u.repeat(n));
    const word = fc.array(fc.tuple(alphabet, fc.integer({ min: 1, max: 3 })).map(([u, n]) => u.repeat(n)), { minLength: 1, maxLength: 6 }).map((a) => a.join(''));
    const stream = fc.tuple(fc.array(piece, { maxLength: 20 }), fc.array(fc.nat(400), { maxLength: 8 }));
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 8 }), fc.array(stream, { minLength: 1, maxLength: 3 }), fc.boolean(), (patterns, streams, collapseRepeats) => {
        const a = buildAutomaton(patterns, { collapseRepeats });
        const lanes = new Lanes(a);
        const runs = streams.map(([pieces, cuts]) => {
          const codes = Uint16Array.from(pieces.join(''), (ch) => ch.charCodeAt(0));
          // Original offsets with gaps, as dropped noise leaves them.
          const starts = new Int32Array(codes.length);
          for (let i = 0, at = 0; i < codes.length; i++, at += 1 + (i % 3)) starts[i] = at;
          const whole = new MatchBuffer();
          findOverlapping(a, codes, codes.length, whole);
          const want = new Map<string, number>();
          for (let i = 0; i < whole.count; i++) want.set(`${whole.patterns[i]}:${whole.ends[i]}`, starts[whole.starts[i]!]!);
          const ends = [...[...new Set(cuts.map((c) => Math.min(c, codes.length)))].sort((x, y) => x - y), codes.length];
          return { codes, starts, want, total: whole.count, ends, next: 0, at: 0, seen: 0, packed: undefined as string | undefined };
        });
        const out = new MatchBuffer();
        // Round robin over the streams, one chunk each.
        for (let busy = true; busy; ) {
          busy = false;
          for (const r of runs) {
            if (r.next >= r.ends.length) continue;
            busy = true;
            const cut = r.ends[r.next++]!;
            lanes.unpack(r.packed);
            out.reset();
            const part = r.codes.subarray(r.at, cut);
            findOverlapping(a, part, part.length, out, lanes.text);
            for (let i = 0; i < out.count; i++) {
              const s = out.starts[i]!;
              const got = s >= r.at ? r.starts[s]! : lanes.textOrigins.originOf(s);
              expect(got).toBe(r.want.get(`${out.patterns[i]}:${out.ends[i]}`));
              r.seen++;
            }
            lanes.textOrigins.remember(part, r.starts.subarray(r.at, cut), part.length, r.at, 0);
            r.packed = lanes.pack();
            r.at = cut;
          }
        }
        for (const r of runs) expect(r.seen).toBe(r.total);
      }),
      { numRuns: 400 },
    );
  });

  test("a long stream at rest keeps the origins its automaton state can still reach back to, not the ring", () => {
    const patterns = ['abcdefgh', 'xyz', 'bcd'];
    const a = buildAutomaton(patterns, { collapseRepeats: true });
    const atRest = (text: string) => {
      const lanes = new Lanes(a);
      let packed: string | undefined;
      const out = new MatchBuffer();
      for (let chunk = 0, at = 0; chunk < 50; chunk++) {
        const codes = Uint16Array.from(text, (ch) => ch.charCodeAt(0));
        const starts = Int32Array.from(codes, (_, i) => at + i);
        lanes.unpack(packed);
        out.reset();
        findOverlapping(a, codes, codes.length, out, lanes.text);
        lanes.textOrigins.remember(codes, starts, codes.length, at, 0);
        packed = lanes.pack();
        at += codes.length;
      }
      return packed!.length;
    };
    // Two headers of 7 integers (state and position take up to 3 bytes each), then ~2 bytes per origin pair.
    const headers = 1 + 2 * 12 + 4;
    // Ending outside every pattern (depth 0): one origin pair and the slack of one.
    expect(atRest('qabcdefgxyzpqrstuvw')).toBeLessThanOrEqual(headers + 2 * 2);
    // Ending seven units into abcdefgh: those seven and the slack.
    const deep = atRest('qabcdefgxyzpqrstabcdefg');
    expect(deep).toBeGreaterThanOrEqual(headers - 6 + 2 * 7);
    expect(deep).toBeLessThanOrEqual(headers + 2 * (7 + 1) + 4);
  });

  test('the packing knows every field of the search state (a new field must be carried too)', () => {
    const st = new SearchState(buildAutomaton(['ab'], {}));
    expect(Object.keys(st).sort()).toEqual(['pending', 'pendingEnd', 'pendingFirst', 'pendingPattern', 'pendingStart', 'position', 'prev', 'runFrom', 'runTo', 'runs', 'state'].sort());
  });
});

test('large positions and origins, and a ring full of repeats, survive the varints exactly', () => {
  const a = buildAutomaton(['ab', '低价'], { collapseRepeats: true });
  const lanes = new Lanes(a);
  const codes = Uint16Array.from('低'.repeat(300) + 'a', (ch) => ch.charCodeAt(0));
  const base = 2_000_000_000;
  const starts = Int32Array.from(codes, (_, i) => 7 * i);
  lanes.unpack(undefined);
  const out = new MatchBuffer();
  lanes.text.position = 1_900_000_000;
  findOverlapping(a, codes, codes.length, out, lanes.text);
  lanes.textOrigins.remember(codes, starts, codes.length, 1_900_000_000, base - 7 * codes.length);
  const before = { state: lanes.text.state, prev: lanes.text.prev, position: lanes.text.position, runs: lanes.text.runs };
  const probe = (p: number) => lanes.textOrigins.originOf(p);
  const want = [1, 2, 3, 10, 40].map((k) => probe(lanes.text.position - k));
  const packed = lanes.pack();
  lanes.unpack(undefined); // another stream in between
  lanes.unpack(packed);
  expect({ state: lanes.text.state, prev: lanes.text.prev, position: lanes.text.position, runs: lanes.text.runs }).toEqual(before);
  expect([1, 2, 3, 10, 40].map((k) => probe(lanes.text.position - k))).toEqual(want);
});
