/**
 * The library core: text → normalized lanes → overlapping matches → candidates → flags.
 *
 * `scan(text)` is stateless. `stream(id).push(chunk)` carries automaton state, the recent original
 * text, digit runs and what was already reported across consecutive transcript chunks, so a phrase
 * split across chunks is flagged on the chunk where it completes, with offsets into that chunk and
 * the earlier part in `carried`.
 */
import { InputError } from '../errors.js';
import { categoryIndex, FlagIdAllocator, type Flag, type MessageKind } from '../flag.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import type { LaneOrigins } from '../match/lane-origins.js';
import { findOverlapping, MatchBuffer } from '../match/search.js';
import type { Lane } from '../normalize/normalizer.js';
import { Normalizer } from '../normalize/normalizer.js';
import { foldTables } from '../normalize/tables.js';
import { CandidateList, VIA_PINYIN, VIA_TEXT } from './candidate.js';
import { breakInSlice, ClauseIndex } from './clause-index.js';
import { detectLinks, linksPossible } from './contact-links.js';
import { idsAfterCues } from './contact-ids.js';
import { detectNumbers } from './contact-numbers.js';
import { detectSpokenLinks } from './contact-spoken.js';
import { detectPlusCues } from './contact-plus.js';
import { MAX_FLAGS_PER_MESSAGE, writeFlags, type CapCount } from './flag-writer.js';
import { nearGap, NearParts, pairNear, reachable, type NearPart } from './near.js';
import { holdOpenEnds, releaseHeld } from './open-ends.js';
import { AllowSpans, resolve } from './resolve.js';
import { CHECK_ALLOW, CHECK_BOUNDARY_END, CHECK_BOUNDARY_START, CHECK_SOUND_ID, CHECK_SOUND_LEAD, CHECK_SOUND_SHORT, scanTables, TARGET_NEAR_A, TARGET_SPELLING, type ScanTables } from '../lexicon/scan-tables.js';
import { StreamContext } from './stream-context.js';
import { addWholeTerm, isWordUnit } from './whole-term.js';

export interface ChunkMeta {
  stream?: string;
  seq?: number;
  ts?: number;
  kind?: MessageKind;
}

const NO_META: ChunkMeta = Object.freeze({});

export class Scanner {
  #lexicon: CompiledLexicon;
  readonly #ids: FlagIdAllocator;
  readonly #maxFlags: number;
  #dropped = 0;
  readonly #cap: CapCount = { unjudged: 0 };
  readonly #normalizer = new Normalizer();
  readonly #matches = new MatchBuffer(256);
  readonly #streams = new Map<string, StreamScanner>();
  // Columns reused from chunk to chunk (scanning is synchronous); nothing keeps them past a call.
  readonly #candidates = new CandidateList();
  readonly #allows = new AllowSpans();
  readonly #near = new NearParts();
  #nearScratch: NearPart[] = [];
  readonly #nearChecks = new NearChecks(this.#candidates);
  #kept = new Int32Array(256);
  /** nearSeen[entry] === nearStamp: an A part of that near entry was seen in this chunk or carried into it. */
  #nearSeen = new Int32Array(0);
  /** lastAEnd[entry], valid when nearSeen[entry] === nearStamp: the lane end of the entry's A part added last. */
  #lastAEnd = new Int32Array(0);
  #nearStamp = 0;
  /** bLive[pattern], valid when bStamp[pattern] === nearStamp: the pattern's B parts (bits as in ScanTables.bK) whose entry has an A part seen. */
  #bLive = new Int32Array(0);
  #bStamp = new Int32Array(0);
  /** patternSeen[pattern] === nearStamp: the pattern matched somewhere in this chunk (either lane). */
  #patternSeen = new Int32Array(0);
  /** idle[pattern] === nearStamp: the pattern's first targets are all A parts dropped in this single message (see laneCandidates). */
  #idle = new Int32Array(0);
  /** bAhead[entry], valid when aheadStamp[entry] === nearStamp: 1 when one of the entry's B parts matched in this chunk. */
  #bAhead = new Uint8Array(0);
  #aheadStamp = new Int32Array(0);
  readonly #walk: LaneWalk;

