/**
 * The common shape of a `pkguard scan` request line, read without JSON.parse: `{"id":"…","text":"…"}`
 * with an optional "kind" ("transcript" | "chat") and "stream", keys in any order, spaces between
 * tokens, other keys with string values ignored (zod's object() strips them too). Anything else (an
 * escape or control character inside a key or value, any other character between tokens, a non-string value, a repeated key, a missing
 * field, a bad kind, an id holding a surrogate) is not read here: the caller falls back to JSON.parse
 * and the schema, which produce the exact result or error line. What this reads is therefore always
 * what JSON.parse would have read, and the id needs no escaping to be written back.
 *
 * Why: JSON.parse plus the zod check per line was a fifth of the CLI's time (issue 16); this is one
 * pass over the line's characters.
 */

export const KIND_NONE = 0;
export const KIND_TRANSCRIPT = 1;
export const KIND_CHAT = 2;

/** One request's fields, reused line after line (read, then scanned, before the next is read). */
export class RequestFields {
  id = '';
  text = '';
  kind = KIND_NONE;
  stream: string | undefined = undefined;
  /** The line names a `user` or `speaker` (string values): it takes the road that keeps them on the flags. */
  attributed = false;
}

/** Reads `line` into `out`; false when the line must take the JSON.parse road. */
export function readRequest(line: string, out: RequestFields): boolean {
  // An escape or a control character anywhere (inside a string, or tab/CR/LF between tokens) takes
  // the JSON.parse road; one native scan of the line settles it (3× a charCodeAt loop, measured), and
  // then every string ends at the next quote.
  if (ESCAPE_OR_CONTROL.test(line)) return false;
  const n = line.length;
  let i = skipSpaces(line, 0);
  if (line.charCodeAt(i) !== 0x7b) return false; // {
  let seen = 0;
  out.kind = KIND_NONE;
  out.stream = undefined;
  out.attributed = false;
  i = skipSpaces(line, i + 1);
  for (;;) {
    if (line.charCodeAt(i) !== 0x22) return false;
    const keyStart = i + 1;
    const keyEnd = stringEnd(line, keyStart);
    if (keyEnd < 0) return false;
    i = skipSpaces(line, keyEnd + 1);
    if (line.charCodeAt(i) !== 0x3a) return false; // :
    i = skipSpaces(line, i + 1);
    if (line.charCodeAt(i) !== 0x22) return false; // only string values here
    const valueEnd = stringEnd(line, i + 1);
    if (valueEnd < 0) return false;
    const bit = keyBit(line, keyStart, keyEnd);
    if (bit === ATTRIBUTION) out.attributed = true;
    else if (bit !== 0) {
      if ((seen & bit) !== 0) return false; // a repeated key: JSON.parse keeps the last
      seen |= bit;
      const from = i + 1;
      if (bit === ID) out.id = line.slice(from, valueEnd);
      else if (bit === TEXT) out.text = line.slice(from, valueEnd);
      else if (bit === STREAM) out.stream = line.slice(from, valueEnd);
      // The kind is compared in place (a slice per line for a word of 4 or 10 letters).
      else if (valueEnd - from === 4 && line.startsWith('chat', from)) out.kind = KIND_CHAT;
      else if (valueEnd - from === 10 && line.startsWith('transcript', from)) out.kind = KIND_TRANSCRIPT;
      else return false;
    }
    i = skipSpaces(line, valueEnd + 1);
    const c = line.charCodeAt(i);
    if (c === 0x2c) {
      i = skipSpaces(line, i + 1);
      continue;
    }
    if (c !== 0x7d) return false;
    if (skipSpaces(line, i + 1) !== n) return false;
    break;
  }
  if ((seen & (ID | TEXT)) !== (ID | TEXT)) return false;
  // Written back raw: an unpaired surrogate would need JSON.stringify's \u escape (UTF-8 input never has one).
  for (let k = 0; k < out.id.length; k++) if ((out.id.charCodeAt(k) & 0xf800) === 0xd800) return false;
  return true;
}

const ESCAPE_OR_CONTROL = /[\\\x00-\x1f]/;

/** Index of the `"` closing the string whose contents start at `from` (the line holds no escape), or -1. */
function stringEnd(line: string, from: number): number {
  return line.indexOf('"', from);
}

const ID = 1;
const TEXT = 2;
const KIND = 4;
const STREAM = 8;
/** `user` or `speaker`: not read here, only noted (a repeat is JSON.parse's and the schema's to judge). */
const ATTRIBUTION = 16;

function keyBit(line: string, from: number, to: number): number {
  const len = to - from;
  if (len === 2 && line.startsWith('id', from)) return ID;
  if (len === 4 && line.startsWith('text', from)) return TEXT;
  if (len === 4 && line.startsWith('kind', from)) return KIND;
  if (len === 6 && line.startsWith('stream', from)) return STREAM;
  if ((len === 4 && line.startsWith('user', from)) || (len === 7 && line.startsWith('speaker', from))) return ATTRIBUTION;
  return 0;
}

/** JSON whitespace between tokens; tabs and CRs (also JSON whitespace) take the JSON.parse road. */
function skipSpaces(line: string, i: number): number {
  while (line.charCodeAt(i) === 0x20) i++;
  return i;
}
