/**
 * A whole-term match (not a near-term part) becomes an allow span or a candidate, once the checks
 * a match alone cannot make are passed: word boundaries of Latin terms in the original text,
 * `exact` English words, and sound-alikes that need an id after them. Each check reads a few units
 * around the match, or the match itself.
 */
import { VIA_PINYIN, type CandidateList } from './candidate.js';
import type { AllowSpans } from './resolve.js';
import {
  CHECK_ALLOW,
  CHECK_BOUNDARY_END,
  CHECK_BOUNDARY_START,
  CHECK_EXACT,
  CHECK_SOUND_ID,
  CHECK_SOUND_LEAD,
  CHECK_SOUND_SHORT,
  claimMarkerAt,
  SPELL_END,
  SPELL_END_SET,
  SPELL_START,
  SPELL_START_SET,
  type ScanTables,
} from '../lexicon/scan-tables.js';
import { CLAUSE_BREAKS } from '../normalize/symbols.js';
import { soundOnlyLead, soundOnlyShortClaim, unsupportedSoundAlike } from './sound-alike.js';

export const isWordUnit = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);

/**
 * The match of entry `e` (through a spelling with word boundaries of its own when `spell`, its
 * target's SPELL_* bits, says so, else with the entry's) at original `[start, end)`, found on lane
 * `via`: adds an allow span or a candidate. `text` is the chunk, starting at `base`. Reads the
 * entry from the tables' columns: no entry object.
 */
export function addWholeTerm(
  e: number,
  spell: number,
  text: string,
  base: number,
  start: number,
  end: number,
  via: number,
  allows: AllowSpans,
  candidates: CandidateList,
  tables: ScanTables,
  fold: Uint16Array,
): void {
  const checks = tables.checks[e]!;
  // Most entries are CJK terms with nothing to check: one byte says so.
  if (checks === 0 && spell === 0) {
    candidates.add(tables.category[e]!, tables.severity[e]!, start, end, via, e);
    return;
  }
  if ((checks & CHECK_ALLOW) !== 0) {
    // An allow phrase is one phrase: the lane drops punctuation, so 最好的，姐妹们冲 reads 最好的姐妹,
    // but across a clause break it is a claim and an address, not the friend it allows.
    if (!acrossClauseBreak(text, start - base, end - base)) allows.add(start, end, tables.allowMask[e]!);
    return;
  }
  // Latin terms need word boundaries in the original text: vx not inside "vxyz", star not in "start".
  const boundaryStart = (spell & SPELL_START_SET) !== 0 ? (spell & SPELL_START) !== 0 : (checks & CHECK_BOUNDARY_START) !== 0;
  const boundaryEnd = (spell & SPELL_END_SET) !== 0 ? (spell & SPELL_END) !== 0 : (checks & CHECK_BOUNDARY_END) !== 0;
  if (boundaryStart && start > base && isWordUnit(fold[text.charCodeAt(start - base - 1)]!)) return;
  // A romanized spelling (si v for 私V) must not start inside a word spelled out letter by letter (e x c l u s i v e).
  if ((spell & SPELL_START) !== 0 && insideSpelledWord(text, start - base)) return;
  // The phrase is read only by the checks that need it (an artifact's lexicon parses its phrases on first read).
  if (boundaryEnd && end - base < text.length && isWordUnit(fold[text.charCodeAt(end - base)]!) && !countedAfterNumeral(text, end - base, tables.phrase(e)))
    return;
  if ((checks & CHECK_EXACT) !== 0 && !endsWithExactWord(text, end - base, tables.phrase(e))) return;
  if (via === VIA_PINYIN && (checks & CHECK_SOUND_ID) !== 0 && start >= base && unsupportedSoundAlike(text, start - base, end - base, tables.phrase(e), fold)) return;
  // A short claim heard by sound alone (嘟假 for 独家) is another word.
  if (via === VIA_PINYIN && (checks & CHECK_SOUND_SHORT) !== 0 && start >= base && soundOnlyShortClaim(text, start - base, end - base, tables.phrase(e), fold)) return;
  // An ordinary word before a literal 最 heard as the claim's lead (坚果最好 as 见过最好).
  if (via === VIA_PINYIN && (checks & CHECK_SOUND_LEAD) !== 0 && start >= base && soundOnlyLead(text, start - base, end - base, tables.phrase(e), claimMarkerAt(tables.phrase(e)), fold)) return;
  candidates.add(tables.category[e]!, tables.severity[e]!, start, end, via, e);
}

const ONE = 0x4e00; // 一
/**
 * A term ending in the numeral 一 (唯一, 第一) followed by 一 and a measure word (唯一一颗, 唯一一款):
 * the second 一 counts the goods, it does not lengthen the number (第一 vs 第12 is what the
 * boundary guards).
 */
function countedAfterNumeral(text: string, at: number, phrase: string): boolean {
  if (phrase.charCodeAt(phrase.length - 1) !== ONE || text.charCodeAt(at) !== ONE || at + 1 >= text.length) return false;
  const next = text.charCodeAt(at + 1);
  return next >= 0x4e00 && next <= 0x9fff && !'一二三四五六七八九十百千万两零'.includes(text[at + 1]!);
}

const isLetter = (u: number) => (u >= 0x61 && u <= 0x7a) || (u >= 0x41 && u <= 0x5a);
const loneLetterAt = (text: string, i: number) => i >= 0 && i < text.length && isLetter(text.charCodeAt(i)) && !isLetter(text.charCodeAt(i - 1)) && !isLetter(text.charCodeAt(i + 1));

/** Is `text[at]` a lone letter right after another lone letter and a space ("u s" in "e x c l u s i v e")? */
function insideSpelledWord(text: string, at: number): boolean {
  return at >= 2 && text.charCodeAt(at - 1) === 0x20 && loneLetterAt(text, at) && loneLetterAt(text, at - 2);
}

/** `exact` English entries: the last original word must be the entry's last word, not an inflection. */
function endsWithExactWord(text: string, end: number, phrase: string): boolean {
  const last = phrase.trim().split(/\s+/).pop()!.toLowerCase();
  const word = text.slice(Math.max(0, end - last.length - 8), end).match(/[A-Za-z]+$/)?.[0]?.toLowerCase();
  return word === last;
}

/** Does `text[from, to)` (clamped to the chunk) hold a clause break? Allow phrases are a few units long. */
function acrossClauseBreak(text: string, from: number, to: number): boolean {
  for (let i = Math.max(0, from), end = Math.min(text.length, to); i < end; i++) if (CLAUSE_BREAKS.has(text.charCodeAt(i))) return true;
  return false;
}
