/**
 * Contact links that a word list cannot express, on the original text (`.`, `@` and `/` are noise
 * to the lanes), linear in the input and free of regular expressions over whole messages:
 *
 * - `url` and `email`.
 * - `handle`: an account id right after an app cue (微信 gaoyang_365, vx：mumu668, WhatsApp me at
 *   @shop.mumu, Instagram @mumu.home): Latin-led, 5–30 units, with a digit, `_`, `.` or a leading
 *   `@` so that ordinary English words after a cue are not taken for ids.
 *
 * Phone and QQ numbers are contact-numbers.ts.
 */
import { foldTables } from '../normalize/tables.js';
import { work } from '../work-meter.js';
import { addContact, type CandidateSink } from './candidate.js';

// ---- URLs and e-mail addresses ----
const TLDS = [
  'com', 'cn', 'net', 'org', 'io', 'co', 'cc', 'top', 'xyz', 'vip', 'shop', 'store', 'site', 'online',
  'me', 'tv', 'info', 'biz', 'link', 'club', 'app', 'hk', 'tw', 'live', 'fun', 'ltd', 'wang', 'ink',
];
/** A run of up to 7 letters a-z as a number (base 27, a = 1), so a TLD is looked up without building a string. */
const letterKey = (word: string) => [...word].reduce((key, c) => key * 27 + (c.charCodeAt(0) - 0x60), 0);
const TLD_KEYS = new Set(TLDS.map(letterKey));

/** ASCII view of a unit for URL scanning: full-width forms and the ideographic full stop folded. */
function urlUnitOf(u: number, fold: Uint16Array): number {
  if (u === 0x3002 || u === 0xff0e) return 0x2e; // 。．
  if (u === 0xff20) return 0x40; // ＠
  if (u >= 0xff01 && u <= 0xff5e) u -= 0xfee0;
  if (u < 0x80) {
    if (u >= 0x41 && u <= 0x5a) return u + 32;
    return u;
  }
  const f = fold[u]!;
  return f < 0x80 && f !== 0 ? f : 0;
}

/** `urlUnitOf` for every unit, computed once: the link detector reads every unit of a message with a Latin word. */
let urlUnits: Uint8Array | undefined;
export function urlUnitTable(fold: Uint16Array = foldTables().fold): Uint8Array {
  if (urlUnits === undefined) {
    urlUnits = new Uint8Array(65536);
    for (let u = 0; u < 65536; u++) urlUnits[u] = urlUnitOf(u, fold);
  }
  return urlUnits;
}

function urlUnit(u: number, fold: Uint16Array): number {
  return urlUnitTable(fold)[u]!;
}

const isAlnum = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
const isUrlPunct = (c: number) => c === 0x2e || c === 0x2d || c === 0x5f || c === 0x40 || c === 0x2f || c === 0x3a || c === 0x25 || c === 0x3f || c === 0x3d || c === 0x26 || c === 0x23 || c === 0x7e;

const LINK_ALNUM = 1;
const LINK_PUNCT = 2;
const LINK_AT = 3;
const LINK_DOT = 4;
const LINK_COLON = 5;
/**
 * By UTF-16 unit: LINK_ALNUM for what `urlUnitOf` makes alphanumeric, LINK_AT, LINK_DOT and
 * LINK_COLON for @ . : (full-width forms included), LINK_PUNCT for other URL punctuation, else 0:
 * one load a unit tells the run reader both where a run ends and what classifyRun and handleStart
 * need of it, so a run is read once, not once per question.
 */
let linkClasses: Uint8Array | undefined;
function linkClassTable(fold: Uint16Array): Uint8Array {
  if (linkClasses === undefined) {
    const units = urlUnitTable(fold);
    linkClasses = new Uint8Array(65536);
    for (let u = 0; u < 65536; u++) {
      const c = units[u]!;
      linkClasses[u] = isAlnum(c) ? LINK_ALNUM : c === 0x40 ? LINK_AT : c === 0x2e ? LINK_DOT : c === 0x3a ? LINK_COLON : isUrlPunct(c) ? LINK_PUNCT : 0;
    }
  }
  return linkClasses;
}

/** What classifyRun needs of a run `[from, to)`: its first @, its dots and the last, its first colon (-1: none). Scratch: not re-entrant. */
const run = { at: -1, dots: 0, lastDot: -1, firstColon: -1 };

