import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

// No lexicon terms: only the detectors speak.
const scanner = createScanner({ lexicon: { terms: [{ phrase: '占位词语', category: 'extreme', severity: 'low' }] } });
const found = (text: string) => scanner.scan(text).map((f) => [f.term, f.matched]);

describe('phone numbers', () => {
  const positives: [string, string][] = [
    ['有事打13912345678', '13912345678'],
    ['号码 139 1234 5678 随时', '139 1234 5678'],
    ['139-1234-5678', '139-1234-5678'],
    ['139.1234.5678', '139.1234.5678'],
    ['１３９１２３４５６７８', '１３９１２３４５６７８'],
    ['①③⑨①②③④⑤⑥⑦⑧', '①③⑨①②③④⑤⑥⑦⑧'],
    ['一三九一二三四五六七八', '一三九一二三四五六七八'],
    ['幺三九幺两三四五六拐八', '幺三九幺两三四五六拐八'],
    ['壹叁玖壹贰叁肆伍陆柒捌', '壹叁玖壹贰叁肆伍陆柒捌'],
    ['+86 139 1234 5678', '86 139 1234 5678'],
    ['座机010-87654321', '010-87654321'],
    ['热线400-123-4567', '400-123-4567'],
    ['电话：87654321', '87654321'],
  ];
  for (const [text, matched] of positives) test(`finds ${text}`, () => expect(found(text)).toEqual([['phone', matched]]));

  const negatives = ['厚度有0.35、0.45、0.55、0.65四种', '宽度0.9 1.2 1.5 1.8 2.0米都有', '价格一百五十八', '身高一五八穿S', '库存两千单', '二零二五年新款', '1号链接到6号链接', '订单号202511221234567890', '第一件九十九', '两件八折'];
  for (const text of negatives) test(`ignores ${text}`, () => expect(found(text)).toEqual([]));

  test('a digit word after a complete number is trimmed off, whatever noise came between', () => {
    expect(found('18612345678，一会儿打过来')).toEqual([['phone', '18612345678']]);
    expect(found('订货热线 0571-86543210，三楼前台')).toEqual([['phone', '0571-86543210']]);
    expect(found('两个号：13712345678、15912345678')).toEqual([['phone', '13712345678'], ['phone', '15912345678']]);
  });

  test('a number written in groups is found next to another number; the span is its own digits', () => {
    expect(found('手机 15812345678 9点以后打')).toEqual([['phone', '15812345678']]);
    expect(found('早上 8 15812345678')).toEqual([['phone', '15812345678']]);
    // Spoken digits trimmed off an edge are left out of the span too.
    expect(found('拨一三九一二三四五六七八两')).toEqual([['phone', '一三九一二三四五六七八']]);
  });

  test('a phone number inside a longer run of digits is not a phone number', () => {
    expect(found('编号1391234567890123')).toEqual([]);
  });
});

describe('QQ numbers need a cue', () => {
  test.each([
    ['QQ：１９２８３７４６５', '１９２８３７４６５'],
    ['扣扣号是 87654321', '87654321'],
    ['🐧 123456789', '123456789'],
    ['球球 55667788', '55667788'],
  ])('%s', (text, matched) => expect(found(text)).toEqual([['qq', matched]]));
  test('digits without a cue are not a QQ number', () => expect(found('买了123456个')).toEqual([]));
});

describe('links and e-mail', () => {
  test.each([
    ['官网www.example-shop.cn上下单', 'url', 'www.example-shop.cn'],
    ['see https://x.example.com/p?id=1 now', 'url', 'https://x.example.com/p?id=1'],
    ['邮箱 shop.owner@163.com 联系', 'email', 'shop.owner@163.com'],
    ['ｗｗｗ．ｓｈｏｐ．ｃｏｍ', 'url', 'ｗｗｗ．ｓｈｏｐ．ｃｏｍ'],
  ])('%s', (text, term, matched) => expect(found(text)).toEqual([[term, matched]]));
  test.each(['重1.5kg的', '版本v2.0', 'e.g. this one', '3.14'])('ignores %s', (text) => expect(found(text)).toEqual([]));
});

describe('account ids after an app cue', () => {
  test.each([
    ['加我微信 tea_house88 详聊', 'tea_house88'],
    ['ｖｘ：ｌｉｎｙｕｎ２０２６', 'ｌｉｎｙｕｎ２０２６'],
    ['微信号是 Shop.Leaf09', 'Shop.Leaf09'],
    ['telegram me at @quiet_harbor', '@quiet_harbor'],
    ['find me on Instagram @north.wind', '@north.wind'],
    ['V❤️：mint_garden7', 'mint_garden7'], // a lone V (WeChat) with an emoji and colon before the id
    ['薇 river.stone21', 'river.stone21'],
  ])('%s', (text, matched) => expect(found(text)).toEqual([['handle', matched]]));

  test.each([
    'wechat hello world', // words, not an id
    'order online today2026', // "line" inside "online" is no cue
    'sku abc_12345 in stock', // an id-like token without an app cue
    '微信支付 满299减30',
    'dev: build_2026', // a word ending in v is no V cue
  ])('ignores %s', (text) => expect(found(text)).toEqual([]));
});
