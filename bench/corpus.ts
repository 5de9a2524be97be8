/**
 * Deterministic bench inputs: lexicons of live-commerce terms and ~10 MB of host-speech-like
 * Chinese text, cut into message-sized pieces. Everything is seeded (mulberry32), so every run on
 * every machine scans the same code units and match counts are comparable across runs.
 */
import type { Category } from '../src/index.js';

/** mulberry32: tiny, fast and well enough distributed to draw 20,000 distinct compounds. */
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

type Rnd = () => number;
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

// ---------------------------------------------------------------------------------------------
// Lexicon vocabulary: the kinds of phrases a live-commerce compliance lexicon actually holds.

const SUPERLATIVES = [
  '最', '全网', '第一', '史上', '全国', '顶级', '极致', '首选', '唯一', '国家级', '世界级', '最高', '最低',
  '最好', '最便宜', '销量第一', '全网最低', '绝对', '百分百', '王牌', '独一无二', '遥遥领先', '天花板',
];
const PRODUCTS = [
  '面霜', '精华', '口红', '电热毯', '羽绒服', '红枣', '保温杯', '洗发水', '茶叶', '蜂蜜', '燕窝', '阿胶', '奶粉',
  '面膜', '防晒', '眼霜', '保健品', '益生菌', '胶原蛋白', '酵素', '玻尿酸', '粉底液', '护发素', '蛋白粉', '枸杞',
  '人参', '鱼油', '钙片', '维生素', '减肥茶', '牙膏', '沐浴露', '卫生巾', '纸尿裤', '按摩仪', '足浴盆',
];
const QUALITIES = ['价', '价格', '品牌', '产品', '效果', '品质', '工艺', '原料', '材质', '好用', '划算', '销量', '口碑'];
const EFFICACY = [
  '根治', '治愈', '降血压', '降血糖', '抗癌', '消炎', '祛斑', '祛痘', '美白', '减肥', '瘦身', '丰胸', '生发', '防脱',
  '抗衰老', '去皱', '排毒', '养胃', '护肝', '助眠', '增高', '提高免疫力', '药到病除', '包治百病', '没有副作用',
  '立竿见影', '三天见效', '一次见效', '永不反弹', '无效退款',
];
const EXCLUSIVE = ['独家', '独家代理', '独家授权', '别处买不到', '全网独家', '仅此一家', '绝版', '特供', '内部渠道', '专供', '限量'];
const PLATFORMS = ['微信', '扣扣', '淘宝', '拼多多', '京东', '闲鱼', '快手', '小红书', '抖音', '微博', '支付宝'];
const CONTACT_ACTIONS = ['加', '私聊', '去', '搜', '联系', '转', '找我', '私下'];
const CONTACT_NOUNS = ['号', '群', '好友', '店铺', '小号', '私信', '交易', '下单'];

/** 500 common characters: the pool for the 20k lexicon's random compounds. */
const COMMON =
  '的一是在不了有和人这中大为上个我以要时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所得经十三之进着等度家电力里如水化高自理起小物现实加量都两体机当使点从业本去把性好应开它合还因由其些然前外天事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道此变条只没结解问意建月公无很最立代想已通并提直程展五果料象位入常总次品式活设及管特件长求老头基资边流路级少图接知较将组见计别手角期根论运指几九区强放决西被干做必先回则任取据处给色光门即保治北造百规热领七口东器压志世金增争济思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示声报完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近千周素技备半办青省列响约支般史感便团往酸历市克何除消构称太准精值号率族维划选标写存候毛亲快效院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满局照参红细引听该铁价严龙飞';

export interface BenchLexicon {
  /** Distinct phrases, 2–8 UTF-16 units each. */
  patterns: string[];
  /** Category per pattern, for the scanner's lexicon entries. */
  categories: Category[];
}

/**
 * Every phrase the vocabulary composes, with its category, in a fixed order: the base words first
 * (they are what small real lexicons hold), then the compositions a large lexicon adds.
 */