/** Fills `run` for `text[from..to)` (a run cut short: the domain before a path). */
function summarize(text: string, from: number, to: number, classes: Uint8Array): void {
  run.at = -1;
  run.dots = 0;
  run.lastDot = -1;
  run.firstColon = -1;
  work.steps += to - from;
  for (let k = from; k < to; k++) {
    const c = classes[text.charCodeAt(k)]!;
    if (c === LINK_AT) {
      if (run.at < 0) run.at = k;
    } else if (c === LINK_DOT) {
      run.dots++;
      run.lastDot = k;
    } else if (c === LINK_COLON && run.firstColon < 0) run.firstColon = k;
  }
}

/**
 * Can `detectLinks` find anything in `text`? Every URL, e-mail and id run holds a Latin word next
 * to a digit or URL punctuation (or right after an `@`); the one exception, a scheme run such as
 * "12://x", needs a colon. So a message whose Latin words (`spans`, pairs of original offsets from
 * the normalizer) all stand alone, and which has no colon, is skipped without reading every unit.
 */
export function linksPossible(text: string, spans: Int32Array, words: number): boolean {
  const units = urlUnitTable(foldTables().fold);
  for (let w = 0; w < words; w++) {
    const from = spans[2 * w]!;
    const end = spans[2 * w + 1]!;
    if (from > 0 && linkish(units[text.charCodeAt(from - 1)]!)) return true;
    if (end < text.length && linkish(units[text.charCodeAt(end)]!)) return true;
  }
  return text.indexOf(':') >= 0 || text.indexOf('\uff1a') >= 0;
}

const linkish = (c: number) => isAlnum(c) || isUrlPunct(c);

/**
 * Adds a candidate for each URL, e-mail address and account id in `text`. With the normalizer's
 * Latin word spans (`spans`, `words`: see linksPossible), only the stretches of link units that
 * hold a Latin word are read, and nothing else can be a link: a URL or e-mail ends in a TLD or
 * starts with a scheme, an id with a letter, and every unit folding to a letter lies in a word.
 * Chinese between the links (most of a mixed message) is then never read unit by unit.
 */
export function detectLinks(text: string, base: number, out: CandidateSink, spans?: Int32Array, words = 0): void {
  const fold = foldTables().fold;
  const classes = linkClassTable(fold);
  if (spans === undefined) {
    readRuns(text, base, out, 0, text.length, classes, fold);
    return;
  }
  // Everything before `done` is read, and the run reader is between runs there (at a unit of no
  // link class, or past the end of a word's stretches), as a read from 0 would be.
  let done = 0;
  const n = text.length;
  for (let w = 0; w < words; w++) {
    const from = spans[2 * w]!;
    const end = spans[2 * w + 1]!;
    if (end <= done) continue;
    // A word with no link unit on either side is its own stretch, and it holds only letters,
    // hyphens and leet digits: no @, dot or colon (no URL, e-mail or scheme), so only an id of 5
    // units or more marked by a digit could come of it. Passed over unread otherwise (most words of
    // text mixing Latin words into Chinese); `done` may stay behind, since the unit after it stops
    // the next word's walk back anyway.
    if ((from === 0 || classes[text.charCodeAt(from - 1)] === 0) && (end >= n || classes[text.charCodeAt(end)] === 0) && (end - from < 5 || !hasDigit(text, from, end))) continue;
    let start = from;
    if (from <= done) start = done;
    else while (start > done && classes[text.charCodeAt(start - 1)] !== 0) start--; // back to the stretch's first unit
    done = readRuns(text, base, out, start, end, classes, fold);
  }
}

/** An ASCII digit in `text[from..to)` (the only digits a Latin word span holds: leetspeak). */
function hasDigit(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if ((text.charCodeAt(k) - 0x30) >>> 0 <= 9) return true;
  return false;
}

/**
 * Reads the link runs from `from` (between runs) on, until one ends at or past `until`; returns
 * where it stopped. A run starts at an alphanumeric unit and holds every unit of a link class
 * after it; its last alphanumeric unit ends it (a sentence's full stop is not part of the link).
 */
