/**
 * Context that turns a match into something other than a claim, read from the match's own clause
 * (up to the nearest clause break, at most WINDOW significant units each side). One mechanism, one
 * table: each case names the categories it applies to, where it looks, and its words. negation.ts
 * keeps the narrower rule it always had (a negator right before the claim); these are the cases a
 * negator right before the word does not cover:
 *
 *   prohibition     contact   a strong prohibition anywhere before in the clause
 *                             (平台禁止引导到微信, 直播间不允许留联系方式, not allowed to … WhatsApp)
 *   refusal         contact   a weak negator followed by a contact action, then the word
 *                             (主播从来不加粉丝微信, 不要相信私信里让你加vx的人; 别犹豫加微信 stays a contact)
 *   unsafe          contact   the clause after calls it unsafe or a scam (站外付款没有保障, 不受平台保护)
 *   denied          contact   the clause after says it does not exist (独立站我们是没有的)
 *   payment         contact   a channel named to pay with (微信或者支付宝付款), no contact action before it
 *   homograph       contact   a sound-alike that is a word of its own (威信 prestige) with no action or handle word
 *   english-warning contact   never / don't / do not / forbid … before it in the clause (do not add anyone on WhatsApp;
 *                             don't forget to add me on WhatsApp stays a contact)
 *   which-question  extreme   a which-question ending in ？ (哪个尺码是最大的？ which one is the best?)
 *   not-goods       exclusive, extreme   news, gossip and firsts of time after the word (独家爆料, 独家报道, 第一手消息)
 *   idiom           extreme   English "number one" idioms (my number one rule, public enemy number one, you're number one)
 *   bare-emoji      contact   a pictograph alone (🛰) with no action or handle word in its clause
 *   warned-later    contact   a warning in the next clause(s) (有人发微信号，千万别加; 别扫, 不要相信, 冒充)
 *   english-rule    contact   a rule after the word (sharing phone numbers in chat is not allowed)
 *   disclaimer      medical   a disclaimer before it (我们不宣传任何治疗效果, 平台规定不能说有治疗效果)
 *   title, contest  extreme   awards and sport (最佳女主角, 省队拿了全国第一, 天下第一关)
 *   which-link      extreme   a shopper asking which link (哪个链接最便宜)
 *   licence         extreme   a licensing fact (全国唯一的销售授权 is exclusivity, not extreme)
 *   news-en         exclusive English news (exclusive interview)
 * 'before' cases also read the match's own span (a near term's gap: 群里严禁私下转账). A refusal
 * negator in an A-not-A question (有没有微信, 要不要加) asks and does not refuse.
 *
 * Detector hits (numbers, links, ids) are never dropped: a number given is a contact whatever the words.
 */
import { CLAUSE_BREAKS } from '../normalize/symbols.js';
import { work } from '../work-meter.js';
import { LOWER_TO_LATIN } from './negation.js';
import { CONTEXT_CASES, type ContextCase } from './context-cases.js';
import { EnglishWords } from './english-words.js';

export { CONTEXT_CASES } from './context-cases.js';

/** Significant units read on each side, at most, and original units (noise included). */
const WINDOW = 20;
const MAX_READ = 64;
const FRAME_GAP = 3;

/** Cases by category code, their Chinese words folded as the text is (队伍 reads 队5: 伍 is a numeral), built on first use. */
let byCategory: readonly (readonly ContextCase[])[] | undefined;
/**
 * heads[u], bit b: a word of case b (its place in its category's list) begins with folded unit u.
 * A case whose bit no unit of its window carries cannot match there and is not compared word by
 * word: most matches meet few case words, and ~150 contact words compared across a 20-unit window
 * per match made the warnings row (千万别加微信都是骗子 × 6,500) the slowest hostile text.
 */
