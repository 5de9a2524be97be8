/**
 * English stemming, so a `cure` entry matches "cures", "cured" and "curing": natural's Porter
 * stemmer, reimplemented on letter codes in ./porter.ts (same output, no regular expressions).
 */
import { porterStem } from './porter.js';

const MAX_WORD = 64;
const scratch = new Uint16Array(MAX_WORD);

/**
 * Porter stem of the lower-case word `word[0, len)` (a-z codes, len <= 64) into `out` from `outAt`;
 * returns its length, or -1 when the stem is the word itself. A stem is used as lane text with one
 * origin per letter, so one longer than the word counts as none.
 */
export function stemInto(word: Uint16Array, len: number, out: Uint16Array, outAt: number): number {
  if (len < 3 || len > MAX_WORD) return -1;
  const n = porterStem(word, len, out, outAt);
  if (n === 0 || n > len) return -1;
  if (n < len) return n;
  for (let j = 0; j < n; j++) if (out[outAt + j] !== word[j]) return n;
  return -1;
}

/** Porter stem of a lower-case ASCII word. Words under 3 letters come back as they are. */
export function stem(word: string): string {
  if (word.length < 3 || word.length > MAX_WORD || !/^[a-z]+$/.test(word)) return word;
  const codes = Uint16Array.from(word, (c) => c.charCodeAt(0));
  const n = stemInto(codes, codes.length, scratch, 0);
  return n < 0 ? word : wordString(scratch, 0, n);
}

/**
 * The suffixes the Porter steps look for (1a-5b, as natural implements them). Each step changes a
 * word only where it ends in one of these, so a word ending in none is its own stem.
 */
const PORTER_SUFFIXES = [
  // 1a, 1b, 1c (s, y: any word ending in them)
  'sses', 'ies', 's', 'eed', 'ed', 'ing', 'y',
  // 2
  'ational', 'tional', 'enci', 'anci', 'izer', 'abli', 'bli', 'alli', 'entli', 'eli', 'ousli', 'ization', 'ation', 'ator',
  'alism', 'iveness', 'fulness', 'ousness', 'aliti', 'iviti', 'biliti', 'logi',
  // 3
  'icate', 'ative', 'alize', 'iciti', 'ical', 'ful', 'ness',
  // 4
  'al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'sion', 'tion',
  // 5a, 5b
  'e', 'll',
];

/** Letter a-z → 0-25. */
const letter = (u: number) => u - 0x61;
/** By last letter: every word so ending may change; by last two letters (27 × 26 + 26): those endings may. */
const ANY_ENDING_IN = new Uint8Array(26);
const ENDINGS = new Uint8Array(26 * 26);
for (const s of PORTER_SUFFIXES) {
  const last = letter(s.charCodeAt(s.length - 1));
  if (s.length === 1) ANY_ENDING_IN[last] = 1;
  else ENDINGS[letter(s.charCodeAt(s.length - 2)) * 26 + last] = 1;
}

/**
 * May `stem` change the lower-case word `word[0, len)`? Exact in one direction: false means the
 * stem is the word (no suffix a Porter step looks for). Random Latin text (ids, handles, junk)
 * mostly ends otherwise.
 */
export function mayStem(word: Uint16Array, len: number): boolean {
  if (len < 3) return false;
  const last = letter(word[len - 1]!);
  return ANY_ENDING_IN[last] === 1 || ENDINGS[letter(word[len - 2]!) * 26 + last] === 1;
}

/** Scratch for `wordString`: `String.fromCharCode.apply` on a plain array costs a fifth of the same call on a typed array. */
const units: number[] = [];

/** `codes[from, to)` as a string (a word of a few letters: lane codes, a look-back buffer). */
export function wordString(codes: Uint16Array, from: number, to: number): string {
  units.length = to - from;
  for (let i = from; i < to; i++) units[i - from] = codes[i]!;
  return String.fromCharCode.apply(null, units);
}
