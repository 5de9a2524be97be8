/**
 * The fold table: one Uint16Array entry per UTF-16 unit, so normalizing a character is one load.
 *
 * Encoding of `fold[u]`:
 *   0x0000        noise: skipped everywhere (spaces, punctuation, symbols, marks, zero-width,
 *                 unmapped emoji, lone low surrogates)
 *   0xFFFE        a high surrogate: the normalizer decodes the pair and looks it up in `astral`
 *   0xFFFF        expands to several units: see `expansions` (⑮ → 15, ☎ → 电话)
 *   anything else the unit to match on: NFKC (and styled.ts: digits of every script, ❶ 🅐), lower-case, traditional → simplified, Chinese digits
 *                 → ASCII digits, Cyrillic/Greek look-alikes → Latin, CJK look-alikes (徽 → 微)
 *
 * Built once per process (about 100 ms with the pinyin table) and shared by every scanner.
 */
import { createRequire } from 'node:module';
import type { Converter as ConverterFn } from 'opencc-js/t2cn';
import { PinyinTables, LANE_BREAK } from './pinyin.js';
import { styledForms } from './styled.js';
import { CHINESE_DIGITS, CJK_LOOKALIKES, CONFUSABLE_LATIN, EMOJI_WORDS, SPOKEN_DIGITS } from './symbols.js';

export const FOLD_NOISE = 0;
export const FOLD_HIGH_SURROGATE = 0xfffe;
export const FOLD_EXPAND = 0xffff;

/** What one unit or code point turns into, in both lanes. */
export interface Expansion {
  text: Uint16Array;
  sounds: Uint16Array;
}

export interface FoldTables {
  readonly fold: Uint16Array;
  readonly expansions: ReadonlyMap<number, Expansion>;
  /** Astral code points that mean something (emoji words, styled letters and digits: 𝟏 𝐯 🈶); every other astral code point is noise. */
  readonly astral: ReadonlyMap<number, Expansion>;
  readonly pinyin: PinyinTables;
  /** Digit value of a text-lane unit for the phone detector: 0-9, or -1. Includes spoken digits (幺 两 洞). */
  readonly digit: Int8Array;
  /** `digit[u] >= 0` as one bit per unit (8 KiB, stays in L1): for loops that only ask "is it a digit?". */
  readonly digitBits: Int32Array;
}

const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;
const CJK_RANGES: [number, number][] = [
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xf900, 0xfaff],
];

/** Does every unit of the expansion `s` fold to a Latin letter, a digit, a CJK ideograph or noise? */
function meaningfulExpansion(s: string, fold: Uint16Array): boolean {
  for (let i = 0; i < s.length; i++) {
    const f = fold[s.charCodeAt(i)]!;
    if (f === FOLD_NOISE || (f >= 0x61 && f <= 0x7a) || (f >= 0x30 && f <= 0x39)) continue;
    if (!CJK_RANGES.some(([lo, hi]) => f >= lo && f <= hi)) return false;
  }
  return true;
}

let shared: FoldTables | undefined;

export function foldTables(): FoldTables {
  shared ??= buildFoldTables();
  return shared;
}

/**
 * Uses tables restored from a compiled lexicon artifact (lexicon/artifact-store.ts) instead of
 * building them, unless this process built them already. Returns the tables in use.
 */
export function adoptFoldTables(tables: FoldTables): FoldTables {
  shared ??= tables;
  return shared;
}

