/**
 * Mixed-script terms (QQ号, 加V) also match their romanized spelling (qq hao, jia v): they have no
 * pinyin-lane form, so this is how pinyin written next to Latin letters is caught.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner({
  lexicon: {
    terms: [
      { phrase: 'QQ号', category: 'contact', severity: 'high' },
      { phrase: '加V', category: 'contact', severity: 'high' },
      { phrase: '私V', category: 'contact', severity: 'high' },
    ],
  },
});
const terms = (text: string) => scanner.scan(text).map((f) => [f.term, f.matched]);

describe('romanized spellings of mixed-script terms', () => {
  test('pinyin in place of the CJK part, spaced or not, any case', () => {
    expect(terms('qq hao zai zhu ye')).toEqual([['QQ号', 'qq hao']]);
    expect(terms('QQHAO发你')).toEqual([['QQ号', 'QQHAO']]);
    expect(terms('想要的 jia v')).toEqual([['加V', 'jia v']]);
  });

  test('the written form still matches', () => {
    expect(terms('我的QQ号')).toEqual([['QQ号', 'QQ号']]);
  });

  test('a romanized spelling is a whole word: not inside longer Latin words', () => {
    expect(terms('qqhaoyun')).toEqual([]);
    expect(terms('ninjiav')).toEqual([]);
  });

  test('nor inside a word spelled out letter by letter, which still may start one', () => {
    expect(terms('e x c l u s i v e deal')).toEqual([]); // s i v inside e x c l u s i v e
    expect(terms('s i v 我')).toEqual([['私V', 's i v']]);
    expect(terms('有事 si v')).toEqual([['私V', 'si v']]);
  });
});