let headsByCategory: readonly Uint32Array[] | undefined;
/** Each case's words by their first unit (byHead[category][place]). */
let byHeadByCategory: readonly (readonly ByHead[])[] | undefined;
type ByHead = ReadonlyMap<number, readonly HeadWord[]>;
/** A case word, split once at its gap (不受…保护: 不受, then 保护 anywhere after) instead of on every read. */
interface HeadWord {
  readonly word: string;
  readonly first: string;
  readonly rest: string | undefined;
}
function casesFor(category: number, fold: Uint16Array): readonly ContextCase[] | undefined {
  if (!byCategory) {
    const lists = [0, 1, 2, 3].map((c) => CONTEXT_CASES.filter((k) => k.categories.includes(c)).map((k) => foldCase(k, fold)));
    headsByCategory = lists.map((cases) => {
      const heads = new Uint32Array(0x10000);
      // Past 32 cases a case shares bit 31 (filtered less, never wrongly).
      cases.forEach((k, b) => k.words.forEach((w) => (heads[w.charCodeAt(0)]! |= 1 << Math.min(b, 31))));
      return heads;
    });
    byHeadByCategory = lists.map((cases) => cases.map((k) => wordsByHead(k.words)));
    byCategory = lists;
  }
  return byCategory[category];
}
function wordsByHead(words: readonly string[]): ByHead {
  const m = new Map<number, HeadWord[]>();
  for (const w of words) {
    // An empty word would hold everywhere: a slip in the table, not a case.
    if (w.length === 0 || w.startsWith('…')) throw new Error(`context-cases.ts: a word is empty or begins with a gap (${JSON.stringify(words)})`);
    const list = m.get(w.charCodeAt(0)) ?? [];
    const gap = w.indexOf('…');
    list.push(gap < 0 ? { word: w, first: w, rest: undefined } : { word: w, first: w.slice(0, gap), rest: w.slice(gap + 1) });
    m.set(w.charCodeAt(0), list);
  }
  return m;
}
const ELLIPSIS = 0x2026;
function foldWord(w: string, fold: Uint16Array): string {
  // English cases read words of the original text; only CJK words are compared folded.
  if (/^[\x00-\x7f]*$/.test(w)) return w;
  let out = '';
  for (let i = 0; i < w.length; i++) {
    const u = w.charCodeAt(i);
    const f = fold[u]!;
    out += String.fromCharCode(u === ELLIPSIS || f === 0 || f >= 0xfffe ? u : f);
  }
  return out;
}
function foldCase(k: ContextCase, fold: Uint16Array): ContextCase {
  return { ...k, words: k.words.map((w) => foldWord(w, fold)), ...(k.then ? { then: k.then.map((w) => foldWord(w, fold)) } : {}) };
}

/** Clause breaks by unit (a table: read for every unit of every window). */
const BREAK = new Uint8Array(0x10000);
for (const u of CLAUSE_BREAKS) BREAK[u] = 1;

/** A stretch `[from, to)` of one text known to hold no unit of some kind (see ContextMemo). */
export class KnownSpan {
  from = 0;
  to = 0;
  /** @param keeps false for a span that never records (a caller without a memo). */
  constructor(readonly keeps = true) {}
  reset(): void {
    this.from = 0;
    this.to = 0;
  }
  /** Records `[from, to)`, kept when at least MIN_SPAN long; joined to the span it touches, else in its place. */
  note(from: number, to: number): void {
    if (to - from < MIN_SPAN || !this.keeps) return;
    if (from <= this.to && to >= this.from && this.to > this.from) {
      this.from = Math.min(this.from, from);
      this.to = Math.max(this.to, to);
    } else {
      this.from = from;
      this.to = to;
    }
  }
}
const MIN_SPAN = 8;

/**
 * What the reads already know of one text: a stretch of noise (no significant unit, no clause
 * break) and a plain stretch (no Latin letter, no clause break). A caller judging many matches of
 * one text passes the same memo for all of them (and resets it for another text), so a run of
 * noise is read once, not once per match each side (🛰 in a run of emoji read 128 units a match),
 * nor a clause without English once per match for the English cases. Any span is right; a stale
 * one (another text's) is not.
 */
