/**
 * E-mail addresses and web addresses read aloud: `xiaomei 艾特 163 点 com`, `abc at qq dot com`,
 * `www 点 mumu 点 cn`. contact-links.ts reads written links; here each Latin word that is a
 * top-level domain (com, cn, net …) is read backwards over a spoken or written dot, the labels
 * before it, and an optional spoken or written at with the local part before that. Each TLD word
 * reads at most MAX_LABELS labels of at most MAX_LABEL units back, so the cost stays linear.
 *
 * Reported: `email` when an at is there; `url` when the dot is the Chinese 点 or the labels start
 * with www (English "the dot com era" has neither, so it stays clean).
 */
import { foldTables } from '../normalize/tables.js';
import { work } from '../work-meter.js';
import { addContact, type CandidateSink } from './candidate.js';
import { urlUnitTable } from './contact-links.js';

const SPOKEN_TLDS = ['com', 'cn', 'net', 'org', 'cc', 'top', 'vip', 'xyz', 'shop', 'me', 'io'];

/** Bit `len` of TLD_HEADS[26 × first + second letter]: some SPOKEN_TLDS word of that length starts so. */
const TLD_HEADS = new Uint8Array(26 * 26);
for (const tld of SPOKEN_TLDS) TLD_HEADS[26 * (tld.charCodeAt(0) - 97) + tld.charCodeAt(1) - 97]! |= 1 << tld.length;

/** Is the word `text[from, end)` one of SPOKEN_TLDS (compared unit by unit: a word per few units must not build strings)? */
function isSpokenTld(text: string, from: number, end: number, units: Uint8Array): boolean {
  // One load turns away most words (a pinyin run is a word per 3 or 4 units): their first two letters begin no TLD of their length.
  const a = units[text.charCodeAt(from)]! - 97;
  const b = units[text.charCodeAt(from + 1)]! - 97;
  if (a >>> 0 > 25 || b >>> 0 > 25 || ((TLD_HEADS[26 * a + b]! >>> (end - from)) & 1) === 0) return false;
  next: for (const tld of SPOKEN_TLDS) {
    if (tld.length !== end - from) continue;
    for (let k = 0; k < tld.length; k++) if (units[text.charCodeAt(from + k)] !== tld.charCodeAt(k)) continue next;
    return true;
  }
  return false;
}
const MAX_LABELS = 4;
const MAX_LABEL = 30;
/** Spaces and noise skipped between the spoken words, at most. */
const MAX_SPACE = 3;

const isAlnum = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);

export function detectSpokenLinks(text: string, base: number, spans: Int32Array, words: number, out: CandidateSink): void {
  const units = urlUnitTable();
  for (let w = 0; w < words; w++) {
    const from = spans[2 * w]!;
    const end = spans[2 * w + 1]!;
    if (end - from > 4 || end - from < 2) continue;
    if (end < text.length && isAlnum(units[text.charCodeAt(end)]!)) continue;
    if (!isSpokenTld(text, from, end, units)) continue;
    readBack(text, base, from, end, units, out);
  }
}

/** A word read backwards: `[start, end)` of the alnum run ending at `end` (skipping spaces), or start -1. */
function labelBefore(text: string, at: number, units: Uint8Array): number {
  let e = skipSpace(text, at);
  let s = e;
  while (s > 0 && e - s < MAX_LABEL && (isAlnum(units[text.charCodeAt(s - 1)]!) || units[text.charCodeAt(s - 1)] === 0x5f)) s--;
  work.steps += at - s;
  labelEnd = e;
  return s < e ? s : -1;
}

/** Back from `at` over at most MAX_SPACE spaces and noise units (not letters, digits or CJK). */
function skipSpace(text: string, at: number): number {
  const fold = foldTables().fold;
  let k = at;
  for (let n = 0; k > 0 && n < MAX_SPACE && fold[text.charCodeAt(k - 1)] === 0 && text.charCodeAt(k - 1) !== 0x2e && text.charCodeAt(k - 1) !== 0x40 && text.charCodeAt(k - 1) !== 0xff20; n++) k--;
  return k;
}

const DOT_NONE = 0;
const DOT_WRITTEN = 1;
const DOT_SPOKEN_ZH = 2;
const DOT_SPOKEN_EN = 3;

/** The dot word ending at `at` (after spaces): its kind and start. */
function dotBefore(text: string, at: number, units: Uint8Array): number {
  const k = skipSpace(text, at);
  dotStart = k;
  if (k === 0) return DOT_NONE;
  const u = text.charCodeAt(k - 1);
  dotStart = k - 1;
  if (u === 0x70b9 || u === 0x9ede) return DOT_SPOKEN_ZH; // 点 點
  if (u === 0x2e || u === 0x3002 || u === 0xff0e) return DOT_WRITTEN;
  dotStart = k - 3;
  if (k >= 3 && lowerIs(text, k - 3, k, units, 'dot') && !(k > 3 && isAlnum(units[text.charCodeAt(k - 4)]!))) return DOT_SPOKEN_EN;
  dotStart = k;
  return DOT_NONE;
}

/** The at word ending at `at` (after spaces): its start, or -1. */
function atBefore(text: string, at: number, units: Uint8Array): number {
  const k = skipSpace(text, at);
  if (k === 0) return -1;
  const u = text.charCodeAt(k - 1);
  if (u === 0x40 || u === 0xff20) return k - 1;
  if (k >= 2) {
    const two = text.slice(k - 2, k);
    if (two === '艾特' || two === '爱特' || two === '圈a' || two === '圈A') return k - 2;
  }
  if (k >= 2 && lowerIs(text, k - 2, k, units, 'at') && !(k > 2 && isAlnum(units[text.charCodeAt(k - 3)]!))) return k - 2;
  return -1;
}

/**
 * The second results of dotBefore (where the dot begins) and labelBefore (where the label ends), in
 * module variables rather than a tuple per call (readBack runs for every TLD-like word: mixed
 * speech made ~75 KB of tuples and label strings per 64K message).
 */
let dotStart = 0;
let labelEnd = 0;

/** Is `text[from, to)`, through `units` (lower-casing), the lower-case ASCII `word`? */
function lowerIs(text: string, from: number, to: number, units: Uint8Array, word: string): boolean {
  if (to - from !== word.length) return false;
  for (let k = from; k < to; k++) if (units[text.charCodeAt(k)] !== word.charCodeAt(k - from)) return false;
  return true;
}

function readBack(text: string, base: number, tldStart: number, tldEnd: number, units: Uint8Array, out: CandidateSink): void {
  let at = tldStart;
  let spoken = false;
  let chinese = false;
  let labels = 0;
  let first = -1; // start of the first (leftmost) label read
  let firstWww = false; // is the first label www
  for (; labels < MAX_LABELS; labels++) {
    const dot = dotBefore(text, at, units);
    if (dot === DOT_NONE) break;
    const s = labelBefore(text, dotStart, units);
    if (s < 0) break;
    spoken ||= dot !== DOT_WRITTEN;
    chinese ||= dot === DOT_SPOKEN_ZH;
    first = s;
    firstWww = lowerIs(text, s, labelEnd, units, 'www');
    at = s;
  }
  if (labels === 0 || !spoken) return;
  const atStart = atBefore(text, at, units);
  if (atStart >= 0) {
    const s = labelBefore(text, atStart, units);
    if (s >= 0) {
      addContact(out, 'email', base + s, base + tldEnd);
      return;
    }
  }
  if (chinese || firstWww) addContact(out, 'url', base + first, base + tldEnd);
}