function buildFoldTables(): FoldTables {
  const simplified = simplifiedTable();
  const simplify = (u: number) => simplified[u] || u;
  const fold = new Uint16Array(65536);
  const pending = new Map<number, string>();
  const styled = styledForms();

  for (let u = 0; u < 65536; u++) {
    if (u >= 0xd800 && u <= 0xdbff) {
      fold[u] = FOLD_HIGH_SURROGATE;
      continue;
    }
    if (u >= 0xdc00 && u <= 0xdfff) continue; // a low surrogate on its own is noise
    const mapped = EMOJI_WORDS.get(u) ?? styled.get(u);
    const s = mapped ?? foldString(String.fromCharCode(u), simplify);
    if (s.length === 1) fold[u] = s.charCodeAt(0);
    else if (s.length > 1) {
      fold[u] = FOLD_EXPAND;
      pending.set(u, s);
    }
  }
  const pinyin = new PinyinTables(simplify);
  // A unit folded to a CJK character sounds like it: ➕ (folded to 加) is "jia", so ➕威 reads jia wei.
  for (let u = 0; u < 65536; u++) {
    const f = fold[u]!;
    if (pinyin.syllableOf[u] === 0 && f !== u && f < FOLD_HIGH_SURROGATE && f !== FOLD_NOISE) pinyin.syllableOf[u] = pinyin.syllableOf[f]!;
  }
  const expansionOf = (s: string): Expansion => {
    const text = new Uint16Array(s.length);
    const sounds: number[] = [];
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      text[i] = fold[c]!;
      // One break for a run of units without a reading, as the normalizer writes them (ﷺ was 15).
      const sy = pinyin.syllableOf[c] || LANE_BREAK;
      if (sy !== LANE_BREAK || sounds[sounds.length - 1] !== LANE_BREAK) sounds.push(sy);
    }
    return { text, sounds: Uint16Array.from(sounds) };
  };
  const expansions = new Map<number, Expansion>();
  for (const [u, s] of pending) {
    // A form that expands into a script no lexicon is written in (ﷺ → 15 Arabic letters, ㌖ →
    // 6 katakana) can be no term, and would make the lanes up to 15× the input: noise, as a
    // symbol is (so 全网㌖最低 reads 全网最低, as 全网★最低 does).
    if (!meaningfulExpansion(s, fold)) fold[u] = FOLD_NOISE;
    else expansions.set(u, expansionOf(s));
  }
  const astral = new Map<number, Expansion>();
  // Styled letters and digits first, so an emoji row can take a code point over (none does today).
  for (const [cp, form] of styled) {
    const s = cp > 0xffff ? foldString(form, simplify) : '';
    if (s.length > 0) astral.set(cp, expansionOf(s));
  }
  for (const [cp, word] of EMOJI_WORDS) if (cp > 0xffff) astral.set(cp, expansionOf(foldString(word, simplify)));

  const digit = new Int8Array(65536).fill(-1);
  for (let d = 0; d <= 9; d++) digit[0x30 + d] = d;
  for (const [ch, d] of SPOKEN_DIGITS) digit[ch.charCodeAt(0)] = d;

  const digitBits = new Int32Array(2048);
  for (let u = 0; u < 65536; u++) if (digit[u]! >= 0) digitBits[u >>> 5]! |= 1 << (u & 31);
  return { fold, expansions, astral, pinyin, digit, digitBits };
}

/** Folds a short string unit by unit (used for table building and for multi-unit NFKC results). */
function foldString(input: string, simplify: (u: number) => number): string {
  let out = '';
  for (const ch of input.normalize('NFKC').toLowerCase()) {
    if (!LETTER_OR_NUMBER.test(ch)) continue;
    if (ch.length !== 1) continue; // astral letters (CJK extension B...) are rare: treat as noise
    let c = String.fromCharCode(simplify(ch.charCodeAt(0)));
    c = CHINESE_DIGITS.get(c) ?? CJK_LOOKALIKES.get(c) ?? CONFUSABLE_LATIN.get(c) ?? c;
    out += c;
  }
  return out;
}

/** Traditional → simplified as a one-to-one unit table derived from OpenCC's dictionaries. */
function simplifiedTable(): Uint16Array {
  const table = new Uint16Array(65536);
  // opencc-js loaded here, not imported: a start from a compiled artifact never builds this table.
  const { Converter } = createRequire(import.meta.url)('opencc-js/t2cn') as { Converter: typeof ConverterFn };
  const convert = Converter({ from: 't', to: 'cn' });
  for (const [lo, hi] of CJK_RANGES) {
    const chars: string[] = [];
    for (let u = lo; u <= hi; u++) chars.push(String.fromCharCode(u));
    // One call with a separator the dictionaries never touch: 10× faster than a call per character.
    const out = convert(chars.join('\n')).split('\n');
    if (out.length !== chars.length) continue;
    for (let i = 0; i < chars.length; i++) {
      const o = out[i]!;
      if (o.length === 1 && o !== chars[i]) table[lo + i] = o.charCodeAt(0);
    }
  }
  return table;
}

/** Normalizes a lexicon phrase exactly as the text lane does, minus stemming. For tests and tools. */
export function foldPhrase(phrase: string): string {
  const t = foldTables();
  let out = '';
  for (const ch of phrase) {
    const cp = ch.codePointAt(0)!;
    const exp = cp > 0xffff ? t.astral.get(cp) : undefined;
    if (exp) {
      out += String.fromCharCode(...exp.text);
      continue;
    }
    if (cp > 0xffff) continue;
    const f = t.fold[cp]!;
    if (f === FOLD_NOISE || f === FOLD_HIGH_SURROGATE) continue;
    if (f === FOLD_EXPAND) out += String.fromCharCode(...t.expansions.get(cp)!.text);
    else out += String.fromCharCode(f);
  }
  return out;
}