export class ContextMemo {
  readonly noise: KnownSpan;
  readonly plain: KnownSpan;
  constructor(keeps = true) {
    this.noise = new KnownSpan(keeps);
    this.plain = new KnownSpan(keeps);
  }
  reset(): void {
    this.noise.reset();
    this.plain.reset();
  }
}
const NO_MEMO = new ContextMemo(false);

// Scratch (scanning is synchronous and not re-entrant).
const before = new Uint16Array(WINDOW);
const after = new Uint16Array(WINDOW);
const later = new Uint16Array(WINDOW);
const inside = new Uint16Array(MAX_READ);

/** The match's own significant units (at most MAX_READ), into `inside`; returns how many. */
function readInside(text: string, start: number, end: number, fold: Uint16Array): number {
  let n = 0;
  const to = Math.min(end, start + MAX_READ);
  for (let j = start; j < to; j++) {
    const f = fold[text.charCodeAt(j)]!;
    if (f === 0 || f >= 0xfffe) continue;
    inside[n++] = f;
  }
  work.steps += to - start;
  return n;
}
const ADD = '加'.charCodeAt(0);

/**
 * The WINDOW significant units after the match, across clause breaks (a warning often is its own
 * clause: 有人发微信号，千万别加，都是骗子), into `later`; returns how many.
 */
function readLater(text: string, end: number, fold: Uint16Array, noise: KnownSpan): number {
  let n = 0;
  let j = end;
  let read = 0;
  const to = Math.min(text.length, end + MAX_READ);
  for (; j < to && n < WINDOW; j++) {
    if (j >= noise.from && j < noise.to) {
      j = noise.to - 1;
      continue;
    }
    read++;
    const f = fold[text.charCodeAt(j)]!;
    if (f === 0 || f >= 0xfffe) continue;
    later[n++] = f;
  }
  work.steps += read;
  return n;
}

/** The OR of heads[u] over `buf[from, to)`: the cases a word of which may begin there. */
function headsIn(heads: Uint32Array, buf: Uint16Array, from: number, to: number): number {
  let m = 0;
  for (let i = from; i < to; i++) m |= heads[buf[i]!]!;
  return m;
}

/** Does the lower case of `u` hold a Latin letter (A-Z, a-z, İ, the Kelvin sign)? */
const latinUnit = (u: number) => ((u | 0x20) >= 0x61 && (u | 0x20) <= 0x7a) || u === LOWER_TO_LATIN[0] || u === LOWER_TO_LATIN[1];

/** Is there a Latin unit in the clause within EN_READ units before `start`? A known plain span is stepped over. */
function latinBeforeIn(text: string, start: number, plain: KnownSpan): boolean {
  const lo = Math.max(0, start - EN_READ);
  let read = 0;
  let found = false;
  let k = start - 1;
  for (; k >= lo; k--) {
    if (k < plain.to && k >= plain.from) {
      k = plain.from;
      continue;
    }
    read++;
    const u = text.charCodeAt(k);
    if (BREAK[u] === 1) break;
    if (latinUnit(u)) {
      found = true;
      break;
    }
  }
  plain.note(Math.max(k + 1, lo), start);
  work.steps += read;
  return found;
}

/** Is there a Latin unit in the clause within EN_READ units after `end`? */
function latinAfterIn(text: string, end: number, plain: KnownSpan): boolean {
  const hi = Math.min(text.length, end + EN_READ);
  let read = 0;
  let found = false;
  let j = end;
  for (; j < hi; j++) {
    if (j >= plain.from && j < plain.to) {
      j = plain.to - 1;
      continue;
    }
    read++;
    const u = text.charCodeAt(j);
    if (BREAK[u] === 1) break;
    if (latinUnit(u)) {
      found = true;
      break;
    }
  }
  plain.note(end, Math.min(j, hi));
  work.steps += read;
  return found;
}

/**
 * Does the context of the match `text[start, end)` (category code `category`) make it no claim or
 * contact? `fold` is the shared fold table; `memo`, if given, the ContextMemo of this text (see
 * there). Reads at most MAX_READ units each side. The first case of the table that holds decides.
 */
