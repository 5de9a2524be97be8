/** Explicit negation right before a claim turns it into a disclaimer (src/detect/negation.ts). */
import { describe, expect, test } from 'vitest';
import { LOWER_TO_LATIN } from '../../src/detect/negation.js';
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
    '别听别人瞎说能降血压',
  ])('%s', (text) => expect(terms(text)).toEqual([]));
});

describe('claims that only look negated are flagged', () => {
  test.each([
    ['不仅能降血糖，还能根治', ['降血糖', '根治']], // 不仅 is "not only"
    ['不用吃药，喝这个就行', ['不用吃药']], // the claim itself starts with 不
    ['吃了不到一周就根治了', ['根治']], // 不 is not right before the claim
    ['not only does it cure colds', ['cure']],
    ['不要犹豫，加微信', ['加微信']], // 犹豫 is no filler: the warning is about something else
    ['是不是全网最低价', ['全网最低价']], // an A-not-A question asks, it does not deny
    ['能不能根治啊', ['根治']],
    ['不，这款能根治', ['根治']], // a negator negates its own clause only
  ])('%s', (text, expected) => expect(terms(text)).toEqual(expected));
});

describe('a warning gives no contact; a number given does', () => {
  test.each(['千万别加陌生人的微信', '不要随便加微信', '谨防有人冒充主播加微信', '主播不会私下加微信', '让你加微信转账的都是骗子', '有人冒充我们加你微信', '说加微信领红包的别信'])('%s', (text) => expect(terms(text)).toEqual([]));
  test.each([
    ['加微信，别家都是骗子', ['加微信']], // the scam word is in the next clause, about someone else
    ['加微信然后' + '🎁'.repeat(60) + '都是骗子', ['加微信']], // the look-ahead is bounded too
    ['别忘了加微信', ['加微信']], // 别忘 is a reminder, not a warning
    ['不会的话加微信', ['加微信']],
    ['不要在这里问，打13912345678', ['phone']],
  ])('%s', (text, expected) => expect(terms(text)).toEqual(expected));
  test('the look-back is bounded (linear time under long noise) and still sees the warning next to the word', () => {
    expect(terms(('🎁'.repeat(2000) + '不要加微信').repeat(50))).toEqual([]);
    expect(terms('不要' + '🎁'.repeat(60) + '加微信')).toEqual(['加微信']);
  });
});

describe('English negation reads words back from the claim', () => {
  test.each([
    ["It doesn\u2019t cure", []],
    ["dogs' cure", ['cure']],
    ['NOT cure', []],
    ['\u212Aot cure', ['cure']], // Kelvin sign: lower case "kot", no negator
    ['İt does not cure', []],
    ['not only cure', ['cure']],
    ['not really really cure', []],
    ['not the really good cure', ['cure']], // "good" is no filler
  ])('%s', (text, expected) => expect(terms(text as string)).toEqual(expected));

  test('no other unit outside ASCII lower-cases to a Latin letter', () => {
    const found: number[] = [];
    for (let u = 0x80; u < 0x10000; u++) if (u !== 0x2019 && /[a-z]/.test(String.fromCharCode(u).toLowerCase())) found.push(u);
    expect(found).toEqual([...LOWER_TO_LATIN]);
  });
});
