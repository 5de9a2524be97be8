/**
 * Recall by mechanism on sentences invented for this test (never the development corpus): each row
 * names the mechanism that should find it, with the bundled lexicons. Clean rows of the same
 * shape check that each mechanism stays specific.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();
const categories = (text: string) => [...new Set(scanner.scan(text).map((f) => f.category))].sort();

const found: [mechanism: string, text: string, category: string][] = [
  ['testimony: condition … symptom gone, over clauses', '我爸的痛风，喝了一个来月，现在脚趾头不肿了', 'medical'],
  ['testimony: condition … faded', '孩子脸上的湿疹抹了没几天就淡了', 'medical'],
  ['testimony: time span … not back', '坚持了3个疗程，到现在再也没犯过', 'medical'],
  ['testimony: sleep', '失眠十几年了，喝了两盒，现在一觉到天亮', 'medical'],
  ['a condition half in pinyin', '宝宝的shi疹抹了三天就消了', 'medical'],
  ['a condition half in pinyin, over clauses', '我的tang尿病，喝了两个月，现在正常了', 'medical'],
  ['traditional characters inside a claim', '這款茶喝了能根治痛風', 'medical'],
  ['a pill emoji for medicine', '这款是治鼻炎的特效💊', 'medical'],
  ['adjacent verb × condition from the shared set', '这个贴片专门缓解腰肌劳损', 'medical'],
  ['supply: made only for this room', '这个色号是品牌方专门为我们直播间调的', 'exclusive'],
  ['supply: the room’s own version', '今天上的是咱们直播间定制款', 'exclusive'],
  ['supply: other hosts cannot get it', '其他达人想上都上不了这个链接', 'exclusive'],
  ['supply: a supplier pressed to pick a side', '我跟工厂说了，要么选我要么选他', 'exclusive'],
  ['ranked first among all', '同品类的洗碗机里它稳居第一', 'extreme'],
  ['ranked first, adjacent', '这几款当中数第一的就是它', 'extreme'],
  ['slang for the very best', '这个气垫真的yyds', 'extreme'],
  ['slang: the top of the top', '这就是顶流中的顶流', 'extreme'],
  ['English leetspeak', 'honestly the ch3ap3st deal online', 'extreme'],
  ['English leetspeak, two digits', 'b3st s3ller of the year', 'extreme'],
  ['an emoji standing for a character', '只🈶我们家有这个价', 'exclusive'],
  ['an emoji standing for 信', '有问题加我微✉️', 'contact'],
  ['testimony: falls asleep', '我婆婆失眠好多年，吃了半个月现在倒头就睡', 'medical'],
  ['testimony: rash all gone', '闺女的湿疹涂了一周，小疙瘩全没了', 'medical'],
  ['testimony: walks without limping', '老寒腿的大爷，贴了俩月现在走路不瘸了', 'medical'],
  ['testimony: reversed', '骨质疏松的阿姨喝了半年，说是逆转了', 'medical'],
  ['testimony: a reading brought down, numbers in words', '我舅舅血压以前一百七，喝了这个降到一百二', 'medical'],
  ['a condition by its initials', '家里有gxy的，坚持喝三个月，血压正常了', 'medical'],
  ['an injection emoji', '用了这个再也不用打💉了，不用再打💉', 'medical'],
  ['a tooth emoji in a testimony', '牙膏刷了两次🦷疼就没了', 'medical'],
  ['English: replace the meds', 'you can replace your blood pressure pills with this', 'medical'],
  ['supply: a buy-out, others cannot get it', '这个款我们包断了，别的主播都拿不到', 'exclusive'],
  ['supply: the supplier made to pick', '我让厂家只能跟我合作', 'exclusive'],
  ['supply: English, nobody else', 'this mill supplies us and no one else', 'exclusive'],
  ['a top emoji for the very best', '这款面霜全网🔝', 'extreme'],
  ['an absolute guarantee of a cure', '这个药膏百分之百能治愈脚气', 'extreme'],
  ['a green-bubble emoji for WeChat', '想要的加🟢泡泡', 'contact'],
  ['a sweet-potato emoji for Xiaohongshu', '在🍠上搜我们同名店', 'contact'],
  ['a plus sign for add, then talk in detail', '感兴趣的+V详聊', 'contact'],
  ['a host asking for a viewer’s number', '宝贝把你的手机号私信给我，我单独发你', 'contact'],
  ['paying in the group, not the checkout', '老粉直接在群里转账，不用拍链接', 'contact'],
  ['a resale app named as the place to search', '转转上搜我们的店名就能找到', 'contact'],
];

const clean: [mechanism: string, text: string][] = [
  ['testimony needs a condition or an illness-only symptom', '这件T恤洗了三次，颜色都没淡'],
  ['a sentence end stops a testimony', '我有鼻炎。今天风大，大家出门注意'],
  ['supply talk without exclusivity', '工厂今天加班赶货，明天就能发'],
  ['ranking question', '你们觉得这几个里哪个排第一？'],
  ['a fall with no reading named', '明天气温降到零下，大家多穿点'],
  ['转转 as a stroll, not the app', '下播以后出去转转透透气'],
  ['a sweet potato is food', '刚出炉的🍠真香'],
  ['a plane emoji is travel', '明天✈️去广州出差，停播一天'],
  ['a buy-out with no other channel', '这批布料我们全包断了'],
  ['detail talk with no channel', '这个问题我们下播详聊'],
  ['a group with no payment', '粉丝群里每晚抽奖'],
  ['pinyin alone is no condition', '今天hao开心，bi赛赢了'],
  ['model numbers are no leetspeak', 'the rtx4090 and the mp3 player ship today'],
  ['first of time, not a rank', '主播第一时间给大家回复'],
];

describe('found by mechanism', () => {
  for (const [mechanism, text, category] of found) test(`${mechanism}: ${text}`, () => expect(categories(text)).toContain(category));
});

describe('clean lines of the same shapes', () => {
  for (const [mechanism, text] of clean) test(`${mechanism}: ${text}`, () => expect(categories(text)).toEqual([]));
});

describe('half-pinyin spans are marked as evasion', () => {
  test.each([
    ['宝宝的shi疹抹了三天就消了', true],
    ['bi炎bi炎bi炎', false], // no outcome: nothing flagged, and the evasion check ends (a run of letters per ideograph)
  ])('%s', (text, flagged) => {
    const flags = scanner.scan(text);
    expect(flags.length > 0).toBe(flagged);
    for (const f of flags) expect(f.evasion).toBe(true);
  });
  test('names written in Latin letters are not pinyin (qq号, vx号)', () => {
    expect(scanner.scan('qq号多少').map((f) => f.evasion)).toEqual([false]);
    expect(scanner.scan('加vx号').map((f) => f.evasion)).toEqual([false]);
  });
});