  /** @internal Use `createScanner`. `maxFlags`: most flags one message raises (see flag-writer.ts). */
  constructor(lexicon: CompiledLexicon, ids: FlagIdAllocator, maxFlags = MAX_FLAGS_PER_MESSAGE) {
    this.#lexicon = lexicon;
    this.#ids = ids;
    this.#maxFlags = maxFlags;
    this.#walk = new LaneWalk(lexicon, this.#matches, this.#candidates, this.#allows, this.#near);
  }

  /**
   * Claims over the per-message cap in the last message scanned, not raised: those left unjudged
   * once the cap was full (at most that many would have stood; some may be negated or in a context
   * that drops them). 0 when the cap did not fill, even if more matched than it holds.
   */
  get droppedInLastScan(): number {
    return this.#dropped;
  }

  get lexicon(): CompiledLexicon {
    return this.#lexicon;
  }

  /**
   * Swaps in a newly compiled lexicon (compile it off the hot path first). Streams keep their
   * offsets and reports but restart matching: a phrase split exactly across the swap is missed.
   */
  swapLexicon(lexicon: CompiledLexicon): void {
    this.#lexicon = lexicon;
  }

  /**
   * Streams created from now on keep their lane carry live between chunks, in lanes of their own
   * (~3.5 KB each), instead of packed into a few dozen bytes and unpacked into the shared working
   * lanes around every chunk (lane-carry.ts). Same flags either way; for a replay of many chunks
   * over a bounded set of streams (backtest), where the pack/unpack was ~15% of the CPU. A server
   * with thousands of long-lived streams keeps the default (packed).
   */
  liveCarries = false;

  /**
   * @internal Near parts that can pair with nothing are dropped: in a single message the A parts
   * whose entry has no B part in it (see #scanChunk), in any chunk the B parts too far from their
   * entry's A parts (nearGap). false keeps them all, for the test that checks dropping them
   * never changes a flag.
   */
  dropUnpairedNear = true;

  /** Scans one message on its own. */
  scan(text: string, meta: ChunkMeta = NO_META): Flag[] {
    if (typeof text !== 'string') throw new InputError('text', `expected string, received ${text === null ? 'null' : typeof text}`);
    return this.#scanChunk(text, undefined, meta);
  }

  /** The per-stream scanner for `id`, created on first use. Chat messages are never joined. */
  stream(id: string): StreamScanner {
    let s = this.#streams.get(id);
    if (!s) {
      s = new StreamScanner(id, this);
      this.#streams.set(id, s);
    }
    return s;
  }

