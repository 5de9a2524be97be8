/**
 * The Porter stemmer as natural 8's `porter_stemmer.js` computes it, on letter codes in a buffer:
 * no regular expressions and no strings. natural's version cost ~4 µs a word (a dozen regular
 * expressions and strings per step); a text of distinct English-like words (~7,000 in 64K units)
 * took 11× the time of ordinary speech (probe in bench/README.md). This one reproduces natural's
 * output exactly, quirks included (its measure counts a `y` after a consonant as a vowel group of
 * its own, so "bya" measures 0.5; step 4 takes the longest suffix and does not fall back to a
 * shorter one), which test/normalize/porter.test.ts checks against natural on generated words.
 *
 * Input: lower-case a-z codes. Measures are kept doubled (natural's can be a half).
 */

/** 1 for a e i o u (a table read: measure2 asks per letter, several times a word). */
const VOWEL = new Uint8Array(128);
for (const v of 'aeiou') VOWEL[v.charCodeAt(0)] = 1;
const isVowel = (u: number) => VOWEL[u] === 1;
const Y = 0x79;

/** Suffix tables as code arrays: [suffix, replacement] per row, in natural's order. */
const codesOf = (s: string) => Uint16Array.from(s, (c) => c.charCodeAt(0));
/** A rewrite: words ending in `suffix` (measured as the step says) end in `by` instead. */
interface Rule {
  readonly suffix: Uint16Array;
  readonly by: Uint16Array;
}
const rules = (rows: [string, string][]): Rule[] => rows.map(([s, r]) => ({ suffix: codesOf(s), by: codesOf(r) }));
const STEP1B = rules([['at', 'ate'], ['bl', 'ble'], ['iz', 'ize']]);
const STEP2 = rules([['ational', 'ate'], ['tional', 'tion'], ['enci', 'ence'], ['anci', 'ance'], ['izer', 'ize'], ['abli', 'able'],
  ['bli', 'ble'], ['alli', 'al'], ['entli', 'ent'], ['eli', 'e'], ['ousli', 'ous'], ['ization', 'ize'], ['ation', 'ate'],
  ['ator', 'ate'], ['alism', 'al'], ['iveness', 'ive'], ['fulness', 'ful'], ['ousness', 'ous'], ['aliti', 'al'], ['iviti', 'ive'],
  ['biliti', 'ble'], ['logi', 'log']]);
