/**
 * The context case table: which words around a match make it no claim or contact, per category.
 * contextDrops (context.ts) reads them; see its header for what each case means. Words are written
 * as spoken; they are folded like the text on first use.
 */
export const EXTREME = 0;
export const EXCLUSIVE = 1;
export const MEDICAL = 2;
export const CONTACT = 3;

export type Look = 'bare-emoji' | 'payment' | 'homograph' | 'before' | 'after' | 'later' | 'clause' | 'frame' | 'question' | 'next' | 'en-before' | 'en-after' | 'en-after-phrase' | 'en-before-phrase';

export interface ContextCase {
  name: string;
  /** Category codes (candidate.ts) the case applies to. */
  categories: readonly number[];
  look: Look;
  words: readonly string[];
  /** For 'frame': what must follow one of `words` within a few units; for the English cases, words that undo it. */
  then?: readonly string[];
}

export const CONTEXT_CASES: readonly ContextCase[] = [
  // The pictograph case first: it fails at once on text and decides emoji runs before the wider reads.
  {
    name: 'bare-emoji',
    categories: [CONTACT],
    look: 'bare-emoji',
    // A pictograph alone (🛰 a satellite) is a contact only with an action or handle words near it.
    words: ['加', '私', '找', '联系', '号', '搜', '扫', '戳', '滴滴', '留'],
  },
  {
    name: 'prohibition',
    categories: [CONTACT],
    look: 'before',
    words: ['禁止', '严禁', '不允许', '不准', '不许', '切勿', '谨防', '提防', '防止', '违规', '不得', '杜绝', '封号', '冒充', '假冒', '假扮', '不支持', '不提倡', '不鼓励', '规定', '平台不让', '不让私下', '不让加', '不让留', '请勿', '规则', '规矩', '平台规则', '切记不要', '切记别'],
  },
  {
    name: 'refusal',
    categories: [CONTACT],
    look: 'frame',
    words: ['不要', '别', '不能', '不会', '从来不', '从不', '不用', '千万别', '千万不要', '不可以', '不建议', '没有必要', '不必', '不加', '没有', '不开', '没开', '不做', '没做', '别轻易', '不要轻易', '一定不要', '一定别', '不要随便', '别随便', '不加粉丝', '不加私人', '不搞', '不接受', '不走'],
    then: ['加', '相信', '信', '私下', '随便', '找', '留', '给', '转账', '付款', '私聊', '联系', '添加', '扫', '引导', '去', '让你', '让大家', '叫你', '任何', '回复', '点开', '理', '搭理', '私发', '什么'],
  },
  {
    name: 'unsafe',
    categories: [CONTACT],
    look: 'after',
    // A word with … reads its parts in order, anything between (不受平台保护).
    words: ['没有保障', '没保障', '不安全', '被骗', '骗子', '诈骗', '是假的', '不靠谱', '不受…保护', '不保护', '不保障', '没有…保障', '得不到…保障', '封号', '违规', '冒充', '假冒', '搜不到', '找不到', '买不到', '帮不了你', '谁也帮不了', '出了问题没人管', '出了事没人管', '不受…保障'],
  },
  {
    name: 'warned-later',
    categories: [CONTACT],
    look: 'later',
    // Also someone else's posting removed or reported by the room (发联系方式的直接踢掉): one 'later'
    // case per category, since each reads the text after the match again.
    words: ['别加', '不要加', '千万别加', '别扫', '不要扫', '别信', '别相信', '不要信', '不要相信', '冒充', '假冒', '那是骗子', '那些是骗子', '小心被骗', '我怕被骗', '当心被骗', '谨防被骗', '不是我们的人', '都不是我们', '不是我们的客服', '不是官方的', '是平台客服', '是平台的客服', '平台客服的', '是官方客服', '别理', '不要理', '别搭理', '不要搭理', '不用理', '平台不管', '平台是不管的', '是不保护的', '不能说', '都不回', '我不回', '一律不回', '别想了', '就别想了', '规定不让', '平台有规定', '规则不允许', '不能哈', '我说不能', '当然不能', '我不加', '都不加', '一律不加', '平台粉丝群', '找小店客服', '找平台客服', '踢掉', '踢出去', '被踢', '踢了', '请出去', '拉黑', '禁言', '被封', '封掉', '举报', '移出'],
  },
  {
    name: 'reported',
    categories: [CONTACT],
    look: 'before',
    // Someone else's solicitation, reported or asked about (有人私信让我加他微信, 有个号叫我加V，是你们的人吗).
    words: ['有人…让', '有人…叫我', '有人…叫你', '有人…私信', '有人…说', '有人…发广告', '有个号…让', '有个号…私信', '有个号…叫', '有个人…让', '有个人…叫', '别人…让你', '别人…让我', '陌生人…让', '骗子…让', '有人问', '有宝宝问', '有朋友问', '有粉丝问', '有家人问', '老有人问', '总有人问', '经常有人问'],
  },
  {
    name: 'seen-there',
    categories: [CONTACT],
    look: 'after',
    // Another platform named as where a price or the goods were seen, no buyer sent there (在某宝看到卖一百多).
    words: ['看到这', '看到同款', '看到过', '看到一样', '看到有', '看到卖', '看过', '见过', '要卖', '卖得', '卖到', '卖了', '买过', '标价', '比过价', '上看到一个', '上看到个', '上看到一条', '上看到新闻', '上刷到', '里看到一个', '里刷到', '上看新闻'],
  },
  {
    name: 'english-rule',
    categories: [CONTACT],
    look: 'en-after-phrase',
    words: ['not allowed', 'not permitted', 'is prohibited', 'is forbidden', 'is banned', 'against the rules', 'against our rules', 'will get you banned'],
  },
  {
    name: 'disclaimer',
    categories: [MEDICAL],
    look: 'before',
    words: ['不宣传', '不能说', '不得', '禁止', '不可以说', '不承诺', '不保证', '不具备', '不能当', '不能代替', '不是药', '不要当', '别当', '不夸大', '不涉及', '不能宣称', '不许说', '不准说', '不能替代', '替代不了', '代替不了', '不能取代', '取代不了', '别指望', '不要指望', '不能指望'],
  },
  {
    name: 'treated',
    categories: [MEDICAL],
    look: 'before',
    // A recovery credited to a hospital, surgery or prescribed medicine (住院了半个月，现在好了): the
    // speaker's own health, no product efficacy. 医生 alone is not here: 比看医生还管用 is a claim.
    words: ['住院', '做了手术', '动了手术', '开了刀', '输了液', '挂了水', '吃了药', '吃了西药', '医院治', '医院看', '看了医生', '医生开的', '医生给开'],
  },
  {
    name: 'english-warning',
    categories: [CONTACT],
    look: 'en-before',
    words: ['never', 'dont', 'not', 'no', 'beware', 'avoid', 'forbidden', 'prohibited', 'banned', 'forbid', 'forbids', 'prohibit', 'prohibits', 'ban', 'bans', 'disallow', 'disallows', 'scam', 'scammers'],
    then: ['forget', 'hesitate', 'miss', 'wait'],
  },
  {
    name: 'denied',
    categories: [CONTACT],
    look: 'after',
    // A channel named, then said not to exist (独立站我们是没有的, 小号我们一个都没有).
    words: ['是没有的', '我们没有', '我们没开', '我们不做', '一个都没有', '都没有', '从来没有', '一律没有'],
  },
  {
    name: 'payment',
    categories: [CONTACT],
    look: 'payment',
    // A channel named as a way to pay (微信或者支付宝付款, 用微信支付也行) is no contact, unless an
    // action before it asks for the contact (加微信付款, 私我微信转账).
    words: ['支付', '付款', '付钱', '买单', '结账', '收款', '扫码付', '付也行', '都能付', '也能付', '可以付', '都可以付'],
    then: ['加', '私', '联系', '找', '添加', '留'],
  },
  {
    name: 'homograph',
    categories: [CONTACT],
    look: 'homograph',
    // A sound-alike of a channel that is a word of its own (威信 prestige, 卫星 a satellite) is that
    // word unless an action or handle word in its clause makes it a channel (加我威信, 威信号).
    words: ['威信', '卫星'],
    then: ['加', '私', '找', '联系', '号', '搜', '扫', '戳', '滴滴', '留', '聊', '发', '关注'],
  },
  {
    name: 'which-question',
    categories: [EXTREME],
    look: 'question',
    words: ['哪个', '哪款', '哪种', '哪件', '哪一', '哪些', '哪家', '哪位', '哪只', '哪条', '哪双', '哪套', '哪色', 'which', 'what'],
  },
  {
    name: 'not-goods',
    categories: [EXCLUSIVE, EXTREME],
    look: 'next',
    words: ['爆料', '消息', '新闻', '报道', '专访', '采访', '曝光', '内幕', '揭秘', '八卦', '记忆', '回忆', '解读', '手消息', '手资料', '手新闻', '时间', '视频', '花絮', '幕后', '剧透', '路透', '照片', '访谈', '彩蛋', '直拍', '预告', '猛料', '故事', '透露', '爆出', '曝出', '放出'],
  },
  {
    name: 'title',
    categories: [EXTREME],
    look: 'next',
    words: ['女主角', '男主角', '女主', '男主', '女演员', '男演员', '女配角', '男配角', '导演', '编剧', '新人奖', '影片', '纪录片', '歌手', '球员', '运动员', '关', '泉'],
  },
  {
    name: 'contest',
    categories: [EXTREME],
    look: 'before',
    words: ['省队', '国家队', '球队', '校队', '队伍', '战队', '代表队', '俱乐部', '女排', '男排', '女足', '男足', '国足', '比赛', '联赛', '运动会', '奥运', '锦标赛', '选手', '荣获', '评选'],
  },
  {
    name: 'which-link',
    categories: [EXTREME],
    look: 'before',
    words: ['哪个链接', '哪条链接', '几号链接', '哪个号链接', '哪一个链接', '链接哪个', '链接哪条', '链接哪一个', '哪个号'],
  },
  {
    name: 'licence',
    categories: [EXTREME],
    look: 'next',
    words: ['的销售授权', '销售授权', '授权', '的授权', '的代理', '代理', '的经销商', '经销商', '总代'],
  },
  {
    name: 'news-en',
    categories: [EXCLUSIVE],
    look: 'en-after',
    words: ['interview', 'interviews', 'report', 'footage', 'story', 'news', 'coverage', 'scoop', 'photos', 'look'],
  },
  {
    name: 'idiom',
    categories: [EXTREME],
    look: 'en-after',
    words: ['rule', 'priority', 'question', 'fan', 'fans', 'concern', 'complaint', 'mistake', 'tip', 'reason', 'goal', 'fear', 'enemy', 'request', 'thing'],
  },
  {
    name: 'idiom-before',
    categories: [EXTREME],
    look: 'en-before-phrase',
    words: ['looking out for', 'look out for', 'public enemy', 'take care of', 'my', 'your', 'his', 'her', 'you are', 'youre', 'you guys are', 'yall are', 'you all are'],
  },
  {
    name: 'idiom-heart',
    categories: [EXTREME],
    look: 'en-after-phrase',
    // Affection, not a ranking of goods (number one in our hearts).
    words: ['in your heart', 'in your hearts', 'in my heart', 'in our hearts', 'in their hearts'],
  },
  {
    name: 'mood',
    categories: [MEDICAL],
    look: 'homograph',
    // 治愈 as slang for soothing (这个颜色好治愈, 被可爱治愈了) unless its clause names an illness or a
    // cure (能治愈湿疹, 彻底治愈, 治愈率).
    words: ['治愈'],
    then: ['病', '症', '炎', '疾', '伤', '痛', '疼', '痒', '癌', '瘤', '疮', '斑', '痘', '疹', '眠', '药', '能', '可以', '彻底', '完全', '根', '率', '疗', '患', '医', '康复'],
  },
  {
    name: 'ordinal-en',
    categories: [EXTREME],
    look: 'en-before-phrase',
    // A numbered thing, not a rank (link number one, item number one, size number one).
    words: ['link', 'links', 'item', 'size', 'page', 'row', 'table', 'gate', 'seat', 'step', 'part', 'round', 'level', 'episode', 'chapter', 'track', 'lot', 'box', 'bag', 'color', 'colour', 'option', 'style'],
  },
  {
    name: 'contest-en',
    categories: [EXTREME],
    look: 'en-after-phrase',
    // A PK or a game won, not the goods ranked (ranked first in our PK tonight).
    words: ['in our pk', 'in the pk', 'in pk', 'in the battle', 'in the race', 'in class', 'in the contest', 'in the competition', 'in the game', 'in the match', 'in the tournament', 'in the quiz'],
  },
  {
    name: 'refuted',
    categories: [EXTREME, EXCLUSIVE, MEDICAL],
    look: 'before',
    // A claim named to be denied or mocked (哪有什么包治百病的东西, 怎么可能根治, 不是什么神药,
    // 千万别说它能治…): the speaker refutes it. Never 没有任何: 没有任何副作用 is itself a claim.
    words: ['哪有什么', '哪有', '哪来的', '怎么可能', '不是什么', '并不是什么', '不说什么', '我们不说', '从来不说', '别说', '千万别说', '不要说', '别信', '不要信', '别相信', '不要相信', '别听', '不敢说', '不会说', '没说过', '不能说', '不让说', '不许说', '不准说', '不可以说', '禁止说', '不要指望', '别指望', '不能指望'],
  },
  {
    name: 'refuted-after',
    categories: [EXTREME, EXCLUSIVE, MEDICAL],
    look: 'after',
    // The claim called a lie or unlawful right after it (说能治癌的都是骗子); never a bare 是瞎说,
    // which 不是瞎说 holds.
    words: ['都是骗子', '全是骗子', '那是骗子', '都是骗人的', '全是骗人的', '那是骗人的', '那是瞎说', '纯属瞎说', '都是瞎说', '纯属胡说', '都是胡说', '都是忽悠', '那是违法的', '这是违法的', '那是虚假宣传', '属于虚假宣传', '都是虚假宣传', '都是噱头', '是噱头', '的噱头', '都是智商税', '是智商税'],
  },
  {
    name: 'refuted-later',
    categories: [EXTREME, EXCLUSIVE, MEDICAL],
    look: 'later',
    // Also a claim answered no or disowned in the next words (能不能降血压，我说不能; 独家？没有的事;
    // 最便宜我不敢说); never a bare 不能 or 不敢: 不敢说第二 boasts.
    words: ['都是骗子', '全是骗子', '那是骗子', '都是骗人的', '全是骗人的', '那是骗人的', '那是瞎说', '纯属瞎说', '都是瞎说', '纯属胡说', '都是胡说', '都是忽悠', '那是违法的', '这是违法的', '那是虚假宣传', '属于虚假宣传', '都是虚假宣传', '都是噱头', '是噱头', '的噱头', '都是智商税', '是智商税', '我说不能', '不能哈', '当然不能', '我不知道', '我也不知道', '不是医生', '不敢这么说', '不敢这样说', '我可不敢', '不敢打包票', '没有的事', '没这回事', '说不出来', '不好说', '这种话', '这种说法', '的说法', '不这么说', '不这样说', '普通食品', '普通零食', '普通护肤品', '普通化妆品', '普通饮料', '只是吃的', '就是吃的', '去看医生', '遵医嘱', '咨询医生', '问医生', '医院的事', '别指望', '不要指望'],
  },
  {
    name: 'pattern',
    categories: [CONTACT],
    look: 'next',
    // A QR code as a print or a shape on the goods (二维码图案的手机壳), not one to scan.
    words: ['图案', '印花', '图样', '造型', '形状', '花纹', '元素'],
  },
  {
    name: 'other-cause',
    categories: [MEDICAL],
    look: 'before',
    // An outcome credited to something other than goods, in the testimony's own span (腰疼了一周，
    // 去做了推拿，现在好多了; 痘痘是因为熬夜，早睡几天就消了). A treatment only as done (做了推拿),
    // never its name (按摩仪, 拔罐器, 刮痧板 are goods); never 去医院 (比去医院打针还好使 is a claim)
    // nor bare time (贴了过两天就好了).
    words: ['请了', '请假', '做了推拿', '去推拿', '去做推拿', '做了针灸', '扎了针灸', '去扎针', '拔了罐', '刮了痧', '换了工作', '早睡', '熬夜', '天气', '听歌', '听听歌', '锻炼', '自己就好', '是因为', '挂号', '打了点滴', '睡一觉', '动手术'],
  },

  {
    name: 'moderated-before',
    categories: [CONTACT],
    look: 'before',
    words: ['举报', '踢掉', '拉黑', '禁言'],
  },
  {
    name: 'own-details',
    categories: [CONTACT],
    look: 'after',
    // A buyer's own number on the order, mistyped or to be changed (手机号填错了, 订单里的电话能改吗); never a bare
    // 换了 (主播微信换了 announces a new one). A number given is a detector hit and stays.
    words: ['能改', '怎么改', '改一下', '改不了', '填错了', '写错了', '在订单', '订单详情', '订单里', '收货地址'],
  },
  {
    name: 'paid-with',
    categories: [CONTACT],
    look: 'before',
    // Paying named first (付款的时候支付宝微信都行).
    words: ['付款的时候', '支付的时候', '付钱的时候', '结账的时候', '支付方式', '付款方式'],
  },

  {
    name: 'relation',
    categories: [EXTREME],
    look: 'next',
    // 最好的 about a person (我最好的朋友), not the goods.
    words: ['朋友', '老朋友', '闺蜜', '姐妹', '老姐妹', '兄弟', '哥们', '搭档', '伙伴', '战友', '同学', '老同学'],
  },
  {
    name: 'advice',
    categories: [EXTREME],
    look: 'next',
    // 最好 as "had better" (最好用完擦干, 最好用温水): the verb's object or manner follows, not 的.
    words: ['完', '温水', '冷水', '热水', '开水', '凉水', '清水', '手洗'],
  },
  {
    name: 'medical-compare-en',
    categories: [EXTREME],
    look: 'en-after',
    // "better than any medicine" compares with medicine: a medical claim, not a ranking of goods.
    words: ['medicine', 'medicines', 'medication', 'medications', 'drug', 'drugs', 'pill', 'pills', 'doctor', 'doctors', 'treatment', 'treatments'],
  },
];
