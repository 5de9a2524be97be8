/**
 * Given the normalizer's Latin word spans, the link detector reads only the stretches of link units
 * that hold a word (contact-links.ts), so a mixed message's Chinese between links is never read unit
 * by unit. It must find exactly what reading every unit finds: checked on texts built from
 * link-shaped pieces, words split by Unicode hyphens and leet digits, and ordinary ones.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { Candidate } from '../../src/detect/candidate.js';
import { detectLinks, linksPossible } from '../../src/detect/contact-links.js';
import { Normalizer } from '../../src/normalize/normalizer.js';

const PIECES = [
  'shop', 'mumu', 'vx', 'WhatsApp', 'me', 'at', '@', '.', '。', '．', ':', '：', '/', '_', '-', '\u2010', '668', '12', '3', 'com', 'cn', 'ｃｏｍ', 'Ａｂ',
  'http', '://', 'b3st', 'e-x', '微信', '号', ' ', '，', '宝宝', 'PK', '一', '①', '⑮', '🍑', 'QQ', 'a', '最低价',
  // Words of 5 units or more, with and without a leet digit (a word standing alone is passed over unless it has one).
  'shopping', 'l0w3st', 'ex\u2011clu', 'Ｂｅｓｔ',
];

describe('link runs from word spans', () => {
  const normalizer = new Normalizer();
  const both = (text: string, base: number) => {
    const all: Candidate[] = [];
    detectLinks(text, base, all);
    normalizer.normalize(text);
    const runs: Candidate[] = [];
    detectLinks(text, base, runs, normalizer.latinSpans, normalizer.latinWords);
    return { all, runs };
  };

  test('property: reading the stretches around the words finds what reading every unit finds', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join('')), fc.nat(1000), (text, base) => {
        const { all, runs } = both(text, base);
        expect(runs).toEqual(all);
      }),
      { numRuns: 5000 },
    );
  });

  test('a word inside a long run, several words in one run, a run led by punctuation', () => {
    for (const text of ['1'.repeat(300) + 'a.com', 'shop.mumu.cn/x?a=1 和 b.cn', '..@@mumu.shop', 'vx：mumu_668，微信 mumu.home', 'ｍｕｍｕ６６８＠ｑｑ．ｃｏｍ']) {
      const { all, runs } = both(text, 0);
      expect(all.length).toBeGreaterThan(0);
      expect(runs).toEqual(all);
    }
  });

  test('a word standing alone is passed over unless a digit could make it an id', () => {
    // After a cue a marked id standing between Chinese is found; unmarked words of any length are not.
    for (const text of ['加微信 mumu668 谢谢', '微信：l0w3st9 吧', '微信 shopping 吧 jiaweixin，Ｂｅｓｔ', '微信 ex-clu-sive 的 b3st']) {
      const { all, runs } = both(text, 0);
      expect(runs).toEqual(all);
    }
    expect(both('加微信 mumu668 谢谢', 0).runs.length).toBe(1);
    expect(both('微信 shopping 吧 jiaweixin', 0).runs).toEqual([]);
  });

  test('the gate in front still holds: nothing found where linksPossible is false', () => {
    const text = '宝宝们 this is so good，原价948今天只要63';
    const { all, runs } = both(text, 0);
    expect(linksPossible(text, normalizer.latinSpans, normalizer.latinWords)).toBe(false);
    expect(all).toEqual([]);
    expect(runs).toEqual([]);
  });
});
