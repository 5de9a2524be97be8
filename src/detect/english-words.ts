/**
 * The lower-case ASCII words of a stretch of text, for the English context cases (context.ts):
 * the same words as `text.slice(from, to).toLowerCase().replace(/['’]/g, '').split(/[^a-z]+/)`,
 * read into reused buffers instead of strings (mixed speech: ~300 KB a 64K message as strings and
 * arrays). Only İ (→ i + a combining dot, which ends the word) and the Kelvin sign (→ k)
 * lower-case into ASCII letters from outside A-Z.
 *
 * A window remembers the stretch it read last: the English cases of one match read the same
 * clause before or after it, one case after another (in text with Latin words near every match,
 * re-reading it for each case was a third of the context check).
 */
export class EnglishWords {
  /** How many words were read; word i is `letters[from[i], to[i])`. */
  count = 0;
  #letters: Uint16Array;
  #from: Int32Array;
  #to: Int32Array;
  #text: string | undefined;
  #start = -1;
  #end = -1;

  constructor(capacity: number) {
    this.#letters = new Uint16Array(capacity);
    this.#from = new Int32Array(capacity);
    this.#to = new Int32Array(capacity);
  }

  /** Reads the words of `text[from, to)` (clamped to the text); returns how many. */
  read(text: string, from: number, to: number): number {
    from = Math.max(0, from);
    to = Math.min(text.length, to);
    // The same string object (the common case: one match's cases), or one equal to it.
    if (from === this.#start && to === this.#end && text === this.#text) return this.count;
    if (this.#letters.length < to - from) {
      this.#letters = new Uint16Array(to - from);
      this.#from = new Int32Array(to - from);
      this.#to = new Int32Array(to - from);
    }
    const letters = this.#letters;
    const starts = this.#from;
    const ends = this.#to;
    let n = 0;
    let len = 0;
    let open = false;
    for (let k = from; k < to; k++) {
      let u = text.charCodeAt(k);
      if (u === 0x27 || u === 0x2019) continue;
      if (u >= 0x41 && u <= 0x5a) u += 32;
      else if (u === 0x212a) u = 0x6b;
      const last = u === 0x130;
      if (last) u = 0x69;
      if (u >= 0x61 && u <= 0x7a) {
        if (!open) {
          starts[n] = len;
          open = true;
        }
        letters[len++] = u;
        if (last) {
          ends[n++] = len;
          open = false;
        }
      } else if (open) {
        ends[n++] = len;
        open = false;
      }
    }
    if (open) ends[n++] = len;
    this.#text = text;
    this.#start = from;
    this.#end = to;
    return (this.count = n);
  }

  /** Is word i `w`? */
  is(i: number, w: string): boolean {
    const f = this.#from[i]!;
    if (this.#to[i]! - f !== w.length) return false;
    const letters = this.#letters;
    for (let k = 0; k < w.length; k++) if (letters[f + k] !== w.charCodeAt(k)) return false;
    return true;
  }

  /** Is word i one of `words`? */
  in(i: number, words: readonly string[]): boolean {
    for (let j = 0; j < words.length; j++) if (this.is(i, words[j]!)) return true;
    return false;
  }

  /**
   * Do words `i, i + 1, ..` joined by single spaces begin with `phrase` followed by a space or the
   * end (`whole`: and is the phrase all of the words from i on)?
   */
  phraseAt(i: number, phrase: string, whole: boolean): boolean {
    const letters = this.#letters;
    const starts = this.#from;
    const ends = this.#to;
    let w = i;
    let q = starts[w]!;
    // Most phrases differ from the word in its first letter: no loop for those.
    if (letters[q] !== phrase.charCodeAt(0)) return false;
    for (let k = 0; k < phrase.length; k++) {
      const ch = phrase.charCodeAt(k);
      if (q === ends[w]) {
        if (ch !== 0x20 || w + 1 >= this.count) return false;
        q = starts[++w]!;
      } else if (letters[q++] !== ch) return false;
    }
    return q === ends[w] && (!whole || w === this.count - 1);
  }
}
