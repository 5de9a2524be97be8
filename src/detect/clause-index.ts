/**
 * Where a chunk's clause breaks are (CLAUSE_BREAKS: ，。！？；、 and their ASCII forms, line breaks),
 * so "is there a break between these two offsets?" costs O(1) however long the stretch. Near-term pairing asks it once per
 * pair, and the stretch between two parts can be any length of noise: reading it each time made
 * `全网` + 60,000 spaces + `最低最低…` cost noise × pairs.
 */
import { CLAUSE_BREAKS } from '../normalize/symbols.js';
import { work } from '../work-meter.js';

/** CLAUSE_BREAKS as a table: the index reads every unit of a chunk, and a Set lookup per unit was most of its cost. */
const IS_BREAK = new Uint8Array(65536);
for (const u of CLAUSE_BREAKS) IS_BREAK[u] = 1;

/** A stretch up to this long is read directly (a near term's gap is 8 units, or 24 in English). */
const SHORT = 32;

export class ClauseIndex {
  /** next[i]: the first break at or after unit i (the text's length when none); built on first use. */
  #next = new Int32Array(256);
  #text = '';
  #built = false;

  /** Starts on the next chunk; its index is built only if a query comes. */
  reset(text: string): void {
    this.#text = text;
    this.#built = false;
  }

  /** Does `text[from, to)` of the chunk given to `reset` hold a clause break? Empty (to ≤ from) holds none. */
  breakIn(from: number, to: number): boolean {
    const text = this.#text;
    if (to <= from || from >= text.length) return false;
    // Most stretches between two parts are a few units: read them; the index is for long ones.
    if (to - from <= SHORT) return breakInSlice(text, from, to);
    if (!this.#built) this.#build(text);
    return this.#next[Math.max(0, from)]! < Math.min(to, text.length);
  }

  #build(text: string): void {
    const n = text.length;
    if (this.#next.length <= n) this.#next = new Int32Array(Math.max(n + 1, 2 * this.#next.length));
    const next = this.#next;
    next[n] = n;
    for (let i = n - 1; i >= 0; i--) next[i] = IS_BREAK[text.charCodeAt(i)] === 1 ? i : next[i + 1]!;
    work.steps += n;
    this.#built = true;
  }
}

/** Does `s[from, to)` hold a clause break? For the short tail a stream keeps (at most 256 units). */
export function breakInSlice(s: string, from: number, to: number): boolean {
  for (let i = Math.max(0, from); i < to && i < s.length; i++) {
    work.steps++;
    if (IS_BREAK[s.charCodeAt(i)] === 1) return true;
  }
  return false;
}
