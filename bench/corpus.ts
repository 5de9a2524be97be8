/**
 * Deterministic bench inputs: lexicons of live-commerce terms and ~10 MB of host-speech-like
 * Chinese text, cut into message-sized pieces. Seeded, so every run and every machine scans the
 * same bytes.
 */

/** mulberry32: small, fast, good enough to make 20,000 distinct terms. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON =
  '的一是在不了有和人这中大为上个我以要时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所得经十三之进着等度家电力里如水化高自理起小物现实加量都两体机当使点从业本去把性好应开它合还因由其些然前外天事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道此变条只没结解问意建月公无很最立代想已通并提直程展五果料象位入常总次品式活设及管特件长求老头基资边流路级少图接知较将组见计别手角期根论运指几九区强放决西被干做必先回则任取据处给色光门即保治北造百规热领七口东器压志世金增争济思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示声报完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近千周素技备半办青省列响约支般史感便团往酸历市克何除消构称太准精值号率族维划选标写存候毛亲快效院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满局照参红细引听该铁价严龙飞';

const SEED_TERMS = [
  '全网最低价', '史上最低', '销量第一', '行业第一', '最便宜', '最好用', '国家级', '独家代理', '独家授权', '别处买不到',
  '全网独家', '根治', '治愈', '降血压', '降血糖', '抗癌', '消炎', '没有副作用', '加微信', '私下交易', '去淘宝搜', '拼多多',
  '微信号', '扣扣号', '抖音号', '最高级', '最先进', '第一品牌', '万能', '特效', '药到病除', '包治百病', '祛斑', '祛痘',
];

/** `size` distinct terms of 2–8 CJK characters: the seed vocabulary, then random compounds. */
export function makeLexicon(size: number, seed: number): string[] {
  const rnd = prng(seed);
  const terms = new Set<string>(SEED_TERMS.slice(0, Math.min(size, SEED_TERMS.length)));
  while (terms.size < size) {
    const n = 2 + Math.floor(rnd() * rnd() * 7);
    let t = '';
    for (let i = 0; i < n; i++) t += COMMON[Math.floor(rnd() * COMMON.length)];
    terms.add(t);
  }
  return [...terms];
}

const OPENERS = ['家人们', '宝宝们', '姐妹们', '老铁们', '朋友们', '直播间的宝宝', '新来的宝宝', '各位'];
const PRODUCTS = ['这款面霜', '这个电热毯', '这件羽绒服', '这款红枣', '这个保温杯', '这款洗发水', '这个锅', '这双鞋', '这款茶叶', '这个台灯'];
const CLAUSES = [
  '今天给大家上一个福利', '库存只有两千单', '拍一发二', '点点关注不迷路', '喜欢的扣1', '价格一百五十八', '大家看一下细节',
  '面料很舒服', '颜色有三个', '我自己也在用', '下单备注颜色', '七天无理由', '顺丰包邮', '还有最后十单', '三号链接',
  '今天PK我们一定要赢', '感谢大哥的礼物', '左上角福袋', '我们家是源头工厂', '质量大家放心', '尺码标准', '先拍先得',
];
const ENGLISH = ['OK', 'good', 'nice', 'wow', 'top', 'sale', 'new'];
const EMOJI = ['❤️', '🔥', '👍', '😄', '🎉'];
const PUNCT = ['，', '。', '！', '～', '、', ' '];

/**
 * About `chars` UTF-16 units of host speech, with `hitRate` of the sentences carrying a lexicon
 * term, returned as messages of 10–80 units (transcript chunks and chat lines are that size).
 */
export function makeMessages(chars: number, lexicon: readonly string[], hitRate: number, seed: number): string[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const parts: string[] = [];
  let total = 0;
  while (total < chars) {
    let s = pick(OPENERS) + pick(PUNCT) + pick(PRODUCTS) + pick(CLAUSES);
    if (rnd() < 0.5) s += pick(PUNCT) + pick(CLAUSES);
    if (rnd() < hitRate) s += pick(lexicon);
    if (rnd() < 0.1) s += pick(ENGLISH);
    if (rnd() < 0.1) s += pick(EMOJI);
    if (rnd() < 0.2) s += String(Math.floor(rnd() * 1000));
    s += pick(PUNCT);
    parts.push(s);
    total += s.length;
  }
  const text = parts.join('');
  const messages: string[] = [];
  for (let i = 0; i < text.length; ) {
    let n = 10 + Math.floor(rnd() * 71);
    // Never cut a surrogate pair: messages are valid UTF-16.
    const c = text.charCodeAt(i + n - 1);
    if (c >= 0xd800 && c <= 0xdbff) n++;
    messages.push(text.slice(i, i + n));
    i += n;
  }
  return messages;
}
