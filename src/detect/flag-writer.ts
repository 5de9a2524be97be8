/**
 * Resolved candidates → the flags of one chunk: negated claims and warned-against contact words
 * drop out, and at most `maxFlags` flags are written per message (DESIGN "Cost stays with the
 * sender": `全网最低价，` × 3,000 in one chat line was 3,000 flags on the feed). Past the cap the
 * most severe are kept, the earliest first within a severity, so a critical claim cannot hide
 * behind a hundred low ones; what is dropped still counts as reported for the stream (a later
 * chunk does not flag it again).
 */
import type { Flag, FlagIdAllocator } from '../flag.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import { foldTables } from '../normalize/tables.js';
import { VIA_DETECTOR, VIA_TEXT, type CandidateList } from './candidate.js';
import { ContextMemo, contextDrops, pictographsOnly } from './context.js';
import { needsDeobfuscation } from './evasion.js';
import { negatedBefore, warnedAfter, warnedBefore } from './negation.js';
import { scanTables } from '../lexicon/scan-tables.js';
import type { StreamContext } from './stream-context.js';

/** The default cap on flags per message. */
export const MAX_FLAGS_PER_MESSAGE = 100;

const CONTACT = 3;

export interface FlagMeta {
  stream?: string;
  seq?: number;
  ts?: number;
  kind?: Flag['kind'];
}

/** What the last `writeFlags` left out: the candidates past a full cap, never judged. */
export interface CapCount {
  unjudged: number;
}

/** chosen[k]: kept candidate k becomes a flag. */
let chosen = new Uint8Array(256);
/** What the context reads learnt of this chunk, and of the stream's tail and the chunk joined (context.ts). */
const chunkMemo = new ContextMemo();
const joinedMemo = new ContextMemo();

/**
 * Writes the flags for the first `n` candidates of `c` listed in `kept` (in order). `text` is the
 * chunk, starting at stream-global offset `base`; `ctx` the stream, if any. `cap.unjudged` is set
 * to how many candidates the full cap left unjudged (0 when it never filled).
 */
