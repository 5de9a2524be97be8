/**
 * The normalizer's fast paths give the same lanes as the general ones: the text lane without the
 * pinyin lane, and stems from the per-normalizer word cache (including slot collisions).
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
});
