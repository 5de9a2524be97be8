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

import { wordString } from '../normalize/english.js';
import { CLAUSE_BREAKS } from '../normalize/symbols.js';
import { work } from '../work-meter.js';

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
  return first >= 0x61 && first <= 0x7a ? englishNegated(text, start) : chineseNegated(text, start, fold) || askedAsANotA(text, start, fold);
}

const NOT = '不'.charCodeAt(0);
const NOT_HAVE = '没'.charCodeAt(0);
/** 有没有副作用 read from the claim 没有副作用: a claim that starts with 不/没 and repeats the word before it asks (A-not-A), it claims nothing. */
function askedAsANotA(text: string, start: number, fold: Uint16Array): boolean {
  const first = fold[text.charCodeAt(start)]!;
  if ((first !== NOT && first !== NOT_HAVE) || start === 0 || start + 1 >= text.length) return false;
  const prev = fold[text.charCodeAt(start - 1)]!;
  return prev !== 0 && prev === fold[text.charCodeAt(start + 1)]!;
}

/** Warnings before a contact word: don't add, don't trust, beware, impostors. */
const ZH_WARNINGS = ['不要', '千万不要', '别', '千万别', '不会', '不能', '切勿', '谨防', '小心', '禁止', '严禁', '冒充', '不接受', '不存在'];
const ZH_WARNING_FILLERS = ['加', '主播', '私下', '随便', '信', '相信', '去', '任何人', '陌生人', '陌生人的', '什么', '的', '我们', '我', '你们', '你', '用', '给', '乱'];

/** Words by their last unit, each list in the words' order: only those can end a buffer that ends in that unit. */
type WordsByLast = ReadonlyMap<number, readonly string[]>;

interface NegationWords {
  negators: WordsByLast;
  fillers: WordsByLast;
  /** Most fillers between the negator and the word (a warning pads more: 不要加陌生人的微信). */
  maxFillers: number;
  /** First characters of the negators: the common case (no negator nearby) is decided without strings. */
  heads: Uint8Array;
}

function wordsOf(negators: readonly string[], fillers: readonly string[], maxFillers: number): NegationWords {
  const heads = new Uint8Array(65536);
  for (const n of negators) heads[n.charCodeAt(0)] = 1;
  return { negators: byLast(negators), fillers: byLast(fillers), maxFillers, heads };
}

function byLast(words: readonly string[]): WordsByLast {
  const m = new Map<number, string[]>();
  for (const w of words) {
    const last = w.charCodeAt(w.length - 1);
    const list = m.get(last);
    if (list) list.push(w);
    else m.set(last, [w]);
  }
  return m;
}

const CLAIM_NEGATION = wordsOf(ZH_NEGATORS, ZH_FILLERS, 2);
const CONTACT_WARNING = wordsOf(ZH_WARNINGS, ZH_WARNING_FILLERS, 4);

/** Is the contact word starting at `start` of `text` part of a warning? (Chinese only.) */
export function warnedBefore(text: string, start: number, fold: Uint16Array): boolean {
  return chineseNegated(text, start, fold, CONTACT_WARNING);
}

/** The significant folded units before a claim, nearest last (scratch: scanning is not re-entrant). */
const before = new Uint16Array(WINDOW);

/** Does `buf[0..len)` end with `word`? */
function endsWith(buf: Uint16Array, len: number, word: string): boolean {
  if (word.length > len) return false;
  for (let j = 0, at = len - word.length; j < word.length; j++) if (buf[at + j] !== word.charCodeAt(j)) return false;
  return true;
}

/** The first of `words` (in their order) that `buf[0..len)` ends with. */
function firstEnding(words: WordsByLast, buf: Uint16Array, len: number): string | undefined {
  if (len === 0) return undefined;
  const list = words.get(buf[len - 1]!);
  if (list === undefined) return undefined;
  for (let i = 0; i < list.length; i++) if (endsWith(buf, len, list[i]!)) return list[i];
  return undefined;
}

function chineseNegated(text: string, start: number, fold: Uint16Array, words: NegationWords = CLAIM_NEGATION): boolean {
  const { negators, fillers, heads, maxFillers } = words;
  // Bounded in original units too: a long run of noise (emoji) before each of many words must not
  // make the scan quadratic. Read into a scratch array, not a string: a claim per few units (不是
  // 全网最低价 × 9,000) made this the scan's largest allocation.
  const floor = Math.max(0, start - MAX_LOOKBACK);
  let n = 0;
  let near = false;
  for (let k = start - 1; k >= floor && n < WINDOW; k--) {
    const u = text.charCodeAt(k);
    const f = fold[u]!;
    // A negator negates its own clause: 别家都没有，只有我们家有 boasts (breaks are not significant, so tested only there).
    if (f === 0 || f >= 0xfffe) {
      if (CLAUSE_BREAKS.has(u)) break;
      continue;
    }
    before[WINDOW - 1 - n++] = f;
    near ||= heads[f] === 1;
  }
  work.steps += start - floor;
  if (!near) return false;
  // By hand: copyWithin's call costs more than moving ten units (a claim per few units calls this per claim).
  for (let j = 0, from = WINDOW - n; j < n; j++) before[j] = before[from + j]!;
  let rest = n;
  for (let strip = 0; strip <= maxFillers; strip++) {
    // The negator must end right where the claim (or its fillers) starts: 不仅能降压 ends in 仅, not 不.
    const neg = firstEnding(negators, before, rest);
    if (neg !== undefined) return !aNotAQuestion(before, rest, neg) && !(strip === 0 && aNotAOnClaim(before, rest, neg, fold[text.charCodeAt(start)]!));
    const filler = firstEnding(fillers, before, rest);
    if (filler === undefined) return false;
    rest -= filler.length;
  }
  return false;
}

