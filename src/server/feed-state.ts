/**
 * The state a feed connection gets when it subscribes, or goes live without subscribing, in pages
 * of at most `streams` streams and about `bytes` bytes, which go out only as fast as the client
 * reads (100k streams were one 8 MB frame, over what a client may have queued):
 * - moderators: `streams` frames with every stream's summary (level, risk, PK, shut-down reason),
 *   the last one marked `"done":true`;
 * - control: the shut-down streams as `shutdown` messages marked `"state":true`, in array frames
 *   (none when nothing is shut down), so a control system's shutdown handler needs nothing new.
 *
 * Because pages are paced, signals can go out between them. A signal for a stream whose page is
 * still to come patches that summary, so a later page shows the state after the signal and never
 * takes a client back to the state before it.
 */
import type { DeclineEvent, LevelEvent, RecommendEvent, RestoreEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { EndEvent, PkEvent, StreamSummary } from '../stream/contracts.js';
import { flagsLiftEnd } from '../stream/ended.js';

export { flagAfterEnd } from '../stream/ended.js';

export interface PageLimits {
  streams: number;
  bytes: number;
}

export type Signal = LevelEvent | ShutdownEvent | RestoreEvent | PkEvent | RecommendEvent | DeclineEvent | EndEvent;

/** A stream heard from again after its `end` (a flag past it): live, not ended. Not sent as a signal. */
export interface ResumedEvent {
  type: 'resumed';
  stream: string;
}

export class StatePages {
  readonly #pending = new Map<string, StreamSummary>();
  /** Fields every page carries (moderators: `"lastFlag":…,"thresholds":…`), as JSON members. */
  readonly #extra: string;
  #page = 0;
  #done = false;

  /** Control clients: shut-down streams as `shutdown` messages instead of `streams` pages. */
  readonly #asShutdowns: boolean;

  /** Control clients: streams whose shutdown they were already sent live (feed-client.ts `toldShutdown`). */
  readonly #told: ReadonlySet<string> | undefined;

  constructor(summaries: Iterable<StreamSummary>, extra: Record<string, unknown>, asShutdowns = false, told?: ReadonlySet<string>) {
    this.#asShutdowns = asShutdowns;
    this.#told = told;
    for (const s of summaries) this.#pending.set(s.stream, s);
    const json = JSON.stringify(extra);
    this.#extra = json.length > 2 ? `,${json.slice(1, -1)}` : '';
  }

  get done(): boolean {
    return this.#done;
  }

  /** A signal went out to the client: the summary it changes is patched if its page is still to come. */
  apply(e: Signal | ResumedEvent): void {
    const s = this.#pending.get(e.stream);
    if (s) this.#pending.set(e.stream, applySignal(s, e));
  }

  /** Flags went out: a summary still to come that reads as ended is lifted if they are past its end. */
  liftEnd(stream: string, flags: readonly { seq?: number; ts?: number }[]): void {
    const s = this.#pending.get(stream);
    if (s?.ended !== undefined && flagsLiftEnd(flags, s.ended)) this.#pending.set(stream, applySignal(s, { type: 'resumed', stream }));
  }

  /**
   * The next frame: a `streams` page (the last has `"done":true`; an empty state is one empty, done
   * page) or an array of state `shutdown` messages (undefined when there is none to send).
   */
  next(limits: PageLimits): string | undefined {
    const items: string[] = [];
    let bytes = 0;
    for (const [stream, s] of this.#pending) {
      if (items.length >= limits.streams || (items.length > 0 && bytes >= limits.bytes)) break;
      this.#pending.delete(stream);
      // A restore since the snapshot was taken leaves a control client nothing to hear about, and
      // a shutdown it heard live it has heard.
      if (this.#asShutdowns && (s.level !== 'shutdown' || this.#told?.has(stream) === true)) continue;
      const json = this.#asShutdowns ? JSON.stringify({ type: 'shutdown', stream, reason: s.reason ?? '', state: true }) : JSON.stringify(s);
      items.push(json);
      bytes += Buffer.byteLength(json) + 1;
    }
    this.#done = this.#pending.size === 0;
    if (this.#asShutdowns) return items.length > 0 ? `[${items.join(',')}]` : undefined;
    return `{"type":"streams","streams":[${items.join(',')}],"page":${this.#page++},"done":${this.#done}${this.#extra}}`;
  }
}

/**
 * A summary as it is after signal `e` (a new object: pages already taken keep theirs). An `end`
 * marks the stream ended until it is heard from again: a flag (`resumed`) or a PK start (its last
 * PK state stays, as the console's card keeps it: who it was up against); a level event alone does not (after an end it comes from a command, such as a restore).
 * A flag resumes it only if it is past the end (`flagAfterEnd`): a replay of older flags does not.
 * The console's board (src/console/stream-board.ts) applies the same rules to the same frames.
 */
export function applySignal(s: StreamSummary, e: Signal | ResumedEvent): StreamSummary {
  const next: StreamSummary = { ...s };
  if (e.type === 'end') {
    next.ended = { seq: e.seq, ts: e.ts };
  } else if (e.type === 'resumed') {
    delete next.ended;
  } else if (e.type === 'level') {
    next.level = e.level;
    next.risk = e.risk;
  } else if (e.type === 'shutdown') {
    next.level = 'shutdown';
    next.reason = e.reason;
    delete next.recommended;
  } else if (e.type === 'restore') {
    delete next.reason; // the level event that follows a restore sets the level
  } else if (e.type === 'recommend') {
    next.recommended = e.reason;
  } else if (e.type === 'decline') {
    delete next.recommended;
  } else {
    next.pk = e.state === 'start';
    if (next.pk) delete next.ended;
    if (next.pk && e.opponent !== undefined) next.opponent = e.opponent;
    else delete next.opponent;
  }
  return next;
}

/** Streams the fold remembers at most; past it the oldest that is not shut down goes first. */
const MAX_FOLDED = 200_000;

/**
 * Each stream as the feed has told it: the fold of every signal that went out (level and risk as of
 * the last `level` event, shut-down reason, PK, recommendation). A moderator that reloads must see
 * what a moderator who stayed sees, and the core's own state differs from what was said in two ways:
 * escalation keeps adding weight after a shutdown (and between level changes) without a `level`
 * event, so its risk was never sent; and an ended stream's escalation state is released, so the core
 * reads it as `normal`, risk 0, while the feed last said otherwise. The core's summary still supplies
 * every stream the feed has said nothing about (fresh streams, and all of them after a restart).
 */
export class FeedStreams {
  readonly #told = new Map<string, Told>();

  apply(e: Signal | ResumedEvent): void {
    const t = this.#told.get(e.stream) ?? { s: { stream: e.stream, level: 'normal', risk: 0, pk: false }, level: false, pk: false, end: false };
    this.#told.delete(e.stream); // re-inserted: the map's order is the order of last change
    this.#told.set(e.stream, {
      s: applySignal(t.s, e),
      level: t.level || e.type === 'level' || e.type === 'shutdown',
      pk: t.pk || e.type === 'pk',
      end: t.end || e.type === 'end' || e.type === 'resumed' || (e.type === 'pk' && e.state === 'start'),
    });
    if (this.#told.size > MAX_FOLDED) {
      for (const [stream, old] of this.#told) {
        if (old.s.level === 'shutdown') continue;
        this.#told.delete(stream);
        break;
      }
    }
  }

  /** The end the feed last said of `stream`, while it holds. */
  ended(stream: string): { seq: number; ts: number } | undefined {
    return this.#told.get(stream)?.s.ended;
  }

  /** The core's summaries with what the feed said laid over them, plus the streams only the feed remembers. */
  over(core: readonly StreamSummary[]): StreamSummary[] {
    const out: StreamSummary[] = [];
    const seen = new Set<string>();
    for (const c of core) {
      seen.add(c.stream);
      const t = this.#told.get(c.stream);
      out.push(t ? overlay(c, t) : c);
    }
    for (const [stream, t] of this.#told) if (!seen.has(stream) && (t.level || t.s.ended !== undefined)) out.push({ ...t.s });
    return out;
  }
}

/** A stream's folded summary, and whether the feed has said its level, its PK state and its end state at all. */
interface Told {
  s: StreamSummary;
  level: boolean;
  pk: boolean;
  end: boolean;
}

/**
 * The core's summary corrected by what the feed said. A shutdown the core holds that the feed never
 * told (recovered after a restart) stays: the core knows better than an older fold.
 */
function overlay(core: StreamSummary, t: Told): StreamSummary {
  const out: StreamSummary = { ...core };
  if (t.level && !(core.level === 'shutdown' && t.s.level !== 'shutdown')) {
    out.level = t.s.level;
    out.risk = t.s.risk;
    if (t.s.reason !== undefined) out.reason = t.s.reason;
    else delete out.reason;
  }
  if (t.pk) {
    out.pk = t.s.pk;
    if (t.s.opponent !== undefined) out.opponent = t.s.opponent;
    else if (!t.s.pk) delete out.opponent;
  }
  // Recommend and decline are always told; the core's own is kept only when the feed said nothing.
  if (t.s.recommended !== undefined) out.recommended = t.s.recommended;
  // What the feed said of the end is what its clients saw; the core's (kept since before a restart) otherwise.
  if (t.end) {
    if (t.s.ended !== undefined) out.ended = t.s.ended;
    else delete out.ended;
  }
  return out;
}
