/**
 * Contact details said in ways the written-form detectors miss: numbers read in groups with words
 * between them, e-mail and web addresses read aloud, ids after a disguised or split cue, and QQ
 * against phone decided by the cue. Sentences invented for these tests.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();
const detected = (text: string) =>
  scanner
    .scan(text)
    .filter((f) => f.via === 'detector')
    .map((f) => [f.term, f.matched, f.evasion]);

describe('a number read in groups with words between them (after a contact cue)', () => {
  const cases: [string, string, (string | boolean)[][]][] = [
    ['groups with filler words', '售后电话幺五八，大家记一下，二二六七，再来四三一零', [['phone', '幺五八，大家记一下，二二六七，再来四三一零', true]]],
    ['digits with a pause word', '联系手机 137 然后是 6605 最后 2291', [['phone', '137 然后是 6605 最后 2291', true]]],
    ['QQ read in groups', '扣扣号 3345 记好了 6678', [['qq', '3345 记好了 6678', true]]],
    ['prices between words, no cue', '原价1399，现在1099，到手899', []],
    ['quantities, with a cue far back', '电话咨询的姐妹很多，今天卖了139件，还剩0013件，再补8000件', []],
    ['a short group does not open a bridge', '电话多少？第13号链接，5件以上包邮', []],
    ['too many words between groups', '手机 158 今天晚上八点半之前大家都可以 2345 6789', []],
  ];
  for (const [name, text, expected] of cases) test(name, () => expect(detected(text)).toEqual(expected));
});

describe('e-mail and web addresses read aloud', () => {
  const cases: [string, string, (string | boolean)[][]][] = [
    ['艾特 … 点 com', '简历发到 lily_wu 艾特 126 点 com 就行', [['email', 'lily_wu 艾特 126 点 com', true]]],
    ['English at … dot', 'send a pic to shopmia at outlook dot com please', [['email', 'shopmia at outlook dot com', true]]],
    ['written @ with a spoken dot', '邮箱 tom88@qq点com', [['email', 'tom88@qq点com', true]]],
    ['a web address with 点', '官网是 www点miaomiao点cn', [['url', 'www点miaomiao点cn', true]]],
    ['a web address in English with www', 'go to www dot catfood dot net now', [['url', 'www dot catfood dot net', true]]],
    ['English "dot com" talk is no address', 'back in the dot com days prices were crazy', []],
    ['"at" in a sentence is no at-sign', 'look at this, best at home, dot matrix', []],
  ];
  for (const [name, text, expected] of cases) test(name, () => expect(detected(text)).toEqual(expected));
});

describe('the id after a disguised or split cue is its own span; the cue decides QQ', () => {
  test('after a cue found by sound', () => {
    expect(detected('想要的家人加威芯号 tangtang_520')).toEqual([['handle', 'tangtang_520', false]]);
  });
  test('a QQ cue makes a mobile-looking number QQ', () => {
    expect(detected('扣扣号码 13912345678')).toEqual([['qq', '13912345678', false]]);
    expect(detected('手机号码 13912345678')).toEqual([['phone', '13912345678', false]]);
    expect(detected('号码是 7654321')).toEqual([['phone', '7654321', false]]);
  });
  test('an English word after a cue is no id', () => {
    expect(detected('加威芯 please')).toEqual([]);
  });
  test('a cue split across chunks, and a cue ending a chunk, with the id after', () => {
    const s = scanner.stream('ids-split');
    expect(s.push('喜欢的姐妹加我微').filter((f) => f.via === 'detector')).toEqual([]);
    expect(s.push('信 xiaoyu2024 备注直播').map((f) => [f.term, f.matched])).toEqual([
      ['加我微信', '信'],
      ['handle', 'xiaoyu2024'],
    ]);
    const t = scanner.stream('ids-next');
    t.push('拍不到的加我微信');
    expect(t.push('ruru_888 私聊').map((f) => [f.term, f.matched])).toEqual([['handle', 'ruru_888']]);
    const u = scanner.stream('ids-none');
    u.push('拍不到的加我微信');
    expect(u.push('今天的福利特别多')).toEqual([]);
  });
});

describe('styled digits are found and marked as evasion', () => {
  test.each([
    ['加我 𝟏𝟓𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖', '𝟏𝟓𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖'],
    ['电话 ❶❺❽➊➋➌➍➎➏➐➑', '❶❺❽➊➋➌➍➎➏➐➑'],
    ['打 ١٥٨١٢٣٤٥٦٧٨', '١٥٨١٢٣٤٥٦٧٨'],
  ])('%s', (text, matched) => expect(detected(text)).toEqual([['phone', matched, true]]));
  test('a plain number is no evasion', () => expect(detected('电话 158-1234-5678')).toEqual([['phone', '158-1234-5678', false]]));
});
