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
import { work } from '../work-meter.js';
import { mayStem, stemInto } from './english.js';
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
/**
 * Cache slots for Latin words, in sets of two (WORD_SETS a power of two), and the letters a slot
 * holds: longer words are read afresh, in one more slot. Two ways, not one: a direct-mapped cache
 * of 1,024 slots kept 389 distinct words (text mixing a few dozen words at random) with ~184
 * misses a 64K scan, as colliding words evicted each other, and a miss (stem, syllables) costs
 * ~1 µs; two slots a set keep all but a handful.
 */
const WORD_SETS = 1024;
const WORD_SLOTS = 2 * WORD_SETS;
const SLOT_LETTERS = 16;

/**
 * Full-width clause marks (，。！？；、), which hosts' transcripts and chat put between clauses, not
 * inside words: the full-width part of CLAUSE_BREAKS (symbols.ts), since ASCII , ! ? ; are also noise evaders insert.
 */
const isClauseMark = (u: number) => u === 0xff0c || u === 0x3002 || u === 0xff01 || u === 0xff1f || u === 0xff1b || u === 0x3001;

/** ASCII hyphen-minus, the Unicode hyphens (‐ ‑) and the full-width one. */
const isHyphen = (u: number) => u === 0x2d || u === 0x2010 || u === 0x2011 || u === 0xff0d;

/**
 * A digit written for a letter inside an English word (b3st, l0w3st, numb3r, b1gg3st): the
 * letter when a letter came before it and one comes after it (up to one more such digit
 * between), else 0. Model numbers (mp3, rtx4090, iphone15) end in digits or hold longer runs.
 */
export function leetLetterAt(input: string, i: number, fold: Uint16Array): number {
  const letter = LEET[input.charCodeAt(i)] ?? 0;
  if (letter === 0 || i + 1 >= input.length) return 0;
  const next = fold[input.charCodeAt(i + 1)]!;
  if (next >= 0x61 && next <= 0x7a) return letter;
  if ((LEET[input.charCodeAt(i + 1)] ?? 0) === 0 || i + 2 >= input.length) return 0;
  const after = fold[input.charCodeAt(i + 2)]!;
  return after >= 0x61 && after <= 0x7a ? letter : 0;
}

/** Does `letters[at..)` hold `word[0..len)`? */
function sameLetters(letters: Uint16Array, at: number, word: Uint16Array, len: number): boolean {
  let j = 0;
  while (j < len && letters[at + j] === word[j]) j++;
  return j === len;
}

/** Leetspeak digits by code unit (ASCII only): 0 o, 1 i, 3 e, 4 a, 5 s, 7 t. */
const LEET: readonly number[] = (() => {
  const t: number[] = [];
  for (const [d, l] of [['0', 'o'], ['1', 'i'], ['3', 'e'], ['4', 'a'], ['5', 's'], ['7', 't']]) t[d!.charCodeAt(0)] = l!.charCodeAt(0);
  return t;
})();

/**
 * What a Latin word's letters give in the lanes, for the words seen last: a two-way cache
 * keyed by the letters' hash, compared letter by letter (no string is built to look a word up).
 * A stream repeats its words (PK, link, jia wei xin), so the stem and the pinyin segmentation are
 * worked out once per distinct word, not once per occurrence. Slot `s` holds its letters, stem
 * and syllables from `s × SLOT_LETTERS`; slot WORD_SLOTS, the last, holds a word of more than
 * SLOT_LETTERS letters (up to MAX_WORD) only while it is being written.
 */
