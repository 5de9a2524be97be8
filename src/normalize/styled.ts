/**
 * Styled letters and digits, generated from Unicode data when the fold tables are built (once per
 * process, never per message), not listed by hand:
 *
 * - every code point of the Supplementary Multilingual Plane and the CJK compatibility supplement
 *   whose NFKC form differs from it: the Mathematical Alphanumeric Symbols (𝟏𝟑𝟖 𝐯𝐱 𝓿𝔁), the
 *   enclosed alphanumeric supplement (🄐 🄰), segmented digits (🯱), the squared ideographs (🈶 → 有,
 *   🈚 → 无). The Basic Multilingual Plane needs no pass here: tables.ts folds each of its units
 *   through NFKC already (① ａ ㊙).
 * - decimal digits of every script (\p{Nd}: ٣ ३ ໓ ꧓), which NFKC leaves as they are. Unicode
 *   encodes each script's digits as one run 0…9 (a stability guarantee), so a digit's value is
 *   its distance from the run's start.
 * - the few runs of numbered and lettered symbols that have no compatibility form at all
 *   (❶ ➀ ➊ ⓫ 🅐 🅰 🇦): `UNDECOMPOSED_RUNS`, by first code point and first value, from the code charts.
 *
 * The result maps a code point to the string it stands for, before lower-casing and the other
 * folds (tables.ts applies those to it like to any other text).
 */

/** Runs of symbols NFKC does not decompose: [first code point, last code point, value of the first]. */
const UNDECOMPOSED_RUNS: readonly (readonly [number, number, number | string])[] = [
  [0x2776, 0x277f, 1], // ❶…❿ dingbat negative circled digits
  [0x2780, 0x2789, 1], // ➀…➉ dingbat circled sans-serif digits
  [0x278a, 0x2793, 1], // ➊…➓ dingbat negative circled sans-serif digits
  [0x24eb, 0x24f4, 11], // ⓫…⓴ negative circled numbers
  [0x24f5, 0x24fe, 1], // ⓵…⓾ double circled digits
  [0x24ff, 0x24ff, 0], // ⓿
  [0x1f10b, 0x1f10c, 0], // 🄋 🄌 circled zeros
  [0x1f150, 0x1f169, 'a'], // 🅐…🅩 negative circled letters
  [0x1f170, 0x1f189, 'a'], // 🅰…🆉 negative squared letters
  [0x1f1e6, 0x1f1ff, 'a'], // 🇦…🇿 regional indicators, used alone as letters (🇻🇽)
];

/** Planes (beyond the BMP) read for NFKC forms: [first, last]. */
const ASTRAL_RANGES: readonly (readonly [number, number])[] = [
  [0x10000, 0x1ffff],
  [0x2f800, 0x2fa1f],
];

const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;
const DECIMAL_DIGIT_RUNS = /\p{Nd}+/gu;

/** The code points `[lo, hi]` as one string, surrogates as spaces (built in slices: one argument list per 4,096). */
function span(lo: number, hi: number): string {
  let out = '';
  const slice: number[] = [];
  for (let cp = lo; cp <= hi; cp++) {
    slice.push(cp >= 0xd800 && cp <= 0xdfff ? 0x20 : cp);
    if (slice.length === 4096 || cp === hi) {
      out += String.fromCodePoint(...slice);
      slice.length = 0;
    }
  }
  return out;
}

/** Code point → what it stands for (see the module comment). BMP entries are digits and the undecomposed runs only. */
export function styledForms(): Map<number, string> {
  const out = new Map<number, string>();
  for (const [lo, hi] of ASTRAL_RANGES) {
    for (let cp = lo; cp <= hi; cp++) {
      const ch = String.fromCodePoint(cp);
      const nfkc = ch.normalize('NFKC');
      if (nfkc !== ch && LETTER_OR_NUMBER.test(nfkc)) out.set(cp, nfkc);
    }
  }
  // Decimal digits of other scripts: each run of \p{Nd} is one or more blocks 0…9.
  for (const [lo, hi] of [[0x80, 0xffff], ...ASTRAL_RANGES] as const) {
    for (const m of span(lo, hi).matchAll(DECIMAL_DIGIT_RUNS)) {
      let k = 0;
      for (const ch of m[0]) {
        const nfkc = ch.normalize('NFKC');
        // Full-width and mathematical digits: NFKC says them already.
        if (!(nfkc.length === 1 && nfkc >= '0' && nfkc <= '9')) out.set(ch.codePointAt(0)!, String(k % 10));
        k++;
      }
    }
  }
  for (const [first, last, value] of UNDECOMPOSED_RUNS) {
    for (let cp = first; cp <= last; cp++) {
      const k = cp - first;
      out.set(cp, typeof value === 'number' ? String(value + k) : String.fromCharCode(value.charCodeAt(0) + k));
    }
  }
  return out;
}
