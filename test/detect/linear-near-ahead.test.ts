/**
 * A single message keeps only the near-term A parts whose entry has a B part somewhere in it
 * (scanner.ts: `全网` is the A part of two near terms and `最低` of another in 全网最低价 × 8,000,
 * and only one of the three can pair there), and any chunk only the B parts within their entry's
 * gap (near.ts `nearGap`: 8 units, 24 for English parts, 20 with `clauses`) of its A part added last. Dropping the others must never change a flag: checked
 * against the same scanner keeping every part, on texts of near-term pieces — set terms whose B is
 * any of several words (全网…最低/最好/第一), English parts, clause breaks and long gaps — scanned
 * whole and as a stream's chunks (carried A parts).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';
import { ADVERSARIES } from '../../bench/adversarial.js';

const PIECES = [
  '全网', '全国', '同类', '史上', '行业', '最低', '最低价', '第一', '排第一', '最好', '最高', '最大', '价格', '的', '我们家', '是', '最', ' ', '，', '。', '🎁',
  'best', 'blender', 'in the world', 'on the market', '别家', '买不到', '湿疹', '好了', '它是', '就是它', '微信', '转给我', '平台', '引流', '所有',
  // Filler of 11 and 23 units: one puts a B part past a Chinese term's gap (8) from an A part
  // before it, two past the widest (24).
  '下午我们一起去公园走走', 'and then we walked home',
];

const keepAll = createScanner();
keepAll.dropUnpairedNear = false;
const scanner = createScanner();
const flags = (s: typeof scanner, text: string) => s.scan(text).map(({ id: _, ...f }) => f);

test('property: dropping A parts with no B part in the message changes no flag', { timeout: 60_000 }, () => {
  let pairs = 0;
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (words) => {
      const text = words.join('');
      const want = flags(keepAll, text);
      pairs += want.filter((f) => f.term.includes('…')).length;
      expect(flags(scanner, text)).toEqual(want);
    }),
    { numRuns: 3000 },
  );
  // The texts do pair: near terms are among the flags compared.
  expect(pairs).toBeGreaterThan(250); // ~550 on average over the random seeds; 498 seen once
});

test('property: a stream drops nothing that would pair, across chunks', { timeout: 60_000 }, () => {
  let pairs = 0;
  let stream = 0;
  fc.assert(
    fc.property(fc.array(fc.array(fc.constantFrom(...PIECES), { maxLength: 12 }), { minLength: 1, maxLength: 5 }), (chunks) => {
      const id = `s${stream++}`;
      for (const words of chunks) {
        const text = words.join('');
        const want = keepAll.stream(id).push(text).map(({ id: _, ...f }) => f);
        pairs += want.filter((f) => f.term.includes('…')).length;
        expect(scanner.stream(id).push(text).map(({ id: _, ...f }) => f)).toEqual(want);
      }
      keepAll.endStream(id);
      scanner.endStream(id);
    }),
    { numRuns: 1500 },
  );
  expect(pairs).toBeGreaterThan(100);
});

test('the hostile texts: same flags with and without dropping', () => {
  for (const a of ADVERSARIES) {
    const text = a.make(4096);
    expect(flags(scanner, text), a.name).toEqual(flags(keepAll, text));
  }
});
