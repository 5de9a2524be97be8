/**
 * Hand-kept substitution tables, small enough to read in review. Each maps what evaders type to
 * what the lexicon says. Applied after NFKC and lower-casing, to text and lexicon terms alike.
 */

/**
 * Emoji and pictographs that stand for a character or word in diversion and claim talk, as a table
 * by what they stand for (a maintainer adds an emoji to a row). Squared ideographs (🈶 有, 🈚 无)
 * are not listed: NFKC says what they are (styled.ts). Variation selectors after an emoji are noise.
 */
export const EMOJI_FOR: readonly (readonly [word: string, emoji: string])[] = [
  ['微信', '🛰📡'], // satellite, 卫星 ≈ 微信
  ['qq', '🐧'], // QQ's mascot
  ['桃', '🍑'], // 🍑宝 = 淘宝
  ['家', '🏠🏡🏘'], // 独🏠 = 独家
  ['信', '✉💌📩📨'], // a letter: 微✉ = 微信
  ['邮箱', '📧📮'],
  ['低', '⬇🔻📉'], // 最⬇ = 最低
  ['药', '💊'], // pill
  ['针', '💉'], // syringe: 打💉 = 打针
  ['牙', '🦷'], // 🦷疼 = 牙疼
  ['绿', '🟢'], // 🟢泡泡 = 绿泡泡
  ['纸飞机', '✈'], // Telegram's logo, 纸飞机 in slang
  ['红薯', '🍠'], // 小红书 in slang
  ['加', '➕'], // ➕🛰 = 加微信
  ['电话', '📞☎'],
  ['手机', '📱📲'],
  ['第1', '🥇'], // first-place medal
  ['王', '👑'], // a crown: 性价比👑 = 性价比王
  ['冠军', '🏆'], // a trophy: 销量🏆 = 销量冠军
  ['顶级', '🔝'], // 全网🔝; 🔝级 still reads 顶级
  ['100', '💯'],
  ['鱼', '🐟🐠'], // 闲🐟 = 闲鱼
  ['血', '🩸'], // 降🩸压 = 降血压
];

/** EMOJI_FOR by code point. */
export const EMOJI_WORDS: ReadonlyMap<number, string> = new Map(EMOJI_FOR.flatMap(([word, emoji]) => [...emoji].map((e) => [e.codePointAt(0)!, word] as const)));

/** Look-alike letters from other scripts that pass for Latin (Cyrillic, Greek), lower case. */
export const CONFUSABLE_LATIN: ReadonlyMap<string, string> = new Map(
  Object.entries({
    а: 'a', в: 'b', е: 'e', ё: 'e', з: '3', і: 'i', ј: 'j', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p',
    с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w',
    α: 'a', β: 'b', ε: 'e', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
  }),
);

/** CJK look-alikes (not homophones: those are the pinyin lane's job). 徽信 passes for 微信. */
export const CJK_LOOKALIKES: ReadonlyMap<string, string> = new Map(
  // 冶 for 治 (冶疗 鼻炎), 蕞 for 最 (蕞低): in their own words (冶金, 蕞尔) they are in no lexicon, so folding them costs nothing.
  Object.entries({ 徽: '微', 嶶: '微', 徾: '微', 溦: '微', 扌: '手', 冶: '治', 蕞: '最' }),
);

/**
 * Digits spelled in Chinese fold to ASCII digits in the text lane, so 第一 = 第1 = 第① = 第壹.
 * 幺 两 洞 拐 勾 are digits only when a phone number is read aloud: they are left as they are in the
 * text lane and read as digits by the contact detector alone (两件 is not a number to match).
 */
export const CHINESE_DIGITS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    〇: '0', 零: '0', 一: '1', 二: '2', 三: '3', 四: '4', 五: '5', 六: '6', 七: '7', 八: '8', 九: '9',
    壹: '1', 贰: '2', 叁: '3', 肆: '4', 伍: '5', 陆: '6', 柒: '7', 捌: '8', 玖: '9',
  }),
);

/** Spoken digit words read only by the phone detector (see CHINESE_DIGITS). */
export const SPOKEN_DIGITS: ReadonlyMap<string, number> = new Map(
  Object.entries({ 幺: 1, 两: 2, 洞: 0, 拐: 7, 勾: 9 }),
);

/**
 * Units that end a clause in the original text: a near term does not pair across one, and a warning
 * after a contact word is read up to one. ASCII '.' is not among them: evaders put it inside words.
 */
export const CLAUSE_BREAKS: ReadonlySet<number> = new Set([...'，。！？；、,!?;\n\r'].map((c) => c.charCodeAt(0)));
