/**
 * One context mechanism, one case table (src/detect/context.ts): each row is a sentence invented
 * for this test, the case expected to decide it (or none), and what is flagged.
 */
import { describe, expect, test } from 'vitest';
import { CONTEXT_CASES, contextDrops } from '../../src/detect/context.js';
import { createScanner } from '../../src/index.js';
import { foldTables } from '../../src/normalize/tables.js';

const scanner = createScanner();
const flagged = (text: string) => scanner.scan(text).map((f) => `${f.category}:${f.matched}`);

// [sentence, the words of it a flag would cover, category code, case that drops it or undefined]
const rows: [string, string, number, string | undefined][] = [
  ['平台明令禁止把粉丝往微信上引', '微信', 3, 'prohibition'],
  ['这里不允许发联系方式，发了会封号', '联系方式', 3, 'prohibition'],
  ['我们主播从不私下加粉丝微信', '微信', 3, 'refusal'],
  ['老粉都知道我们从来不加微信', '加微信', 3, 'refusal'],
  ['别犹豫加微信', '加微信', 3, undefined],
  ['千万不要相信弹幕里叫你加vx的', 'vx', 3, 'refusal'],
  ['别犹豫了赶紧加微信', '微信', 3, undefined],
  ['私下加微信转账的一律没保障', '微信', 3, 'unsafe'],
  ['下播以后加微信，站外转账没保障', '微信', 3, undefined], // the warning is its own clause,
  ['please do not message anyone on WhatsApp', 'WhatsApp', 3, 'english-warning'],
  ["don't forget to ping me on WhatsApp", 'WhatsApp', 3, undefined],
  ['这三个杯子哪个容量最大？', '最大', 0, 'which-question'],
  ['哪款保湿效果最好？', '最好', 0, 'which-question'],
  ['我们这款保湿效果最好！', '最好', 0, undefined],
  ['今天给大家带来一个独家爆料', '独家', 1, 'not-goods'],
  ['主持人第一时间赶到现场', '第一', 0, 'not-goods'],
  ['这款面膜是我们独家的', '独家', 1, undefined],
  ['her number one complaint was the zipper', 'number one', 0, 'idiom'],
  ['always looking out for number one', 'number one', 0, 'idiom-before'],
  ['this blender is the number one seller', 'number one', 0, undefined],
];

describe('context cases decide each row', () => {
  const fold = foldTables().fold;
  for (const [text, word, category, expected] of rows) {
    test(`${expected ?? 'stands'}: ${text}`, () => {
      const start = text.indexOf(word);
      expect(start).toBeGreaterThanOrEqual(0);
      expect(contextDrops(category, text, start, start + word.length, fold)?.name).toBe(expected);
    });
  }
  test('every case in the table is exercised by a row', () => {
    const used = new Set(rows.map((r) => r[3]));
    for (const c of CONTEXT_CASES) expect(used.has(c.name), c.name).toBe(true);
  });
});

describe('through the scanner', () => {
  test.each([
    '平台规定禁止私下加微信交易，大家直接在购物车拍',
    '不要随便扫陌生人的二维码，也不要加任何人微信',
    '家人们，哪个颜色最显白？',
    '独家专访明天上线',
    'safety is always the number one priority',
  ])('no flag: %s', (text) => expect(flagged(text)).toEqual([]));
  test.each([
    ['加我微信领优惠券', ['contact:加我微信']],
    ['全网最低价就在这里', ['extreme:全网最低价']],
    ['平台禁止加微信？加我 abc_1234', ['contact:abc_1234']], // an id given is a contact whatever the words
  ])('still flagged: %s', (text, expected) => expect(flagged(text)).toEqual(expected));
});
