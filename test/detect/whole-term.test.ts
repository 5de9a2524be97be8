/**
 * Allow phrases through the scanner (src/detect/whole-term.ts): an allow phrase is one phrase, so
 * one read across a clause break (the lane drops punctuation) allows nothing. Sentences invented
 * for this test.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();
const categories = (text: string) => [...new Set(scanner.scan(text).map((f) => f.category))].sort();

describe('allow phrases', () => {
  test('an allow phrase inside one clause still allows (最好的朋友)', () => {
    expect(categories('他是我最好的朋友')).toEqual([]);
  });
  test('across a clause break it allows nothing: a claim, then an address', () => {
    expect(categories('这支口红是同档次里颜色最好的，朋友们快拍')).toEqual(['extreme']);
  });
  test('the claim without the address is flagged alike', () => {
    expect(categories('这支口红是同档次里颜色最好的')).toEqual(['extreme']);
  });
});
