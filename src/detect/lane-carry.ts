/**
 * A stream's lane carry at rest, packed: between two chunks a stream keeps only what the next chunk
 * can read, as varints in one small byte array, and the search states and origin rings it is scanned with are
 * full-size working copies shared by every stream of the automaton (`lanesFor`). Unpacked before a
 * chunk, packed after it; the copy is a few dozen integers, against the ~3.5 KB of rings and views
 * each stream held before (bench:e2e --memory).
 *
 * What the next chunk can read: both lanes' automaton state, previous unit, position and pending
 * matches, the ring of skip runs as it is (empty unless repeats were collapsed), and of the origin
 * ring only the entries a match crossing the seam can start at. The state is the longest suffix
 * of what was read that can still grow into a pattern, so such a match has at most the state's
 * depth in consumed units before the seam (state-depth.ts; ordinary speech sits at depth 0-2), and
 * between them only skipped units, which the skip runs record; so it starts at or after the seam
 * minus that depth minus the skip runs reached walking back (a pending match, from its own start).
 * If that walk runs past the oldest run the ring still holds, everything is kept.
 *
 * The integers are laid out per lane (header, skip runs, pending matches, origin pairs) and each is
 * stored as the zigzag varint of its difference to the integer two before it: positions and
 * origins rise by a few units per entry, so a pair takes about two bytes instead of eight.
 *
 * The bytes are kept as a one-byte (Latin-1) string, not a Uint8Array: ~16 bytes of header against
 * a view, an ArrayBuffer and its backing store (~350 B per stream at rest, bench:e2e --memory).
 */
import type { Automaton } from '../match/automaton.js';
import { LaneOrigins, originCapacity } from '../match/lane-origins.js';
import { laneWindow, SearchState } from '../match/search.js';
import { stateDepths } from '../match/state-depth.js';

/** Per lane: state, prev, position, runs, pending, runs kept, origins kept. */
const HEADER = 7;

export class Lanes {
  readonly text: SearchState;
  readonly sounds: SearchState;
  readonly textOrigins: LaneOrigins;
  readonly soundOrigins: LaneOrigins;
  readonly #maxPattern: number;
  /** Trie depth of each automaton state (state-depth.ts). */
  readonly #depth: Uint8Array;

  constructor(automaton: Automaton) {
    const n = laneWindow(automaton);
    const o = originCapacity(automaton);
    const buf = new Int32Array(4 * n + 4 * o);
    this.text = new SearchState(automaton, buf.subarray(0, 2 * n));
    this.sounds = new SearchState(automaton, buf.subarray(2 * n, 4 * n));
    this.textOrigins = new LaneOrigins(automaton, buf.subarray(4 * n, 4 * n + 2 * o));
    this.soundOrigins = new LaneOrigins(automaton, buf.subarray(4 * n + 2 * o, 4 * n + 4 * o));
    this.#maxPattern = automaton.maxPatternLength;
    this.#depth = stateDepths(automaton);
  }

  /** Integers of the carry being packed or unpacked. */
  #ints = new Int32Array(256);
  #bytes = Buffer.alloc(1024);

