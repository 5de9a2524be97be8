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
  // Session 10 sets, each on wording of its own.
  ['condition … relieved, verb after', '我妈的肩周炎，敷了这个热敷包都能缓解', 'medical'],
  ['condition … a count of days … gone', '口腔溃疡的抹这个凝胶，三次就好了', 'medical'],
  ['condition … problem solved', '便秘的问题，喝了这个益生菌就解决了', 'medical'],
  ['a growth cleared out', '胆囊里的结石喝这个茶都能化掉', 'medical'],
  ['good for a named condition', '这款枕头对颈椎病特别管用', 'medical'],
  ['better than medicine', '这个姜茶比吃感冒药还管用', 'medical'],
  ['better than a doctor', '泡这个药浴比去医院打针还好使', 'medical'],
  ['the medicine stopped, pill emoji', '坚持喝了半年，降压💊都可以停了', 'medical'],
  ['prevent, one-character verb', '每天一勺纳豆粉防中风', 'medical'],
  ['a relapse held off', '术后喝这个汤能防止复发', 'medical'],
  ['a newer condition in the set', '晕船的人戴上这个手环就不晕了', 'medical'],
  ['English: condition cleared up', 'his eczema cleared up within a week of using this balm', 'medical'],
  ['slang title in a field', '这款电动牙刷就是口腔护理界的天花板', 'extreme'],
  ['slang title: king of the field', '保温杯圈的王者就是它', 'extreme'],
  ['ceiling alone as slang', '这支口红绝对是天花板', 'extreme'],
  ['a crown emoji for king', '续航👑的充电宝', 'extreme'],
  ['tried-it superlative', '这是我穿过最舒服的拖鞋', 'extreme'],
  ['nothing compares', '同价位没有哪个牌子比得过它', 'extreme'],
  ['no second maker reaches it', '国内找不到第二个厂能做到这个精度', 'extreme'],
  ['the only one around here', '我们是全市唯一的百年老店', 'extreme'],
  ['the only one, a measure word after', '世界唯一一件这种纹路的琥珀', 'extreme'],
  ['100% effect, padded', '百分之百能看到效果，不满意退', 'extreme'],
  ['A-not-A over a claim repeats it', '你们这个是不是全网最低的价？', 'extreme'],
  ['only + who + has', '这种花色只有我们家有', 'exclusive'],
  ['only + the host + padded', '是不是只有主播这里才能拿到', 'exclusive'],
  ['the only source', '整个平台就我们一家货源', 'exclusive'],
  ['English: the only shop', 'we are the only shop selling this print', 'exclusive'],
  ['English: nobody else can get it', 'no other store can get this batch', 'exclusive'],
  ['my account named on another platform', '我快手叫阿杰数码，新品先在那发', 'contact'],
  ['sent to my account on another platform', '想看开箱的去我b站看', 'contact'],
  ['a viewer asking for the account', '姐姐有小红书吗，想看更多搭配', 'contact'],
  ['a viewer asking for the owner’s number', '谁知道老板手机号，漏发了一件', 'contact'],
  ['asking whether the shop is on another app', '京东有店吗，想开发票', 'contact'],
  ['best within a price band, slang', '这台空气炸锅在同档次里最能打', 'extreme'],
  ['condition … unblocked', '过敏性鼻炎的，喷了三天鼻子就通了', 'medical'],
  // Session 12 sets and set members, each on wording of its own.
  ['testimony: condition … healed, no time span', '我的老胃病，喝了这个小米粥就好了', 'medical'],
  ['testimony: a test turned negative', '我婆婆的幽门螺杆菌，吃了三个月转阴了', 'medical'],
  ['testimony: ringing gone', '耳鸣好多年的阿姨，用了这个耳贴现在不响了', 'medical'],
  ['testimony: a reading came back up', '我弟贫血，喝了半年红豆汤，血红蛋白上来了', 'medical'],
  ['testimony: a new condition in the set', '宝宝的奶癣，擦了这个油慢慢好了', 'medical'],
  ['only + a seller, said with 就', '这个口味就咱们家直播间才有', 'exclusive'],
  ['other channels … not sold', '这套茶具别的渠道都不卖', 'exclusive'],
  ['bigger hosts could not get it', '这批货隔壁大主播都没抢到', 'exclusive'],
  ['supplier works only with us', '这位画师只跟我们一家合作', 'exclusive'],
  ['a guaranteed result', '这套网课百分之百提分', 'extreme'],
  ['a rate of one hundred percent', '我们训练营的上岸率百分之百', 'extreme'],
  ['a promised outcome with a time span', '保证你两个月瘦十斤', 'extreme'],
  ['zero failure', '这个发酵方法零失败', 'extreme'],
  ['scope … taste superlative', '全国最甜的沙糖桔就在这', 'extreme'],
  ['within a kind … it is this one', '电热毯里面最安全的就是这一款', 'extreme'],
  ['another platform, go there in the next clause', '闲鱼上价格更低，去那边买', 'contact'],
  ['asked to leave a number', '想要的在评论区留个手机号', 'contact'],
  ['asking whether there is another channel', '有没有别的联系方式，我想批发', 'contact'],
  ['add me there, owner between', '加一下我的vx，发你图', 'contact'],
  ['a teacher’s number asked for', '老师电话多少，想咨询课程', 'contact'],
  ['testimony: once applied and gone', '脚气的朋友，这个喷雾一喷就好', 'medical'],
  ['testimony: a count of pills, then gone', '偏头痛的时候吃两粒就好了', 'medical'],
  ['testimony: recovered', '关节不好的老狗吃了这个都能恢复', 'medical'],
  ['a viewer asking whether it heals', '我家孩子鼻炎，用这个能好吗', 'medical'],
  ['only + who + sells', '是不是只有咱家卖这个牌子', 'exclusive'],
  ['the account name asked for on another app', '你们抖音叫啥，我想看回放', 'contact'],
  ['a number asked for, 给我个', '方便的话给我个电话', 'contact'],
  ['parked on another app, the name to look up next', '旧书都挂转转了，昵称就是我网名', 'contact'],
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
  ['保证 that promises nothing', '这个我保证不了提分，要靠自己'],
  ['百分之百 as composition', '这条围巾是百分之百羊绒的'],
  ['就 + a bare pronoun', '今天就我有点累，大家多担待'],
  ['a refused claim in its own clause', '有人问能不能治失眠，我说不能，这就是个香薰'],
  ['a negator in the clause before does not negate the next', '这个不贵，大家放心'],
  ['a question about the goods, no condition', '这个颜色洗了会掉吗'],
  ['一抹 with no condition', '这个护手霜一抹就化开了'],
  ['a buy-out with no other channel', '这批布料我们全包断了'],
  ['detail talk with no channel', '这个问题我们下播详聊'],
  ['a group with no payment', '粉丝群里每晚抽奖'],
  ['pinyin alone is no condition', '今天hao开心，bi赛赢了'],
  ['model numbers are no leetspeak', 'the rtx4090 and the mp3 player ship today'],
  ['first of time, not a rank', '主播第一时间给大家回复'],
  // Session 10: hard negatives for the new sets and context cases.
  ['just use it: advice, no outcome', '皮肤干的话，睡前抹一层就好'],
  ['a count of days for shipping', '下单后两天就到，偏远地区三天'],
  ['a condition named, no claim', '我家老人有高血压，这个饼干含糖高吗'],
  ['a doctor named as advice', '有过敏史的，先问问医生再买'],
  ['better than a pharmacy price', '这个价比药店便宜多了'],
  ['ingredients described', '配料表里有枸杞、红枣和桂圆'],
  ['a literal ceiling', '这个吸顶灯装在天花板上特别亮'],
  ['a literal ceiling, height', '客厅天花板的高度够挂这个吊灯'],
  ['a PK ranking', '今晚PK拿了第一，谢谢大哥们'],
  ['the host’s taste', '这几个色我最喜欢的是奶茶色'],
  ['a question about the biggest size', '这款最大的码是多少？'],
  ['exclusive news', '独家消息，明天上新三款'],
  ['a sound-alike of exclusive in slang', '尊嘟假嘟，这么便宜？'],
  ['a seen-there price comparison', '我在京东看到这个卖一百二'],
  ['a platform warning', '平台规定不能私下留电话，有事走售后'],
  ['not supported', '本直播间不支持私下交易'],
  ['reported solicitation', '有人私信叫我加他薇信，说是你们店的，真的假的'],
  ['A-not-A question about side effects', '孕妇吃这个有没有副作用'],
  ['the buyer’s own number', '你的手机号要填对，不然快递联系不上你'],
  ['English idiom', 'my number one rule: always check the label'],
  ['first batch', '第一批货已经发完了'],
  ['a customer-service line of the platform', '售后热线在订单详情里，是平台客服的'],
  ['nothing compares: about a person', '主播唱歌谁都比不上'],
  ['the same item, a taste question', '同款里最好看的颜色是哪个'],
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
