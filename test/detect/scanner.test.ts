import { describe, expect, test } from 'vitest';
import { createScanner, InputError, type Flag } from '../../src/index.js';
import { TEST_LEXICON } from './fixture-lexicon.js';

const scanner = createScanner({ lexicon: TEST_LEXICON });
const brief = (flags: Flag[]) => flags.map((f) => [f.category, f.term, f.matched]);

function expectSpans(text: string, flags: Flag[]) {
  for (const f of flags) expect(text.slice(f.start, f.end)).toBe(f.matched);
}

describe('scan(text)', () => {
  test('leftmost-longest within a category, every category reported', () => {
    const text = '全网最低价，而且最有效的降糖茶';
    const flags = scanner.scan(text);
    expect(brief(flags)).toEqual([
      ['extreme', '全网最低价', '全网最低价'],
      ['extreme', '最有效', '最有效'],
      ['medical', '降糖', '降糖'],
    ]);
    expectSpans(text, flags);
  });

  test('evasion is matched and the span points at the original text', () => {
    const text = '今天全*網*最*低*價哦';
    const [flag] = scanner.scan(text);
    expect(flag).toMatchObject({ category: 'extreme', term: '全网最低价', matched: '全*網*最*低*價', start: 2, end: 11, evasion: true, via: 'text' });
  });

  test('plain writing is not marked as evasion', () => {
    expect(scanner.scan('全网最低价')[0]!.evasion).toBe(false);
    expect(scanner.scan('the LOWEST price')[0]).toMatchObject({ term: 'lowest price', evasion: false });
  });

  test('homophones and pinyin through the pinyin lane keep the term metadata', () => {
    expect(scanner.scan('这个能降学压')[0]).toMatchObject({ category: 'medical', term: '降血压', severity: 'high', via: 'pinyin', matched: '降学压' });
    expect(scanner.scan('jia wei xin')[0]).toMatchObject({ category: 'contact', term: '加微信', matched: 'jia wei xin' });
    expect(brief(scanner.scan('加威信'))).toEqual([['contact', '加微信', '加威信']]);
    // A full-width clause mark ends what the pinyin lane can hear; symbols inside a word do not.
    expect(scanner.scan('这个能降，学压')).toEqual([]);
    expect(brief(scanner.scan('这个能降*学压'))).toEqual([['medical', '降血压', '降*学压']]);
  });

  test('a polyphonic character is heard both in context and as the text lane reads it alone', () => {
    // 便宜 is pian yi in context, but 便 alone (how CJK in the text is read) is bian.
    const s = createScanner({ lexicon: { terms: [{ phrase: '最便宜', category: 'extreme', severity: 'high' }], allow: [] } });
    expect(brief(s.scan('全网zui便宜的'))).toEqual([['extreme', '最便宜', 'zui便宜']]);
    expect(brief(s.scan('zui pian yi'))).toEqual([['extreme', '最便宜', 'zui pian yi']]);
    expect(brief(s.scan('醉偏宜'))).toEqual([['extreme', '最便宜', '醉偏宜']]);
  });

  test('allow-list suppresses by overlapping span, not by exact word', () => {
    expect(scanner.scan('最近很忙')).toEqual([]);
    expect(scanner.scan('第一次买')).toEqual([]);
    expect(scanner.scan('可以用微信支付')).toEqual([]);
    expect(scanner.scan('最低档温度')).toEqual([]);
    // allowing 三黄片 still leaves 黄片 flagged elsewhere in the same message
    expect(brief(scanner.scan('三黄片和黄片'))).toEqual([['extreme', '黄片', '黄片']]);
    // a banned phrase that strictly contains the allow phrase stays flagged
    expect(brief(scanner.scan('他家销量第一次次都是'))).toEqual([]); // 销量第一 overlaps 第一次 without containing it
    expect(brief(scanner.scan('这个暖手宝我们独家')).length).toBe(1);
    expect(scanner.scan('去度假了')).toEqual([]); // the pinyin lane hears du jia; the allow phrase wins
  });

  test('English: stems on both sides, word boundaries both ways, exact entries', () => {
    expect(brief(scanner.scan('This cures it'))).toEqual([['medical', 'cure', 'cures']]);
    expect(brief(scanner.scan('It is curing me'))).toEqual([['medical', 'cure', 'curing']]);
    expect(scanner.scan('secure the box')).toEqual([]);
    expect(brief(scanner.scan('a star is born'))).toEqual([['extreme', 'star', 'star']]);
    expect(scanner.scan('stars and a start')).toEqual([]);
    expect(scanner.scan('vxyz')).toEqual([]);
    expect(brief(scanner.scan('加VX'))).toEqual([['contact', 'vx', 'VX']]);
  });

  test('repeated characters are tolerated without breaking terms that contain repeats', () => {
    expect(brief(scanner.scan('最最最最低价'))[0]![0]).toBe('extreme');
    expect(brief(scanner.scan('加加微微信信'))).toEqual([['contact', '加微信', '加微微信']]);
  });

  test('non-string text is a coded input error', () => {
    expect(() => scanner.scan(42 as unknown as string)).toThrow(InputError);
  });

  test('flag ids are unique and increase', () => {
    const s = createScanner({ lexicon: TEST_LEXICON, firstFlagId: 100 });
    const ids = [...s.scan('最低价'), ...s.scan('加微信')].map((f) => f.id);
    expect(ids).toEqual(['f100', 'f101']);
  });
});

