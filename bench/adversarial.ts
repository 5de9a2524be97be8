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

/** English-like word pieces: onset, nucleus, coda, then a suffix the Porter steps rewrite (most words have one). */
const ONSETS = ['th', 'st', 'pr', 'bl', 'cr', 'gr', 'sh', 'ch', 'b', 'c', 'd', 'f', 'g', 'h', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w'];
const NUCLEI = ['a', 'e', 'i', 'o', 'u', 'ea', 'ou', 'ai', 'io', 'ee', 'oo'];
const CODAS = ['', 'n', 'r', 's', 't', 'ng', 'st', 'ck', 'll', 'nd', 'rt', 'm', 'l'];
const SUFFIXES = ['', 'ing', 'ed', 'er', 'ly', 'tion', 'ness', 'ment', 'able', 's', 'est', 'ize', 'ful', 'ational', 'iveness'];
/** Pinyin initials and finals, for syllable runs no lexicon term spells. */
const INITIALS = ['b', 'p', 'm', 'f', 'd', 't', 'n', 'l', 'g', 'k', 'h', 'j', 'q', 'x', 'zh', 'ch', 'sh', 'r', 'z', 'c', 's', 'y', 'w', ''];
const FINALS = ['a', 'o', 'e', 'i', 'u', 'ai', 'ei', 'ao', 'ou', 'an', 'en', 'ang', 'eng', 'ong', 'ia', 'ie', 'iao', 'iu', 'ian', 'in', 'ing', 'uo', 'ui', 'un', 'uan'];
/**
 * Claims of every category, each complete (a flag per few units, capped per message), and their
 * disguises: full-width initials, traditional characters, sound-alikes.
 */
const CLAIMS = ['全网最低价', '销量第一', '史上最强', '独家代理', '别家没有', '唯一一家', '能治失眠', '降血压', '没有副作用', '加微信', '加我微信',
  '私聊我', '加QQ', '加vx', '去淘宝搜', '百分之百有效', '全国第一', '天花板级别'];
const DISGUISED = ['全網最低價', '獨家代理', '銷量第一', '加薇信', '威芯', '蕞低价', '醉好的', '独佳', '降学压', '某宝', '球球号', 'ＶＸ', 'ＮＯ．１', 'ｗｘ', 'ＴＯＰ１'];
const pick = <T>(xs: readonly T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length)]!;

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
  // Shapes an outside probe (session 15) found over 2x ordinary speech: suffixed English-like words
  // (each a Porter stem to work out), short distinct words, pinyin syllables no term spells, and
  // claims of every category back to back, plain or disguised.
  generated('English-like words with suffixes', 16, (_, r) => {
    let w = '';
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) w += pick(ONSETS, r) + pick(NUCLEI, r) + pick(CODAS, r);
    return w + pick(SUFFIXES, r) + ' ';
  }),
  generated('short distinct Latin words', 17, (w) => w(2, 3) + ' '),
  generated('pinyin syllables, distinct runs', 18, (_, r) => pick(INITIALS, r) + pick(FINALS, r) + (r() < 0.6 ? ' ' : '')),
  generated('claims of every category back to back', 19, (_, r) => pick(CLAIMS, r)),
  generated('disguised claims back to back', 20, (_, r) => pick(DISGUISED, r) + (r() < 0.5 ? pick(CLAIMS, r) : '')),
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