function vocabulary(): { base: [string, Category][]; composed: [string, Category][] } {
  const base: [string, Category][] = [];
  const composed: [string, Category][] = [];
  let out = base;
  const add = (p: string, c: Category) => {
    if (p.length >= 2 && p.length <= 8) out.push([p, c]);
  };
  for (const w of EFFICACY) add(w, 'medical');
  for (const w of EXCLUSIVE) add(w, 'exclusive');
  for (const w of SUPERLATIVES) add(w, 'extreme');
  out = composed;
  for (const p of PLATFORMS) for (const s of ['号', '群']) add(p + s, 'contact');
  for (const a of CONTACT_ACTIONS) for (const p of PLATFORMS) add(a + p, 'contact');
  for (const s of SUPERLATIVES) for (const q of QUALITIES) add(s + q, 'extreme');
  for (const s of SUPERLATIVES) for (const p of PRODUCTS) add(s + p, 'extreme');
  for (const p of PRODUCTS) for (const e of EFFICACY) add(p + e, 'medical');
  for (const e of EXCLUSIVE) for (const p of PRODUCTS) add(e + p, 'exclusive');
  for (const p of PLATFORMS) for (const n of CONTACT_NOUNS) add(p + n, 'contact');
  return { base, composed };
}

/** Random compound lengths 2–6, weighted to 3–4 like real multi-character terms. */
const COMPOUND_LENGTHS = [2, 3, 3, 3, 4, 4, 4, 5, 5, 6];
const CATEGORY_CYCLE: Category[] = ['extreme', 'exclusive', 'medical'];

/**
 * `size` distinct phrases: a seeded shuffle of the composed vocabulary, topped up with random
 * 2–6 character compounds of common characters when the vocabulary runs out (the 20k lexicon).
 * A random compound that occurs inside the host-speech templates is rejected: otherwise a stray
 * `大家` would match in every other sentence and the text's hit rate would no longer be the
 * intended minority.
 */
export function makeLexicon(size: number, seed: number): BenchLexicon {
  const rnd = prng(seed);
  // Base words stay in front (a 500-term lexicon has all the plain words); compositions are shuffled.
  const { base, composed } = vocabulary();
  for (let i = composed.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [composed[i], composed[j]] = [composed[j]!, composed[i]!];
  }
  const seen = new Map<string, Category>();
  for (const [p, c] of [...base, ...composed]) {
    if (seen.size >= size) break;
    if (!seen.has(p)) seen.set(p, c);
  }
  const forbidden = templateSubstrings();
  let k = 0;
  while (seen.size < size) {
    const n = pick(rnd, COMPOUND_LENGTHS);
    let t = '';
    for (let i = 0; i < n; i++) t += COMMON[Math.floor(rnd() * COMMON.length)];
    if (seen.has(t) || forbidden.has(t)) continue;
    seen.set(t, CATEGORY_CYCLE[k++ % CATEGORY_CYCLE.length]!);
  }
  return { patterns: [...seen.keys()], categories: [...seen.values()] };
}

// ---------------------------------------------------------------------------------------------
// Host speech: greetings, product lines, prices, PK chatter, a little English and emoji.

