/**
 * The normalizer's fast paths give the same lanes as the general ones: the text lane without the
 * pinyin lane, stems from the per-normalizer word cache (including slot collisions), and expansions
 * and astral units written inside the main loop.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Normalizer, type Lane } from '../../src/normalize/normalizer.js';

const snapshot = (l: Lane) => ({
  codes: Array.from(l.codes.subarray(0, l.length)),
  starts: Array.from(l.starts.subarray(0, l.length)),
  ends: Array.from(l.ends.subarray(0, l.length)),
});

describe('normalizer fast paths', () => {
  const pieces = ['全網最低價', '加 微 信', 'Curing', 'cures', 'cure', 'PK', 'shopping', '①③⑧', '两千', '➕🛰️', '🍑', 'vx:mumu668', '，', ' ', 'ｓａｌｅｓ', 'jiang xue ya', '\ud800'];

  test('property: without the pinyin lane the text lane is unchanged and the pinyin lane is empty', () => {
    const withSounds = new Normalizer();
    const without = new Normalizer();
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 20 }).map((a) => a.join('')), (s) => {
        const full = snapshot(withSounds.normalize(s).text);
        const words = withSounds.latinWords;
        const r = without.normalize(s, false);
        expect(snapshot(r.text)).toEqual(full);
        expect(r.sounds.length).toBe(0);
        expect(without.latinWords).toBe(words);
      }),
      { numRuns: 300 },
    );
  });

  test('stems come out the same on first sight, on repeats, and after other words took the cache slot', () => {
    const fresh = () => snapshot(new Normalizer().normalize(words.join(' ')).text);
    const words = Array.from({ length: 600 }, (_, i) => ['cures', 'curing', 'shopping', 'sales', 'linked'][i % 5] + 'abcdefghij'.slice(0, i % 7));
    const reused = new Normalizer();
    for (let round = 0; round < 3; round++) expect(snapshot(reused.normalize(words.join(' ')).text)).toEqual(fresh());
    expect(snapshot(reused.normalize('curing cures').text)).toEqual(snapshot(new Normalizer().normalize('curing cures').text));
  });
  test('property: expansions and astral units written in the main loop give the lanes the general path gives', () => {
    // Dense expansions (⑮ → 15, ☎ → 电话), emoji with and without meaning, styled letters and digits,
    // lone surrogates, and runs long enough to outgrow the lanes' first capacity mid-text.
    const hostile = ['⑮', '⑮⑮⑮⑮⑮⑮⑮⑮', '☎', '①③⑧', '🍑', '🛰️', '🎁', '🈶', '𝐯𝐱', '𝟏𝟑𝟖', '\ud800', '\udc00', '\ud83c', '全網最低價', 'ＶＸ', 'jia', ' ', '，', '8'];
    const inline = new Normalizer();
    const general = new Normalizer({ inlineExpansions: false });
    const lanes = (n: Normalizer, s: string, withSounds: boolean) => {
      const r = n.normalize(s, withSounds);
      return { text: snapshot(r.text), sounds: snapshot(r.sounds), digits: n.digitUnits, words: n.latinWords };
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...hostile), { maxLength: 400 }).map((a) => a.join('')), fc.boolean(), (s, withSounds) => {
        expect(lanes(inline, s, withSounds)).toEqual(lanes(general, s, withSounds));
        // A fresh normalizer starts from the smallest lanes: the room checks are exercised from the first unit.
        expect(lanes(new Normalizer(), s, withSounds)).toEqual(lanes(general, s, withSounds));
      }),
      { numRuns: 300 },
    );
  });
  test('property: Latin words written without re-checking the lanes\' room give the lanes a roomy normalizer gives', () => {
    // A word writes at most one unit per unit it reads to either lane, so the main loop goes on with
    // its columns as they were. Words (stemmed, hyphenated, leet, past 64 letters) between dense
    // expansions, from a fresh normalizer (smallest lanes) and from one whose lanes are already large.
    const hostile = ['⑮⑮⑮⑮', '☎', '🛰️', 'curing', 'Ex-clu-sive', 'b3st', 'l0w3st', 'mp3', 'jiaweixin', 'ＶＸ', 'e-', '-x', 'a'.repeat(70), 'jia'.repeat(30), ' ', '，', '全網', '8'];
    const roomy = new Normalizer();
    roomy.normalize('全'.repeat(1 << 16));
    const lanes = (n: Normalizer, s: string, withSounds: boolean) => {
      const r = n.normalize(s, withSounds);
      return { text: snapshot(r.text), sounds: snapshot(r.sounds), digits: n.digitUnits, words: n.latinWords, spans: Array.from(n.latinSpans.subarray(0, 2 * n.latinWords)) };
    };
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...hostile), { maxLength: 300 }).map((a) => a.join('')), fc.boolean(), (s, withSounds) => {
        const expected = lanes(roomy, s, withSounds);
        expect(lanes(new Normalizer(), s, withSounds)).toEqual(expected);
        expect(lanes(new Normalizer({ inlineExpansions: false }), s, withSounds)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });
  test('expansions at the edge of the lanes\' capacity (a power of two) are written whole', () => {
    const inline = new Normalizer();
    const general = new Normalizer({ inlineExpansions: false });
    const lanes = (n: Normalizer, s: string) => {
      const r = n.normalize(s);
      return { text: snapshot(r.text), sounds: snapshot(r.sounds), length: r.text.length, soundsLength: r.sounds.length };
    };
    for (const size of [256, 512, 1024])
      for (let off = -4; off <= 1; off++)
        for (const tail of ['⑮', '⑮⑮', '☎', '𝟏𝟑', '⑮8', '全⑮']) {
          const s = '全'.repeat(size + off) + tail;
          expect(lanes(inline, s)).toEqual(lanes(general, s));
          expect(lanes(new Normalizer(), s)).toEqual(lanes(general, s));
        }
  });
});
