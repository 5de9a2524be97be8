/**
 * Terms with the `idafter` option (加微 jia wei) sound like ordinary names when heard on the pinyin
 * lane: 嘉薇 and 佳伟 are hosts, not "add WeChat". Evasion usually keeps a character (加薇) or is
 * typed pinyin (jia wei); a sound-alike that shares no character with its term counts only when an
 * id follows it (嘉薇：abc123, 佳伟 wx123, 嘉薇号 8899).
 */
import { FOLD_HIGH_SURROGATE, FOLD_NOISE } from '../normalize/tables.js';
import { work } from '../work-meter.js';

const isLatinOrDigit = (f: number) => (f >= 0x61 && f <= 0x7a) || (f >= 0x30 && f <= 0x39);
/** Written digits and letters, half- or full-width, or circled digits; not 一 or 三, which fold to digits but begin ordinary words. */
const isIdStart = (u: number) =>
  (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a) || (u >= 0xff10 && u <= 0xff19) || (u >= 0xff21 && u <= 0xff3a) || (u >= 0xff41 && u <= 0xff5a) || (u >= 0x2460 && u <= 0x2473);
/** Units that introduce an id right after the term (checked before folding, which drops colons as noise). */
const ID_LEAD = new Set([':', '：', '号', '是', '搜'].map((c) => c.charCodeAt(0)));
/** Noise units (spaces, symbols, emoji) allowed between the term and its id. */
const MAX_GAP = 8;

/** Is `text[start, end)`, heard as `phrase`, a sound-alike in none of its characters with no id after it? */
export function unsupportedSoundAlike(text: string, start: number, end: number, phrase: string, fold: Uint16Array): boolean {
  work.steps += (end - start) * phrase.length + MAX_GAP;
  for (let i = start; i < end; i++) {
    const f = fold[text.charCodeAt(i)]!;
    if (isLatinOrDigit(f)) return false; // typed pinyin
    for (let j = 0; j < phrase.length; j++) if (f === fold[phrase.charCodeAt(j)]) return false;
  }
  for (let i = end; i < text.length && i < end + MAX_GAP; i++) {
    const u = text.charCodeAt(i);
    if (ID_LEAD.has(u) || isIdStart(u)) return false;
    const f = fold[u]!;
    if (f !== FOLD_NOISE && f < FOLD_HIGH_SURROGATE) return true;
  }
  return true;
}

/**
 * A two-character claim (独家) heard on the pinyin lane in none of its characters and with no
 * typed pinyin (嘟假 in 尊嘟假嘟, slang for 真的假的): two syllables alike by sound alone are
 * too often other words. Evasion keeps a character (独佳, du家) or types the pinyin.
 */
export function soundOnlyShortClaim(text: string, start: number, end: number, phrase: string, fold: Uint16Array): boolean {
  if (phrase.length !== 2) return false;
  work.steps += end - start;
  for (let i = start; i < end; i++) {
    const f = fold[text.charCodeAt(i)]!;
    if (isLatinOrDigit(f) || f === fold[phrase.charCodeAt(0)] || f === fold[phrase.charCodeAt(1)]) return false;
  }
  return true;
}

/**
 * An extreme claim heard on the pinyin lane whose only sound-alike characters are the words before
 * its literal marker (识最久的 heard as 是最久的 in 认识最久的, 坚果最好 as 见过最好): the text
 * says a word of its own and then an ordinary 最. Evasion disguises the marker or what follows it
 * (醉好, 全网最便谊), or types pinyin; those stay claims. `marker` is claimMarkerAt(phrase) (lexicon/scan-tables.ts).
 */
export function soundOnlyLead(text: string, start: number, end: number, phrase: string, marker: number, fold: Uint16Array): boolean {
  work.steps += end - start;
  let k = 0;
  let swapped = false;
  for (let i = start; i < end; i++) {
    const f = fold[text.charCodeAt(i)]!;
    if (f === FOLD_NOISE) continue;
    if (f >= FOLD_HIGH_SURROGATE || isLatinOrDigit(f) || k >= phrase.length) return false;
    const same = f === fold[phrase.charCodeAt(k)];
    if (!same && k >= marker) return false;
    if (!same) swapped = true;
    k++;
  }
  return swapped && k === phrase.length;
}
