/**
 * String → two matching lanes, each with a map back to the original text:
 *
 * - the text lane: folded units (see tables.ts), noise dropped, English words stemmed;
 * - the pinyin lane: toneless syllable codes of CJK characters and of Latin runs that spell pinyin,
 *   with `LANE_BREAK` for anything else that is not noise (digits, other Latin words).
 *
 * Lane unit `i` came from original UTF-16 offsets `[starts[i], ends[i])`. Buffers are owned by the
 * Normalizer and reused, so normalizing a message allocates nothing per character; the result is
 * valid until the next `normalize` call on the same Normalizer.
 */
import { stem } from './english.js';
import { LANE_BREAK } from './pinyin.js';
import { FOLD_EXPAND, FOLD_HIGH_SURROGATE, FOLD_NOISE, foldTables, type Expansion, type FoldTables } from './tables.js';

export class Lane {
  codes = new Uint16Array(256);
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  length = 0;

  /** @internal Makes room for `n` more units. */
  reserve(n: number): void {
    const need = this.length + n;
    if (need <= this.codes.length) return;
    let cap = this.codes.length * 2;
    while (cap < need) cap *= 2;
    const codes = new Uint16Array(cap);
    codes.set(this.codes.subarray(0, this.length));
    const starts = new Int32Array(cap);
    starts.set(this.starts.subarray(0, this.length));
    const ends = new Int32Array(cap);
    ends.set(this.ends.subarray(0, this.length));
    this.codes = codes;
    this.starts = starts;
    this.ends = ends;
  }
}

export interface NormalizedText {
  readonly text: Lane;
  readonly sounds: Lane;
}

const MAX_WORD = 64;

export interface NormalizerOptions {
  /** Stem English words (default true). Lexicon terms are normalized with the same setting. */
  stemming?: boolean;
}

export class Normalizer implements NormalizedText {
  readonly text = new Lane();
  readonly sounds = new Lane();
  readonly #t: FoldTables;
  readonly #stemming: boolean;
  readonly #word = new Uint16Array(MAX_WORD);
  readonly #syllables = new Uint16Array(MAX_WORD);
  readonly #syllableAt = new Int32Array(MAX_WORD);
  /** Latin words in the last input: link and handle detectors only run when there is one. */
  latinWords = 0;

  constructor(options: NormalizerOptions = {}, tables: FoldTables = foldTables()) {
    this.#t = tables;
    this.#stemming = options.stemming ?? true;
  }

  normalize(input: string): NormalizedText {
    const text = this.text;
    const sounds = this.sounds;
    text.length = 0;
    sounds.length = 0;
    this.latinWords = 0;
    // Each unit yields at most one lane unit except expansions, which reserve for themselves.
    text.reserve(input.length);
    sounds.reserve(input.length);
    const fold = this.#t.fold;
    const syllableOf = this.#t.pinyin.syllableOf;
    const n = input.length;
    let i = 0;
    while (i < n) {
      const u = input.charCodeAt(i);
      const f = fold[u]!;
      if (f === FOLD_NOISE) {
        i++;
      } else if (f >= 0x61 && f <= 0x7a) {
        i = this.#latinWord(input, i);
      } else if (f === FOLD_HIGH_SURROGATE) {
        const lo = i + 1 < n ? input.charCodeAt(i + 1) : 0;
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          const exp = this.#t.astral.get(((u - 0xd800) << 10) + (lo - 0xdc00) + 0x10000);
          if (exp) this.#expand(exp, i, i + 2);
          i += 2;
        } else i++; // lone high surrogate: noise
      } else if (f === FOLD_EXPAND) {
        this.#expand(this.#t.expansions.get(u)!, i, i + 1);
        i++;
      } else {
        let k = text.length++;
        text.codes[k] = f;
        text.starts[k] = i;
        text.ends[k] = i + 1;
        const sy = syllableOf[u]!;
        if (sy !== 0 || (sounds.length > 0 && sounds.codes[sounds.length - 1] !== LANE_BREAK)) {
          k = sounds.length++;
          sounds.codes[k] = sy === 0 ? LANE_BREAK : sy;
          sounds.starts[k] = i;
          sounds.ends[k] = i + 1;
        }
        i++;
      }
    }
    return this;
  }

  #expand(exp: Expansion, start: number, end: number): void {
    const text = this.text;
    const sounds = this.sounds;
    text.reserve(exp.text.length);
    sounds.reserve(exp.sounds.length);
    for (let j = 0; j < exp.text.length; j++) {
      const k = text.length++;
      text.codes[k] = exp.text[j]!;
      text.starts[k] = start;
      text.ends[k] = end;
    }
    for (let j = 0; j < exp.sounds.length; j++) {
      const k = sounds.length++;
      sounds.codes[k] = exp.sounds[j]!;
      sounds.starts[k] = start;
      sounds.ends[k] = end;
    }
  }

  /** A run of units folding to a-z: stemmed into the text lane, segmented as pinyin into the other. */
  #latinWord(input: string, from: number): number {
    this.latinWords++;
    const fold = this.#t.fold;
    const word = this.#word;
    let end = from;
    let len = 0;
    while (end < input.length) {
      const f = fold[input.charCodeAt(end)]!;
      if (f < 0x61 || f > 0x7a) break;
      if (len < MAX_WORD) word[len] = f;
      len++;
      end++;
    }
    const text = this.text;
    // Text lane: the stem, letter j keeping letter j's origin; the last one stretches to the word's end.
    let stemmed: string | undefined;
    if (this.#stemming && len >= 3 && len <= MAX_WORD) {
      const w = String.fromCharCode.apply(null, word.subarray(0, len) as unknown as number[]);
      const s = stem(w);
      if (s !== w) stemmed = s;
    }
    if (stemmed !== undefined) {
      for (let j = 0; j < stemmed.length; j++) {
        const k = text.length++;
        text.codes[k] = stemmed.charCodeAt(j);
        text.starts[k] = from + j;
        text.ends[k] = j === stemmed.length - 1 ? end : from + j + 1;
      }
    } else {
      for (let j = 0; j < len; j++) {
        const k = text.length++;
        text.codes[k] = fold[input.charCodeAt(from + j)]!;
        text.starts[k] = from + j;
        text.ends[k] = from + j + 1;
      }
    }
    // Pinyin lane.
    const sounds = this.sounds;
    const count = this.#t.pinyin.segment(word, len, this.#syllables, this.#syllableAt);
    if (count === 0) {
      if (sounds.length > 0 && sounds.codes[sounds.length - 1] !== LANE_BREAK) {
        const k = sounds.length++;
        sounds.codes[k] = LANE_BREAK;
        sounds.starts[k] = from;
        sounds.ends[k] = end;
      }
    } else {
      for (let j = 0; j < count; j++) {
        const k = sounds.length++;
        sounds.codes[k] = this.#syllables[j]!;
        sounds.starts[k] = from + this.#syllableAt[j]!;
        sounds.ends[k] = j + 1 < count ? from + this.#syllableAt[j + 1]! : end;
      }
    }
    return end;
  }
}
