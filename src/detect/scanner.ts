/**
 * The library core: text → normalized lanes → overlapping matches → candidates → flags.
 *
 * `scan(text)` is stateless. `stream(id).push(chunk)` carries automaton state, the recent original
 * text, digit runs and what was already reported across consecutive transcript chunks, so a phrase
 * split across chunks is flagged on the chunk where it completes, with offsets into that chunk and
 * the earlier part in `carried`.
 */
import { InputError } from '../errors.js';
import { FlagIdAllocator, type Flag, type MessageKind } from '../flag.js';
import type { CompiledEntry, CompiledLexicon, PatternTarget } from '../lexicon/compile.js';
import { findOverlapping, MatchBuffer } from '../match/search.js';
import type { Lane } from '../normalize/normalizer.js';
import { Normalizer } from '../normalize/normalizer.js';
import { foldTables } from '../normalize/tables.js';
import type { Candidate } from './candidate.js';
import { breakInSlice, ClauseIndex } from './clause-index.js';
import { detectLinks, detectNumbers, linksPossible } from './contact.js';
import { needsDeobfuscation } from './evasion.js';
import { pairNear, reachable, type NearPart } from './near.js';
import { negatedBefore, warnedAfter, warnedBefore } from './negation.js';
import { leftmostLongest, withoutAllowed, type AllowSpan } from './resolve.js';
import { unsupportedSoundAlike } from './sound-alike.js';
import { StreamContext } from './stream-context.js';

export interface ChunkMeta {
  stream?: string;
  seq?: number;
  ts?: number;
  kind?: MessageKind;
}

const NO_META: ChunkMeta = Object.freeze({});

const isWordUnit = (c: number) => (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39);

export class Scanner {
  #lexicon: CompiledLexicon;
  readonly #ids: FlagIdAllocator;
  readonly #normalizer = new Normalizer();
  readonly #matches = new MatchBuffer(256);
  readonly #streams = new Map<string, StreamScanner>();
  readonly #candidates: Candidate[] = [];
  readonly #allows: AllowSpan[] = [];
  readonly #near: NearPart[] = [];
  readonly #breaks = new ClauseIndex();
  /** nearSeen[entry] === nearStamp: an A part of that near entry was seen in this chunk or carried into it. */
  #nearSeen = new Int32Array(0);
  #nearStamp = 0;

