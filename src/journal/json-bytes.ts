/**
 * A journal record's JSON text written as UTF-8 straight into a buffer: the same bytes as
 * `Buffer.from(JSON.stringify(record))`, without the string. JSON.stringify builds its result in
 * doubling parts, and a record with Chinese text switches them to two bytes per unit: ~0.9 KB of
 * heap per message record (the largest allocation site of the stream core, bench/e2e/core-cost.ts
 * --alloc), and about a fifth of the core's non-scan CPU.
 *
 * Records of strings, numbers, booleans, null and empty arrays are written here (a message record
 * without flags is nothing else: ~95% of them in the e2e mix); a string that needs escaping goes
 * through JSON.stringify alone; a record with anything else (flags) is JSON.stringify's
 * (RecordBytes). The output is JSON.stringify's in every case (test/journal/record-bytes.test.ts
 * checks it on generated records).
 */

/**
 * `buf.write(s, off)` without its argument handling (encoding lookup, bounds defaults): Node's own
 * UTF-8 writer behind it, present on every Buffer since Node 0.x though not in the typings. The
 * wrapper was a third of this module's time in the profile.
 */
const utf8Write = (Buffer.prototype as unknown as { utf8Write?: (s: string, off: number) => number }).utf8Write ?? function (this: Buffer, s: string, off: number) {
  return this.write(s, off);
};

/** Upper bound of the bytes `writeJson` needs for a string of `units` UTF-16 units (quoted, every unit escaped). */
const stringBound = (units: number) => units * 6 + 2;

/**
 * Writes `record`'s JSON text at `off`; returns the offset after it. Only for a record whose
 * `recordBound` is finite, with that many bytes free in `buf` from `off`.
 */
export function writeRecord(buf: Buffer, off: number, record: object): number {
  buf[off++] = 0x7b; // {
  let first = true;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const v = (record as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    if (!first) buf[off++] = 0x2c; // ,
    first = false;
    off = writeString(buf, off, key);
    buf[off++] = 0x3a; // :
    off = writeValue(buf, off, v);
  }
  buf[off++] = 0x7d; // }
  return off;
}

/**
 * Bytes `writeRecord` may need for `record` (generous: strings counted as if every unit were
 * escaped), or Infinity when it holds anything but strings, numbers, booleans, null and empty
 * arrays (a message with flags): such a record is JSON.stringify's to encode.
 */
export function recordBound(record: object): number {
  if (typeof (record as { toJSON?: unknown }).toJSON === 'function') return Infinity;
  let n = 2;
  for (const key in record) {
    const v = (record as Record<string, unknown>)[key];
    n += stringBound(key.length) + 1;
    if (typeof v === 'string') n += stringBound(v.length);
    else if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') n += 26;
    else if (Array.isArray(v) && v.length === 0 && !('toJSON' in v && typeof v.toJSON === 'function')) n += 2;
    else return Infinity;
  }
  return n;
}

function writeValue(buf: Buffer, off: number, v: unknown): number {
  switch (typeof v) {
    case 'string':
      return writeString(buf, off, v);
    case 'number':
      if (Number.isSafeInteger(v)) return writeInteger(buf, off, v);
      return Number.isFinite(v) ? off + buf.write(String(v), off, 'latin1') : writeAscii(buf, off, NULL);
    case 'boolean':
      return writeAscii(buf, off, v ? TRUE : FALSE);
    default:
      if (v === null) return writeAscii(buf, off, NULL);
      // An empty array (recordBound lets nothing else through).
      buf[off++] = 0x5b; // [
      buf[off++] = 0x5d; // ]
      return off;
  }
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

function writeAscii(buf: Buffer, off: number, bytes: readonly number[]): number {
  for (const b of bytes) buf[off++] = b;
  return off;
}

/**
 * A string as JSON: as it is between quotes when nothing in it needs escaping (the usual case),
 * else JSON.stringify's escapes. Printable ASCII (keys, stream ids, kinds) is copied byte by byte
 * here, which costs less than a call into Node's UTF-8 writer; the first other unit hands the
 * whole string to that writer.
 */
function writeString(buf: Buffer, off: number, s: string): number {
  buf[off] = 0x22;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return writeOther(buf, off, s, i);
    buf[off + 1 + i] = c;
  }
  buf[off + 1 + n] = 0x22;
  return off + n + 2;
}

/** `s` from its unit `from` on is not printable ASCII: through the UTF-8 writer, or JSON.stringify when something needs escaping. */
function writeOther(buf: Buffer, off: number, s: string, from: number): number {
  if (needsEscape(s, from)) return off + utf8Write.call(buf, JSON.stringify(s), off);
  off++;
  off += utf8Write.call(buf, s, off);
  buf[off++] = 0x22;
  return off;
}

/** True when JSON.stringify would escape something from unit `from` on: a quote, a backslash, a control character or a lone surrogate. */
function needsEscape(s: string, from: number): boolean {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
    if (c >= 0xd800 && c <= 0xdfff) {
      // A high surrogate followed by a low one is a pair (written as UTF-8); anything else is lone.
      const d = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) return true;
      i++;
    }
  }
  return false;
}

/** A safe integer's decimal digits (JSON.stringify writes -0 as 0). */
function writeInteger(buf: Buffer, off: number, v: number): number {
  if (v < 0) {
    buf[off++] = 0x2d; // -
    v = -v;
  }
  if (v < 10) {
    buf[off++] = 0x30 + v;
    return off;
  }
  let digits = 0;
  for (let x = v; x >= 1; x = Math.floor(x / 10)) digits++;
  for (let i = off + digits - 1; i >= off; i--) {
    buf[i] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  }
  return off + digits;
}
