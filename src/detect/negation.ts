/**
 * Explicit negation right before a claim makes it a disclaimer, not a claim (LABELING.md: 别指望它
 * 治什么病, "it doesn't treat skin conditions"). Only the few units just before the match are read:
 * a negator, optionally followed by a modal or a pronoun ("不能", "不会", "无法", "别指望它"), then
 * the claim. Applied to extreme, exclusive and medical claims. Contact words have their own, shorter
 * list (`warnedBefore`): a warning (千万别加陌生人的微信, 主播不会私下加任何人) gives no contact;
 * numbers and ids found by the detectors are never negated.
 *
 *   别信什么微信群返利   warned        别忘了加我微信 (别忘 is no warning)            not warned
 *   私信让你加好友的都是骗子  warned   加我微信，别家都是骗子 (a clause break first)  not warned
 *
 *   不能根治            negated       不用吃药 (the claim itself starts with 不)    not negated
 *   不是只有我们家才有    negated       是不是只有我们家才有 (a question)              not negated
 *   并不是全网最低价     negated       不仅能降压                                   not negated (不仅 is "not only")
 *   doesn't cure        negated       not only cures                               not negated
 */

import { CLAUSE_BREAKS } from '../normalize/symbols.js';

/** Chinese negators, simplified; compared against the folded text just before the claim. */
const ZH_NEGATORS = ['不能', '不会', '不可能', '不可以', '无法', '没法', '没办法', '没有', '别指望', '不指望', '并不', '并非', '不是', '不敢说', '不保证', '不承诺', '谈不上', '算不上', '瞎说', '胡说', '别信', '不要信', '谣传', '不'];
/** Words allowed between the negator and the claim (不能用来治, 别指望它治, 不是说). */
const ZH_FILLERS = ['用来', '用于', '可以', '帮你', '给你', '能', '会', '它', '是', '说', '去', '来', '真', '就', '都', '再', '也'];

const EN_NEGATORS = new Set(['not', 'doesnt', 'dont', 'didnt', 'wont', 'cant', 'cannot', 'never', 'isnt', 'arent', 'no', 'nor']);
const EN_FILLERS = new Set(['really', 'actually', 'help', 'to', 'it', 'will', 'does', 'do', 'can', 'claim', 'be', 'the', 'a']);
const WINDOW = 10;
/** Original units read back from the word at most, noise included. */
const MAX_LOOKBACK = 48;

/** Is the claim starting at `start` of `text` negated? `fold` is the shared fold table. */
export function negatedBefore(text: string, start: number, fold: Uint16Array): boolean {
  const first = fold[text.charCodeAt(start)] ?? 0;
  return first >= 0x61 && first <= 0x7a ? englishNegated(text, start) : chineseNegated(text, start, fold);
}

/** Warnings before a contact word: don't add, don't trust, beware, impostors. */
const ZH_WARNINGS = ['不要', '千万不要', '别', '千万别', '不会', '不能', '切勿', '谨防', '小心', '禁止', '严禁', '冒充', '不接受', '不存在'];
const ZH_WARNING_FILLERS = ['加', '主播', '私下', '随便', '信', '相信', '去', '任何人', '陌生人', '陌生人的', '什么', '的', '我们', '我', '你们', '你', '用', '给', '乱'];

interface NegationWords {
  negators: readonly string[];
  fillers: readonly string[];
  /** Most fillers between the negator and the word (a warning pads more: 不要加陌生人的微信). */
  maxFillers: number;
  /** First characters of the negators: the common case (no negator nearby) is decided without strings. */
  heads: Uint8Array;
}

function wordsOf(negators: readonly string[], fillers: readonly string[], maxFillers: number): NegationWords {
  const heads = new Uint8Array(65536);
  for (const n of negators) heads[n.charCodeAt(0)] = 1;
  return { negators, fillers, maxFillers, heads };
}

const CLAIM_NEGATION = wordsOf(ZH_NEGATORS, ZH_FILLERS, 2);
const CONTACT_WARNING = wordsOf(ZH_WARNINGS, ZH_WARNING_FILLERS, 4);

/** Is the contact word starting at `start` of `text` part of a warning? (Chinese only.) */
export function warnedBefore(text: string, start: number, fold: Uint16Array): boolean {
  return chineseNegated(text, start, fold, CONTACT_WARNING);
}

function chineseNegated(text: string, start: number, fold: Uint16Array, words: NegationWords = CLAIM_NEGATION): boolean {
  const { negators, fillers, heads, maxFillers } = words;
  let near = false;
  // Bounded in original units too: a long run of noise (emoji) before each of many words must not
  // make the scan quadratic.
  const floor = Math.max(0, start - MAX_LOOKBACK);
  for (let k = start - 1, seen = 0; k >= floor && seen < WINDOW && !near; k--) {
    const f = fold[text.charCodeAt(k)]!;
    if (f === 0 || f >= 0xfffe) continue;
    near = heads[f] === 1;
    seen++;
  }
  if (!near) return false;
  // The significant (non-noise) folded units before the claim, nearest last, at most WINDOW of them.
  let before = '';
  for (let k = start - 1; k >= floor && before.length < WINDOW; k--) {
    const f = fold[text.charCodeAt(k)]!;
    if (f === 0 || f >= 0xfffe) continue;
    before = String.fromCharCode(f) + before;
  }
  let rest = before;
  for (let strip = 0; strip <= maxFillers; strip++) {
    // The negator must end right where the claim (or its fillers) starts: 不仅能降压 ends in 仅, not 不.
    const neg = negators.find((n) => rest.endsWith(n));
    if (neg !== undefined) return !aNotAQuestion(rest, neg);
    const filler = fillers.find((f) => rest.endsWith(f));
    if (!filler) return false;
    rest = rest.slice(0, -filler.length);
  }
  return false;
}

/**
 * 是不是只有你们家才有, 能不能治好: an A-not-A question repeats the word after 不/没 right before it,
 * and asks rather than denies.
 */
function aNotAQuestion(before: string, negator: string): boolean {
  if (negator.length < 2 || (negator[0] !== '不' && negator[0] !== '没')) return false;
  const at = before.length - negator.length;
  return at > 0 && before[at - 1] === negator[1];
}

function englishNegated(text: string, start: number): boolean {
  const words = text
    .slice(Math.max(0, start - 40), start)
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
  for (let i = words.length - 1, seen = 0; i >= 0 && seen < 3; i--, seen++) {
    const w = words[i]!;
    if (EN_NEGATORS.has(w)) return !(w === 'not' && words[i + 1] === 'only');
    if (!EN_FILLERS.has(w)) return false;
  }
  return false;
}

/** What calls the contact a scam later in its clause (私信让你加好友转账的都是骗子). */
const ZH_SCAM_WORDS = ['骗子', '诈骗', '骗局', '是假的', '别信', '不要信', '别上当', '不要上当'];
/** Significant units read after the word at most, and original units (noise included). */
const AHEAD = 16;
const MAX_LOOKAHEAD = 48;

/** Is the contact word ending at `end` of `text` called a scam before its clause ends? (Chinese only.) */
export function warnedAfter(text: string, end: number, fold: Uint16Array): boolean {
  let after = '';
  for (let k = end; k < text.length && k < end + MAX_LOOKAHEAD && after.length < AHEAD; k++) {
    const u = text.charCodeAt(k);
    if (CLAUSE_BREAKS.has(u)) break;
    const f = fold[u]!;
    if (f === 0 || f >= 0xfffe) continue;
    after += String.fromCharCode(f);
  }
  return after.length > 0 && ZH_SCAM_WORDS.some((w) => after.includes(w));
}