class WordCache {
  /** Letters of the word in each slot; 0 length: empty. */
  readonly letters = new Uint16Array(WORD_SLOTS * SLOT_LETTERS + MAX_WORD);
  readonly length = new Int8Array(WORD_SLOTS + 1);
  /** Length of the stem, or -1 when the word is its own stem (or is not stemmed). */
  readonly stemLength = new Int8Array(WORD_SLOTS + 1);
  readonly stems = new Uint16Array(WORD_SLOTS * SLOT_LETTERS + MAX_WORD);
  /** Pinyin syllables the word segments into (0: not pinyin), or -1 until first asked. */
  readonly syllableCount = new Int8Array(WORD_SLOTS + 1);
  readonly syllables = new Uint16Array(WORD_SLOTS * SLOT_LETTERS + MAX_WORD);
  /** Letter index where each syllable starts. */
  readonly syllableAt = new Uint8Array(WORD_SLOTS * SLOT_LETTERS + MAX_WORD);
  /** recent[set]: which of the set's two slots (0 or 1) was used last; a miss takes the other. */
  readonly recent = new Uint8Array(WORD_SETS);
}

export interface NormalizerOptions {
  /** Stem English words (default true). Lexicon terms are normalized with the same setting. */
  stemming?: boolean;
  /** @internal Keep Latin words' stems and syllables between occurrences (default true); false reads every word afresh, for the test that checks the cache never changes a lane. */
  cacheWords?: boolean;
  /** @internal Write expansions and astral units inside the main loop when the lanes have room (default true); false takes the general path for each, for the test that checks both give the same lanes. */
  inlineExpansions?: boolean;
}

export class Normalizer implements NormalizedText {
  readonly text = new Lane();
  readonly sounds = new Lane();
  readonly #t: FoldTables;
  readonly #stemming: boolean;
  readonly #word = new Uint16Array(MAX_WORD);
  readonly #syllables = new Uint16Array(MAX_WORD);
  readonly #syllableAt = new Int32Array(MAX_WORD);
  /** Original offset of each letter of the current Latin word (hyphens between letters are skipped). */
  #letterAt = new Int32Array(MAX_WORD);
  #withSounds = true;
  readonly #words = new WordCache();
  readonly #cacheWords: boolean;
  readonly #inlineExpansions: boolean;
  /** Original `[from, end)` of each Latin word of the last input, as pairs (the first `latinWords` of them). */
  latinSpans = new Int32Array(32);
  /** Latin words in the last input: link and handle detectors only run when there is one. */
  latinWords = 0;
  /**
   * Text-lane units of the last input that the phone detector reads as digits, or more (an
   * expansion counts all its units): under 5 there is no number to find, unless a stream carries one.
   */
  digitUnits = 0;
  /** @internal Latin words of at most SLOT_LETTERS letters not found in the word cache, since construction (for the cache's tests). */
  wordMisses = 0;

  constructor(options: NormalizerOptions = {}, tables: FoldTables = foldTables()) {
    this.#t = tables;
    this.#stemming = options.stemming ?? true;
    this.#cacheWords = options.cacheWords ?? true;
    this.#inlineExpansions = options.inlineExpansions ?? true;
  }