/**
 * 是不是只有你们家才有, 能不能治好: an A-not-A question repeats the word after 不/没 right before it,
 * and asks rather than denies.
 */
function aNotAQuestion(buf: Uint16Array, len: number, negator: string): boolean {
  if (negator.length < 2 || (negator[0] !== '不' && negator[0] !== '没')) return false;
  const at = len - negator.length;
  return at > 0 && buf[at - 1] === negator.charCodeAt(1);
}

/**
 * 是不是最便宜的 read from the claim 是最便宜的: a lone 不/没 right before a claim that starts with the
 * word before the 不 (是 不 | 是…) is the same question.
 */
function aNotAOnClaim(buf: Uint16Array, len: number, negator: string, claimFirst: number): boolean {
  if (negator.length !== 1 || (negator !== '不' && negator !== '没')) return false;
  return len >= 2 && buf[len - 2] === claimFirst;
}

const EN_LOOKBACK = 40;

/** The plain reading, kept for windows with a unit outside ASCII that lower-cases to a Latin letter (K, İ). */
function englishNegatedSlow(text: string, start: number): boolean {
  const words = text
    .slice(Math.max(0, start - EN_LOOKBACK), start)
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

/**
 * The only units outside ASCII whose lower case holds a letter a-z: İ (i + dot) and the Kelvin
 * sign (k). test/detect/negation.test.ts checks the whole Basic Multilingual Plane for others.
 */
export const LOWER_TO_LATIN = [0x130, 0x212a] as const;

const word = new Uint16Array(EN_LOOKBACK);

/**
 * The last three words before `start` (lower case, apostrophes dropped: doesn't → doesnt), read
 * back from the claim without a regular expression or a split: an English claim per few units
 * made the split's arrays the scan's largest allocation.
 */
function englishNegated(text: string, start: number): boolean {
  const from = Math.max(0, start - EN_LOOKBACK);
  for (let k = from; k < start; k++) {
    const u = text.charCodeAt(k);
    if (u === LOWER_TO_LATIN[0] || u === LOWER_TO_LATIN[1]) return englishNegatedSlow(text, start);
  }
  let nearer: string | undefined; // the word after the one being judged
  let k = start - 1;
  for (let seen = 0; seen < 3; seen++) {
    // Skip to the end of the next word back, then read it.
    while (k >= from && !isLatinLetter(text.charCodeAt(k))) k--;
    if (k < from) return false;
    let n = 0;
    for (; k >= from; k--) {
      const u = text.charCodeAt(k);
      if (u === 0x27 || u === 0x2019) continue;
      if (!isLatinLetter(u)) break;
      word[EN_LOOKBACK - 1 - n++] = u | 0x20;
    }
    const w = wordString(word, EN_LOOKBACK - n, EN_LOOKBACK);
    if (EN_NEGATORS.has(w)) return !(w === 'not' && nearer === 'only');
    if (!EN_FILLERS.has(w)) return false;
    nearer = w;
  }
  return false;
}

const isLatinLetter = (u: number) => (u >= 0x61 && u <= 0x7a) || (u >= 0x41 && u <= 0x5a);

/** What calls the contact a scam later in its clause (私信让你加好友转账的都是骗子). */
const ZH_SCAM_WORDS = ['骗子', '诈骗', '骗局', '是假的', '别信', '不要信', '别上当', '不要上当'];
/** Significant units read after the word at most, and original units (noise included). */
const AHEAD = 16;
const MAX_LOOKAHEAD = 48;

/** First units of the scam words: most look-aheads meet none and are decided without comparing words. */
const SCAM_HEADS = new Set(ZH_SCAM_WORDS.map((w) => w.charCodeAt(0)));
const after = new Uint16Array(AHEAD);

/** Is the contact word ending at `end` of `text` called a scam before its clause ends? (Chinese only.) */
export function warnedAfter(text: string, end: number, fold: Uint16Array): boolean {
  let n = 0;
  let head = false;
  let k = end;
  for (; k < text.length && k < end + MAX_LOOKAHEAD && n < AHEAD; k++) {
    const u = text.charCodeAt(k);
    if (CLAUSE_BREAKS.has(u)) break;
    const f = fold[u]!;
    if (f === 0 || f >= 0xfffe) continue;
    after[n++] = f;
    head ||= SCAM_HEADS.has(f);
  }
  work.steps += k - end;
  if (!head) return false;
  for (const w of ZH_SCAM_WORDS) if (includes(after, n, w)) return true;
  return false;
}

/** Does `buf[0..len)` contain `word`? */
function includes(buf: Uint16Array, len: number, word: string): boolean {
  for (let at = 0; at + word.length <= len; at++) if (endsWith(buf, at + word.length, word)) return true;
  return false;
}