  /** A stream's packed carry into the working lanes (`undefined`: a stream's first chunk). */
  unpack(packed: string | undefined): void {
    if (packed === undefined) {
      unpackLane(this.text, this.textOrigins, undefined, 0);
      unpackLane(this.sounds, this.soundOrigins, undefined, 0);
      return;
    }
    // The count first, then the integers.
    let n = 0;
    let at = 0;
    for (let shift = 0; ; shift += 7) {
      const b = packed.charCodeAt(at++);
      n |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (this.#ints.length < n) this.#ints = new Int32Array(n);
    decode(packed, at, this.#ints, n);
    unpackLane(this.sounds, this.soundOrigins, this.#ints, unpackLane(this.text, this.textOrigins, this.#ints, 0));
  }

  /** The working lanes packed (one byte per char of the string). */
  pack(): string {
    // Room for the most the lanes can hold; then one pass writes what they keep.
    const most = laneMost(this.text, this.textOrigins) + laneMost(this.sounds, this.soundOrigins);
    if (this.#ints.length < most) this.#ints = new Int32Array(most);
    const ints = this.#ints;
    const n = packLane(this.sounds, this.soundOrigins, this.#keepFrom(this.sounds), ints, packLane(this.text, this.textOrigins, this.#keepFrom(this.text), ints, 0));
    // At most 5 bytes per integer (two's complement differences of int32 fit 33 bits: 5 varint bytes).
    if (this.#bytes.length < 5 + 5 * n) this.#bytes = Buffer.alloc(5 + 5 * n);
    const bytes = this.#bytes;
    let len = 0;
    for (let c = n; ; c >>>= 7) {
      if (c < 0x80) {
        bytes[len++] = c;
        break;
      }
      bytes[len++] = (c & 0x7f) | 0x80;
    }
    len = encode(ints, n, bytes, len);
    return bytes.toString('latin1', 0, len);
  }

  /** The lowest lane position a match crossing the seam can start at (see the file comment). */
  #keepFrom(st: SearchState): number {
    // The state's depth, not the longest pattern: a match still open holds at most that many consumed units.
    let from = st.position - Math.min(this.#depth[st.state]!, this.#maxPattern) - 1;
    const mask = st.runTo.length - 1;
    const oldest = Math.max(0, st.runs - st.runTo.length);
    let r = st.runs - 1;
    for (; r >= oldest && st.runTo[r & mask]! >= from; r--) from -= st.runTo[r & mask]! - st.runFrom[r & mask]! + 1;
    if (r < oldest && oldest > 0) return -0x80000000;
    for (let i = 0; i < st.pending; i++) from = Math.min(from, st.pendingStart![i]!);
    return from;
  }
}

const working = new WeakMap<Automaton, Lanes>();

/** The working lanes of `automaton`, shared by all its streams (scanning is synchronous: one chunk at a time). */
export function lanesFor(automaton: Automaton): Lanes {
  let l = working.get(automaton);
  if (!l) working.set(automaton, (l = new Lanes(automaton)));
  return l;
}

function keptRuns(st: SearchState): number {
  return Math.min(st.runs, st.runTo.length);
}

function laneMost(st: SearchState, origins: LaneOrigins): number {
  return HEADER + 2 * keptRuns(st) + 4 * st.pending + 2 * origins.capacity;
}

function packLane(st: SearchState, origins: LaneOrigins, from: number, out: Int32Array, at: number): number {
  const runs = keptRuns(st);
  const mask = st.runTo.length - 1;
  out[at] = st.state;
  out[at + 1] = st.prev;
  out[at + 2] = st.position;
  out[at + 3] = st.runs;
  out[at + 4] = st.pending;
  out[at + 5] = runs;
  let i = at + HEADER;
  for (let r = st.runs - runs; r < st.runs; r++, i += 2) (out[i] = st.runFrom[r & mask]!), (out[i + 1] = st.runTo[r & mask]!);
  for (let p = 0; p < st.pending; p++, i += 4) {
    out[i] = st.pendingPattern![p]!;
    out[i + 1] = st.pendingStart![p]!;
    out[i + 2] = st.pendingFirst![p]!;
    out[i + 3] = st.pendingEnd![p]!;
  }
  const kept = origins.newestFrom(from, out, i);
  out[at + 6] = kept;
  return i + 2 * kept;
}

function unpackLane(st: SearchState, origins: LaneOrigins, packed: Int32Array | undefined, at: number): number {
  if (packed === undefined) {
    st.reset();
    origins.load(EMPTY, 0, 0);
    return 0;
  }
  st.state = packed[at]!;
  st.prev = packed[at + 1]!;
  st.position = packed[at + 2]!;
  st.runs = packed[at + 3]!;
  const pending = packed[at + 4]!;
  const runs = packed[at + 5]!;
  const kept = packed[at + 6]!;
  const mask = st.runTo.length - 1;
  let i = at + HEADER;
  for (let r = st.runs - runs; r < st.runs; r++, i += 2) (st.runFrom[r & mask] = packed[i]!), (st.runTo[r & mask] = packed[i + 1]!);
  if (pending > 0 && (st.pendingPattern === undefined || st.pendingPattern.length < pending)) {
    const cap = Math.max(8, pending);
    st.pendingPattern = new Int32Array(cap);
    st.pendingStart = new Int32Array(cap);
    st.pendingFirst = new Int32Array(cap);
    st.pendingEnd = new Int32Array(cap);
  }
  for (let p = 0; p < pending; p++, i += 4) {
    st.pendingPattern![p] = packed[i]!;
    st.pendingStart![p] = packed[i + 1]!;
    st.pendingFirst![p] = packed[i + 2]!;
    st.pendingEnd![p] = packed[i + 3]!;
  }
  st.pending = pending;
  origins.load(packed, i, kept);
  return i + 2 * kept;
}

const EMPTY = new Int32Array(0);

/** `ints[0..n)` as zigzag varints of each one's difference to the integer two before it; returns the end. */
function encode(ints: Int32Array, n: number, out: Uint8Array, at: number): number {
  let back2 = 0;
  let back1 = 0;
  for (let i = 0; i < n; i++) {
    const v = ints[i]!;
    const d = v - back2;
    back2 = back1;
    back1 = v;
    if (d >= 0 && d < 0x40) {
      // Most: a rise of a few units, one byte.
      out[at++] = d << 1;
      continue;
    }
    let z = d >= 0 ? 2 * d : -2 * d - 1;
    while (z >= 0x80) {
      out[at++] = (z & 0x7f) | 0x80;
      z = Math.floor(z / 0x80);
    }
    out[at++] = z;
  }
  return at;
}

function decode(bytes: string, at: number, ints: Int32Array, n: number): void {
  let back2 = 0;
  let back1 = 0;
  for (let i = 0; i < n; i++) {
    let b = bytes.charCodeAt(at++);
    let v: number;
    if ((b & 0x81) === 0) v = (b >> 1) + back2;
    else {
      let z = b & 0x7f;
      let scale = 0x80;
      while (b >= 0x80) {
        b = bytes.charCodeAt(at++);
        z += (b & 0x7f) * scale;
        scale *= 0x80;
      }
      v = (z % 2 === 0 ? z / 2 : -(z + 1) / 2) + back2;
    }
    ints[i] = v;
    back2 = back1;
    back1 = v;
  }
}
