/** Explicit negation right before a claim turns it into a disclaimer (src/detect/negation.ts). */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner({
  lexicon: {
    terms: [
      { phrase: '根治', category: 'medical', severity: 'high' },
      { phrase: '降血糖', category: 'medical', severity: 'high' },
      { phrase: '全网最低价', category: 'extreme', severity: 'high' },
      { phrase: '最低价', category: 'extreme', severity: 'high' },
      { phrase: '不用吃药', category: 'medical', severity: 'high' },
      { phrase: '加微信', category: 'contact', severity: 'high' },
      { phrase: 'cure', category: 'medical', severity: 'high' },
    ],
  },
});
const terms = (text: string) => scanner.scan(text).map((f) => f.term);

describe('negated claims are not flagged', () => {
  test.each([
    '这个枕头不能根治颈椎问题',
    '喝茶无法降血糖的，别被骗了',
    '别指望它能根治',
    '我们并不是全网最低价', // the longest claim is negated, so 最低价 inside it goes too
    'This balm does not cure anything',
    "It doesn't really cure eczema",
  ])('%s', (text) => expect(terms(text)).toEqual([]));
});

describe('claims that only look negated are flagged', () => {
  test.each([
    ['不仅能降血糖，还能根治', ['降血糖', '根治']], // 不仅 is "not only"
    ['不用吃药，喝这个就行', ['不用吃药']], // the claim itself starts with 不
    ['吃了不到一周就根治了', ['根治']], // 不 is not right before the claim
    ['not only does it cure colds', ['cure']],
    ['不要犹豫，加微信', ['加微信']], // contact is never negated this way
  ])('%s', (text, expected) => expect(terms(text)).toEqual(expected));
});
