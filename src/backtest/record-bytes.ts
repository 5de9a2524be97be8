/**
 * Reads the few fields a backtest needs straight from a journal line's bytes, without `JSON.parse`
 * and without building the record: the top-level keys are walked in order and only `stream`,
 * `seq`, `kind`, `final` and `text` are decoded (into one reused object). A line this cannot read
 * with certainty — flags present, an escaped string where it matters, anything unexpected — is
 * answered `FULL` and the caller parses it the slow, exact way. A record never needs to be in the
 * server's key order for this to be right; only to be fast.
 *
 * Why: parsing every line as JSON allocated a full object graph per message, and garbage
 * collection was the largest cost of a 1M-message backtest (see bench/backtest.ts).
 */

import { CATEGORIES, type Flag } from '../flag.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;

/** The fields of a `msg` record a rescan needs; one instance is reused line after line. */
export interface MsgFields {
  stream: string;
  seq: number;
  kind: 'transcript' | 'chat';
  final: boolean;
  /** Absent when the journal did not keep it. */
  text: string | undefined;
  /** The flags the live lexicon raised (a shared empty array when none): fresh objects, the caller may keep them. */
  flags: Flag[];
  /** The shard of the stream, when the line's stream could be read (else -1): a damaged line is counted by its owner only. */
  owner: number;
}

/** What a line is, as far as the bytes tell. */
export const LineKind = {
  /** A `msg` record with no flags: its fields are in the `MsgFields` passed in. */
  Msg: 0,
  /** Some other record the backtest skips. */
  Other: 1,
  /** An `end` record: the stream is in `MsgFields.stream`. */
  End: 2,
  /** Needs the exact parse (flags, escapes in a key field, an unexpected shape, or not JSON at all). */
  Full: 3,
} as const;
export type LineKind = (typeof LineKind)[keyof typeof LineKind];

const T_PREFIX = Buffer.from('{"t":"');

/** Whether `buf[at..]` starts with `bytes`. */
export function startsWith(buf: Buffer, at: number, end: number, bytes: Buffer): boolean {
  if (end - at < bytes.length) return false;
  for (let k = 0; k < bytes.length; k++) if (buf[at + k] !== bytes[k]) return false;
  return true;
}

/**
 * The closing quote of the string whose first content byte is at `from`, or -1 when it does not
 * close before `end`. Sets `escaped` when the string holds a backslash escape. One pass over the
 * bytes (UTF-8 continuation bytes are never a quote or a backslash).
 */
function stringEnd(buf: Buffer, from: number, end: number, state: { escaped: boolean }): number {
  for (let j = from; j < end; j++) {
    const c = buf[j];
    if (c === QUOTE) return j;
    if (c === BACKSLASH) {
      state.escaped = true;
      j++;
    }
  }
  return -1;
}

const esc = { escaped: false };

/**
 * Which of `of` shards a stream belongs to: FNV-1a over its UTF-8 bytes. A stream's records all go
 * to one shard, so its chunks are scanned in order with their carry in one worker.
 */
export function shardOfBytes(buf: Uint8Array, start: number, end: number, of: number): number {
  return fnv(buf, start, end) % of;
}

export function shardOf(stream: string, of: number): number {
  if (of === 1) return 0;
  const bytes = Buffer.from(stream, 'utf8');
  return shardOfBytes(bytes, 0, bytes.length, of);
}

/**
 * Stream ids read from bytes, interned: a journal names the same few thousand streams over and
 * over, and a fresh string per record was a million allocations (and a million string hashes in
 * the scanner's stream map) per million messages. Direct-mapped by the FNV hash of the bytes, so
 * it never grows; a collision only costs a decode.
 */
class StreamNames {
  readonly #mask: number;
  readonly #bytes: (Uint8Array | undefined)[];
  readonly #names: string[];

  /** `slots`: a power of two. */
  constructor(slots = 8192) {
    this.#mask = slots - 1;
    this.#bytes = new Array<Uint8Array | undefined>(slots).fill(undefined);
    this.#names = new Array<string>(slots).fill('');
  }

  name(buf: Buffer, start: number, end: number, hash: number): string {
    const slot = hash & this.#mask;
    const have = this.#bytes[slot];
    const len = end - start;
    if (have !== undefined && have.length === len) {
      let k = 0;
      while (k < len && have[k] === buf[start + k]) k++;
      if (k === len) return this.#names[slot]!;
    }
    const name = buf.toString('utf8', start, end);
    this.#bytes[slot] = new Uint8Array(buf.subarray(start, end)); // a copy: the read buffer is reused
    this.#names[slot] = name;
    return name;
  }
}

const streamNames = new StreamNames();
/** Flag keys, interned the same way (a few dozen names at most). */
const flagKeys = new StreamNames(256);

/**
 * `buf.toString('utf8', start, end)` without its argument checks and encoding lookup: Buffer's own
 * `utf8Slice` (what `toString` ends in), once per rescanned message.
 */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice?: (start: number, end: number) => string }).utf8Slice;
