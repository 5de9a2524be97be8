/**
 * The pinyin lane's alphabet. Every CJK character gets the lane code of its toneless syllable
 * (`SYLLABLE_BASE + id`, in the private-use area so it can never collide with text), and runs of
 * Latin letters that spell pinyin (`jiaweixin`, `jia wei xin`) are segmented into the same codes.
 * Homophones (威信 = 微信 = wei xin) and pinyin then meet in one automaton. Built once at start-up
 * from pinyin-pro: per-character readings for text, in-context readings for lexicon terms.
 */
import { createRequire } from 'node:module';
import type { pinyin as pinyinFn } from 'pinyin-pro';

// pinyin-pro loaded on first use: its import costs ~150 ms, which a start from a compiled lexicon
// artifact (lexicon/artifact-store.ts) never needs.
let loaded: typeof pinyinFn | undefined;
const pinyin: typeof pinyinFn = ((...args: Parameters<typeof pinyinFn>) => {
  loaded ??= (createRequire(import.meta.url)('pinyin-pro') as { pinyin: typeof pinyinFn }).pinyin;
  return loaded(...args);
}) as typeof pinyinFn;

export const SYLLABLE_BASE = 0xe000;
/** A lane code no pattern contains: ends any partial match in the pinyin lane (digits, non-pinyin Latin). */
export const LANE_BREAK = 0xf8ff;

const MAX_SYLLABLE = 6; // "zhuang"
const MAX_WORD = 64; // longer Latin runs are not pinyin

export class PinyinTables {
  /** Original UTF-16 unit → lane code of its syllable, 0 when it has none. */
  readonly syllableOf: Uint16Array;
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];
  // A trie of syllable spellings over a-z for segmenting Latin runs.
  #trieNext = new Int32Array(27 * 64).fill(-1);
  #trieId = new Int32Array(64).fill(-1);
  #trieSize = 1;
  readonly #reachable = new Uint8Array(MAX_WORD + 1);

  /** `restored`: the state `toArtifact` gave, instead of reading every character with pinyin-pro. */
  constructor(simplify: (unit: number) => number, restored?: { syllableOf: Uint16Array; names: readonly string[] }) {
    if (restored) {
      this.syllableOf = restored.syllableOf;
      for (const name of restored.names) this.#idOf(name);
      return;
    }
    this.syllableOf = new Uint16Array(65536);
    const ranges: [number, number][] = [
      [0x3400, 0x4dbf],
      [0x4e00, 0x9fff],
      [0xf900, 0xfaff],
    ];
    for (const [lo, hi] of ranges) {
      for (let u = lo; u <= hi; u++) {
        const simple = simplify(u);
        const read = pinyin(String.fromCharCode(simple), { toneType: 'none', v: true, type: 'array' })[0];
        if (!read || !/^[a-z]{1,6}$/.test(read)) continue;
        this.syllableOf[u] = this.#idOf(read);
      }
    }
    // 〇 is a CJK symbol, not in the ranges above, but is read "ling".
    this.syllableOf[0x3007] = this.#idOf('ling');
  }

  #idOf(name: string): number {
    let id = this.#ids.get(name);
    if (id === undefined) {
      id = this.#names.length;
      this.#names.push(name);
      this.#ids.set(name, id);
      this.#insert(name, id);
    }
    return SYLLABLE_BASE + id;
  }

  #insert(name: string, id: number): void {
    let n = 0;
    for (let i = 0; i < name.length; i++) {
      const c = name.charCodeAt(i) - 97;
      let next = this.#trieNext[n * 27 + c]!;
      if (next < 0) {
        next = this.#trieSize++;
        if (next * 27 + 27 > this.#trieNext.length) {
          const grown = new Int32Array(this.#trieNext.length * 2).fill(-1);
          grown.set(this.#trieNext);
          this.#trieNext = grown;
          const ids = new Int32Array(this.#trieId.length * 2).fill(-1);
          ids.set(this.#trieId);
          this.#trieId = ids;
        }
        this.#trieNext[n * 27 + c] = next;
      }
      n = next;
    }
    this.#trieId[n] = id;
  }

  /** The state a compiled artifact carries (syllable ids are name order, so the names rebuild the rest). */
  toArtifact(): { syllableOf: Uint16Array; names: readonly string[] } {
    return { syllableOf: this.syllableOf, names: this.#names };
  }

  /** The syllable name of a lane code (for diagnostics and `lexicon check`). */
  nameOf(code: number): string | undefined {
    return this.#names[code - SYLLABLE_BASE];
  }

  /** A term with each CJK character replaced by its toneless reading in context (QQ号 → QQhao). */
  romanize(term: string): string {
    return pinyin(term, { toneType: 'none', v: true, type: 'array' }).join('');
  }

  /**
   * Lane codes of a lexicon term, read in context (长大 → zhang da), or undefined when some unit
   * has no reading (Latin, digits): such terms have no pinyin-lane form.
   */
  /**
   * `term` read character by character, as the text's CJK characters are read into the lane (each
   * with its first reading): differs from `termSounds` where a character has several (便宜 is
   * pian yi in context, but 便 alone is bian), and is what a term half in pinyin meets (zui便宜).
   */
  charSounds(term: string): Uint16Array | undefined {
    const out = new Uint16Array(term.length);
    for (let i = 0; i < term.length; i++) {
      const sy = this.syllableOf[term.charCodeAt(i)]!;
      if (sy === 0) return undefined;
      out[i] = sy;
    }
    return out;
  }

  termSounds(term: string): Uint16Array | undefined {
    const readings = pinyin(term, { toneType: 'none', v: true, type: 'array' });
    if (readings.length !== term.length) return undefined;
    const out = new Uint16Array(readings.length);
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i]!;
      const id = this.#ids.get(r);
      if (id === undefined) return undefined;
      out[i] = SYLLABLE_BASE + id;
    }
    return out;
  }

  /**
   * Segments lower-case letters `word[0..length)` into syllables, preferring the longest spelling
   * that still lets the rest segment. Writes lane codes and the letter offset where each syllable
   * starts; returns the syllable count, or 0 when the run is not pinyin. O(length × 6).
   */
  segment(word: Uint16Array, length: number, codes: Uint16Array, offsets: Int32Array): number {
    if (length === 0 || length > MAX_WORD) return 0;
    const ok = this.#reachable;
    ok.fill(0, 0, length + 1);
    ok[length] = 1;
    for (let i = length - 1; i >= 0; i--) {
      let n = 0;
      for (let j = i; j < length && j - i < MAX_SYLLABLE; j++) {
        n = this.#trieNext[n * 27 + (word[j]! - 97)]!;
        if (n < 0) break;
        if (this.#trieId[n]! >= 0 && ok[j + 1]) {
          ok[i] = 1;
          break;
        }
      }
    }
    if (!ok[0]) return 0;
    let count = 0;
    for (let i = 0; i < length; ) {
      let n = 0;
      let bestEnd = -1;
      let bestId = -1;
      for (let j = i; j < length && j - i < MAX_SYLLABLE; j++) {
        n = this.#trieNext[n * 27 + (word[j]! - 97)]!;
        if (n < 0) break;
        if (this.#trieId[n]! >= 0 && ok[j + 1]) {
          bestEnd = j + 1;
          bestId = this.#trieId[n]!;
        }
      }
      codes[count] = SYLLABLE_BASE + bestId;
      offsets[count] = i;
      count++;
      i = bestEnd;
    }
    return count;
  }
}