export function writeFlags(
  c: CandidateList,
  kept: Int32Array,
  n: number,
  text: string,
  base: number,
  ctx: StreamContext | undefined,
  meta: FlagMeta,
  ids: FlagIdAllocator,
  lex: CompiledLexicon,
  maxFlags: number,
  cap: CapCount,
): Flag[] {
  const fold = foldTables().fold;
  if (chosen.length < n) chosen = new Uint8Array(Math.max(n, 2 * chosen.length));
  chosen.fill(0, 0, n);
  chunkMemo.reset();
  joinedMemo.reset();
  /** Is kept candidate i a claim or contact as said (not negated, not warned against)? */
  // A match begun in an earlier chunk is judged on the stream's tail and this chunk together (不能治|疗任何疾病).
  let joined: string | undefined;
  const stands = (i: number) => {
    let s = c.start[i]! - base;
    let e = c.end[i]! - base;
    let t = text;
    let memo = chunkMemo;
    if (s < 0 && ctx) {
      memo = joinedMemo;
      t = joined ??= ctx.tail + text;
      s += ctx.tail.length;
      e += ctx.tail.length;
    }
    const cat = c.category[i]!;
    // Negation is judged on the longest claim: 不是全网最低价 must not leave 最低价 behind.
    // Context in the clause (context.ts: prohibitions, questions, idioms, news).
    if (cat !== CONTACT) return !(s >= 0 && (negatedBefore(t, s, fold) || contextDrops(cat, t, s, e, fold, memo) !== undefined));
    // A warning is no contact (千万别加陌生人的微信); a number or id given is, whatever the words.
    // In a stream, a cue whose number has only begun at the chunk's end (我的手机号是13|8…) is
    // flagged with the number on the chunk that completes it, not early on this one.
    if (ctx && c.via[i] !== VIA_DETECTOR && numberBegunAtEnd(t, e, fold)) return false;
    if (c.via[i] === VIA_DETECTOR || s < 0) return true;
    // The same OR either way; the order is what it costs. A pictograph (🛰) is decided by the
    // context cases at once (bare-emoji), before the warning reads would read its run of emoji
    // noise again; a word by the warning reads first, which are narrower than every context case
    // (千万别加微信都是骗子 × 6,500 read all the cases first: 4× ordinary speech).
    if (pictographsOnly(t, s, e, fold)) return !(contextDrops(cat, t, s, e, fold, memo) !== undefined || warnedBefore(t, s, fold) || warnedAfter(t, e, fold));
    return !(warnedBefore(t, s, fold) || warnedAfter(t, e, fold) || contextDrops(cat, t, s, e, fold, memo) !== undefined);
  };
  const report = (i: number) => {
    const cat = c.category[i]!;
    if (ctx && c.end[i]! > ctx.reportedEnd[cat]!) ctx.reportedEnd[cat] = c.end[i]!;
  };
  cap.unjudged = 0;
  if (n <= maxFlags) {
    for (let k = 0; k < n; k++) {
      const i = kept[k]!;
      if (!stands(i)) continue;
      chosen[k] = 1;
      report(i);
    }
  } else {
    // Past the cap: most severe first, earliest first within a severity, judged only until the
    // cap is full (9,000 claims cost 100 negation checks); everything kept counts as reported.
    let room = maxFlags;
    let judged = 0;
    for (let severity = 3; severity >= 0 && room > 0; severity--) {
      for (let k = 0; k < n && room > 0; k++) {
        const i = kept[k]!;
        if (c.severity[i] !== severity) continue;
        judged++;
        if (!stands(i)) continue;
        chosen[k] = 1;
        room--;
      }
    }
    cap.unjudged = n - judged;
    for (let k = 0; k < n; k++) report(kept[k]!);
  }
  const flags: Flag[] = [];
  const terms = scanTables(lex);
  for (let k = 0; k < n; k++) {
    if (chosen[k] === 0) continue;
    const i = kept[k]!;
    const start = Math.max(c.start[i]! - base, 0);
    // A match held over the seam (open-ends.ts) may lie wholly in the earlier chunk: its text is `carried`.
    const end = Math.max(c.end[i]! - base, 0);
    const via = c.viaOf(i);
    const flag: Flag = {
      id: ids.next(),
      category: c.categoryOf(i),
      term: c.termOf(i, terms),
      matched: text.slice(start, end),
      start,
      end,
      severity: c.severityOf(i),
      evasion: needsDeobfuscation(text, start, end, via),
      via,
    };
    if (meta.stream !== undefined) flag.stream = meta.stream;
    if (meta.seq !== undefined) flag.seq = meta.seq;
    if (meta.kind !== undefined) flag.kind = meta.kind;
    if (meta.ts !== undefined) flag.ts = meta.ts;
    if (ctx && c.start[i]! < base) {
      flag.carried = ctx.earlierText(c.start[i]!, base);
      flag.evasion ||= c.via[i] === VIA_TEXT && needsDeobfuscation(flag.carried, 0, flag.carried.length, via);
    }
    flags.push(flag);
  }
  return flags;
}

const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
/** Units that may stand between a cue and its number (是, 为, 号, 码); colons and spaces fold to noise. */
const CUE_LINK = new Set(['是', '为', '号', '码'].map((u) => u.charCodeAt(0)));
/** Fewer digits than a number needs (contact-numbers.ts: 5 units). */
const OPEN_RUN = 5;
const MAX_TRAIL = 24;
const MOBILE_DIGITS = 11;

/** Does the chunk end, after `end`, with only a link and an open run of 1–4 digits (written or spoken), or of a mobile number's first digits? */
function numberBegunAtEnd(text: string, end: number, fold: Uint16Array): boolean {
  if (text.length - end > MAX_TRAIL) return false;
  let digits = 0;
  let first = -1;
  let second = -1;
  for (let j = end; j < text.length; j++) {
    const f = fold[text.charCodeAt(j)]!;
    if (f === 0 || f >= 0xfffe) continue;
    if (f >= DIGIT_0 && f <= DIGIT_9) {
      if (digits === 0) first = f - DIGIT_0;
      else if (digits === 1) second = f - DIGIT_0;
      digits++;
    } else if (digits > 0 || !CUE_LINK.has(f)) return false;
  }
  // Or a mobile number not yet whole (电话138 1234|5678): contact-numbers.ts holds it for the next chunk too.
  return digits > 0 && (digits < OPEN_RUN || (first === 1 && second >= 3 && digits < MOBILE_DIGITS));
}
