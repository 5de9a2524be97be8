/**
 * mayStem's promise is one-way and exact: a word it passes over is its own Porter stem. Checked
 * against natural's stemmer itself on random words and on words built from English-like stems and
 * every suffix the steps know, so a rule added to natural (or a suffix missing from the list)
 * shows up here.
 */
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';
import { prng } from '../../bench/corpus.js';
import { mayStem, stem, wordString } from '../../src/normalize/english.js';

const require = createRequire(import.meta.url);
const porter = require('natural/lib/natural/stemmers/porter_stemmer.js') as { stem(word: string): string };

const codes = (w: string) => Uint16Array.from(w, (c) => c.charCodeAt(0));

describe('mayStem', () => {
  const rnd = prng(2026);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const randomWord = (min: number, max: number) => {
    let w = '';
    const n = min + Math.floor(rnd() * (max - min + 1));
    for (let i = 0; i < n; i++) w += letters[Math.floor(rnd() * 26)];
    return w;
  };
  const suffixes = ['s', 'es', 'ies', 'sses', 'ed', 'eed', 'ing', 'y', 'ly', 'ational', 'tional', 'ization', 'ation', 'ness', 'ful', 'ment', 'ement', 'ence', 'ance', 'able', 'ible', 'ism', 'ist', 'ity', 'ive', 'ize', 'ous', 'er', 'or', 'al', 'ic', 'e', 'll', 'tion', 'sion', 'logy', 'ship', 'hood', 'dom', 'ward', 'wise', 'ex', 'ux', 'ow', 'ak', 'op'];
  const stems = ['connect', 'relat', 'hop', 'fil', 'agre', 'happ', 'sky', 'generaliz', 'condition', 'rat', 'formal', 'cap', 'tap', 'fizz', 'fall', 'control', 'roll', 'adopt', 'plaste', 'bliss', 'cry', 'vietnam', 'qq', 'vx', 'jiawei', 'xin', 'b3st'];

  test('a word it passes over is its own stem (random words and English-like words with every suffix)', () => {
    const words: string[] = [];
    for (let i = 0; i < 60_000; i++) words.push(randomWord(3, 12));
    for (const s of stems) for (const a of suffixes) for (const b of ['', ...suffixes]) words.push(s + a + b);
    let passed = 0;
    for (const w of words) {
      if (mayStem(codes(w), w.length)) continue;
      passed++;
      expect(porter.stem(w), w).toBe(w);
    }
    // Most random words end in no suffix: the check must leave most of them unstemmed.
    expect(passed).toBeGreaterThan(40_000);
  });

  test('words that do change are passed on, and short words never are', () => {
    for (const w of ['cures', 'cured', 'curing', 'happy', 'relational', 'hopefulness', 'formalize', 'controll', 'adoption', 'generate']) {
      expect(porter.stem(w)).not.toBe(w);
      expect(mayStem(codes(w), w.length), w).toBe(true);
    }
    expect(mayStem(codes('es'), 2)).toBe(false);
    expect(stem('es')).toBe('es');
  });
});

describe('wordString', () => {
  test('reads a range of codes as a string', () => {
    expect(wordString(codes('xxbestyy'), 2, 6)).toBe('best');
    expect(wordString(codes('ab'), 1, 1)).toBe('');
    expect(wordString(codes('abcdefghijklmnopqrstuvwxyz'), 0, 26)).toBe('abcdefghijklmnopqrstuvwxyz');
  });
});