describe('stream(id).push(chunk)', () => {
  test('a phrase split across chunks is flagged on the chunk where it completes', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    const st = s.stream('r1');
    expect(st.push('这款的价格是全网最')).toEqual([]);
    const flags = st.push('低价的，拍一送一');
    expect(flags).toHaveLength(1);
    expect(flags[0]).toMatchObject({ term: '全网最低价', matched: '低价', start: 0, end: 2, carried: '全网最', stream: 'r1' });
  });

  test('noise at the seam and interleaved streams', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    expect(s.stream('a').push('想要的加 微')).toEqual([]);
    expect(s.stream('b').push('大家好')).toEqual([]);
    expect(brief(s.stream('a').push('.信聊'))).toEqual([['contact', '加微信', '.信']]);
  });

  test('a phrase already reported is not reported again when a later chunk extends it', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    const st = s.stream('r');
    expect(brief(st.push('销量第一'))).toEqual([['extreme', '销量第一', '销量第一']]);
    expect(st.push('，下一个')).toEqual([]);
  });

  test('joining chunks does not create claims the allow-list rules out', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    const st = s.stream('r');
    expect(st.push('可以用微')).toEqual([]);
    expect(st.push('信支付')).toEqual([]);
  });

  test('chat is never joined with transcript chunks', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    const st = s.stream('r');
    st.push('全网最');
    expect(st.push('低价', { kind: 'chat' })).toEqual([]);
    expect(brief(st.push('低价'))).toEqual([['extreme', '全网最低价', '低价']]);
  });

  test('a phone number split across chunks', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    const st = s.stream('r');
    expect(st.push('有事打1893')).toEqual([]);
    const [flag] = st.push('4172056');
    expect(flag).toMatchObject({ term: 'phone', matched: '4172056', start: 0, carried: '1893' });
  });

  test('the detector skips chunks with under 5 digit units, but not digits that expansions produce or a carried run needs', () => {
    // ⑧⑤⑥ fold to one digit each; ⑬⑫⑬⑭ expand to two each: 11 digit units in all.
    expect(brief(scanner.scan('号码⑬⑧⑫⑬⑭⑤⑥'))).toEqual([['contact', 'phone', '⑬⑧⑫⑬⑭⑤⑥']]);
    const st = createScanner({ lexicon: TEST_LEXICON }).stream('r');
    expect(st.push('有事打1893417205')).toEqual([]);
    expect(st.push('6')).toMatchObject([{ term: 'phone', matched: '6', carried: '1893417205' }]);
    expect(st.push('，库存还有12件')).toEqual([]);
  });

  test('a number split at the seam with noise between the parts is found on the chunk that completes it', () => {
    const st = createScanner({ lexicon: TEST_LEXICON }).stream('r');
    expect(st.push('打给我138 1234')).toEqual([]);
    expect(st.push(' 5678 晚上打')).toMatchObject([{ term: 'phone', matched: ' 5678', carried: '138 1234' }]);
  });

  test('per-stream state does not leak between streams', () => {
    const s = createScanner({ lexicon: TEST_LEXICON });
    expect(s.stream('a').push('全网最')).toEqual([]);
    expect(s.stream('b').push('低价')).toEqual([]);
    expect(brief(s.stream('a').push('低价'))).toEqual([['extreme', '全网最低价', '低价']]);
    expect(s.endStream('a')).toBe(true);
    expect(s.stream('a').push('低价')).toEqual([]);
  });
});