  /** @internal Use `createScanner`. */
  constructor(lexicon: CompiledLexicon, ids: FlagIdAllocator) {
    this.#lexicon = lexicon;
    this.#ids = ids;
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
    const norm = this.#normalizer.normalize(text, lex.hasPinyin);
    const matches = this.#matches;
    matches.reset();
    const base = ctx ? ctx.base : 0;
    const textBase = ctx ? ctx.text.position : 0;
    findOverlapping(lex.automaton, norm.text.codes, norm.text.length, matches, ctx?.text);
    const split = matches.count;
    const soundBase = ctx ? ctx.sounds.position : 0;
    if (lex.hasPinyin) findOverlapping(lex.automaton, norm.sounds.codes, norm.sounds.length, matches, ctx?.sounds);

    // Reused across calls (scanning is synchronous); nothing below keeps a reference past the call.
    const candidates = this.#candidates;
    const allows = this.#allows;
    const near = this.#near;
    if (candidates.length !== 0) candidates.length = 0;
    if (allows.length !== 0) allows.length = 0;
    if (near.length !== 0) near.length = 0;
    const fold = foldTables().fold;
    // A B part is kept only when an A part of its entry came before it (matches arrive by end, so any
    // A that could pair already has): a common B such as 好了 shared by many entries costs nothing alone.
    let nearSeen = this.#nearSeen;
    // A stamp past Int32 range would wrap in the array and never match again (after ~2^31 chunks).
    if (this.#nearStamp === 0x7fffffff) nearSeen.fill((this.#nearStamp = 0));
    const stamp = ++this.#nearStamp;
    if (lex.hasNear) {
      if (nearSeen.length < lex.entries.length) nearSeen = this.#nearSeen = new Int32Array(lex.entries.length);
      if (ctx?.near !== undefined) for (const a of ctx.near) nearSeen[a.entry] = stamp;
    }
    for (let m = 0; m < matches.count; m++) {
      const inText = m < split;
      const lane: Lane = inText ? norm.text : norm.sounds;
      const laneBase = inText ? textBase : soundBase;
      const ls = matches.starts[m]!;
      const le = matches.ends[m]!;
      let start: number;
      if (ls >= laneBase) start = base + lane.starts[ls - laneBase]!;
      else {
        const origins = inText ? ctx!.textOrigins : ctx!.soundOrigins;
        start = origins[ls & (origins.length - 1)]!;
      }
      const end = base + lane.ends[le - 1 - laneBase]!;
      const via = inText ? 'text' : 'pinyin';
      const pattern = matches.patterns[m]!;
      const sole = lex.soleEntry[pattern]!;
      if (sole >= 0) {
        consider(lex.entries[sole]!, undefined, text, base, start, end, via, allows, candidates, fold);
        continue;
      }
      for (const target of lex.targets[pattern]!) {
        if (target.part !== undefined) {
          if (target.part === 0) nearSeen[target.entry] = stamp;
          else if (nearSeen[target.entry] !== stamp) continue;
          near.push(target.alt === undefined ? { entry: target.entry, part: target.part, laneStart: ls, laneEnd: le, start, end } : { entry: target.entry, part: target.part, laneStart: ls, laneEnd: le, start, end, alt: target.alt });
          continue;
        }
        consider(lex.entries[target.entry]!, target, text, base, start, end, via, allows, candidates, fold);
      }
    }
    if (lex.hasNear && (near.length > 0 || (ctx?.near !== undefined && ctx.near.length > 0))) this.#pairNear(text, base, ctx, near, candidates);
    if (ctx) {
      remember(norm.text, textBase, base, ctx.textOrigins);
      remember(norm.sounds, soundBase, base, ctx.soundOrigins);
    }

    let kept = withoutAllowed(candidates, allows);
    const n = this.#normalizer;
    // A number needs 5 digit units, here or together with a run the stream carries.
    if (n.digitUnits >= 5 || (ctx !== undefined && (n.digitUnits > 0 || ctx.digits.length > 0))) detectNumbers(norm.text, text, base, ctx?.digits, kept);
    // URLs, e-mails and ids all hold a Latin word, and (see linksPossible) one that does not stand alone.
    if (n.latinWords > 0 && linksPossible(text, n.latinSpans, n.latinWords)) detectLinks(text, base, kept);
    if (ctx) kept = kept.filter((c) => c.start >= ctx.reportedEnd[c.category]);
    const flags: Flag[] = [];
    if (kept.length === 0) {
      ctx?.advance(text);
      return flags;
    }
    const resolved = leftmostLongest(kept);
    for (const c of resolved) {
      // Negation is judged on the longest claim: 不是全网最低价 must not leave 最低价 behind.
      if (c.category !== 'contact' && c.start >= base && negatedBefore(text, c.start - base, fold)) continue;
      // A warning is no contact (千万别加陌生人的微信); a number or id given is, whatever the words.
      if (c.category === 'contact' && c.via !== 'detector' && c.start >= base && (warnedBefore(text, c.start - base, fold) || warnedAfter(text, c.end - base, fold))) continue;
      const start = Math.max(c.start - base, 0);
      const end = c.end - base;
      const flag: Flag = {
        id: this.#ids.next(),
        category: c.category,
        term: c.term,
        matched: text.slice(start, end),
        start,
        end,
        severity: c.severity,
        evasion: needsDeobfuscation(text, start, end, c.via),
        via: c.via,
      };
      if (meta.stream !== undefined) flag.stream = meta.stream;
      if (meta.seq !== undefined) flag.seq = meta.seq;
      if (meta.kind !== undefined) flag.kind = meta.kind;
      if (meta.ts !== undefined) flag.ts = meta.ts;
      if (ctx && c.start < base) {
        flag.carried = ctx.earlierText(c.start, base);
        flag.evasion ||= c.via === 'text' && needsDeobfuscation(flag.carried, 0, flag.carried.length, c.via);
      }
      flags.push(flag);
      if (ctx && c.end > ctx.reportedEnd[c.category]) ctx.reportedEnd[c.category] = c.end;
    }
    ctx?.advance(text);
    return flags;
  }

  /** Pairs near-term parts (see near.ts), with the boundary checks whole terms get; a stream keeps the A parts still in reach. */
  #pairNear(text: string, base: number, ctx: StreamContext | undefined, near: NearPart[], candidates: Candidate[]): void {
    const earlier = ctx?.near ?? NO_PARTS;
    const breaks = this.#breaks;
    breaks.reset(text);
    // A part from an earlier chunk: its stretch starts in the tail the stream keeps (see earlierText).
    const breakBetween = (from: number, to: number) =>
      from >= base ? breaks.breakIn(from - base, to - base) : (ctx !== undefined && breakInSlice(ctx.tail, from - (base - ctx.tail.length), ctx.tail.length)) || breaks.breakIn(0, to - base);
    const fold = foldTables().fold;
    const entries = this.#lexicon.entries;
    // Latin parts need word boundaries as whole terms do: "best" not inside "bestow", at either
    // edge of either part (a part edge inside a word has word units on both sides).
    const wordAt = (i: number) => i >= base && i - base < text.length && isWordUnit(fold[text.charCodeAt(i - base)]!);
    const bounded = (entry: number, a: NearPart, b: NearPart) => {
      const e = entries[entry]!;
      if (e.boundaryStart && wordAt(a.start - 1)) return false;
      if (e.boundaryEnd && wordAt(b.end)) return false;
      return !(wordAt(a.end - 1) && wordAt(a.end)) && !(wordAt(b.start - 1) && wordAt(b.start));
    };
    pairNear(this.#lexicon, near, earlier, breakBetween, bounded, candidates);
    if (ctx) reachable(near, earlier, ctx.text.position, (ctx.near ??= []));
  }
}

const NO_PARTS: readonly NearPart[] = Object.freeze([]);

/** One whole-term match of `entry` (through `target`, or its sole plain target) at original `[start, end)`: an allow span or a candidate. */
function consider(
  entry: CompiledEntry,
  target: PatternTarget | undefined,
  text: string,
  base: number,
  start: number,
  end: number,
  via: 'text' | 'pinyin',
  allows: AllowSpan[],
  candidates: Candidate[],
  fold: Uint16Array,
): void {
  if (entry.category === null) {
    allows.push({ start, end, mask: entry.allowMask });
    return;
  }
  // Latin terms need word boundaries in the original text: vx not inside "vxyz", star not in "start".
  if ((target?.boundaryStart ?? entry.boundaryStart) && start > base && isWordUnit(fold[text.charCodeAt(start - base - 1)]!)) return;
  // A romanized spelling (si v for 私V) must not start inside a word spelled out letter by letter (e x c l u s i v e).
  if (target?.boundaryStart && insideSpelledWord(text, start - base)) return;
  if ((target?.boundaryEnd ?? entry.boundaryEnd) && end - base < text.length && isWordUnit(fold[text.charCodeAt(end - base)]!)) return;
  if (entry.exact && !endsWithExactWord(text, end - base, entry.phrase)) return;
  if (via === 'pinyin' && entry.soundNeedsId && start >= base && unsupportedSoundAlike(text, start - base, end - base, entry.phrase, fold)) return;
  candidates.push({ category: entry.category, term: entry.phrase, severity: entry.severity, start, end, via });
}

const isLetter = (u: number) => (u >= 0x61 && u <= 0x7a) || (u >= 0x41 && u <= 0x5a);
const loneLetterAt = (text: string, i: number) => i >= 0 && i < text.length && isLetter(text.charCodeAt(i)) && !isLetter(text.charCodeAt(i - 1)) && !isLetter(text.charCodeAt(i + 1));

/** Is `text[at]` a lone letter right after another lone letter and a space ("u s" in "e x c l u s i v e")? */
function insideSpelledWord(text: string, at: number): boolean {
  return at >= 2 && text.charCodeAt(at - 1) === 0x20 && loneLetterAt(text, at) && loneLetterAt(text, at - 2);
}

/** Keeps the stream-global original start of the chunk's last lane units, for matches that span the seam. */
function remember(lane: Lane, laneBase: number, base: number, origins: Int32Array): void {
  const mask = origins.length - 1;
  for (let i = Math.max(0, lane.length - origins.length); i < lane.length; i++) {
    origins[(laneBase + i) & mask] = base + lane.starts[i]!;
  }
}

/** `exact` English entries: the last original word must be the entry's last word, not an inflection. */
function endsWithExactWord(text: string, end: number, phrase: string): boolean {
  const last = phrase.trim().split(/\s+/).pop()!.toLowerCase();
  const word = text.slice(Math.max(0, end - last.length - 8), end).match(/[A-Za-z]+$/)?.[0]?.toLowerCase();
  return word === last;
}

/** One stream's consecutive transcript chunks. */
export class StreamScanner {
  readonly id: string;
  readonly #scanner: Scanner;
  #ctx: StreamContext | undefined;

