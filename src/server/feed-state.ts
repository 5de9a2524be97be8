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
import type { PkEvent, StreamSummary } from '../stream/contracts.js';

export interface PageLimits {
  streams: number;
  bytes: number;
}

export type Signal = LevelEvent | ShutdownEvent | RestoreEvent | PkEvent | RecommendEvent | DeclineEvent;

export class StatePages {
  readonly #pending = new Map<string, StreamSummary>();
  /** Fields every page carries (moderators: `"lastFlag":…,"thresholds":…`), as JSON members. */
  readonly #extra: string;
  #page = 0;
  #done = false;

  /** Control clients: shut-down streams as `shutdown` messages instead of `streams` pages. */
  readonly #asShutdowns: boolean;

  constructor(summaries: Iterable<StreamSummary>, extra: Record<string, unknown>, asShutdowns = false) {
    this.#asShutdowns = asShutdowns;
    for (const s of summaries) this.#pending.set(s.stream, s);
    const json = JSON.stringify(extra);
    this.#extra = json.length > 2 ? `,${json.slice(1, -1)}` : '';
  }

  get done(): boolean {
    return this.#done;
  }

  /** A signal went out to the client: the summary it changes is patched if its page is still to come. */
  apply(e: Signal): void {
    const s = this.#pending.get(e.stream);
    if (!s) return;
    const next: StreamSummary = { ...s };
    if (e.type === 'level') {
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
      if (next.pk && e.opponent !== undefined) next.opponent = e.opponent;
      else delete next.opponent;
    }
    this.#pending.set(e.stream, next);
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
      // A restore since the snapshot was taken leaves a control client nothing to hear about.
      if (this.#asShutdowns && s.level !== 'shutdown') continue;
      const json = this.#asShutdowns ? JSON.stringify({ type: 'shutdown', stream, reason: s.reason ?? '', state: true }) : JSON.stringify(s);
      items.push(json);
      bytes += Buffer.byteLength(json) + 1;
    }
    this.#done = this.#pending.size === 0;
    if (this.#asShutdowns) return items.length > 0 ? `[${items.join(',')}]` : undefined;
    return `{"type":"streams","streams":[${items.join(',')}],"page":${this.#page++},"done":${this.#done}${this.#extra}}`;
  }
}
