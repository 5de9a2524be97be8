/**
 * The bundled lexicons on sentences written for this test (never taken from the dev corpus): each
 * category in plain and disguised forms, and the ordinary uses that must stay clean.
 */
import { describe, expect, test } from 'vitest';
import { createScanner, type Category } from '../../src/index.js';

const scanner = createScanner();
const categories = (text: string) => [...new Set(scanner.scan(text).map((f) => f.category))].sort();

describe('claims in plain and disguised forms', () => {
  test.each<[string, Category[]]>([
    ['这个羊毛衫绝对是全网最便宜的', ['extreme']],
    ['咱家的坚果销量第一，回购率很高', ['extreme']],
    ['全網最低價只有今天', ['extreme']], // traditional
    ['史 上 最 强 的 一 款 吹 风 机', ['extreme']], // spacing
    ['行/业/第/一的品质', ['extreme']], // symbols
    ['这个锅是ＮＯ．１的选择', ['extreme']], // full-width
    ['蕞低价给到大家', ['extreme']], // homophone
    ['quan wang zui di jia 了', ['extreme']], // pinyin
    ['这批蜂蜜是我们独家代理的，别处买不到', ['exclusive']],
    ['獨家授權的版本', ['exclusive']],
    ['只有我们直播间有这个色号', ['exclusive']],
    ['The sole distributor in the country is us', ['exclusive']],
    ['这款茶喝了能降血压', ['medical']],
    ['天天泡脚，失眠都好了', ['medical']],
    ['降xue压效果很明显', ['medical']], // letters for a character
    ['jiang xue tang 的秘诀', ['medical']], // pinyin
    ['泡了这个酒，风湿能根治', ['medical']],
    ['这个药膏没有副作用', ['medical']],
    ['It cured my knee pain in a week, better than pills', ['medical']],
    ['有事加我薇信', ['contact']], // homophone
    ['➕🛰️聊细节', ['contact']], // emoji
    ['打我电话 幺三八 零零幺幺 二二三三', ['contact']], // spoken digits
    ['邮箱发到 kefu@example.com', ['contact']],
    ['去🍑宝搜同名店铺', ['contact']],
    ['DM me on WhatsApp for a better price', ['contact']],
    ['全网最低价，想要的加vx', ['contact', 'extreme']],
    ['最有效的降糖茶', ['extreme', 'medical']],
  ])('%s', (text, expected) => expect(categories(text)).toEqual(expected));
});

describe('ordinary language stays clean', () => {
  test.each([
    '最近降温了，大家多穿点',
    '第一次来直播间的宝宝点个关注',
    '最后三单，拍完就下架',
    '你最好拍大一码，偏小',
    '我个人最喜欢这个米白色',
    '这个价位能买到这样的很不错',
    '可以用微信支付，也可以用支付宝',
    '想要的扣1，我看看人数',
    'V领的款式显脸小',
    '我们不是药品，有病请去医院',
    '我有鼻炎，这个香味会不会太冲',
    '暑假去度假穿这条裙子',
    '独立包装，方便携带',
    '价格一百五十八，库存两千单',
    '今天降价了，比昨天便宜',
    '吃了酱鸭再喝点姜汤',
    'Checkout in the app, shipping is free',
    '最低档温度三十度左右',
  ])('%s', (text) => expect(categories(text)).toEqual([]));
});
