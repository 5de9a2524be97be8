import { describe, expect, test } from 'vitest';
import { Normalizer, type Lane } from '../../src/normalize/normalizer.js';
import { foldPhrase, foldTables } from '../../src/normalize/tables.js';
import { LANE_BREAK } from '../../src/normalize/pinyin.js';

const laneText = (l: Lane) => String.fromCharCode(...l.codes.subarray(0, l.length));
const sounds = (l: Lane) => Array.from(l.codes.subarray(0, l.length), (c) => (c === LANE_BREAK ? '|' : foldTables().pinyin.nameOf(c)));

describe('text lane folding', () => {
  const n = new Normalizer();
  const cases: [string, string, string][] = [
    ['full-width forms', 'ＶＸ：ＭＵＭＵ６６８', 'vxmumu668'],
    ['traditional to simplified', '全網最低價 獨家', '全网最低价独家'],
    ['noise inside a phrase, Unicode-wide', '加@#￥%微 信｡＠', '加微信'],
    ['zero-width and combining marks', '加\u200b微\u0301信\ufe0f', '加微信'],
    ['circled and styled digits', '①③⑧㈢⑮', '138315'],
    ['Chinese numerals fold to digits', '一五零二三八〇壹贰', '150238012'],
    ['spoken digit words stay words', '幺两洞', '幺两洞'],
    ['emoji that stand for words', '➕🛰️ 去🍑宝 独🏠 最⬇️ 吃💊 闲🐟 全网🔝 同价位🥇 降🩸压 🈚第二家', '加微信去桃宝独家最低吃药闲鱼全网顶级同价位第1降血压无第2家'],
    ['unmapped emoji are noise', '全😀网🔥最低', '全网最低'],
    ['look-alike scripts', 'vх', 'vx'], // Cyrillic х
    ['CJK look-alikes', '徽信 蕞低 冶疗', '微信最低治疗'],
    ['English stemming', 'It cures, cured and curing', 'itcurecureandcure'],
    ['a hyphen between letters joins a word', 'Ex-clu-sive, jia-wei-xin, COVID-19', 'exclusjiaweixincovid19'],
  ];
  for (const [name, input, expected] of cases) {
    test(name, () => {
      expect(laneText(n.normalize(input).text)).toBe(expected);
    });
  }

  test('every lane unit maps back to the original span it came from', () => {
    const input = 'Ｖ信：加 微.信 ⑮🛰️ cures';
    const lane = n.normalize(input).text;
    const pieces: string[] = [];
    for (let i = 0; i < lane.length; i++) pieces.push(input.slice(lane.starts[i], lane.ends[i]));
    expect(pieces).toEqual(['Ｖ', '信', '加', '微', '信', '⑮', '⑮', '🛰', '🛰', 'c', 'u', 'r', 'es']);
  });

  test('a hyphen-joined word maps each letter back past the hyphens', () => {
    const input = 'Ex-clu-sive';
    const lane = n.normalize(input).text;
    const pieces: string[] = [];
    for (let i = 0; i < lane.length; i++) pieces.push(input.slice(lane.starts[i], lane.ends[i]));
    expect(pieces).toEqual(['E', 'x', 'c', 'l', 'u', 'sive']); // the stem exclus, its last letter stretching to the word's end
  });

  test('units after expansions are all kept, even past the lane buffer the input length reserved', () => {
    for (const withSounds of [true, false]) {
      const fresh = new Normalizer(); // lanes start at 256 units
      const input = '⑮'.repeat(100) + '的'.repeat(156);
      const lane = fresh.normalize(input, withSounds).text;
      expect(laneText(lane)).toBe('15'.repeat(100) + '的'.repeat(156));
      expect(lane.starts[lane.length - 1]).toBe(input.length - 1);
      expect(lane.ends[lane.length - 1]).toBe(input.length);
    }
  });

  test('lone surrogates are noise, not a crash', () => {
    expect(laneText(n.normalize('加\ud800微\udc00信\ud83d').text)).toBe('加微信');
  });

  test('lexicon phrases fold like text', () => {
    expect(foldPhrase('全網 最低價')).toBe('全网最低价');
    expect(foldPhrase('ＶＸ')).toBe('vx');
  });
});

describe('pinyin lane', () => {
  const n = new Normalizer();
  test('homophones share syllables', () => {
    expect(sounds(n.normalize('威信').sounds)).toEqual(sounds(n.normalize('微信').sounds));
    expect(sounds(n.normalize('降学压').sounds)).toEqual(['jiang', 'xue', 'ya']);
  });
  test('Latin runs that spell pinyin are segmented, with origins per syllable', () => {
    const input = 'jia weixin';
    const lane = n.normalize(input).sounds;
    expect(sounds(lane)).toEqual(['jia', 'wei', 'xin']);
    expect(Array.from({ length: lane.length }, (_, i) => input.slice(lane.starts[i], lane.ends[i]))).toEqual(['jia', 'wei', 'xin']);
  });
  test('non-pinyin Latin and digits break the lane', () => {
    expect(sounds(n.normalize('加 vx 微信 123 信').sounds)).toEqual(['jia', '|', 'wei', 'xin', '|', 'xin']);
  });
  test('an expansion writes one break for its units without a reading, none after a break (⑮ is 2 units, ㎯ 5)', () => {
    expect(sounds(n.normalize('加⑮信').sounds)).toEqual(['jia', '|', 'xin']);
    expect(sounds(n.normalize('加㎯㎯信').sounds)).toEqual(['jia', '|', 'xin']);
    expect(sounds(n.normalize('㎯加').sounds)).toEqual(['jia']);
    // Through the general path too (an astral expansion: a styled digit after a lone surrogate).
    expect(sounds(n.normalize('加⑮\ud835\udfcf信').sounds)).toEqual(['jia', '|', 'xin']);
  });
});

describe('expansions', () => {
  const n = new Normalizer();
  test('a form expanding into a script no lexicon is written in is noise, like a symbol', () => {
    expect(laneText(n.normalize('全网ﷺ最低').text)).toBe('全网最低');
    expect(laneText(n.normalize('全网㌖最低').text)).toBe('全网最低');
    expect(n.normalize('ﷺ'.repeat(1000)).text.length).toBe(0);
  });
  test('forms expanding into Latin letters, digits or CJK keep their expansion', () => {
    expect(laneText(n.normalize('⑮℡☎Ⅻ㎏').text)).toBe('15tel电话xiikg');
  });
});
