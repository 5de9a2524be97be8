/**
 * Gates in front of the contact detectors must never hide a detection: whenever `detectLinks`
 * finds something, `linksPossible` says so, on text built from link-shaped and ordinary pieces.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Candidate } from '../../src/detect/candidate.js';
import { detectLinks, linksPossible } from '../../src/detect/contact.js';
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
