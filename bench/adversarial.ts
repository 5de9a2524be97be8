/**
 * Hostile texts of any length, for `npm run bench:adversarial` and test/detect/linear.test.ts: each
 * generator repeats a shape that once made some stage of the scan do more than constant work per
 * unit (a near-term half that every later half paired against, a long noise stretch read once per
 * pair, a digit run, an allow phrase per unit, a negator before every claim ...). Deterministic:
 * the same length gives the same text on every run. Written for this file, not taken from any corpus.
 */
import { prng } from './corpus.js';

export interface Adversary {
  name: string;
  /** Exactly `length` UTF-16 units (a surrogate pair cut at the end is part of the hostility). */
  make(length: number): string;
}

const fill = (unit: string, length: number) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
const repeat = (name: string, unit: string): Adversary => ({ name, make: (n) => fill(unit, n) });

/** A text of `piece`s drawn until it is long enough; `word(min, max)` is a random lower-case word. */
function generated(name: string, seed: number, piece: (word: (min: number, max: number) => string, rnd: () => number) => string): Adversary {
  return {
    name,
    make: (n) => {
      const rnd = prng(seed);
      const word = (min: number, max: number) => {
        let w = '';
        for (let i = min + Math.floor(rnd() * (max - min + 1)); i > 0; i--) w += String.fromCharCode(0x61 + Math.floor(rnd() * 26));
        return w;
      };
      let s = '';
      while (s.length < n) s += piece(word, rnd);
      return s.slice(0, n);
    },
  };
}

/** Pieces the mixed generator draws from: claim halves, digits, noise, letters, allow phrases. */
const PIECES = [
  '全网', '最低', '最低价', '全网最低价', '第一', '第一次', '最近', '不是', '不', '加', '微信', '薇', 'vx', 'jia', 'wei', 'xin',
  '1', '13812345678', '幺三八', ' ', '，', '-', '.', '@', ':', '🍑', '🛰️', '🎁', 'a', 'best', 'in the world', '别家', '买不到',
  '根治', '降血压', 'QQ', '扣扣', '的', '价格', '是', '全網最低價', 'ＶＸ', '⑮', 'e-x', '骗子', 'http://', '.com',
];

export const ADVERSARIES: readonly Adversary[] = [
  repeat('partial claim 全网最低', '全网最低'),
  repeat('claim and clause mark 全网最低价，', '全网最低价，'),
  repeat('near-term first halves', '全网全国全球史上行业同类市面上'),
  repeat('near halves at the gap', '全网的的的的的的的的最低'),
  { name: 'near half, long noise, many second halves', make: (n) => fill('全网' + ' '.repeat(500) + '最低'.repeat(12), n) },
  { name: 'near first halves, then one second half', make: (n) => fill('全网'.repeat(2000) + '最低', n) },
  repeat('one digit', '1'),
  repeat('phone numbers back to back', '13812345678，'),
  repeat('digits and noise', '1 3-8.'),
  repeat('digits and letters', '1a'),
  repeat('spoken digits', '幺三八两洞拐勾'),
  repeat('allow phrases', '最近第一次'),
  repeat('allow and banned overlapping', '最近最低价第一次销量第一'),
  repeat('one negator', '不'),
  repeat('negated claims', '不是全网最低价'),
  repeat('warned contact words', '千万别加微信都是骗子'),
  repeat('one character 最', '最'),
  repeat('emoji', '🍑🛰️🐧🎁'),
  repeat('emoji between claim units', '全🎁🎁网🎁🎁最🎁🎁低'),
  repeat('pinyin syllables', 'jia wei xin '),
  repeat('pinyin run without spaces', 'jiaweixin'),
  repeat('letters with hyphens', 'e-x-c-l-u-s-i-v-e-'),
  repeat('spelled-out letters', 'e x c l u s i v e '),
  repeat('English claims', 'best price in the world, lowest price '),
  repeat('ids after app cues', 'vx:abc123 '),
  repeat('url-like runs', 'a.b@c.com/'),
  repeat('traditional and full-width', '全網最低價ＶＸ⑮'),
  // Text nobody here wrote: distinct Latin words defeat the normalizer's word cache (every word
  // a miss: stem, pinyin segmentation), ids and addresses the link and id readers.
  generated('distinct Latin words', 11, (w) => w(3, 9) + ' '),
  generated('Latin words between CJK', 12, (w, r) => w(2, 7) + String.fromCharCode(0x4e00 + Math.floor(r() * 20_000))),
  generated('ids back to back', 13, (w, r) => w(2, 5) + Math.floor(r() * 99_999) + ' '),
  generated('e-mail addresses', 14, (w) => `${w(3, 8)}@${w(3, 6)}.com `),
  generated('distinct handles after cues', 15, (w, r) => `vx:${w(3, 6)}${Math.floor(r() * 999)}，`),
  {
    name: 'mixed pieces',
    make: (n) => {
      const rnd = prng(7);
      let s = '';
      while (s.length < n) s += PIECES[Math.floor(rnd() * PIECES.length)]!;
      return s.slice(0, n);
    },
  },
];

export { PIECES as ADVERSARIAL_PIECES };
