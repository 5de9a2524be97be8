/**
 * The resolution semantics documented in src/detect/resolve.ts, as a table. Spans are given on a
 * sample text so each case reads like the example in the doc comment.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { CandidateList, type Candidate } from '../../src/detect/candidate.js';
import { AllowSpans, resolve } from '../../src/detect/resolve.js';
import { CATEGORIES, SEVERITIES, severityRank, type Category, type Severity } from '../../src/flag.js';
import { work } from '../../src/work-meter.js';

interface AllowSpan {
  start: number;
  end: number;
  mask: number;
}

/** The candidates `resolve` keeps, in its order. */
function resolved(cands: Candidate[], allowSpans: AllowSpan[] = []): Candidate[] {
  const list = new CandidateList();
  for (const c of cands) list.push(c);
  const spans = new AllowSpans();
  for (const a of allowSpans) spans.add(a.start, a.end, a.mask);
  const out = new Int32Array(list.count);
  const n = resolve(list, spans, out);
  return Array.from(out.subarray(0, n), (i) => list.get(i));
}
const withoutAllowed = resolved;
const leftmostLongest = (cands: Candidate[]) => resolved(cands);

const BIT: Record<Category, number> = { extreme: 1, exclusive: 2, medical: 4, contact: 8 };

/** A candidate for the first occurrence of `term` in `text`. */
function cand(text: string, term: string, category: Category, severity: Severity = 'medium', via: Candidate['via'] = 'text'): Candidate {
  const start = text.indexOf(term);
  if (start < 0) throw new Error(`${term} not in ${text}`);
  return { category, term, severity, start, end: start + term.length, via };
}

function allow(text: string, phrase: string, categories: Category[] | '*' = '*', from = 0): AllowSpan {
  const start = text.indexOf(phrase, from);
  if (start < 0) throw new Error(`${phrase} not in ${text}`);
  const mask = categories === '*' ? 15 : categories.reduce((m, c) => m | BIT[c], 0);
  return { start, end: start + phrase.length, mask };
}

const terms = (cs: Candidate[]) => cs.map((c) => `${c.category}:${c.term}@${c.start}`);

describe('allow-list suppression by span', () => {
  test.each([
    {
      name: 'an allow phrase suppresses a banned match on the same span or partly overlapping it',
      text: '度假村第一次开业',
      cands: (t: string) => [cand(t, '度假', 'exclusive', 'medium', 'pinyin'), cand(t, '一次开业', 'extreme')],
      allows: (t: string) => [allow(t, '度假'), allow(t, '第一次')],
      kept: [],
    },
    {
      name: 'a banned match that strictly contains the allow phrase stays',
      text: '第一次就治好了',
      cands: (t: string) => [cand(t, '第一次就治好', 'medical')],
      allows: (t: string) => [allow(t, '第一次')],
      kept: ['medical:第一次就治好@0'],
    },
    {
      name: 'allowing 三黄片 leaves 黄片 flagged elsewhere in the same message',
      text: '三黄片不是黄片',
      cands: (t: string) => [cand(t, '黄片', 'extreme'), { ...cand(t, '黄片', 'extreme'), start: 5, end: 7 }],
      allows: (t: string) => [allow(t, '三黄片')],
      kept: ['extreme:黄片@5'],
    },
    {
      name: 'an allow entry limited to one category leaves the others',
      text: '微信支付很方便',
      cands: (t: string) => [cand(t, '微信', 'contact'), cand(t, '微信支付', 'extreme')],
      allows: (t: string) => [allow(t, '微信支付', ['contact'])],
      kept: ['extreme:微信支付@0'],
    },
    {
      name: 'an allow span that only touches (ends where the match starts) does not suppress',
      text: '最近全网最低价',
      cands: (t: string) => [cand(t, '全网最低价', 'extreme')],
      allows: (t: string) => [allow(t, '最近')],
      kept: ['extreme:全网最低价@2'],
    },
    {
      name: 'a match by sound is dropped by an allow phrase it contains (价位性 heard as 加卫星); the same span read as text stays',
      text: '同价位性能第一',
      cands: (t: string) => [cand(t, '价位性', 'contact', 'high', 'pinyin'), cand(t, '价位性能', 'extreme')],
      allows: (t: string) => [allow(t, '价位')],
      kept: ['extreme:价位性能@1'],
    },
  ])('$name', ({ text, cands, allows, kept }) => {
    expect(terms(withoutAllowed(cands(text), allows(text)))).toEqual(kept);
  });

  test('many allow spans and candidates: each candidate is judged only by spans it overlaps', () => {
    const text = '最近'.repeat(50) + '全网最低价';
    const allows = Array.from({ length: 50 }, (_, i) => ({ start: i * 2, end: i * 2 + 2, mask: 15 }));
    const cands = [cand(text, '全网最低价', 'extreme'), { ...cand(text, '最近', 'extreme'), start: 98, end: 100 }];
    expect(terms(withoutAllowed(cands, allows))).toEqual(['extreme:全网最低价@100']);
  });
});