function readRuns(text: string, base: number, out: CandidateSink, from: number, until: number, classes: Uint8Array, fold: Uint16Array): number {
  const n = text.length;
  let i = from;
  while (i < until && i < n) {
    if (classes[text.charCodeAt(i)] !== LINK_ALNUM) {
      i++;
      continue;
    }
    // The run, where its last alnum unit ends (trailing punctuation, a sentence's full stop, is not
    // part of the link), and its marks up to there (those after it are trailing punctuation too).
    let j = i + 1;
    let end = j;
    let at = -1;
    let dots = 0;
    let lastDot = -1;
    let firstColon = -1;
    let lastColon = -1;
    let endDots = 0;
    let endLastDot = -1;
    let endLastColon = -1;
    for (; j < n; j++) {
      const k = classes[text.charCodeAt(j)]!;
      if (k === LINK_ALNUM) {
        end = j + 1;
        endDots = dots;
        endLastDot = lastDot;
        endLastColon = lastColon;
      } else if (k === 0) break;
      else if (k === LINK_DOT) {
        dots++;
        lastDot = j;
      } else if (k === LINK_AT) {
        if (at < 0) at = j;
      } else if (k === LINK_COLON) {
        if (firstColon < 0) firstColon = j;
        lastColon = j;
      }
    }
    run.at = at < end ? at : -1;
    run.dots = endDots;
    run.lastDot = endLastDot;
    run.firstColon = firstColon < end ? firstColon : -1;
    work.steps += end - i;
    const kind = classifyRun(text, i, end, fold, classes);
    if (kind) addContact(out, kind, base + i, base + end);
    else {
      const from = handleStart(text, i, end, endLastColon, fold);
      if (from >= 0) addContact(out, 'handle', base + from, base + end);
    }
    i = j;
  }
  return i;
}

/** A URL or e-mail address, or neither: the run `text[from..to)`, whose marks are in `run`. */
function classifyRun(text: string, from: number, to: number, fold: Uint16Array, classes: Uint8Array): 'url' | 'email' | undefined {
  const units = urlUnitTable(fold);
  const { at, dots, lastDot, firstColon } = run;
  // A scheme is the letters before the run's first colon (any later colon has that one before it).
  if (firstColon >= 0 && firstColon + 2 < to && units[text.charCodeAt(firstColon + 1)] === 0x2f && isScheme(text, from, firstColon, fold)) return 'url';
  if (dots === 0 || lastDot <= from) return undefined;
  // The last label must be a known top-level domain, for example .com or .cn (read as a number, not built as a string).
  let tld = 0;
  let k = lastDot + 1;
  while (k < to && k - lastDot <= 7) {
    const c = units[text.charCodeAt(k)]!;
    if (!(c >= 0x61 && c <= 0x7a)) break;
    tld = tld * 27 + (c - 0x60);
    k++;
  }
  // A path may follow the domain: find the domain's end (first '/') for the TLD check instead.
  if (k !== to) {
    const slash = findSlash(text, from, to, fold);
    if (slash < 0) return undefined;
    summarize(text, from, slash, classes);
    return classifyRun(text, from, slash, fold, classes) === 'url' ? 'url' : undefined;
  }
  if (!TLD_KEYS.has(tld)) return undefined;
  if (at > from && at < lastDot) return 'email';
  return at < 0 ? 'url' : undefined;
}

/** `text[from..to)` is a URL scheme: Latin letters (http, https, weixin), not digits (①：/一 is no link). */
function isScheme(text: string, from: number, to: number, fold: Uint16Array): boolean {
  if (to - from < 2) return false;
  for (let k = from; k < to; k++) {
    const c = urlUnit(text.charCodeAt(k), fold);
    if (c < 0x61 || c > 0x7a) return false;
  }
  return true;
}

function findSlash(text: string, from: number, to: number, fold: Uint16Array): number {
  work.steps += to - from;
  for (let k = from; k < to; k++) if (urlUnit(text.charCodeAt(k), fold) === 0x2f) return k;
  return -1;
}

// ---- account ids after an app cue ----

/** App cues, lower-case and simplified (the cue text is folded before comparing). */
const HANDLE_CUES = [
  '微信', '微信号', 'vx', 'wx', 'v', 'v信', '薇', '薇信', 'weixin', 'wechat', 'whatsapp', 'telegram', 'tg', 'instagram', 'ins', 'ig',
  'snapchat', 'line', 'kakao', 'facebook', 'fb', 'tiktok', 'twitter', '抖音', '抖音号', '小红书', '快手号', '微博',
];
/** Words and characters allowed between a cue and the id ("WhatsApp me at @x", "微信号是 x"). */
const HANDLE_FILLER_WORDS = ['me', 'at', 'on', 'is', 'my', 'id', 'handle', '号', '是', '为', '搜', '加', '我', '的'];
const MAX_CUE_GAP = 12;