  /**
   * Folds `input` into the lanes. With `withSounds` false the pinyin lane is left empty (for a
   * lexicon without pinyin patterns, which would never search it).
   */
  normalize(input: string, withSounds = true): NormalizedText {
    const text = this.text;
    const sounds = this.sounds;
    text.length = 0;
    sounds.length = 0;
    this.latinWords = 0;
    this.#withSounds = withSounds;
    const digitBits = this.#t.digitBits;
    let digits = 0;
    // Each unit yields at most one lane unit except expansions, which reserve for themselves.
    text.reserve(input.length);
    sounds.reserve(input.length);
    const fold = this.#t.fold;
    const syllableOf = this.#t.pinyin.syllableOf;
    const n = input.length;
    // The lanes' arrays and lengths live in locals on the plain path; the rare paths (Latin words,
    // expansions) work on the lanes themselves, so they are synced around those calls.
    let codes = text.codes;
    let starts = text.starts;
    let ends = text.ends;
    let scodes = sounds.codes;
    let sstarts = sounds.starts;
    let sends = sounds.ends;
    let k = 0;
    let sk = 0;
    let i = 0;
    while (i < n) {
      let u = 0;
      let f = 0;
      if (!withSounds) {
        // Text lane only: noise is written and then overwritten (k does not move), which costs less
        // than a branch that a sixth of the units take at random. Capacity: k <= i < input.length.
        for (; i < n; i++) {
          u = input.charCodeAt(i);
          f = fold[u]!;
          if ((f - 0x61) >>> 0 <= 0x19 || f >= FOLD_HIGH_SURROGATE) break; // a-z, surrogates, expansions
          codes[k] = f;
          starts[k] = i;
          ends[k] = i + 1;
          k += f === FOLD_NOISE ? 0 : 1;
          digits += (digitBits[f >>> 5]! >>> f) & 1; // noise (0) is no digit
        }
        if (i >= n) break;
      } else {
        u = input.charCodeAt(i);
        f = fold[u]!;
        if (f === FOLD_NOISE) {
          // A clause mark ends what the pinyin lane can match (质，闭眼 is no 治鼻炎); the text lane
          // drops it as noise like any symbol, since evaders put those inside words.
          if (isClauseMark(u) && sk > 0 && scodes[sk - 1] !== LANE_BREAK) {
            scodes[sk] = LANE_BREAK;
            sstarts[sk] = i;
            sends[sk] = i + 1;
            sk++;
          }
          i++;
          continue;
        }
        if ((f < 0x61 || f > 0x7a) && f < FOLD_HIGH_SURROGATE) {
          codes[k] = f;
          starts[k] = i;
          ends[k] = i + 1;
          k++;
          digits += (digitBits[f >>> 5]! >>> f) & 1;
          const sy = syllableOf[u]!;
          if (sy !== 0 || (sk > 0 && scodes[sk - 1] !== LANE_BREAK)) {
            scodes[sk] = sy === 0 ? LANE_BREAK : sy;
            sstarts[sk] = i;
            sends[sk] = i + 1;
            sk++;
          }
          i++;
          continue;
        }
      }
      if (f < FOLD_HIGH_SURROGATE) {
        // A Latin word (the only units left here below the surrogates). It writes at most one unit
        // per unit it reads to either lane (a stem is never longer than its word), so the room kept
        // for the rest of the input still holds and the lanes' columns stay as they are.
        text.length = k;
        sounds.length = sk;
        i = this.#latinWord(input, i);
        k = text.length;
        sk = sounds.length;
        continue;
      }
      if (this.#inlineExpansions) {
        // An expansion (⑮ → 15, ☎ → 电话) or an astral unit (emoji, styled letters), written here
        // while the lanes have room: the general path below syncs both lanes' columns around each,
        // which costs more than the writes in text dense with them (全網最低價ＶＸ⑮, emoji runs).
        let exp: Expansion | undefined;
        let width = 1;
        if (f === FOLD_EXPAND) exp = this.#t.expansions.get(u)!;
        else {
          const lo = i + 1 < n ? input.charCodeAt(i + 1) : 0;
          if (lo >= 0xdc00 && lo <= 0xdfff) {
            exp = this.#t.astral.get(((u - 0xd800) << 10) + (lo - 0xdc00) + 0x10000);
            width = 2;
          }
        }
        if (exp === undefined) {
          i += width; // noise: an astral unit that means nothing, or a lone high surrogate
          continue;
        }
        const et = exp.text;
        const es = exp.sounds;
        const rest = n - i - width;
        // Room for the expansion and one unit per remaining input unit, as the general path keeps.
        if (k + et.length + rest <= codes.length && (!withSounds || sk + es.length + rest <= scodes.length)) {
          for (let j = 0; j < et.length; j++, k++) {
            codes[k] = et[j]!;
            starts[k] = i;
            ends[k] = i + width;
          }
          // A break opening the expansion is written only after a reading, as on the plain path.
          for (let j = es[0] === LANE_BREAK && (sk === 0 || scodes[sk - 1] === LANE_BREAK) ? 1 : 0; j < es.length && withSounds; j++, sk++) {
            scodes[sk] = es[j]!;
            sstarts[sk] = i;
            sends[sk] = i + width;
          }
          digits += et.length;
          i += width;
          continue;
        }
      }
      text.length = k;
      sounds.length = sk;
      if (f === FOLD_HIGH_SURROGATE) {
        const lo = i + 1 < n ? input.charCodeAt(i + 1) : 0;
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          const exp = this.#t.astral.get(((u - 0xd800) << 10) + (lo - 0xdc00) + 0x10000);
          if (exp) {
            this.#expand(exp, i, i + 2);
            digits += exp.text.length;
          }
          i += 2;
        } else i++; // lone high surrogate: noise
      } else {
        const exp = this.#t.expansions.get(u)!; // FOLD_EXPAND
        this.#expand(exp, i, i + 1);
        digits += exp.text.length;
        i++;
      }
      // An expansion yields several units, and the plain paths write without checking: keep room
      // for one unit per remaining input unit (without this, units after ⑮⑮… were dropped).
      text.reserve(n - i);
      if (withSounds) sounds.reserve(n - i);
      k = text.length;
      sk = sounds.length;
      codes = text.codes;
      starts = text.starts;
      ends = text.ends;
      scodes = sounds.codes;
      sstarts = sounds.starts;
      sends = sounds.ends;
    }
    text.length = k;
    sounds.length = sk;
    this.digitUnits = digits;
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
    const from = exp.sounds[0] === LANE_BREAK && (sounds.length === 0 || sounds.codes[sounds.length - 1] === LANE_BREAK) ? 1 : 0;
    for (let j = from; j < exp.sounds.length && this.#withSounds; j++) {
      const k = sounds.length++;
      sounds.codes[k] = exp.sounds[j]!;
      sounds.starts[k] = start;
      sounds.ends[k] = end;
    }
  }

  /**
   * The cache slot holding `word[0..len)` (len <= MAX_WORD, `hash` over its letters), filled with
   * the word and its stem when another word held it.
   */
  #wordSlot(word: Uint16Array, len: number, hash: number): number {
    const c = this.#words;
    const letters = c.letters;
    let slot = WORD_SLOTS;
    if (len <= SLOT_LETTERS && this.#cacheWords) {
      // The set: the hash's top bits after a multiplicative mix (2^32 / golden ratio); 1024 sets.
      const set = Math.imul(hash, 0x9e3779b1) >>> 22;
      // The slot used last first: a word repeated costs one comparison, as in a one-way cache.
      const last = (set << 1) | c.recent[set]!;
      if (c.length[last] === len && sameLetters(letters, last * SLOT_LETTERS, word, len)) return last;
      const other = last ^ 1;
      c.recent[set]! ^= 1; // a hit or a fill, the other slot is the one used last now
      if (c.length[other] === len && sameLetters(letters, other * SLOT_LETTERS, word, len)) return other;
      slot = other; // the one used less recently
      this.wordMisses++;
    }
    const at = slot * SLOT_LETTERS;
    for (let j = 0; j < len; j++) letters[at + j] = word[j]!; // no subarray view per miss (distinct words: every word)
    c.length[slot] = len;
    c.syllableCount[slot] = -1;
    c.stemLength[slot] = -1;
    if (this.#stemming && mayStem(word, len)) c.stemLength[slot] = stemInto(word, len, c.stems, at);
    return slot;
  }

  /** The pinyin syllables of the word in cache slot `slot`, segmented on first use; returns their count. */
  #syllablesOf(slot: number): number {
    const c = this.#words;
    let count = c.syllableCount[slot]!;
    if (count < 0) {
      const at = slot * SLOT_LETTERS;
      count = this.#t.pinyin.segment(c.letters.subarray(at, at + c.length[slot]!), c.length[slot]!, this.#syllables, this.#syllableAt);
      for (let j = 0; j < count; j++) {
        c.syllables[at + j] = this.#syllables[j]!;
        c.syllableAt[at + j] = this.#syllableAt[j]!;
      }
      c.syllableCount[slot] = count;
    }
    return count;
  }

  /**
   * A run of units folding to a-z: stemmed into the text lane, segmented as pinyin into the other.
   * A hyphen between two letters joins them (Ex-clu-sive, jia-wei-xin, e-mail), as in lexicon terms.
   */
  #latinWord(input: string, from: number): number {
    const w = this.latinWords++;
    const fold = this.#t.fold;
    const word = this.#word;
    let letterAt = this.#letterAt;
    let end = from;
    let len = 0;
    let hash = 0;
    const n = input.length;
    while (end < n) {
      const u = input.charCodeAt(end);
      let f = fold[u]!;
      // Not a letter: a leet digit inside the word (b3st, l0w3st; only 0-7 can be one), a hyphen
      // between letters, or the word's end. Most words end at their first such unit, so the digit
      // and hyphen reads are guarded by a range test instead of a call per word.
      if ((f - 0x61) >>> 0 > 25) {
        if ((u - 0x30) >>> 0 <= 7) f = leetLetterAt(input, end, fold); // len > 0: the word starts with a letter
        if ((f - 0x61) >>> 0 > 25) {
          if (!isHyphen(u) || end + 1 >= n) break;
          f = fold[input.charCodeAt(end + 1)]!;
          if ((f - 0x61) >>> 0 > 25) break;
          end++;
        }
      }
      if (len < MAX_WORD) word[len] = f;
      else if (len === letterAt.length) {
        const grown = new Int32Array(2 * len);
        grown.set(letterAt);
        letterAt = this.#letterAt = grown;
      }
      letterAt[len] = end;
      hash = (Math.imul(hash, 31) + f) | 0;
      len++;
      end++;
    }
    // The word is read again below (stem, letters, pinyin segmentation: at most 6 steps a letter).
    work.steps += 8 * (end - from);
    if (2 * w + 2 > this.latinSpans.length) {
      const spans = new Int32Array(this.latinSpans.length * 2);
      spans.set(this.latinSpans);
      this.latinSpans = spans;
    }
    this.latinSpans[2 * w] = from;
    this.latinSpans[2 * w + 1] = end;
    // Words past MAX_WORD letters are neither stemmed nor pinyin: they take no slot.
    const slot = len <= MAX_WORD ? this.#wordSlot(word, len, hash) : -1;
    const c = this.#words;
    const at0 = slot * SLOT_LETTERS;
    const text = this.text;
    const codes = text.codes;
    const starts = text.starts;
    const ends = text.ends;
    let k = text.length;
    // Text lane: the stem, letter j keeping letter j's origin; the last one stretches to the word's end.
    const stemLength = slot >= 0 ? c.stemLength[slot]! : -1;
    if (stemLength >= 0) {
      for (let j = 0; j < stemLength; j++, k++) {
        const at = letterAt[Math.min(j, len - 1)]!;
        codes[k] = c.stems[at0 + j]!;
        starts[k] = at;
        ends[k] = j === stemLength - 1 ? end : at + 1;
      }
    } else {
      for (let j = 0; j < len; j++, k++) {
        const at = letterAt[j]!;
        codes[k] = j < MAX_WORD ? word[j]! : fold[input.charCodeAt(at)]!; // word[j]: a leet digit read as its letter
        starts[k] = at;
        ends[k] = at + 1;
      }
    }
    text.length = k;
    // Pinyin lane.
    if (!this.#withSounds) return end;
    const sounds = this.sounds;
    const count = slot >= 0 ? this.#syllablesOf(slot) : 0;
    if (count === 0) {
      if (sounds.length > 0 && sounds.codes[sounds.length - 1] !== LANE_BREAK) {
        const k = sounds.length++;
        sounds.codes[k] = LANE_BREAK;
        sounds.starts[k] = from;
        sounds.ends[k] = end;
      }
    } else {
      const scodes = sounds.codes;
      const sstarts = sounds.starts;
      const sends = sounds.ends;
      let k = sounds.length;
      const syllables = c.syllables;
      const syllableAt = c.syllableAt;
      for (let j = 0; j < count; j++, k++) {
        scodes[k] = syllables[at0 + j]!;
        sstarts[k] = letterAt[syllableAt[at0 + j]!]!;
        sends[k] = j + 1 < count ? letterAt[syllableAt[at0 + j + 1]!]! : end;
      }
      sounds.length = k;
    }
    return end;
  }
}