function utf8(buf: Buffer, start: number, end: number): string {
  return utf8Slice ? utf8Slice.call(buf, start, end) : buf.toString('utf8', start, end);
}

function fnv(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/** Records of other shards are answered `Other` as soon as their stream is read (their text is never decoded). */
export interface Shard {
  of: number;
  mine: number;
}

/**
 * Reads the line `buf[start..end)` (no newline). For `Msg` and `End`, `out` holds the fields;
 * `text` is decoded only for a `msg` record (it is the one long field).
 */
export function readLineFields(buf: Buffer, start: number, end: number, out: MsgFields, shard?: Shard): LineKind {
  out.owner = -1;
  if (!startsWith(buf, start, end, T_PREFIX)) return LineKind.Full;
  // The record kind, by its first letters: msg, end, or anything else (skipped unparsed).
  const k0 = buf[start + 6];
  const isMsg = k0 === 0x6d /* m */ && buf[start + 7] === 0x73 && buf[start + 8] === 0x67 && buf[start + 9] === QUOTE;
  const isEnd = k0 === 0x65 /* e */ && buf[start + 7] === 0x6e && buf[start + 8] === 0x64 && buf[start + 9] === QUOTE;
  if (!isMsg && !isEnd) return LineKind.Other;
  let i = start + 10;
  let stream: string | undefined;
  let seq = -1;
  let kind: 'transcript' | 'chat' | undefined;
  let final: boolean | undefined;
  let text: string | undefined;
  let flagsSeen = false;
  let flags: Flag[] = NO_FLAGS;
  while (i < end) {
    const c = buf[i];
    if (c === CLOSE_BRACE) break;
    if (c !== COMMA || buf[i + 1] !== QUOTE) return LineKind.Full;
    const keyStart = i + 2;
    // Keys are a few bytes: a loop here, not Buffer#indexOf (a native call per key was most of this function's time).
    let keyEnd = keyStart;
    while (keyEnd < end && buf[keyEnd] !== QUOTE) keyEnd++;
    if (keyEnd >= end || buf[keyEnd + 1] !== COLON) return LineKind.Full;
    const keyLen = keyEnd - keyStart;
    const k = buf[keyStart];
    const v = keyEnd + 2;
    const vc = buf[v];
    let next: number;
    if (vc === QUOTE) {
      if (isMsg && keyLen === 4 && k === 0x74 /* text */ && buf[keyStart + 1] === 0x65 && buf[end - 1] === CLOSE_BRACE && buf[end - 2] === QUOTE && end - 2 > v) {
        // The server writes `text` last: decode up to the line's closing `"}` at once, instead of a
        // byte loop over the longest field; it is exactly the string when it holds no quote and no
        // backslash (any such byte decodes to itself), else the walk below reads it.
        const whole = utf8(buf, v + 1, end - 2);
        if (whole.indexOf('"') === -1 && whole.indexOf('\\') === -1) {
          text = whole;
          i = end - 1;
          continue;
        }
      }
      esc.escaped = false;
      const close = stringEnd(buf, v + 1, end, esc);
      if (close === -1) return LineKind.Full;
      next = close + 1;
      if (keyLen === 6 && k === 0x73 /* stream */ && buf[keyStart + 1] === 0x74) {
        if (esc.escaped) return LineKind.Full;
        const hash = fnv(buf, v + 1, close);
        if (shard && shard.of > 1) {
          out.owner = hash % shard.of;
          if (out.owner !== shard.mine) return LineKind.Other;
        }
        stream = streamNames.name(buf, v + 1, close, hash);
      } else if (keyLen === 4 && k === 0x6b /* kind */) {
        const first = buf[v + 1];
        if (first === 0x74 && close - v - 1 === 10) kind = 'transcript';
        else if (first === 0x63 && close - v - 1 === 4) kind = 'chat';
        else return LineKind.Full;
      } else if (keyLen === 4 && k === 0x74 /* text */ && buf[keyStart + 1] === 0x65) {
        if (isMsg) text = esc.escaped ? (JSON.parse(buf.toString('utf8', v, close + 1)) as string) : utf8(buf, v + 1, close);
      }
    } else if (vc === OPEN_BRACKET || vc === OPEN_BRACE) {
      // Only `flags` is read here (an array of flat objects); any other nested value goes to the exact parse.
      const isFlags = keyLen === 5 && k === 0x66 && buf[keyStart + 1] === 0x6c; /* flags */
      if (vc !== OPEN_BRACKET) return LineKind.Full;
      if (buf[v + 1] === CLOSE_BRACKET) {
        if (isFlags) {
          flagsSeen = true;
          flags = NO_FLAGS;
        }
        next = v + 2;
      } else {
        if (!isFlags) return LineKind.Full;
        flagsSeen = true;
        flags = [];
        next = readFlags(buf, v, end, flags);
        if (next === -1) return LineKind.Full;
      }
    } else {
      // A number or a literal: up to the next comma or the closing brace.
      let j = v;
      let n = 0;
      let digits = true;
      for (; j < end; j++) {
        const d = buf[j]!;
        if (d === COMMA || d === CLOSE_BRACE) break;
        if (d >= 0x30 && d <= 0x39) n = n * 10 + (d - 0x30);
        else digits = false;
      }
      if (j === end) return LineKind.Full;
      next = j;
      if (keyLen === 3 && k === 0x73 /* seq */) {
        if (!digits || j === v || n > Number.MAX_SAFE_INTEGER) return LineKind.Full;
        seq = n;
      } else if (keyLen === 5 && k === 0x66 && buf[keyStart + 1] === 0x69 /* final */) {
        if (vc === 0x74 && j - v === 4) final = true;
        else if (vc === 0x66 && j - v === 5) final = false;
        else return LineKind.Full;
      }
    }
    i = next;
  }
  if (i >= end || buf[i] !== CLOSE_BRACE || i !== end - 1) return LineKind.Full;
  if (stream === undefined || stream.length === 0) return LineKind.Full;
  out.stream = stream;
  if (isEnd) return LineKind.End;
  if (seq < 0 || kind === undefined || final === undefined || !flagsSeen) return LineKind.Full;
  out.seq = seq;
  out.kind = kind;
  out.final = final;
  out.text = text;
  out.flags = flags;
  return LineKind.Msg;
}

const NO_FLAGS: Flag[] = [];
const MINUS = 0x2d;
const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);

