/**
 * The normalizer keeps each Latin word's stem and pinyin syllables in a two-way cache
 * (normalizer.ts, WordCache): a cached word must give exactly the lanes a fresh read gives, whatever
 * words shared or evicted its slot before. Checked against a normalizer that reads every word afresh
 * (`cacheWords: false`), over generated texts: pinyin, English inflections, leetspeak, hyphens,
 * full-width letters, words past the 16 letters a slot holds and past the 64 that are ever stemmed,
 * and thousands of distinct words so that slots collide and are overwritten.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Normalizer, type Lane } from '../../src/normalize/normalizer.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Pieces of Latin runs and what stands between them. */
const PIECES = [
  'jia', 'wei', 'xin', 'jiaweixin', 'zhuang', 'xian', 'xi an', 'ping', 'guo', 'ing', 'cures', 'curing', 'cured', 'running',
  'best', 'bestow', 'lowest', 'b3st', 'l0w3st', 'numb3r', 'mp3', 'rtx4090', 'Ex-clu-sive', 'e-mail', 'jia-wei-xin', 'ＶＸ',
  'Ｗｅｉｘｉｎ', 'WeChat', 'QQ', 'vx', 'PK', 'yyds', 'supercalifragilisticexpialidocious', 'a'.repeat(70), 'x'.repeat(17),
  ' ', '-', '—', '.', '，', '1', '23', '全网', '最低价', '⑮', '🍑', '\u200b', 'é',
];

const piece = fc.oneof(
  fc.constantFrom(...PIECES),
  // Random words: with thousands of them the 1,024 sets of two slots collide and evict each other.
  fc.string({ unit: fc.constantFrom(...LETTERS), minLength: 1, maxLength: 20 }),
);
const text = fc.array(piece, { maxLength: 60 }).map((ps) => ps.join(''));

function lanesOf(n: Normalizer, input: string): unknown {
  n.normalize(input, true);
  const lane = (l: Lane) => [Array.from(l.codes.subarray(0, l.length)), Array.from(l.starts.subarray(0, l.length)), Array.from(l.ends.subarray(0, l.length))];
  return { text: lane(n.text), sounds: lane(n.sounds), words: n.latinWords, spans: Array.from(n.latinSpans.subarray(0, 2 * n.latinWords)), digits: n.digitUnits };
}

describe('Latin word cache', () => {
  test('cached words give the lanes a fresh read gives (generated texts, colliding slots)', () => {
    const cached = new Normalizer();
    const fresh = new Normalizer({ cacheWords: false });
    fc.assert(
      fc.property(text, (t) => {
        // Twice: the second read of each word comes from the cache.
        expect(lanesOf(cached, t)).toEqual(lanesOf(fresh, t));
        expect(lanesOf(cached, t)).toEqual(lanesOf(fresh, t));
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  test('without stemming, cached words are not stemmed', () => {
    const cached = new Normalizer({ stemming: false });
    const fresh = new Normalizer({ stemming: false, cacheWords: false });
    fc.assert(
      fc.property(text, (t) => {
        expect(lanesOf(cached, t)).toEqual(lanesOf(fresh, t));
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  test('a few hundred distinct words stay cached: colliding pairs share a set instead of evicting each other', () => {
    // 400 distinct words of up to 16 letters (text mixing a few dozen words at random makes ~400):
    // a one-way cache of 1,024 slots missed ~46% of them again on every read; two ways keep nearly all.
    const n = new Normalizer();
    const words = Array.from({ length: 400 }, (_, i) => {
      let w = '';
      for (let k = i + 1; k > 0; k = Math.floor(k / 26)) w += LETTERS[k % 26];
      return 'w' + w + 'x';
    });
    const all = words.join(' 的 ');
    n.normalize(all);
    const first = n.wordMisses;
    expect(first).toBe(400);
    n.normalize(all);
    expect(n.wordMisses - first).toBeLessThan(20);
  });

  test('a word evicted by a colliding one is read again correctly', () => {
    const cached = new Normalizer();
    const fresh = new Normalizer({ cacheWords: false });
    // 5,000 distinct words through 2,048 slots, then the first ones again.
    const words = Array.from({ length: 5000 }, (_, i) => {
      let w = '';
      for (let k = i + 1; k > 0; k = Math.floor(k / 26)) w += LETTERS[k % 26];
      return w + 'ing';
    });
    const all = words.join(' ') + ' ' + words.slice(0, 500).join(' ');
    expect(lanesOf(cached, all)).toEqual(lanesOf(fresh, all));
  });
});
