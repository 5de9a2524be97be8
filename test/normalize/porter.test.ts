/**
 * porterStem must give natural's Porter stem for every word, quirks included, since lexicon terms
 * and message words are both stemmed with it and a difference would move matches. Checked against
 * natural itself on every short word over an alphabet rich in the letters the rules look at
 * (vowels, y, s, l, z, w), on random words with stacked Porter suffixes, and on English-like words
 * of the shapes the adversarial bench generates.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { prng } from '../../bench/corpus.js';
import { stem, stemInto } from '../../src/normalize/english.js';
import { porterStem } from '../../src/normalize/porter.js';

const require = createRequire(import.meta.url);
const porter = require('natural/lib/natural/stemmers/porter_stemmer.js') as { stem(word: string): string };

/** natural's stem as pkguard used it: a result that is not lower-case letters, or longer than the word, counts as none. */
const reference = (w: string) => {
  if (w.length < 3) return w;
  const s = porter.stem(w);
  return !/^[a-z]+$/.test(s) || s.length > w.length ? w : s;
};
const codes = (w: string) => Uint16Array.from(w, (c) => c.charCodeAt(0));
const out = new Uint16Array(64);
const mine = (w: string) => String.fromCharCode(...out.subarray(0, porterStem(codes(w), w.length, out)));

const SUFFIXES = ['sses', 'ies', 's', 'eed', 'ed', 'ing', 'y', 'ational', 'tional', 'enci', 'anci', 'izer', 'abli', 'bli', 'alli',
  'entli', 'eli', 'ousli', 'ization', 'ation', 'ator', 'alism', 'iveness', 'fulness', 'ousness', 'aliti', 'iviti', 'biliti', 'logi',
  'icate', 'ative', 'alize', 'iciti', 'ical', 'ful', 'ness', 'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment',
  'ent', 'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'sion', 'tion', 'e', 'll', 'at', 'bl', 'iz', 'yy', 'ys', 'ying', 'ly', 'lled', 'ssed'];

describe('porterStem', () => {
  test('every word of up to 4 letters over a rule-heavy alphabet stems as natural does', () => {
    const alphabet = 'aeiybdlstwzn';
    const diffs: string[] = [];
    const walk = (w: string) => {
      if (w.length > 0 && mine(w) !== reference(w)) diffs.push(w);
      if (w.length < 4) for (const c of alphabet) walk(w + c);
    };
    walk('');
    expect(diffs.slice(0, 10)).toEqual([]);
  });

  test('random words with stacked Porter suffixes and English-like words stem as natural does', () => {
    const rnd = prng(1415);
    const pick = (s: string | readonly string[]) => s[Math.floor(rnd() * s.length)]!;
    const letters = 'abcdefghijklmnopqrstuvwxyz';
    const weighted = 'aaeeiioouuyyybbcdllmnnprssttvwxzgh';
    const onsets = ['th', 'st', 'pr', 'bl', 'cr', 'sh', 'b', 'c', 'd', 'f', 'g', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'w', 'y'];
    const nuclei = ['a', 'e', 'i', 'o', 'u', 'ea', 'ou', 'ai', 'ee', 'oo', 'y'];
    const codas = ['', 'n', 'r', 's', 't', 'ng', 'st', 'ck', 'll', 'nd', 'm', 'l', 'y', 'ss', 'zz'];
    const diffs: string[] = [];
    for (let i = 0; i < 150_000; i++) {
      let w = '';
      if (i % 2 === 0) {
        const n = 1 + Math.floor(rnd() * 10);
        for (let j = 0; j < n; j++) w += pick(rnd() < 0.5 ? weighted : letters);
      } else {
        for (let s = 1 + Math.floor(rnd() * 3); s > 0; s--) w += pick(onsets) + pick(nuclei) + pick(codas);
      }
      if (rnd() < 0.7) w += pick(SUFFIXES);
      if (rnd() < 0.3) w += pick(SUFFIXES);
      w = w.slice(0, 64);
      if (mine(w) !== reference(w)) diffs.push(w);
    }
    expect(diffs.slice(0, 10)).toEqual([]);
  });

  test('known stems (Porter 1980 examples)', () => {
    const cases: [string, string][] = [['caresses', 'caress'], ['ponies', 'poni'], ['cats', 'cat'], ['feed', 'feed'], ['agreed', 'agre'],
      ['plastered', 'plaster'], ['motoring', 'motor'], ['conflated', 'conflat'], ['hopping', 'hop'], ['filing', 'file'], ['happy', 'happi'],
      ['relational', 'relat'], ['hopefulness', 'hope'], ['generalization', 'gener'], ['adoption', 'adopt'], ['controll', 'control'], ['rate', 'rate']];
    for (const [w, s] of cases) expect([w, mine(w)]).toEqual([w, reference(w) === s ? s : `natural says ${reference(w)}`]);
  });
});

describe('stemInto and stem', () => {
  test('-1 when the word is its own stem or under 3 letters; the stem otherwise', () => {
    const o = new Uint16Array(80);
    expect(stemInto(codes('cat'), 3, o, 0)).toBe(-1);
    expect(stemInto(codes('es'), 2, o, 0)).toBe(-1);
    const n = stemInto(codes('curing'), 6, o, 10);
    expect(String.fromCharCode(...o.subarray(10, 10 + n))).toBe('cure');
    expect(stem('curing')).toBe('cure');
    expect(stem('es')).toBe('es');
    expect(stem('Curing')).toBe('Curing'); // not lower-case a-z: left alone
  });
});