describe('leftmost-longest per category', () => {
  test.each([
    {
      name: '全网最低价 hides 最低价 and 低价 (same category)',
      text: '全网最低价',
      cands: (t: string) => [cand(t, '低价', 'extreme'), cand(t, '最低价', 'extreme'), cand(t, '全网最低价', 'extreme')],
      kept: ['extreme:全网最低价@0'],
    },
    {
      name: 'across categories nothing is hidden',
      text: '全网最有效的降糖茶',
      cands: (t: string) => [cand(t, '全网最有效', 'extreme'), cand(t, '最有效的降糖', 'medical')],
      kept: ['extreme:全网最有效@0', 'medical:最有效的降糖@2'],
    },
    {
      name: 'the leftmost wins over a longer match starting later',
      text: '销量第一品牌',
      cands: (t: string) => [cand(t, '第一品牌', 'extreme'), cand(t, '销量第一', 'extreme')],
      kept: ['extreme:销量第一@0'],
    },
    {
      name: 'non-overlapping matches of one category are all kept',
      text: '最便宜也最好用',
      cands: (t: string) => [cand(t, '最好用', 'extreme'), cand(t, '最便宜', 'extreme')],
      kept: ['extreme:最便宜@0', 'extreme:最好用@4'],
    },
  ])('$name', ({ text, cands, kept }) => {
    expect(terms(leftmostLongest(cands(text)))).toEqual(kept);
  });

  test('on the same span the higher severity wins, then the text lane over the pinyin lane', () => {
    const t = '降压';
    const low = cand(t, '降压', 'medical', 'low');
    const highPinyin = { ...cand(t, '降压', 'medical', 'high', 'pinyin'), term: '降压p' };
    const highText = { ...cand(t, '降压', 'medical', 'high', 'text'), term: '降压t' };
    expect(leftmostLongest([low, highPinyin, highText]).map((c) => c.term)).toEqual(['降压t']);
  });
});

/** The semantics above written the plain way (every candidate against every allow span, a comparison sort), as the reference. */
function reference(cands: Candidate[], allowSpans: AllowSpan[], floors?: number[]): Candidate[] {
  const suppressed = (c: Candidate) =>
    c.via !== 'detector' &&
    allowSpans.some((a) => (a.mask & BIT[c.category]) !== 0 && c.start < a.end && a.start < c.end && !(c.via !== 'pinyin' && c.start <= a.start && c.end >= a.end && c.end - c.start > a.end - a.start));
  const rank = { text: 0, detector: 0, pinyin: 1 } as const;
  const sorted = cands
    .map((c, i) => ({ c, i }))
    .filter(({ c }) => !suppressed(c) && (floors === undefined || c.start >= floors[CATEGORIES.indexOf(c.category)]!))
    .sort((x, y) => x.c.start - y.c.start || y.c.end - x.c.end || severityRank(y.c.severity) - severityRank(x.c.severity) || rank[x.c.via] - rank[y.c.via] || x.i - y.i);
  const reached: Record<Category, number> = { extreme: -1, exclusive: -1, medical: -1, contact: -1 };
  const kept: Candidate[] = [];
  for (const { c } of sorted) {
    if (c.start < reached[c.category]) continue;
    kept.push(c);
    reached[c.category] = c.end;
  }
  return kept;
}

