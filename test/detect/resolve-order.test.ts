/**
 * resolve-order.ts against the order resolve documents, written as a plain comparison sort: on
 * candidate lists shaped as the scan makes them (lanes of claims by end, then runs of pinyin,
 * near and detector candidates) and on lists in no order at all (where it must give up or still
 * be right); resolve's keep-list checked against leftmost-longest over the reference order.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CandidateList, VIA_PINYIN, VIA_TEXT, VIA_DETECTOR } from '../../src/detect/candidate.js';
import { orderNearlySorted } from '../../src/detect/resolve-order.js';
import { AllowSpans, resolve } from '../../src/detect/resolve.js';

/** Resolve's order: start, then longer first, higher severity, text before pinyin, found first. */
function reference(c: CandidateList): number[] {
  const idx = Array.from({ length: c.count }, (_, i) => i);
  return idx.sort(
    (a, b) =>
      c.start[a]! - c.start[b]! ||
      c.end[b]! - c.end[a]! ||
      c.severity[b]! - c.severity[a]! ||
      (c.via[a] === VIA_PINYIN ? 1 : 0) - (c.via[b] === VIA_PINYIN ? 1 : 0) ||
      a - b,
  );
}

/** A lane's worth of candidates: claims of 1-8 units ending in order, several per end (longest first, sometimes not). */
const laneRun = (span: number) =>
  fc.array(fc.record({ step: fc.nat(3), len: fc.integer({ min: 1, max: 8 }), more: fc.nat(3), sev: fc.nat(2), flip: fc.boolean() }), { maxLength: 120 }).map((xs) => {
    const out: [number, number, number][] = [];
    let end = 0;
    for (const x of xs) {
      end = Math.min(span, end + x.step);
      const lens = Array.from({ length: x.more + 1 }, (_, k) => Math.max(1, x.len - 2 * k));
      if (x.flip) lens.reverse();
      for (const len of lens) out.push([Math.max(0, end - len), Math.max(end, 1), x.sev]);
    }
    return out;
  });

const shaped = fc
  .record({ span: fc.integer({ min: 1, max: 400 }), runs: fc.array(fc.tuple(fc.constantFrom(VIA_TEXT, VIA_PINYIN, VIA_DETECTOR), fc.nat()), { minLength: 1, maxLength: 6 }) })
  .chain(({ span, runs }) => fc.tuple(...runs.map(([via]) => laneRun(span).map((r) => r.map(([s, e, sev]) => [s, e, sev, via] as const)))));

function list(rows: readonly (readonly [number, number, number, number])[]): CandidateList {
  const c = new CandidateList();
  for (const [s, e, sev, via] of rows) c.add(0, sev, s, e, via, 0);
  return c;
}

function check(c: CandidateList): boolean {
  const into = new Int32Array(c.count);
  const done = orderNearlySorted(c, c.count, into);
  if (done) expect(Array.from(into)).toEqual(reference(c));
  // resolve, whichever path it takes, keeps what the reference order keeps.
  const out = new Int32Array(c.count);
  const kept = resolve(c, new AllowSpans(), out);
  const reached = [-Infinity, -Infinity, -Infinity, -Infinity];
  const want: number[] = [];
  for (const i of reference(c)) {
    if (c.start[i]! < reached[c.category[i]!]!) continue;
    want.push(i);
    reached[c.category[i]!] = c.end[i]!;
  }
  expect(Array.from(out.subarray(0, kept))).toEqual(want);
  return done;
}

describe('resolve order of nearly sorted candidates', () => {
  test('lists shaped as a scan makes them: the same order as the reference sort', () => {
    let fast = 0;
    fc.assert(
      fc.property(shaped, (runs) => {
        if (check(list(runs.flat()))) fast++;
      }),
      { numRuns: 600 },
    );
    expect(fast).toBeGreaterThan(500); // the fast path is what is being tested
  });

  test('lists in no order: right whenever it does not give up', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(60), fc.integer({ min: 1, max: 6 }), fc.nat(2), fc.constantFrom(VIA_TEXT, VIA_PINYIN)), { maxLength: 300 }), (xs) => {
        check(list(xs.map(([s, len, sev, via]) => [s, s + len, sev, via] as const)));
      }),
      { numRuns: 400 },
    );
  });
});
