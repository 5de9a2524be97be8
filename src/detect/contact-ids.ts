/**
 * The account id after a contact cue the lexicon found, as its own span: a moderator needs the id,
 * and the literal cue list of contact-links.ts does not see a disguised cue (加威芯号 abc123, found
 * by sound), a cue split across transcript chunks (加我微 | 信 abc123), or a cue that ends one chunk
 * with the id at the start of the next (a stream keeps `pendingCue`). The cue decides the kind: an
 * id after a QQ cue is `qq`, after any other cue `handle`; a mobile number is left to
 * contact-numbers.ts. Reads at most MAX_GAP + MAX_ID units after each cue.
 */
import type { CompiledLexicon } from '../lexicon/compile.js';
import { foldTables } from '../normalize/tables.js';
import { work } from '../work-meter.js';
import { addContact, VIA_DETECTOR, type CandidateList } from './candidate.js';
import { urlUnitTable } from './contact-links.js';
import { entryCount, scanTables } from '../lexicon/scan-tables.js';
import type { StreamContext } from './stream-context.js';

const CONTACT = 3;
const MAX_GAP = 8;
const MAX_ID = 30;
/**
 * Units between a cue and its id (微信号是：abc123), as a table by folded unit: every cue reads the
 * unit after it, and a Set lookup there was half the id stage in claim-dense text (加薇信 × 4,000:
 * 3.3% of a profile of the whole scan).
 */
const GAP_WORD = new Uint8Array(65536);
for (const c of '号是为码：:') GAP_WORD[c.charCodeAt(0)] = 1;
const QQ_WORDS = ['qq', '扣扣', '企鹅', '球球', '寇寇'];

export const CUE_NONE = 0;
export const CUE_QQ = 1;
export const CUE_APP = 2;

const isAlnum = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** What kind of id a cue announces, from the entry's phrase. */
function cueKind(phrase: string): number {
  const p = phrase.toLowerCase();
  for (const w of QQ_WORDS) if (p.includes(w)) return CUE_QQ;
  return CUE_APP;
}

/** Cue kind by entry, per lexicon, worked out on first use (a claim-dense chunk has a cue per few units). */
const kindsOf = new WeakMap<CompiledLexicon, Uint8Array>();
function kindsFor(lex: CompiledLexicon): Uint8Array {
  let kinds = kindsOf.get(lex);
  if (!kinds) kindsOf.set(lex, (kinds = new Uint8Array(entryCount(lex))));
  return kinds;
}
function entryKind(lex: CompiledLexicon, kinds: Uint8Array, e: number): number {
  if (kinds[e] === CUE_NONE) kinds[e] = cueKind(scanTables(lex).phrase(e));
  return kinds[e]!;
}

/**
 * Adds an id candidate after each contact cue among the first `count` candidates of `c` (lexicon
 * matches; detector hits and near terms are no cues), and after a cue the previous chunk ended on.
 */
export function idsAfterCues(c: CandidateList, lex: CompiledLexicon, text: string, base: number, ctx: StreamContext | undefined): void {
  const count = c.count;
  const pending = ctx?.pendingCue ?? CUE_NONE;
  if (ctx) ctx.pendingCue = CUE_NONE;
  if (pending !== CUE_NONE) readId(c, text, base, 0, pending, ctx);
  const kinds = kindsFor(lex);
  // Cues that end together (加微信, 微信 and their pinyin-lane twins) read the same id: read it once.
  let lastEnd = -1;
  let lastKind = CUE_NONE;
  for (let i = 0; i < count; i++) {
    if (c.category[i] !== CONTACT || c.via[i] === VIA_DETECTOR || c.alt[i]! >= 0 || c.term[i]! < 0) continue;
    const end = c.end[i]! - base;
    if (end < 0 || end > text.length) continue;
    const kind = entryKind(lex, kinds, c.term[i]!);
    if (end === lastEnd && kind === lastKind) continue;
    lastEnd = end;
    lastKind = kind;
    readId(c, text, base, end, kind, ctx);
  }
}

function readId(c: CandidateList, text: string, base: number, from: number, kind: number, ctx: StreamContext | undefined): void {
  const units = urlUnitTable();
  const fold = foldTables().fold;
  const n = text.length;
  let k = from;
  for (let gap = 0; k < n; k++, gap++) {
    const u = text.charCodeAt(k);
    if (isAlnum(units[u]!)) break;
    if (gap >= MAX_GAP || (fold[u] !== 0 && GAP_WORD[fold[u]!] === 0 && units[u] !== 0x40)) return;
  }
  work.steps += k - from;
  if (k >= n) {
    // Only separators after the cue: the id may open the next chunk.
    if (ctx) ctx.pendingCue = kind;
    return;
  }
  let j = k;
  let letters = 0;
  let digits = 0;
  let marks = 0;
  for (; j < n && j - k <= MAX_ID; j++) {
    const f = units[text.charCodeAt(j)]!;
    if (isDigit(f)) digits++;
    else if (f >= 0x61 && f <= 0x7a) letters++;
    else if (f === 0x5f || f === 0x2d || f === 0x2e) marks++;
    else break;
  }
  while (j > k && !isAlnum(units[text.charCodeAt(j - 1)]!)) j--; // a full stop after the id
  work.steps += j - k;
  const len = j - k;
  // An id begun at the chunk's end (QQ号是5 | 12345678): the rest may open the next chunk.
  if (len < 5 && j >= n && ctx) ctx.pendingCue = kind;
  if (len < 5 || len > MAX_ID || (j < n && isAlnum(units[text.charCodeAt(j)]!))) return;
  let term: string;
  if (letters === 0 && marks === 0) {
    // Digits: a QQ number after a QQ cue; a phone number is contact-numbers' (it reads the digits).
    if (kind !== CUE_QQ || len > 11 || units[text.charCodeAt(k)] === 0x30) return;
    term = 'qq';
  } else {
    // Latin-led and marked by a digit, _ or . (an English word after a cue is no id).
    const first = units[text.charCodeAt(k)]!;
    if (!(first >= 0x61 && first <= 0x7a) || digits + marks === 0) return;
    term = 'handle';
  }
  addContact(c, term, base + k, base + j);
}