const OPENERS = ['家人们', '宝宝们', '姐妹们', '老铁们', '朋友们', '直播间的宝宝', '新来的宝宝', '各位', '哥哥姐姐们', ''];
const ITEMS = [
  '这款面霜', '这个电热毯', '这件羽绒服', '这款红枣', '这个保温杯', '这款洗发水', '这个锅', '这双鞋', '这款茶叶',
  '这个台灯', '这条裤子', '这套四件套', '这款零食', '这个收纳盒', '这款香水',
];
const CLAUSES = [
  '今天给大家上一个福利', '库存只有两千单', '拍一发二', '点点关注不迷路', '喜欢的扣1', '大家看一下细节', '面料很舒服',
  '颜色有三个', '我自己也在用', '下单备注颜色', '七天无理由', '顺丰包邮', '还有最后十单', '今天PK我们一定要赢',
  '感谢大哥的礼物', '左上角福袋', '我们家是源头工厂', '质量大家放心', '尺码标准', '先拍先得', '上车的宝宝扣已拍',
  '主播给大家试一下', '运费险我们送', '没抢到的不要急', '马上给大家加库存', '这个手感你们看', '老粉都知道',
  '欢迎新进来的宝宝', '点赞到一万我们再上', '小黄车里自己去拍', '赢了PK给大家发红包', '这个价格真的不多了',
];
const PRICES: ((rnd: Rnd) => string)[] = [
  (rnd) => `价格${Math.floor(rnd() * 500) + 9}元`,
  (rnd) => `到手价${Math.floor(rnd() * 200) + 9}.9`,
  (rnd) => `原价${Math.floor(rnd() * 900) + 100}今天只要${Math.floor(rnd() * 99) + 1}`,
  (rnd) => `${Math.floor(rnd() * 9) + 1}号链接`,
  (rnd) => `拍${Math.floor(rnd() * 3) + 1}件减${Math.floor(rnd() * 50) + 5}`,
];
const ENGLISH = ['OK', 'good', 'nice', 'wow', 'top', 'sale', 'new', 'PK', 'link', 'yyds'];
const EMOJI = ['❤️', '🔥', '👍', '😄', '🎉', '🛒', '💰'];
const PUNCT = ['，', '。', '！', '～', '、', ' ', '！！', '...'];

/** Every substring of the template vocabulary, so random lexicon compounds can avoid it. */
function templateSubstrings(): Set<string> {
  const out = new Set<string>();
  for (const s of [...OPENERS, ...ITEMS, ...CLAUSES, '价格元到手价原价今天只要号链接拍件减']) {
    for (let i = 0; i < s.length; i++) for (let j = i + 2; j <= s.length; j++) out.add(s.slice(i, j));
  }
  return out;
}

/** One host sentence; with probability `hitRate` it carries a lexicon phrase somewhere inside. */
function sentence(rnd: Rnd, lexicon: readonly string[], hitRate: number): string {
  const parts = [pick(rnd, OPENERS) + pick(rnd, PUNCT), pick(rnd, ITEMS) + pick(rnd, CLAUSES)];
  if (rnd() < 0.5) parts.push(pick(rnd, PUNCT) + pick(rnd, CLAUSES));
  if (rnd() < 0.3) parts.push(pick(rnd, PUNCT) + pick(rnd, PRICES)(rnd));
  if (rnd() < 0.1) parts.push(' ' + pick(rnd, ENGLISH) + ' ');
  if (rnd() < 0.1) parts.push(pick(rnd, EMOJI));
  if (rnd() < hitRate) parts.splice(1 + Math.floor(rnd() * parts.length), 0, pick(rnd, lexicon));
  return parts.join('') + pick(rnd, PUNCT);
}

/**
 * About `chars` UTF-16 units of host speech, `hitRate` of the sentences carrying a lexicon phrase,
 * cut into messages of 10–80 units (live transcript chunks and chat lines are that size). Cuts
 * fall anywhere, even inside a phrase, as real transcript chunking does; never inside a surrogate pair.
 */
export function makeMessages(chars: number, lexicon: readonly string[], hitRate: number, seed: number): string[] {
  const rnd = prng(seed);
  const parts: string[] = [];
  let total = 0;
  while (total < chars) {
    const s = sentence(rnd, lexicon, hitRate);
    parts.push(s);
    total += s.length;
  }
  const text = parts.join('');
  const messages: string[] = [];
  for (let i = 0; i < text.length; ) {
    let n = 10 + Math.floor(rnd() * 71);
    const c = text.charCodeAt(i + n - 1);
    if (c >= 0xd800 && c <= 0xdbff) n++;
    messages.push(text.slice(i, i + n));
    i += n;
  }
  // `slice` gives V8 sliced strings that point into the 10 MB parent; live messages arrive as flat
  // strings (from JSON or a socket), and every matcher's charCodeAt is faster on those. A JSON
  // round trip flattens them and lets the parent go.
  return JSON.parse(JSON.stringify(messages)) as string[];
}
