/**
 * Gates in front of the contact detectors must never hide a detection: whenever `detectLinks`
 * finds something, `linksPossible` says so, on text built from link-shaped and ordinary pieces;
 * and the digit detector's skip over short runs never changes what it finds.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Candidate } from '../../src/detect/candidate.js';
import { detectLinks, linksPossible } from '../../src/detect/contact-links.js';
import { DigitCarry, detectNumbers } from '../../src/detect/contact-numbers.js';
import { Normalizer } from '../../src/normalize/normalizer.js';

describe('link gate', () => {
  const pieces = ['shop', 'mumu', 'vx', 'WhatsApp', 'me', 'at', '@', '.', '。', '．', ':', '：', '/', '_', '-', '668', '12', 'com', 'cn', 'ｃｏｍ', 'Ａｂ', '微信', '号', ' ', '，', '宝宝', 'PK', '一', '①'];
  const normalizer = new Normalizer();

  test('property: detectLinks finds nothing where linksPossible is false', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 14 }).map((a) => a.join('')), (text) => {
        normalizer.normalize(text, false);
        const found: Candidate[] = [];
        detectLinks(text, 0, found);
        if (found.length > 0) {
          expect(normalizer.latinWords).toBeGreaterThan(0);
          expect(linksPossible(text, normalizer.latinSpans, normalizer.latinWords)).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('a scheme is letters: a digit run before :// is no link (found by the property above)', () => {
    const found = (text: string) => {
      const out: Candidate[] = [];
      detectLinks(text, 0, out);
      return out.map((c) => c.term);
    };
    expect(found('①：/一')).toEqual([]);
    expect(found('12://34')).toEqual([]);
    expect(found('https://mumu.shop/x')).toEqual(['url']);
  });

  test('stand-alone English words and prices are skipped; ids, mails and scheme runs are not', () => {
    const possible = (text: string) => {
      normalizer.normalize(text);
      return normalizer.latinWords > 0 && linksPossible(text, normalizer.latinSpans, normalizer.latinWords);
    };
    expect(possible('赢了PK给大家发红包，原价948今天只要63')).toBe(false);
    expect(possible('this is so good 宝宝们')).toBe(false);
    expect(possible('加vx mumu668')).toBe(true);
    expect(possible('shop.mumu.cn')).toBe(true);
    expect(possible('at @mumu')).toBe(true);
    expect(possible('PK 12://34')).toBe(true);
  });
});

describe('digit gate', () => {
  // Digits in every spelling the lane folds, separators that are noise, cues, and ordinary words.
  const pieces = ['1', '3', '8', '0', '5', '９', '①', '⑧', '三', '幺', '两', '洞', '零', '〇', '八', ' ', '-', '，', '电话', 'QQ', '扣扣', '号', '是', '微信', '第', '元', '宝宝', 'abc', '13812345678', '12345'];
  const normalizer = new Normalizer();

  /** Every number found in `chunks` scanned as one stream, with the short-run skip on or off. */
  function numbers(chunks: readonly string[], skipShortRuns: boolean): string[] {
    const carry = new DigitCarry();
    const found: Candidate[] = [];
    let base = 0;
    for (const chunk of chunks) {
      const lane = normalizer.normalize(chunk, false).text;
      detectNumbers(lane, chunk, base, carry, found, skipShortRuns);
      base += chunk.length;
    }
    return found.map((c) => `${c.term}@${c.start}-${c.end}`);
  }

  test('property: passing over runs shorter than 5 digits changes nothing, in one chunk or split across several', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom(...pieces), { maxLength: 12 }).map((a) => a.join('')), { minLength: 1, maxLength: 4 }), (chunks) => {
        expect(numbers(chunks, true)).toEqual(numbers(chunks, false));
        expect(numbers([chunks.join('')], true)).toEqual(numbers([chunks.join('')], false));
      }),
      { numRuns: 3000 },
    );
  });

  test('the property sees numbers at all: a spaced phone number split across chunks is found with the skip on', () => {
    expect(numbers(['电话 138 1', '234 5678 谢谢'], true)).toEqual(['phone@3-16']);
  });
});