  constructor(id: string, scanner: Scanner) {
    this.id = id;
    this.#scanner = scanner;
  }

  /** Scans the next chunk. Chat (`kind: 'chat'`) is scanned on its own and leaves the carry untouched. */
  push(text: string, meta: Omit<ChunkMeta, 'stream'> = {}): Flag[] {
    if (typeof text !== 'string') throw new InputError('text', `expected string, received ${text === null ? 'null' : typeof text}`);
    const full = { ...meta, stream: this.id };
    if (meta.kind === 'chat') return this.#scanner.scanInStream(text, undefined, full);
    const automaton = this.#scanner.lexicon.automaton;
    if (!this.#ctx || this.#ctx.automaton !== automaton) {
      const fresh = new StreamContext(automaton);
      if (this.#ctx) {
        // After a lexicon swap: keep offsets and reports so nothing is re-flagged.
        fresh.base = this.#ctx.base;
        fresh.tail = this.#ctx.tail;
        Object.assign(fresh.reportedEnd, this.#ctx.reportedEnd);
      }
      this.#ctx = fresh;
    }
    return this.#scanner.scanInStream(text, this.#ctx, full);
  }

  /** The end of the text before the next chunk (up to 256 UTF-16 units): where a `carried` part came from. */
  get tail(): string {
    return this.#ctx?.tail ?? '';
  }

  /** Chunks scanned so far. */
  get chunks(): number {
    return this.#ctx?.chunks ?? 0;
  }
}