describe('resolve against the plain reference', () => {
  const candidate = fc.record({
    category: fc.constantFrom(...CATEGORIES),
    term: fc.constantFrom('a', 'b', 'c'),
    severity: fc.constantFrom(...SEVERITIES),
    start: fc.nat(40),
    length: fc.integer({ min: 1, max: 8 }),
    via: fc.constantFrom('text', 'pinyin', 'detector') as fc.Arbitrary<Candidate['via']>,
  }).map(({ length, ...c }) => ({ ...c, end: c.start + length }));
  const allow = fc.record({ start: fc.nat(40), length: fc.integer({ min: 1, max: 6 }), mask: fc.integer({ min: 1, max: 15 }) }).map(({ start, length, mask }) => ({ start, end: start + length, mask }));

  test('property: random candidates, allow spans and stream floors', () => {
    fc.assert(
      fc.property(fc.array(candidate, { maxLength: 30 }), fc.array(allow, { maxLength: 10 }), fc.option(fc.array(fc.nat(20), { minLength: 4, maxLength: 4 }), { nil: undefined }), (cands, allows, floors) => {
        const list = new CandidateList();
        for (const c of cands) list.push(c);
        const spans = new AllowSpans();
        for (const a of allows) spans.add(a.start, a.end, a.mask);
        const out = new Int32Array(list.count);
        const n = resolve(list, spans, out, floors);
        expect(Array.from(out.subarray(0, n), (i) => list.get(i))).toEqual(reference(cands, allows, floors));
      }),
      { numRuns: 3000 },
    );
  });

  // Many candidates over a wide span take resolve's other orderings: 600+ candidates over up to
  // 2^22 units a two-pass radix sort (claim-dense 64K messages), a wider span a comparison sort,
  // a narrow one the counting sort; ties at one start are frequent (clustered starts).
  test('property: hundreds of candidates over narrow, wide and very wide spans order as the reference', () => {
    const spread = fc.constantFrom(1_000, 65_536, 1 << 22, 1 << 26);
    fc.assert(
      fc.property(spread, fc.integer({ min: 600, max: 2_500 }), fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.array(allow, { maxLength: 6 }), (width, n, seed, allows) => {
        let x = seed;
        const next = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) & 0x7fffffff), x % m);
        const base = next(1000);
        const cands: Candidate[] = [];
        for (let i = 0; i < n; i++) {
          // A cluster of starts at one of 64 places, or anywhere in the width.
          const start = base + (next(3) === 0 ? Math.floor((next(64) * width) / 64) : next(width));
          cands.push({ category: CATEGORIES[next(4)]!, term: 'a', severity: SEVERITIES[next(4)]!, start, end: start + 1 + next(8), via: (['text', 'pinyin', 'detector'] as const)[next(3)]! });
        }
        const list = new CandidateList();
        for (const c of cands) list.push(c);
        const spans = new AllowSpans();
        for (const a of allows) spans.add(base + a.start, base + a.end, a.mask);
        const out = new Int32Array(list.count);
        const k = resolve(list, spans, out);
        const shifted = allows.map((a) => ({ ...a, start: base + a.start, end: base + a.end }));
        expect(Array.from(out.subarray(0, k), (i) => list.get(i))).toEqual(reference(cands, shifted));
      }),
      { numRuns: 200 },
    );
  });

  test('a long match by sound over 10,000 allow spans does not make the later candidates read them all', () => {
    const list = new CandidateList();
    const spans = new AllowSpans();
    list.push({ category: 'contact', term: 'long', severity: 'high', start: 0, end: 40_000, via: 'pinyin' });
    for (let i = 0; i < 10_000; i++) {
      spans.add(4 * i, 4 * i + 2, 15);
      list.push({ category: 'extreme', term: 'short', severity: 'high', start: 4 * i + 2, end: 4 * i + 4, via: 'text' });
    }
    const before = work.steps;
    const n = resolve(list, spans, new Int32Array(list.count));
    expect(n).toBe(10_000);
    expect(work.steps - before).toBeLessThan(200_000); // the sweep before this one took 10,000 × 10,000
  });
});
