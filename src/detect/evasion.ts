/**
 * Did a match need de-obfuscation? Escalation weighs such matches higher (hiding a word shows
 * intent). Plain case differences, Chinese numerals and spaces between English words are ordinary
 * writing, not evasion; symbols inside a phrase, traditional or full-width forms, look-alikes,
 * emoji, spaces inside a Chinese phrase and anything found through the pinyin lane are.
 *
 * A detector's span (a number, a link, an id) is ordinary when it is written in ASCII letters and
 * digits with the separators people type (space - + . @ / : _ ( )); anything else needed folding:
 * styled or full-width digits (𝟏𝟑𝟖, １３８), digits spelled in words (幺三八), a spoken "点com".
 */
import { leetLetterAt } from '../normalize/normalizer.js';
import { FOLD_NOISE, foldTables } from '../normalize/tables.js';
import { CHINESE_DIGITS } from '../normalize/symbols.js';
import { work } from '../work-meter.js';
import type { Via } from './candidate.js';

const ORDINARY_DIGITS = new Set([...CHINESE_DIGITS.keys()].map((c) => c.charCodeAt(0)));
const isClauseMark = (u: number) => u === 0xff0c || u === 0x3001 || u === 0xff1b;
const isCjk = (text: string, i: number) => {
  const u = text.charCodeAt(i);
  return u >= 0x4e00 && u <= 0x9fff;
};
const isAsciiLetter = (u: number) => (u >= 0x41 && u <= 0x5a) || (u >= 0x61 && u <= 0x7a);

export function needsDeobfuscation(text: string, start: number, end: number, via: Via): boolean {
  if (via === 'pinyin') return true;
  work.steps += end - start;
  if (via === 'detector') return detectorSpanFolded(text, start, end);
  const fold = foldTables().fold;
  for (let i = start; i < end; i++) {
    const u = text.charCodeAt(i);
    const f = fold[u]!;
    if (f === FOLD_NOISE) {
      // A clause mark between words of two or more characters ends a clause (老寒腿，用了一个月);
      // between single characters (加，微，信) it hides a word.
      if (isClauseMark(u) && i >= start + 2 && i + 2 < end && isCjk(text, i - 1) && isCjk(text, i - 2) && isCjk(text, i + 1) && isCjk(text, i + 2)) continue;
      if (u !== 0x20) return true;
      const before = text.charCodeAt(i - 1);
      const after = text.charCodeAt(i + 1);
      // "lowest price" is ordinary; "销 量" and "a d d" are not.
      if (!isAsciiLetter(before) || !isAsciiLetter(after)) return true;
      if (i >= 2 && text.charCodeAt(i - 2) === 0x20) return true;
      continue;
    }
    // A digit for a letter inside an English word (b3st) was folded by the normalizer.
    if (u >= 0x30 && u <= 0x39 && i > 0 && isAsciiLetter(text.charCodeAt(i - 1)) && leetLetterAt(text, i, fold) !== 0) return true;
    // Pinyin in place of characters inside a Chinese phrase (shi疹, bi炎): a run of letters with
    // a vowel touching an ideograph in the span (qq号, vx号 are names, not pinyin).
    if (u >= 0x61 && u <= 0x7a && halfPinyinAt(text, i, start, end)) return true;
    if (f === u || (u >= 0x41 && u <= 0x5a && f === u + 32) || ORDINARY_DIGITS.has(u)) continue;
    if (u >= 0x61 && u <= 0x7a) continue; // stemmed letters keep their own code
    return true;
  }
  return false;
}

/** ASCII separators typed in numbers, links and ids. */
const TYPED_SEPARATOR = new Set([...' -+.@/:_()'].map((c) => c.charCodeAt(0)));

function detectorSpanFolded(text: string, start: number, end: number): boolean {
  let letters = false;
  let spaces = false;
  for (let i = start; i < end; i++) {
    const u = text.charCodeAt(i);
    letters ||= isAsciiLetter(u);
    spaces ||= u === 0x20;
    if (isAsciiLetter(u) || (u >= 0x30 && u <= 0x39) || TYPED_SEPARATOR.has(u)) continue;
    return true;
  }
  // A written link or id has no space in it: "abc at gmail dot com" was read aloud.
  return letters && spaces;
}

const isLower = (u: number) => u >= 0x61 && u <= 0x7a;
const VOWELS = new Set([...'aeiou'].map((c) => c.charCodeAt(0)));

/** Is `text[i]` the last letter of a run of 2+ lower-case letters with a vowel, with an ideograph right after it or right before the run, inside `[start, end)`? */
function halfPinyinAt(text: string, i: number, start: number, end: number): boolean {
  if (i + 1 < end && isLower(text.charCodeAt(i + 1))) return false; // judge each run once, at its last letter
  let from = i;
  let vowel = false;
  for (; from >= start && isLower(text.charCodeAt(from)); from--) if (VOWELS.has(text.charCodeAt(from))) vowel = true;
  const run = i - from;
  if (run < 2 || !vowel) return false;
  return (i + 1 < end && isCjk(text, i + 1)) || (from >= start && isCjk(text, from));
}
