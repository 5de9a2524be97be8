/**
 * LaneOrigins against the truth: a stream searched chunk by chunk must map every match start, even
 * one stretched by a long run of repeats far back into an earlier chunk, to the same original
 * offset as the whole text searched at once. And through the scanner with the bundled lexicons.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { createScanner, type Scanner } from '../../src/index.js';
import { buildAutomaton } from '../../src/match/builder.js';
import { TAIL_UNITS } from '../../src/detect/stream-context.js';
import { LaneOrigins } from '../../src/match/lane-origins.js';
import { findOverlapping, MatchBuffer, SearchState } from '../../src/match/search.js';

describe('lane origins', () => {
  let scanner: Scanner;
  beforeAll(() => {
    scanner = createScanner();
  }, 60_000);

  test('property: chunked starts map to the original offsets of the whole search', () => {
    const alphabet = fc.constantFrom('a', 'b', '扣', '低');
    const piece = fc.tuple(alphabet, fc.integer({ min: 1, max: 40 })).map(([u, n]) => u.repeat(n));
    const word = fc.array(fc.tuple(alphabet, fc.integer({ min: 1, max: 3 })).map(([u, n]) => u.repeat(n)), { minLength: 1, maxLength: 4 }).map((a) => a.join(''));
    fc.assert(
      fc.property(
        fc.uniqueArray(word, { minLength: 1, maxLength: 8 }),
        fc.array(piece, { maxLength: 20 }),
        fc.array(fc.nat(400), { maxLength: 6 }),
        fc.boolean(),
        (patterns, pieces, cuts, collapseRepeats) => {
          const a = buildAutomaton(patterns, { collapseRepeats });
          const lane = pieces.join('');
          const codes = Uint16Array.from(lane, (ch) => ch.charCodeAt(0));
          // Original offsets with gaps, as dropped noise leaves them.
          const starts = new Int32Array(codes.length);
          for (let i = 0, at = 0; i < codes.length; i++, at += 1 + (i % 3)) starts[i] = at;
          const whole = new MatchBuffer();
          findOverlapping(a, codes, codes.length, whole);
          const want = new Map<string, number>();
          for (let i = 0; i < whole.count; i++) want.set(`${whole.patterns[i]}:${whole.ends[i]}`, starts[whole.starts[i]!]!);

          const state = new SearchState(a);
          const origins = new LaneOrigins(a);
          const out = new MatchBuffer();
          let at = 0;
          let seen = 0;
          for (const cut of [...[...new Set(cuts.map((c) => Math.min(c, codes.length)))].sort((x, y) => x - y), codes.length]) {
            out.reset();
            const part = codes.subarray(at, cut);
            findOverlapping(a, part, part.length, out, state);
            for (let i = 0; i < out.count; i++) {
              const s = out.starts[i]!;
              const got = s >= at ? starts[s]! : origins.originOf(s);
              expect(got).toBe(want.get(`${out.patterns[i]}:${out.ends[i]}`));
              seen++;
            }
            origins.remember(part, starts.subarray(at, cut), part.length, at, 0);
            at = cut;
          }
          expect(seen).toBe(whole.count);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('bundled lexicons: a phrase stretched over three chunks carries its whole earlier part, up to the stream tail', () => {
    const within = '低'.repeat(TAIL_UNITS - 10);
    const s = scanner.stream('origins');
    const flags = [...s.push('最'), ...s.push(within), ...s.push('价')];
    const hit = flags.find((f) => f.category === 'extreme')!;
    expect(hit).toMatchObject({ start: 0, end: 1, carried: '最' + within });
    // Stretched past the tail a stream keeps: still flagged, carrying the tail's last units.
    const long = '低'.repeat(200);
    const t = scanner.stream('origins-long');
    const far = [...t.push('最'), ...t.push(long), ...t.push('价')].find((f) => f.category === 'extreme')!;
    expect(far).toMatchObject({ start: 0, end: 1, carried: long.slice(-TAIL_UNITS) });
    expect(scanner.scan('最' + long + '价').find((f) => f.category === 'extreme')).toMatchObject({ start: 0, end: 202 });
  });

  test('bundled lexicons: a contact phrase with its own repeat right after a term ending in its unit', () => {
    // 折扣 ends in 扣; the contact phrase 扣扣… follows it (made-up sentences).
    for (const text of ['本场折扣扣扣私聊领', '大折扣，扣扣私聊我拿', '今天独家折扣 扣扣私聊哦']) {
      expect(scanner.scan(text).map((f) => f.category)).toContain('contact');
    }
  });
});