  /** Forgets a stream's carried state (stream end, idle timeout). */
  endStream(id: string): boolean {
    return this.#streams.delete(id);
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  /** @internal */
  scanInStream(text: string, ctx: StreamContext | undefined, meta: ChunkMeta): Flag[] {
    return this.#scanChunk(text, ctx, meta);
  }

  #scanChunk(text: string, ctx: StreamContext | undefined, meta: ChunkMeta): Flag[] {
    const lex = this.#lexicon;
    const tables = scanTables(lex);
    const norm = this.#normalizer.normalize(text, lex.hasPinyin);
    const matches = this.#matches;
    matches.reset();
    const base = ctx ? ctx.base : 0;
    const textBase = ctx ? ctx.text.position : 0;
    findOverlapping(lex.automaton, norm.text.codes, norm.text.length, matches, ctx?.text);
    const split = matches.count;
    const soundBase = ctx ? ctx.sounds.position : 0;
    if (lex.hasPinyin) findOverlapping(lex.automaton, norm.sounds.codes, norm.sounds.length, matches, ctx?.sounds);

    const candidates = this.#candidates;
    const allows = this.#allows;
    const near = this.#near;
    candidates.reset();
    allows.reset();
    near.reset();
    const fold = foldTables().fold;
    // A B part is kept only when an A part of its entry came before it (matches arrive by end, so any
    // A that could pair already has): a common B such as 好了 shared by many entries costs nothing alone.
    let nearSeen = this.#nearSeen;
    // A stamp past Int32 range would wrap in the array and never match again (after ~2^31 chunks).
    let bLive = this.#bLive;
    let bStamp = this.#bStamp;
    if (this.#nearStamp === 0x7fffffff) {
      nearSeen.fill((this.#nearStamp = 0));
      bStamp.fill(0);
      this.#patternSeen.fill(0);
      this.#idle.fill(0);
      this.#aheadStamp.fill(0);
    }
    const stamp = ++this.#nearStamp;
    const carried = ctx?.near?.length ?? 0;
    if (lex.hasNear) {
      if (nearSeen.length < tables.category.length) {
        nearSeen = this.#nearSeen = new Int32Array(tables.category.length);
        this.#lastAEnd = new Int32Array(tables.category.length);
      }
      if (bStamp.length < tables.bFrom.length) {
        bLive = this.#bLive = new Int32Array(tables.bFrom.length);
        bStamp = this.#bStamp = new Int32Array(tables.bFrom.length);
      }
      // The carried A parts go first: pairing needs the parts in order of their lane end.
      for (let k = 0; k < carried; k++) {
        const e = ctx!.near![k]!.entry;
        near.addPart(ctx!.near![k]!);
        this.#lastAEnd[e] = ctx!.near![k]!.laneEnd;
        if (nearSeen[e] !== stamp) liven(tables, e, (nearSeen[e] = stamp), bStamp, bLive);
      }
    }
    // A single message carries nothing on: an A part whose entry has no B part anywhere in it can
    // pair with nothing and is not kept (全网 is the A part of two near terms in 全网最低价, and 最低
    // of one, and only one of the three has a B part there). A stream keeps them for the next chunk.
    const aheadOnly = ctx === undefined && lex.hasNear && this.dropUnpairedNear;
    if (aheadOnly) {
      if (this.#patternSeen.length < tables.firstFrom.length) {
        this.#patternSeen = new Int32Array(tables.firstFrom.length);
        this.#idle = new Int32Array(tables.firstFrom.length);
      }
      if (this.#aheadStamp.length < tables.category.length) {
        this.#aheadStamp = new Int32Array(tables.category.length);
        this.#bAhead = new Uint8Array(tables.category.length);
      }
      markSeen(this.#patternSeen, matches, stamp);
    }
    // One record per Scanner, refilled per chunk: a fresh one was ~170 B of garbage per scan.
    const walk = this.#walk;
    walk.lex = lex;
    walk.tables = tables;
    walk.text = text;
    walk.base = base;
    walk.fold = fold;
    walk.nearSeen = nearSeen;
    walk.lastAEnd = this.#lastAEnd;
    walk.stamp = stamp;
    walk.bStamp = bStamp;
    walk.bLive = bLive;
    walk.aheadOnly = aheadOnly;
    walk.reachLimited = this.dropUnpairedNear;
    walk.patternSeen = this.#patternSeen;
    walk.idle = this.#idle;
    walk.bAhead = this.#bAhead;
    walk.aheadStamp = this.#aheadStamp;
    // Text-lane candidates come first, in order of end (as their matches came); the pinyin lane's
    // matches come in order of end too, so one cursor over the former finds a pinyin match that
    // repeats a text candidate (see readAgain).
    laneCandidates(walk, 0, split, norm.text, textBase, ctx?.textOrigins, -1);
    const textCandidates = candidates.count;
    laneCandidates(walk, split, matches.count, norm.sounds, soundBase, ctx?.soundOrigins, textCandidates);
    if (lex.hasNear && near.count > 0) this.#pairNear(text, base, ctx, carried, textCandidates);
    if (ctx) {
      ctx.textOrigins.remember(norm.text.codes, norm.text.starts, norm.text.length, textBase, base);
      ctx.soundOrigins.remember(norm.sounds.codes, norm.sounds.starts, norm.sounds.length, soundBase, base);
    }

    const n = this.#normalizer;
    // Before the number detector: on a tie the id read after a QQ cue names it (a 扣扣 number is QQ).
    idsAfterCues(candidates, lex, text, base, ctx);
    // A number needs 5 digit units, here or together with a run the stream carries.
    if (n.digitUnits >= 5 || (ctx !== undefined && (n.digitUnits > 0 || ctx.digits.length > 0))) detectNumbers(norm.text, text, base, ctx?.digits, candidates);
    // URLs, e-mails and ids all hold a Latin word, and (see linksPossible) one that does not stand alone.
    if (n.latinWords > 0 && linksPossible(text, n.latinSpans, n.latinWords)) detectLinks(text, base, candidates, n.latinSpans, n.latinWords);
    if (n.latinWords > 0) {
      detectSpokenLinks(text, base, n.latinSpans, n.latinWords, candidates);
      detectPlusCues(text, base, n.latinSpans, n.latinWords, candidates);
    }
    if (ctx && ctx.held.length > 0) releaseHeld(ctx.held, candidates);
    if (this.#kept.length < candidates.count) this.#kept = new Int32Array(Math.max(candidates.count, 2 * this.#kept.length));
    let kept = resolve(candidates, allows, this.#kept, ctx?.reportedEnd);
    // A match open at a stream chunk's end waits for the next chunk (open-ends.ts).
    if (ctx) kept = holdOpenEnds(candidates, this.#kept, kept, text, base, lex, ctx.held);
    this.#cap.unjudged = 0;
    const flags = kept === 0 ? [] : writeFlags(candidates, this.#kept, kept, text, base, ctx, meta, this.#ids, lex, this.#maxFlags, this.#cap);
    this.#dropped = this.#cap.unjudged;
    ctx?.advance(text);
    return flags;
  }

  /** Pairs near-term parts (see near.ts), with the boundary checks whole terms get; a stream keeps the A parts still in reach. */
  #pairNear(text: string, base: number, ctx: StreamContext | undefined, carried: number, textCandidates: number): void {
    const checks = this.#nearChecks;
    checks.breaks.reset(text);
    const tables = scanTables(this.#lexicon);
    checks.set(text, base, ctx, tables, textCandidates);
    const candidates = this.#candidates;
    pairNear(tables, this.#near, carried, checks.breakBetween, checks.bounded, candidates);
    if (ctx) {
      // A stream keeps an array only while it has parts to carry (thousands of streams).
      const into = ctx.near ?? this.#nearScratch;
      reachable(this.#near, ctx.text.position, into);
      if (into.length === 0) ctx.near = undefined;
      else if (into === this.#nearScratch) (ctx.near = into), (this.#nearScratch = []);
    }
  }
}

/**
 * Is the pinyin-lane match of entry `e` over `[start, end)` sure to lose to a text-lane candidate
 * (among those from `cursor`, the first ending at `end` or later, up to `textCandidates`)? Then it
 * is passed over. It loses to one of the same entry and span on every tie (resolve.ts: text before
 * pinyin) and is dropped by every allow span that drops that one, so it could never be flagged; in
 * claim-dense Chinese (全网最低价 × 10,000) that is a third of all candidates. The same holds for a
 * text candidate of another entry over the same span, in the same category (`cat`; -1 when only the
 * same entry counts) and of no lower severity (`severity`): 最底价 heard in 最低價 loses to 最低价.
 */
function readAgain(c: CandidateList, cursor: number, textCandidates: number, e: number, cat: number, severity: number, start: number, end: number): boolean {
  for (let i = cursor; i < textCandidates && c.end[i] === end; i++) {
    if (c.start[i] === start && (c.term[i] === e || (c.category[i] === cat && c.severity[i]! >= severity))) return true;
  }
  return false;
}

/**
 * The category under which a pinyin match of entry `e` may be passed over for a text candidate of
 * another entry (readAgain), or -1: an allow phrase is no candidate, and a contact word's entry
 * decides what id idsAfterCues reads after it (a QQ cue or an app's), so only its own entry stands in.
 */
function standInCategory(t: ScanTables, e: number): number {
  const cat = t.category[e]!;
  return (t.checks[e]! & CHECK_ALLOW) !== 0 || cat === CONTACT ? -1 : cat;
}

const CONTACT = categoryIndex('contact');
/** Checks whole-term.ts makes on pinyin-lane matches only. */
const SOUND_CHECKS = CHECK_SOUND_ID | CHECK_SOUND_SHORT | CHECK_SOUND_LEAD;

/**
 * Finds, among the first `count` candidates (the text lane's, in order of end), one over a given
 * span with a given category and at least a given severity. Asked in order of end (near pairs come
 * by B part), it keeps a cursor; asked out of order, it searches back from the cursor's end.
 */
class TwinFinder {
  #cursor = 0;
  count = 0;
  constructor(readonly c: CandidateList) {}

  /** Starts over on the first `count` candidates. */
  reset(count: number): void {
    this.#cursor = 0;
    this.count = count;
  }

  has(start: number, end: number, category: number, severity: number): boolean {
    const c = this.c;
    const ce = c.end;
    let i = this.#cursor;
    if (i > 0 && ce[i - 1]! >= end) {
      // Out of order (a pinyin-lane part after the text lane's): the first ending at `end` or later.
      let lo = 0;
      let hi = i;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ce[mid]! < end) lo = mid + 1;
        else hi = mid;
      }
      i = lo;
    }
    while (i < this.count && ce[i]! < end) i++;
    this.#cursor = i;
    for (; i < this.count && ce[i] === end; i++) if (c.start[i] === start && c.category[i] === category && c.severity[i]! >= severity) return true;
    return false;
  }
}

/**
 * The checks #pairNear hands pairNear, for the chunk set by `set`: made once per Scanner (two
 * closures and a TwinFinder per chunk were most of a stream chunk's garbage besides its flags).
 */
class NearChecks {
  readonly breaks = new ClauseIndex();
  readonly twins: TwinFinder;
  text = '';
  base = 0;
  ctx: StreamContext | undefined = undefined;
  tables: ScanTables | undefined = undefined;
  readonly fold = foldTables().fold;

  constructor(candidates: CandidateList) {
    this.twins = new TwinFinder(candidates);
  }

  set(text: string, base: number, ctx: StreamContext | undefined, tables: ScanTables, textCandidates: number): void {
    this.text = text;
    this.base = base;
    this.ctx = ctx;
    this.tables = tables;
    this.twins.reset(textCandidates);
  }

  /** A part from an earlier chunk: its stretch starts in the tail the stream keeps (see earlierText). */
  readonly breakBetween = (from: number, to: number, sentenceOnly: boolean): boolean => {
    const { text, base, ctx } = this;
    return sentenceOnly
      ? sentenceBreakIn(text, from - base, to - base)
      : from >= base
        ? this.breaks.breakIn(from - base, to - base)
        : (ctx !== undefined && breakInSlice(ctx.tail, from - (base - ctx.tail.length), ctx.tail.length)) || this.breaks.breakIn(0, to - base);
  };

  /**
   * Latin parts need word boundaries as whole terms do: "best" not inside "bestow", at either
   * edge of either part (a part edge inside a word has word units on both sides).
   */
  #wordAt(i: number): boolean {
    const { text, base } = this;
    return i >= base && i - base < text.length && isWordUnit(this.fold[text.charCodeAt(i - base)]!);
  }

  readonly bounded = (entry: number, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean => {
    // A pair over the span of a text-lane claim of its category and no lower severity is never
    // flagged (found later, it loses every tie to that one): 全网…最低 in 全网最低 × 8,000.
    const tables = this.tables!;
    const cat = tables.category[entry]!;
    if (cat !== CONTACT && this.twins.has(aStart, bEnd, cat, tables.severity[entry]!)) return false;
    const checks = tables.checks[entry]!;
    if ((checks & CHECK_BOUNDARY_START) !== 0 && this.#wordAt(aStart - 1)) return false;
    if ((checks & CHECK_BOUNDARY_END) !== 0 && this.#wordAt(bEnd)) return false;
    return !(this.#wordAt(aEnd - 1) && this.#wordAt(aEnd)) && !(this.#wordAt(bStart - 1) && this.#wordAt(bStart));
  };
}

/**
 * What `laneCandidates` reads: the chunk's tables, columns and near-part stamps. One per Scanner,
 * its fields set for each chunk (scanning is synchronous), of one shape from construction on.
 */
class LaneWalk {
  tables: ScanTables | undefined = undefined;
  text = '';
  base = 0;
  fold: Uint16Array = foldTables().fold;
  nearSeen = new Int32Array(0);
  lastAEnd = new Int32Array(0);
  stamp = 0;
  bStamp = new Int32Array(0);
  bLive = new Int32Array(0);
  /** Keep only A parts whose entry has a B part in the chunk (see bAhead): a single message. */
  aheadOnly = false;
  /**
   * A B part is added only when it starts within its entry's gap (nearGap) of the entry's A part
   * added last: pairNear tries that A first, and any earlier one is further still.
   */
  reachLimited = false;
  patternSeen = new Int32Array(0);
  idle = new Int32Array(0);
  bAhead = new Uint8Array(0);
  aheadStamp = new Int32Array(0);

  constructor(
    public lex: CompiledLexicon,
    readonly matches: MatchBuffer,
    readonly candidates: CandidateList,
    readonly allows: AllowSpans,
    readonly near: NearParts,
  ) {}
}

/**
 * Turns matches `[from, to)`, all found on `lane` (whose first unit is lane position `laneBase`;
 * `origins` maps earlier positions of a stream), into candidates, allow spans and near parts. With
 * `textCandidates` >= 0 the lane is the pinyin one and the first `textCandidates` candidates came
 * from the text lane: a match repeating one of them is passed over (readAgain). One call per lane:
 * the lane's columns are fixed for the call instead of switched mid-loop (claim-dense text makes
 * ~10 matches per 8 units, so the loop's per-match cost counts).
 */
function laneCandidates(w: LaneWalk, from: number, to: number, lane: Lane, laneBase: number, origins: LaneOrigins | undefined, textCandidates: number): void {
  const { lex, text, base, candidates, allows, near, fold, nearSeen, stamp, bStamp, bLive, aheadOnly } = w;
  const tables = w.tables!;
  // The tables' columns in locals: the loop stores into typed arrays (candidates, near parts),
  // after which V8 reloads an object's properties on every iteration.
  const { firstFrom, firstK, bFrom, bK, entry: targetEntry, kind: targetKind, alt: targetAlt, checks, category, severity } = tables;
  const soleEntry = lex.soleEntry;
  // Likewise the matches' and lane's columns (nothing below writes them).
  const { starts: matchStarts, ends: matchEnds, patterns: matchPatterns } = w.matches;
  const laneStarts = lane.starts;
  const laneEnds = lane.ends;
  const inText = textCandidates < 0;
  const via = inText ? VIA_TEXT : VIA_PINYIN;
  // The checks this lane's matches must pass: the sound-alike ones concern pinyin matches only, so
  // a text-lane 最低 or 最低价 (short or 最-led extremes) is added without a call, as a term with none.
  const checked = inText ? ~SOUND_CHECKS : -1;
  const { aheadStamp, bAhead, patternSeen, idle, lastAEnd, reachLimited } = w;
  let cursor = 0;
  for (let m = from; m < to; m++) {
    const pattern = matchPatterns[m]!;
    const sole = soleEntry[pattern]!;
    const j0 = firstFrom[pattern]!;
    const jt = firstFrom[pattern + 1]!;
    // Only B parts, none of whose entries has an A part seen (最 of 全行业…最 without 全行业), or
    // only A parts dropped in this message (idle): nothing to add, and the match's offsets are not worth reading.
    if (sole < 0 && (j0 === jt || (aheadOnly && idle[pattern] === stamp)) && !(bStamp.length > pattern && bStamp[pattern] === stamp)) continue;
    const ls = matchStarts[m]!;
    const le = matchEnds[m]!;
    const start = ls >= laneBase ? base + laneStarts[ls - laneBase]! : origins!.originOf(ls);
    const end = base + laneEnds[le - 1 - laneBase]!;
    if (!inText) {
      const ce = candidates.end;
      while (cursor < textCandidates && ce[cursor]! < end) cursor++;
    }
    if (sole >= 0) {
      if (!inText && readAgain(candidates, cursor, textCandidates, sole, standInCategory(tables, sole), severity[sole]!, start, end)) continue;
      // Most matches: a CJK term with nothing to check, added here without a call.
      if ((checks[sole]! & checked) === 0) candidates.add(category[sole]!, severity[sole]!, start, end, via, sole);
      else addWholeTerm(sole, 0, text, base, start, end, via, allows, candidates, tables, fold);
      continue;
    }
    // Whole terms and A parts, then the B parts: an A part here ends inside any B part here, so
    // pairing never joins them, whichever is listed first (pairNear walks back past it).
    // Whether an A part is dropped depends on its entry and the message alone, so a pattern whose
    // first targets are all dropped is marked idle and its later matches skip this loop: 全网 and 最
    // are A parts of dozens of near terms, ~37,000 targets read per claim-dense 64K text.
    let dropped = 0;
    for (let j = j0; j < jt; j++) {
      const k = firstK[j]!;
      const e = targetEntry[k]!;
      const kind = targetKind[k]!;
      if (kind === TARGET_NEAR_A) {
        if (aheadOnly && (aheadStamp[e] === stamp ? bAhead[e] === 0 : !findBAhead(tables, e, stamp, aheadStamp, bAhead, patternSeen))) {
          dropped++;
          continue;
        }
        if (nearSeen[e] !== stamp) liven(tables, e, (nearSeen[e] = stamp), bStamp, bLive);
        near.add(e, 0, ls, le, start, end, targetAlt[k]!);
        lastAEnd[e] = le;
      } else if (inText || !readAgain(candidates, cursor, textCandidates, e, standInCategory(tables, e), severity[e]!, start, end)) {
        // As for a sole entry: a term with nothing to check (最低价 sharing its pattern with B parts) is added without a call.
        if ((checks[e]! & checked) === 0 && kind !== TARGET_SPELLING) candidates.add(category[e]!, severity[e]!, start, end, via, e);
        else addWholeTerm(e, kind === TARGET_SPELLING ? tables.spell[k]! : 0, text, base, start, end, via, allows, candidates, tables, fold);
      }
    }
    if (dropped === jt - j0 && dropped > 0) idle[pattern] = stamp;
    // B parts whose entry's A part came before (nearSeen): the live mask names them, in the pattern's order.
    if (bStamp.length > pattern && bStamp[pattern] === stamp) {
      const b0 = bFrom[pattern]!;
      for (let mask = bLive[pattern]!; mask !== 0; ) {
        const low = mask & -mask;
        mask ^= low;
        const bit = 31 - Math.clz32(low);
        if (bit < 31) {
          const k = bK[b0 + bit]!;
          const e = targetEntry[k]!;
          if (!reachLimited || ls - lastAEnd[e]! <= nearGap(tables, e)) near.add(e, 1, ls, le, start, end, targetAlt[k]!);
          continue;
        }
        // Bit 31 stands for the pattern's B parts from the 32nd on: read each.
        for (let j = b0 + 31, jt = bFrom[pattern + 1]!; j < jt; j++) {
          const k = bK[j]!;
          const e = targetEntry[k]!;
          if (nearSeen[e] === stamp && (!reachLimited || ls - lastAEnd[e]! <= nearGap(tables, e))) near.add(e, 1, ls, le, start, end, targetAlt[k]!);
        }
      }
    }
  }
}

/** Did a B part of entry `e` match anywhere in this chunk (`stamp`)? Worked out once per entry and chunk (the caller reads `bAhead` once `aheadStamp` says so). */
function findBAhead(t: ScanTables, e: number, stamp: number, aheadStamp: Int32Array, bAhead: Uint8Array, patternSeen: Int32Array): boolean {
  aheadStamp[e] = stamp;
  let found = 0;
  for (let i = t.entryBFrom[e]!, to = t.entryBFrom[e + 1]!; i < to && found === 0; i++) if (patternSeen[t.bPattern[i]!] === stamp) found = 1;
  bAhead[e] = found;
  return found === 1;
}

/**
 * seen[pattern] = stamp for every match. Its own function, not a loop in #scanChunk: a loop that
 * long (a match per unit in claim-dense text) has V8 compile #scanChunk on-stack mid-call, with no
 * feedback yet for the detectors after it that this text did not reach, and Node 20's V8 re-enters
 * that cached code on every later call and bails out at the first such detector (a link, an id):
 * 140 bail-outs in one bench run, each leaving the rest of that scan to the interpreter.
 */
function markSeen(seen: Int32Array, matches: MatchBuffer, stamp: number): void {
  const patterns = matches.patterns;
  for (let m = 0, to = matches.count; m < to; m++) seen[patterns[m]!] = stamp;
}

/** Entry `e` has an A part in this chunk (`stamp`): sets its B parts' bits in their patterns' live masks. */
function liven(t: ScanTables, e: number, stamp: number, bStamp: Int32Array, bLive: Int32Array): void {
  for (let i = t.entryBFrom[e]!, to = t.entryBFrom[e + 1]!; i < to; i++) {
    const p = t.bPattern[i]!;
    if (bStamp[p] !== stamp) {
      bStamp[p] = stamp;
      bLive[p] = 0;
    }
    bLive[p]! |= 1 << t.bBit[i]!;
  }
}

/** Option `clauses` (near.ts): a sentence end between the parts, or a stretch too long to read (or reaching into an earlier chunk), stops the pairing. */
const SENTENCE_ENDS = new Set([...'。！？!?\n\r'].map((c) => c.charCodeAt(0)));
function sentenceBreakIn(text: string, from: number, to: number): boolean {
  if (from < 0 || to - from > 64) return true;
  for (let i = from; i < to; i++) if (SENTENCE_ENDS.has(text.charCodeAt(i))) return true;
  return false;
}

/** One stream's consecutive transcript chunks. */
export class StreamScanner {
  readonly id: string;
  readonly #scanner: Scanner;
  #ctx: StreamContext | undefined;
  readonly #live: boolean;
  readonly #meta: ChunkMeta;

  constructor(id: string, scanner: Scanner) {
    this.id = id;
    this.#meta = { stream: id, seq: undefined, ts: undefined, kind: undefined };
    this.#scanner = scanner;
    this.#live = scanner.liveCarries;
  }

  /** Scans the next chunk. Chat (`kind: 'chat'`) is scanned on its own and leaves the carry untouched. */
  push(text: string, meta: Omit<ChunkMeta, 'stream'> = {}): Flag[] {
    if (typeof text !== 'string') throw new InputError('text', `expected string, received ${text === null ? 'null' : typeof text}`);
    // One shape for every chunk, one object per stream refilled per chunk (scanning is synchronous;
    // flag-writer.ts copies only the fields that are set and keeps nothing).
    const full = this.#meta;
    full.seq = meta.seq;
    full.ts = meta.ts;
    full.kind = meta.kind;
    try {
      return this.#push(text, full);
    } finally {
      // Not kept past the call: a parsed message's own `kind` string and boxed `ts`/`seq` numbers
      // were ~60 B held by every idle stream (bench:e2e --memory --heap-snapshot).
      full.seq = full.ts = undefined;
      full.kind = undefined;
    }
  }

  #push(text: string, full: ChunkMeta): Flag[] {
    if (full.kind === 'chat') return this.#scanner.scanInStream(text, undefined, full);
    const automaton = this.#scanner.lexicon.automaton;
    if (!this.#ctx || this.#ctx.automaton !== automaton) {
      const fresh = new StreamContext(automaton, this.#live);
      if (this.#ctx) {
        // After a lexicon swap: keep offsets and reports so nothing is re-flagged.
        fresh.base = this.#ctx.base;
        fresh.tail = this.#ctx.tail;
        for (let c = 0; c < fresh.reportedEnd.length; c++) fresh.reportedEnd[c] = this.#ctx.reportedEnd[c]!;
      }
      this.#ctx = fresh;
    }
    const ctx = this.#ctx;
    ctx.enter();
    try {
      return this.#scanner.scanInStream(text, ctx, full);
    } finally {
      ctx.leave();
    }
  }

  /** The end of the text before the next chunk (up to 256 UTF-16 units): where a `carried` part came from. */
  get tail(): string {
    return this.#ctx?.tail ?? '';
  }

  /** A match or digit run is held at the last chunk's end, waiting for the next (open-ends.ts). */
  get holding(): boolean {
    const c = this.#ctx;
    return c !== undefined && (c.held.length > 0 || c.digits.held.length > 0);
  }

  /** Chunks scanned so far. */
  get chunks(): number {
    return this.#ctx?.chunks ?? 0;
  }
}