const STEP3 = rules([['icate', 'ic'], ['ative', ''], ['alize', 'al'], ['iciti', 'ic'], ['ical', 'ic'], ['ful', ''], ['ness', '']]);
const STEP4 = ['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant', 'ement', 'ment', 'ent', 'ou', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize']
  .map(codesOf)
  .sort((a, b) => b.length - a.length); // natural's lazy `^(.+?)(al|…)$` takes the longest suffix that leaves a letter

/**
 * Rows by the last letter of their suffix, in their order: a row can only apply to a word ending in
 * that letter, so a word reads the few rows of its last letter instead of all (most words: none).
 */
function byLastLetter<T>(rows: readonly T[], suffixOf: (row: T) => Uint16Array): (T[] | undefined)[] {
  const index: (T[] | undefined)[] = new Array(26).fill(undefined);
  for (const row of rows) {
    const s = suffixOf(row);
    (index[s[s.length - 1]! - 0x61] ??= []).push(row);
  }
  return index;
}
const STEP2_BY_LAST = byLastLetter(STEP2, (r) => r.suffix);
const STEP3_BY_LAST = byLastLetter(STEP3, (r) => r.suffix);
const STEP4_BY_LAST = byLastLetter(STEP4, (s) => s);
const NONE: Uint16Array[] = [];

const MAX = 64;
/** The word being stemmed and a copy of it at the start of step 2 or 3 (natural measures the step's input). */
const w = new Uint16Array(MAX + 8);
const orig = new Uint16Array(MAX + 8);

function endsWith(buf: Uint16Array, len: number, suffix: Uint16Array): boolean {
  const n = suffix.length;
  if (n > len) return false;
  for (let j = 0; j < n; j++) if (buf[len - n + j] !== suffix[j]) return false;
  return true;
}

/**
 * natural's `categorizeGroups`: a consonant run followed by `y` is "CV", a vowel run (aeiou) is "V",
 * everything else is C, and adjacent Cs merge. Returns the doubled measure (the groups without a
 * leading C and a trailing V), or -2 for the empty word; `hasVowel` gets whether any V was seen.
 */
let hasVowel = false;
function measure2(buf: Uint16Array, len: number): number {
  hasVowel = false;
  if (len === 0) return -2;
  let count = 0;
  let first = -1; // 0 C, 1 V
  let last = -1;
  let i = 0;
  while (i < len) {
    const u = buf[i]!;
    let sym: number;
    if (isVowel(u)) {
      while (i < len && isVowel(buf[i]!)) i++;
      sym = 1;
    } else if (u === Y) {
      i++;
      sym = 0;
    } else {
      while (i < len && !isVowel(buf[i]!) && buf[i] !== Y) i++;
      if (i < len && buf[i] === Y) {
        // "CV": the C, then the V below.
        if (last !== 0) { count++; if (first < 0) first = 0; }
        last = 0;
        i++;
        sym = 1;
      } else sym = 0;
    }
    if (sym === 0 && last === 0) continue; // Cs merge
    count++;
    if (first < 0) first = sym;
    last = sym;
    if (sym === 1) hasVowel = true;
  }
  let m = count;
  if (first === 0) m--;
  if (last === 1 && m > 0) m--;
  return m;
}

/** natural's `categorizeChars` at position `at` (0 C, 1 V): a non-aeiouy before `y` makes "CV", left to right. */
function charClasses(buf: Uint16Array, len: number, out: Uint8Array): void {
  let i = 0;
  while (i < len) {
    const u = buf[i]!;
    if (!isVowel(u) && u !== Y && i + 1 < len && buf[i + 1] === Y) {
      out[i] = 0;
      out[i + 1] = 1;
      i += 2;
    } else {
      out[i] = isVowel(u) ? 1 : 0;
      i++;
    }
  }
}
const classes = new Uint8Array(MAX + 8);

/** Does the word `buf[0, len)` end in consonant-vowel-consonant by `categorizeChars`, over units [from, from + 3)? */
function cvcAt(buf: Uint16Array, len: number, from: number): boolean {
  if (from < 0 || from + 3 > len) return false;
  charClasses(buf, len, classes);
  return classes[from] === 0 && classes[from + 1] === 1 && classes[from + 2] === 0;
}

function replaceSuffix(len: number, suffixLength: number, by: Uint16Array): number {
  const at = len - suffixLength;
  for (let j = 0; j < by.length; j++) w[at + j] = by[j]!;
  return at + by.length;
}

/**
 * natural's `replacePatterns(token, rows, 0)`: each row whose suffix leaves a measure > 0 of the
 * step's input rewrites the current word. The input is read from `w` until the first rewrite, and
 * from its copy in `orig` after.
 */
function measuredRules(len: number, byLast: readonly (readonly Rule[] | undefined)[]): number {
  const rows = byLast[w[len - 1]! - 0x61];
  if (rows === undefined) return len;
  const len0 = len;
  let input = w;
  for (let r = 0; r < rows.length; r++) {
    const { suffix, by } = rows[r]!;
    if (!endsWith(input, len0, suffix) || measure2(input, len0 - suffix.length) <= 0) continue;
    if (!endsWith(w, len, suffix)) continue;
    if (len - suffix.length + by.length === 0) continue; // natural: an empty result keeps the word
    if (input === w) {
      for (let j = 0; j < len0; j++) orig[j] = w[j]!;
      input = orig;
    }
    len = replaceSuffix(len, suffix.length, by);
  }
  return len;
}

function step1a(len: number): number {
  const s = 0x73;
  if (len >= 3 && w[len - 1] === s && w[len - 2] === 0x65 && (w[len - 3] === 0x69 || (len >= 4 && w[len - 3] === s && w[len - 4] === s))) return len - 2; // (ss|i)es
  if (w[len - 1] === s && w[len - 2] !== s && len > 2) return len - 1;
  return len;
}

function step1b(len: number): number {
  if (len >= 3 && w[len - 3] === 0x65 && w[len - 2] === 0x65 && w[len - 1] === 0x64) {
    return measure2(w, len - 3) > 0 ? len - 1 : len; // eed → ee
  }
  let stemLength: number;
  if (len >= 2 && w[len - 2] === 0x65 && w[len - 1] === 0x64) stemLength = len - 2; // ed
  else if (len >= 3 && w[len - 3] === 0x69 && w[len - 2] === 0x6e && w[len - 1] === 0x67) stemLength = len - 3; // ing
  else return len;
  if (stemLength === 0) return len;
  measure2(w, stemLength);
  if (!hasVowel) return len;
  len = stemLength;
  for (let r = 0; r < STEP1B.length; r++) {
    const { suffix, by } = STEP1B[r]!;
    if (endsWith(w, len, suffix)) return replaceSuffix(len, suffix.length, by);
  }
  const last = w[len - 1]!;
  if (len >= 2 && last === w[len - 2] && !isVowel(last) && last !== 0x6c && last !== 0x73 && last !== 0x7a) return len - 1;
  if (measure2(w, len) === 2 && cvcAt(w, len, len - 3) && last !== 0x77 && last !== 0x78 && last !== Y) {
    w[len] = 0x65;
    return len + 1;
  }
  return len;
}

function step1c(len: number): number {
  if (w[len - 1] !== Y) return len;
  // natural: the groups without the last one hold a V. The last group is y's own (V after a
  // consonant, else C), so this asks whether the word before the y has a vowel group.
  measure2(w, len - 1);
  if (hasVowel) w[len - 1] = 0x69;
  return len;
}

function step4(len: number): number {
  const suffixes = STEP4_BY_LAST[w[len - 1]! - 0x61] ?? NONE;
  for (let r = 0; r < suffixes.length; r++) {
    const suffix = suffixes[r]!;
    if (suffix.length < len && endsWith(w, len, suffix)) {
      if (measure2(w, len - suffix.length) > 2) return len - suffix.length;
      break;
    }
  }
  // (s|t)ion
  if (len >= 5 && w[len - 3] === 0x69 && w[len - 2] === 0x6f && w[len - 1] === 0x6e && (w[len - 4] === 0x73 || w[len - 4] === 0x74)) {
    if (measure2(w, len - 3) > 2) return len - 3;
  }
  return len;
}

function step5a(len: number): number {
  if (w[len - 1] !== 0x65) return len; // natural's replace(/e$/, '') changes nothing: skip the measure
  const m = measure2(w, len - 1);
  if (m > 2 || (m === 2 && !(cvcAt(w, len, Math.max(len - 4, 0)) && len >= 2 && w[len - 2] !== 0x77 && w[len - 2] !== 0x78 && w[len - 2] !== Y))) return len - 1;
  return len;
}

function step5b(len: number): number {
  if (len >= 2 && w[len - 1] === 0x6c && w[len - 2] === 0x6c && measure2(w, len) > 2) return len - 1;
  return len;
}

/**
 * Porter stem of the lower-case word `word[0, len)` (a-z codes, len <= 64) into `out` from `outAt`;
 * returns its length. Words under 3 letters are their own stem.
 */
export function porterStem(word: Uint16Array, len: number, out: Uint16Array, outAt = 0): number {
  for (let j = 0; j < len; j++) w[j] = word[j]!;
  if (len >= 3) {
    len = step1a(len);
    len = step1b(len);
    len = step1c(len);
    len = measuredRules(len, STEP2_BY_LAST);
    len = measuredRules(len, STEP3_BY_LAST);
    len = step4(len);
    len = step5a(len);
    len = step5b(len);
  }
  for (let j = 0; j < len; j++) out[outAt + j] = w[j]!;
  return len;
}