/** Whether a recorded flag has what a backtest reads of it (the exact parse and the byte reader check the same). */
export function isRecordedFlag(f: unknown): f is Flag {
  const g = f as Partial<Flag> | null;
  return !!g && typeof g.id === 'string' && typeof g.term === 'string' && CATEGORY_SET.has(g.category as string) && typeof g.start === 'number' && typeof g.end === 'number';
}

/**
 * A non-empty `flags` array from `buf[at]` (its `[`), of flat objects whose values are strings,
 * integers, `true`, `false` or `null`: the flags, as JSON.parse builds them, pushed to `into`.
 * Returns the index after the `]`, or -1 when the array holds anything else or a flag lacks what a
 * backtest reads (the exact parse then takes the line). Flagged lines were ~5% of a 1M backtest's
 * CPU in JSON.parse.
 */
function readFlags(buf: Buffer, at: number, end: number, into: Flag[]): number {
  let i = at + 1;
  for (;;) {
    if (buf[i] !== OPEN_BRACE || buf[i + 1] !== QUOTE) return -1;
    const f: Record<string, unknown> = {};
    i++;
    for (;;) {
      if (buf[i] !== QUOTE) return -1;
      let ke = i + 1;
      let h = 0x811c9dc5;
      for (; ke < end; ke++) {
        const c = buf[ke]!;
        if (c === QUOTE || c === BACKSLASH) break;
        h = Math.imul(h ^ c, 0x01000193);
      }
      if (ke >= end || buf[ke] !== QUOTE || buf[ke + 1] !== COLON) return -1;
      const key = flagKeys.name(buf, i + 1, ke, h >>> 0);
      if (key === '__proto__') return -1; // JSON.parse makes it an own property; an assignment would not
      i = ke + 2;
      const c = buf[i];
      let value: string | number | boolean | null;
      if (c === QUOTE) {
        esc.escaped = false;
        const close = stringEnd(buf, i + 1, end, esc);
        if (close === -1) return -1;
        value = esc.escaped ? (JSON.parse(buf.toString('utf8', i, close + 1)) as string) : utf8(buf, i + 1, close);
        i = close + 1;
      } else if (c === MINUS || (c !== undefined && c >= 0x30 && c <= 0x39)) {
        // An integer as JSON writes it: no leading zeros, no fraction or exponent (those go to JSON.parse).
        const neg = c === MINUS;
        let j = neg ? i + 1 : i;
        const first = j;
        let n = 0;
        for (; j < end; j++) {
          const d = buf[j]!;
          if (d < 0x30 || d > 0x39) break;
          n = n * 10 + (d - 0x30);
        }
        if (j === first || (buf[first] === 0x30 && j - first > 1) || n > Number.MAX_SAFE_INTEGER) return -1;
        value = neg ? -n : n;
        i = j;
      } else if (c === 0x74 && buf[i + 1] === 0x72 && buf[i + 2] === 0x75 && buf[i + 3] === 0x65) {
        value = true;
        i += 4;
      } else if (c === 0x66 && buf[i + 1] === 0x61 && buf[i + 2] === 0x6c && buf[i + 3] === 0x73 && buf[i + 4] === 0x65) {
        value = false;
        i += 5;
      } else if (c === 0x6e && buf[i + 1] === 0x75 && buf[i + 2] === 0x6c && buf[i + 3] === 0x6c) {
        value = null;
        i += 4;
      } else return -1;
      f[key] = value;
      if (buf[i] === COMMA) {
        i++;
        continue;
      }
      if (buf[i] !== CLOSE_BRACE) return -1;
      i++;
      break;
    }
    if (!isRecordedFlag(f)) return -1;
    into.push(f);
    if (buf[i] === COMMA) {
      i++;
      continue;
    }
    return buf[i] === CLOSE_BRACKET && i < end ? i + 1 : -1;
  }
}