/** Start of an account id in the run `from..to` (after its last colon, at `lastColon` or -1, with a leading `@`), or -1. */
function handleStart(text: string, from: number, to: number, lastColon: number, fold: Uint16Array): number {
  if (to - from < 5) return -1; // an id is 5 units or more, from `from` on
  let s = lastColon >= 0 ? lastColon + 1 : from; // "vx:mumu668"
  if (s < to && urlUnit(text.charCodeAt(s), fold) === 0x40) s++;
  const at = s > 0 && urlUnit(text.charCodeAt(s - 1), fold) === 0x40;
  const n = to - s;
  if (n < 5 || n > 30) return -1;
  const first = urlUnit(text.charCodeAt(s), fold);
  if (!(first >= 0x61 && first <= 0x7a)) return -1;
  let marked = at;
  for (let k = s; k < to && !marked; k++) {
    const c = urlUnit(text.charCodeAt(k), fold);
    if ((c >= 0x30 && c <= 0x39) || c === 0x5f || c === 0x2e) marked = true;
  }
  if (!marked) return -1;
  const idStart = at ? s - 1 : s;
  return cueBeforeText(text, idStart, fold) ? idStart : -1;
}

/**
 * Units of the cues and filler words: a unit of neither between a cue and the id (a digit, the
 * previous id's letters) means no cue further back can be followed by fillers only, so the look
 * back ends there (ids back to back: abc123 xyz456 … read 12 units each).
 */
const CUE_UNITS = new Uint8Array(0x10000);
for (const w of [...HANDLE_CUES, ...HANDLE_FILLER_WORDS]) for (let i = 0; i < w.length; i++) CUE_UNITS[w.charCodeAt(i)] = 1;

/** The cues by first unit: a word that starts with none of them is passed over without comparing. */
const CUES_BY_HEAD = new Map<number, string[]>();
for (const cue of HANDLE_CUES) {
  const head = cue.charCodeAt(0);
  CUES_BY_HEAD.set(head, [...(CUES_BY_HEAD.get(head) ?? []), cue]);
}
/** The significant units before an id, folded, in text order, right-aligned (scratch: not re-entrant). */
const cueWords = new Uint16Array(MAX_CUE_GAP);

/**
 * Looks back from `at` for an app cue followed only by separators and filler words. Bounded: at
 * most MAX_CUE_GAP significant units are read, so the cost per candidate id is constant. The
 * units go into a scratch array, not a string: an id after every cue (vx:abc123 × 6,000) made
 * the strings built here a fifth of such a scan.
 */
function cueBeforeText(text: string, at: number, fold: Uint16Array): boolean {
  let n = 0;
  for (let k = at - 1; k >= 0 && n < MAX_CUE_GAP; k--) {
    work.steps++;
    const u = text.charCodeAt(k);
    let f = u >= 0xff01 && u <= 0xff5e ? u - 0xfee0 : fold[u]!;
    if (f === 0 || f === 0x3a || f === 0x40 || f === 0x20 || f >= 0xfffe) continue; // separators and noise
    if (f >= 0x41 && f <= 0x5a) f += 32;
    if (CUE_UNITS[f] === 0) return false;
    cueWords[MAX_CUE_GAP - ++n] = f;
    const before = k > 0 ? urlUnit(text.charCodeAt(k - 1), fold) : 0;
    if (before >= 0x61 && before <= 0x7a) continue; // a Latin cue must start a word: "online" is not "line"
    const cues = CUES_BY_HEAD.get(f);
    if (cues === undefined) continue;
    const from = MAX_CUE_GAP - n;
    for (let c = 0; c < cues.length; c++) if (wordAt(cueWords, from, cues[c]!) && onlyFillers(cueWords, from + cues[c]!.length)) return true;
  }
  return false;
}

/** Does `buf[at..)` start with `word`? */
function wordAt(buf: Uint16Array, at: number, word: string): boolean {
  if (at + word.length > buf.length) return false;
  for (let j = 0; j < word.length; j++) if (buf[at + j] !== word.charCodeAt(j)) return false;
  return true;
}

/** Is `buf[at..)` filler words only, taken greedily from the front (nothing left is fillers only)? */
function onlyFillers(buf: Uint16Array, at: number): boolean {
  for (let p = at; p < buf.length; ) {
    let f = 0;
    while (f < HANDLE_FILLER_WORDS.length && !wordAt(buf, p, HANDLE_FILLER_WORDS[f]!)) f++;
    if (f === HANDLE_FILLER_WORDS.length) return false;
    p += HANDLE_FILLER_WORDS[f]!.length;
  }
  return true;
}
