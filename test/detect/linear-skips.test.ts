/**
 * The link detectors turn most words away cheaply (contact-spoken.ts: the first two letters begin no
 * TLD of the word's length; contact-links.ts: the TLD read as a number, not a string): checked
 * against the plain lists, over every word the skips could wrongly pass or drop.
 */
import { describe, expect, test } from 'vitest';
import type { Candidate } from '../../src/detect/candidate.js';
import { detectLinks } from '../../src/detect/contact-links.js';
import { detectSpokenLinks } from '../../src/detect/contact-spoken.js';
import { Normalizer } from '../../src/normalize/normalizer.js';

const SPOKEN_TLDS = ['com', 'cn', 'net', 'org', 'cc', 'top', 'vip', 'xyz', 'shop', 'me', 'io'];
const TLDS = [
  'com', 'cn', 'net', 'org', 'io', 'co', 'cc', 'top', 'xyz', 'vip', 'shop', 'store', 'site', 'online',
  'me', 'tv', 'info', 'biz', 'link', 'club', 'app', 'hk', 'tw', 'live', 'fun', 'ltd', 'wang', 'ink',
];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

function* words(alphabet: string, length: number): Generator<string> {
  if (length === 0) return yield '';
  for (const w of words(alphabet, length - 1)) for (const c of alphabet) yield w + c;
}

describe('spoken links: the two-letter TLD filter', () => {
  const n = new Normalizer();
  const spoken = (word: string) => {
    const text = `xiaomei 艾特 163 点 ${word}`;
    n.normalize(text);
    const out: Candidate[] = [];
    detectSpokenLinks(text, 0, n.latinSpans, n.latinWords, out);
    return out.length > 0;
  };

  test('every word of 2 and 3 letters, and of 4 over the TLDs letters: found exactly when it is a TLD', () => {
    const tldLetters = [...new Set(SPOKEN_TLDS.join(''))].join('') + 'q';
    const all = [...words(LETTERS, 2), ...words(LETTERS, 3), ...words(tldLetters, 4)];
    const wrong = all.filter((w) => spoken(w) !== SPOKEN_TLDS.includes(w));
    expect(wrong).toEqual([]);
    // Upper case and full-width letters read as the same words.
    expect(spoken('COM')).toBe(true);
    expect(spoken('ｃｏｍ')).toBe(true);
  });
});

describe('written links: the TLD read as a number', () => {
  const url = (tld: string) => {
    const out: Candidate[] = [];
    detectLinks(`看 shop.${tld} 吧`, 0, out);
    return out.some((c) => c.term === 'url');
  };

  test('every TLD, and every prefix, extension and 7-letter neighbour of one: found exactly when it is a TLD', () => {
    const tries = new Set<string>();
    for (const t of TLDS) {
      for (let k = 1; k <= t.length; k++) tries.add(t.slice(0, k));
      for (const c of LETTERS) tries.add(t + c);
      tries.add(t.padEnd(7, 'z'));
    }
    const wrong = [...tries].filter((w) => url(w) !== TLDS.includes(w));
    expect(wrong).toEqual([]);
    expect(url('COM')).toBe(true);
    expect(url('onlinez')).toBe(false);
  });
});