export function contextDrops(category: number, text: string, start: number, end: number, fold: Uint16Array, memo: ContextMemo = NO_MEMO): ContextCase | undefined {
  const noise = memo.noise;
  const cases = casesFor(category, fold);
  if (!cases || cases.length === 0) return undefined;
  const heads = headsByCategory![category]!;
  const byHead = byHeadByCategory![category]!;
  // The clause before (nearest last, right-aligned in `before`) and after the match, folded; a
  // known noise span is stepped over (it holds no break and nothing significant).
  // inBefore, inAfter: the cases a word of which may begin in the window (heads).
  let inBefore = 0;
  let inAfter = 0;
  let nb = 0;
  let k = start - 1;
  let read = 0;
  let quiet = start; // the noise read since the last significant unit is [k + 1, quiet)
  const lo = Math.max(0, start - MAX_READ);
  for (; k >= lo && nb < WINDOW; k--) {
    if (k < noise.to && k >= noise.from) {
      k = noise.from;
      continue;
    }
    read++;
    const u = text.charCodeAt(k);
    if (BREAK[u] === 1) break;
    const f = fold[u]!;
    if (f === 0 || f >= 0xfffe) continue;
    if (quiet - k > MIN_SPAN) noise.note(k + 1, quiet);
    quiet = k;
    before[WINDOW - 1 - nb++] = f;
    inBefore |= heads[f]!;
  }
  noise.note(Math.max(k + 1, lo), quiet);
  let na = 0;
  let j = end;
  let question = false;
  quiet = end; // the noise read since the last significant unit is [quiet, j)
  const hi = Math.min(text.length, end + MAX_READ);
  for (; j < hi && na < WINDOW; j++) {
    if (j >= noise.from && j < noise.to) {
      j = noise.to - 1;
      continue;
    }
    read++;
    const u = text.charCodeAt(j);
    if (BREAK[u] === 1) {
      question = u === 0xff1f || u === 0x3f;
      break;
    }
    const f = fold[u]!;
    if (f === 0 || f >= 0xfffe) continue;
    if (j - quiet >= MIN_SPAN) noise.note(quiet, j);
    quiet = j + 1;
    after[na++] = f;
    inAfter |= heads[f]!;
  }
  noise.note(quiet, Math.min(j, hi));
  if (j >= text.length) question = false;
  work.steps += read;
  const b0 = WINDOW - nb;
  // Read when a case first needs them.
  let ni = -1;
  let inInside = 0;
  let enFrom = -1;
  let enTo = -1;
  let latinBefore = false;
  let latinAfter = false;
  for (let b = 0; b < cases.length; b++) {
    const c = cases[b]!;
    const bit = 1 << Math.min(b, 31);
    const words = byHead[b]!;
    switch (c.look) {
      case 'before': {
        // Before the match or inside it (a near term spans its gap: 群里禁止私下转账).
        if (ni < 0) inInside = headsIn(heads, inside, 0, (ni = readInside(text, start, end, fold)));
        if ((inBefore | inInside) & bit && (anyWordIn(words, heads, bit, before, b0, WINDOW) || anyWordIn(words, heads, bit, inside, 0, ni))) return c;
        break;
      }
      case 'after':
        if (inAfter & bit && anyWordIn(words, heads, bit, after, 0, na)) return c;
        break;
      case 'payment':
        if (inAfter & bit && anyWordIn(words, heads, bit, after, 0, na)) {
          if (ni < 0) inInside = headsIn(heads, inside, 0, (ni = readInside(text, start, end, fold)));
          if (!anyIn(c.then!, before, b0, WINDOW) && !anyIn(c.then!, inside, 0, ni)) return c;
        }
        break;
      case 'homograph': {
        if (ni < 0) inInside = headsIn(heads, inside, 0, (ni = readInside(text, start, end, fold)));
        if (inInside & bit && oneOf(c.words, inside, ni) && !anyIn(c.then!, before, b0, WINDOW) && !anyIn(c.then!, after, 0, na)) return c;
        break;
      }
      case 'bare-emoji':
        if (pictographsOnly(text, start, end, fold) && !((inBefore | inAfter) & bit && (anyWordIn(words, heads, bit, before, b0, WINDOW) || anyWordIn(words, heads, bit, after, 0, na)))) return c;
        break;
      case 'later': {
        const nl = readLater(text, end, fold, noise);
        if (headsIn(heads, later, 0, nl) & bit && anyWordIn(words, heads, bit, later, 0, nl)) return c;
        break;
      }
      case 'frame':
        if (inBefore & bit && frame(c, words, heads, bit, b0)) return c;
        break;
      case 'question':
        if (question && (inBefore | inAfter) & bit && (anyWordIn(words, heads, bit, before, b0, WINDOW) || anyWordIn(words, heads, bit, after, 0, na))) return c;
        break;
      case 'next':
        if (na > 0 && heads[after[0]!]! & bit && anyStartsAt(c.words, after, 0, na)) return c;
        break;
      case 'en-before':
      case 'en-after':
      case 'en-after-phrase':
      case 'en-before-phrase': {
        // A case reads only Latin words: a side without one (most Chinese speech) is decided at
        // once, and the clause window is found only for a side with one.
        if (enFrom < 0) {
          latinBefore = latinBeforeIn(text, start, memo.plain);
          latinAfter = latinAfterIn(text, end, memo.plain);
          enFrom = start;
          enTo = end;
          if (latinBefore) while (enFrom > 0 && start - enFrom < EN_READ && BREAK[text.charCodeAt(enFrom - 1)] !== 1) enFrom--;
          if (latinAfter) while (enTo < text.length && enTo - end < EN_READ && BREAK[text.charCodeAt(enTo)] !== 1) enTo++;
          // The window walks and englishCase's words (at most 2 × EN_READ units a match, Latin near
          // it) stay uncounted as they always were; the Latin reads above are counted.
        }
        const side = c.look === 'en-before' || c.look === 'en-before-phrase' ? latinBefore : latinAfter;
        if (side && englishCase(c, text, start, end, enFrom, enTo)) return c;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

/** Is `text[start, end)` made of pictographs only (surrogate pairs, dingbats, arrows, joiners), none an action (➕)? */
export function pictographsOnly(text: string, start: number, end: number, fold: Uint16Array): boolean {
  for (let i = start; i < end; i++) {
    const u = text.charCodeAt(i);
    if (fold[u] === ADD) return false;
    const pictograph = (u >= 0xd800 && u <= 0xdfff) || (u >= 0x2190 && u <= 0x2bff) || u === 0xfe0f || u === 0x200d;
    if (!pictograph) return false;
  }
  return end > start;
}

/** A weak negator in the clause before, followed within FRAME_GAP units by a contact action. */
function frame(c: ContextCase, words: ByHead, heads: Uint32Array, bit: number, b0: number): boolean {
  for (let at = b0; at < WINDOW; at++) {
    if ((heads[before[at]!]! & bit) === 0) continue;
    for (const hw of words.get(before[at]!) ?? NONE) {
      if (!wordAt(before, at, WINDOW, hw)) continue;
      const w = hw.word;
      const next = at + w.length;
      // An A-not-A question (有没有微信, 要不要加微信, 能不能加) asks; it does not refuse.
      if (w.length === 2 && at > b0 && before[at - 1] === w.charCodeAt(1)) continue;
      if (next === WINDOW) return true; // right before the word, which is the action itself (从来不加微信)
      for (let g = 0; g <= FRAME_GAP && next + g < WINDOW; g++) if (anyStartsAt(c.then!, before, next + g, WINDOW)) return true;
    }
  }
  return false;
}
const NONE: readonly HeadWord[] = [];

/**
 * Does one of a case's `words` occur in `buf[from, to)`? Only where a unit can begin one (its bit
 * in `heads`) are words compared, and only those beginning with it.
 */
function anyWordIn(words: ByHead, heads: Uint32Array, bit: number, buf: Uint16Array, from: number, to: number): boolean {
  for (let at = from; at < to; at++) {
    if ((heads[buf[at]!]! & bit) === 0) continue;
    for (const w of words.get(buf[at]!) ?? NONE) if (wordAt(buf, at, to, w)) return true;
  }
  return false;
}

/** Does `w` occur at `at` of `buf[.., to)`; for a gapped word (不受…保护), its first part at `at` and the rest after it? */
function wordAt(buf: Uint16Array, at: number, to: number, w: HeadWord): boolean {
  if (!startsWith(buf, at, to, w.first)) return false;
  return w.rest === undefined || indexIn(buf, at + w.first.length, to, w.rest) >= 0;
}

/*
 * The word-list reads below are plain functions, not closures inside contextDrops: a closure there
 * was allocated per call and moved the locals it read into a heap context (read through it on
 * every use).
 */

/** Does one of `words` occur in `buf[from, to)`? */
function anyIn(words: readonly string[], buf: Uint16Array, from: number, to: number): boolean {
  for (const w of words) if (indexIn(buf, from, to, w) >= 0) return true;
  return false;
}

/** Is `buf[0, n)` one of `words`? */
function oneOf(words: readonly string[], buf: Uint16Array, n: number): boolean {
  for (const w of words) if (n === w.length && startsWith(buf, 0, n, w)) return true;
  return false;
}

/** Does `buf[at, to)` begin with one of `words`? */
function anyStartsAt(words: readonly string[], buf: Uint16Array, at: number, to: number): boolean {
  for (const w of words) if (startsWith(buf, at, to, w)) return true;
  return false;
}

function startsWith(buf: Uint16Array, at: number, to: number, word: string): boolean {
  if (at + word.length > to) return false;
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word.charCodeAt(i)) return false;
  return true;
}

function indexIn(buf: Uint16Array, from: number, to: number, word: string): number {
  const gap = word.indexOf('…');
  if (gap > 0) {
    // Parts in order with anything between (不受…保护): where the first part is.
    const at = indexIn(buf, from, to, word.slice(0, gap));
    return at >= 0 && indexIn(buf, at + gap, to, word.slice(gap + 1)) >= 0 ? at : -1;
  }
  for (let at = from; at + word.length <= to; at++) if (startsWith(buf, at, to, word)) return at;
  return -1;
}

const EN_READ = 40;

/** The clause's words after and before a match (EN_READ units at most each side, grown if asked for more). */
const wordsAfter = new EnglishWords(EN_READ);
const wordsBefore = new EnglishWords(EN_READ);

/** @internal The English cases, on words of the clause `text[from, to)` (at most EN_READ units each side); exported for the test that checks it against a string reference. */
export function englishCase(c: ContextCase, text: string, start: number, end: number, from: number, to: number): boolean {
  if (c.look === 'en-after') return wordsAfter.read(text, end, to) > 0 && wordsAfter.in(0, c.words);
  if (c.look === 'en-after-phrase') {
    // As ` ${words.join(' ')} `.includes(` ${p} `).
    const n = wordsAfter.read(text, end, to);
    for (let i = 0; i < n; i++) for (const p of c.words) if (wordsAfter.phraseAt(i, p, false)) return true;
    return false;
  }
  const w = wordsBefore;
  const n = w.read(text, from, start);
  if (c.look === 'en-before-phrase') {
    // As words.slice(-3).join(' ') being p or ending in ` ${p}`.
    for (let i = Math.max(0, n - 3); i < n; i++) for (const p of c.words) if (w.phraseAt(i, p, true)) return true;
    return false;
  }
  // en-before: a warning word in the clause before, unless the word after it undoes it (don't forget).
  for (let i = n - 1; i >= 0 && i >= n - 8; i--) {
    if (!w.in(i, c.words)) continue;
    const next = i + 1 < n && (w.is(i + 1, 'to') || w.is(i + 1, 'you')) ? i + 2 : i + 1;
    return !(next < n && w.in(next, c.then!));
  }
  return false;
}
