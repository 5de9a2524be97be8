/**
 * The state a feed connection gets when it subscribes, or goes live without subscribing: each
 * stream's summary (moderators: every stream, with level, risk, PK and shut-down reason; control:
 * the shut-down streams), in `streams` frames of at most `streams` summaries and about `bytes`
 * bytes, the last one marked `"done":true`. 100k streams were one 8 MB frame, over the limit a
 * client may have queued; pages keep every frame small and go out only as fast as the client reads.
 *
 * Because pages are paced, signals can go out between them. A signal for a stream whose page is
 * still to come patches that summary, so a later page shows the state after the signal and never
 * takes a client back to the state before it.
 */
import type { LevelEvent, RestoreEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { PkEvent, StreamSummary } from '../stream/contracts.js';

export interface PageLimits {
  streams: number;
  bytes: number;
}

export type Signal = LevelEvent | ShutdownEvent | RestoreEvent | PkEvent;

export class StatePages {
  readonly #pending = new Map<string, StreamSummary>();
  /** Fields every page carries (moderators: `"lastFlag":…,"thresholds":…`), as JSON members. */
  readonly #extra: string;
  #page = 0;
  #done = false;

  constructor(summaries: Iterable<StreamSummary>, extra: Record<string, unknown>) {
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
    } else if (e.type === 'restore') {
      delete next.reason; // the level event that follows a restore sets the level
    } else {
      next.pk = e.state === 'start';
      if (next.pk && e.opponent !== undefined) next.opponent = e.opponent;
      else delete next.opponent;
    }
    this.#pending.set(e.stream, next);
  }

  /** The next `streams` frame; the last one has `"done":true` (an empty state is one empty, done page). */
  next(limits: PageLimits): string {
    const items: string[] = [];
    let bytes = 0;
    for (const [stream, s] of this.#pending) {
      if (items.length >= limits.streams || (items.length > 0 && bytes >= limits.bytes)) break;
      const json = JSON.stringify(s);
      items.push(json);
      bytes += Buffer.byteLength(json) + 1;
      this.#pending.delete(stream);
    }
    this.#done = this.#pending.size === 0;
    return `{"type":"streams","streams":[${items.join(',')}],"page":${this.#page++},"done":${this.#done}${this.#extra}}`;
  }
}
