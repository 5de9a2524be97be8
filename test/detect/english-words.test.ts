import { describe, expect, test } from 'vitest';
import { EnglishWords } from '../../src/detect/english-words.js';

describe('EnglishWords', () => {
  test('reads lower-case ASCII words, apostrophes dropped, İ and the Kelvin sign folded', () => {
    const w = new EnglishWords(4);
    expect(w.read("最 Don't DM\u212a me, İt's 第一", 0, 40)).toBe(5);
    expect([0, 1, 2, 3, 4].map((i) => ['dont', 'dmk', 'me', 'i', 'ts'].findIndex((x) => w.is(i, x)))).toEqual([0, 1, 2, 3, 4]);
    expect(w.in(2, ['you', 'me'])).toBe(true);
    expect(w.phraseAt(2, 'me i', false)).toBe(true);
    expect(w.phraseAt(2, 'me i', true)).toBe(false); // 'ts' follows
    expect(w.phraseAt(3, 'i ts', true)).toBe(true);
    expect(w.phraseAt(0, 'do', false)).toBe(false); // a phrase ends at a word's end
  });

  test('a second read of the same range of another text reads that text, not the remembered words', () => {
    const w = new EnglishWords(8);
    const a = 'add me on line 第一';
    const b = 'add me on wire 第一';
    expect(w.read(a, 0, 14)).toBe(4);
    expect(w.is(3, 'line')).toBe(true);
    expect(w.read(b, 0, 14)).toBe(4);
    expect(w.is(3, 'line')).toBe(false);
    expect(w.is(3, 'wire')).toBe(true);
    // The same range of the same text again: the words stay as read.
    expect(w.read(b, -5, 14)).toBe(4);
    expect(w.is(3, 'wire')).toBe(true);
  });
});
