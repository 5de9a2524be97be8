/**
 * Per-stream escalation: `normal → watch → alert → shutdown`, driven only by event time so tests and
 * replays are deterministic.
 *
 * - Each message's flags form one incident (incidents.ts) weighing as its strongest flag (risk.ts);
 *   the stream's risk is the decayed sum of its incidents.
 * - Level follows risk up and down, except `shutdown`, which only `restore` lifts.
 * - An automatic shutdown needs a critical claim (host or guest, final transcript) or the risk over
 *   the shutdown threshold with `sustain.incidents` incidents in `sustain.windowMs`; below that the
 *   level stops at `alert`. Partial hypotheses add weight but never shut down: their final decides.
 * - In `enforce` mode that emits exactly one `shutdown` per epoch. In `recommend` mode it emits one
 *   `recommend` (held until a moderator confirms, declines, or shuts down or restores by hand); a
 *   confirm turns it into the epoch's shutdown.
 * - `dismiss` and `retract` take a flag out of its incident: the risk is then as if it had never
 *   been raised (decayed as it would have been), and it no longer counts as a repetition.
 */
import type { Flag } from '../flag.js';
import type { Speaker } from '../protocol/ingest.js';
import { IncidentBook, type IncidentState, type RiskState } from './incidents.js';
import { RiskSnapshot } from './risk-snapshot.js';
import { flagWeight, sourceMultiplier, type EscalationConfig } from './risk.js';

export const LEVELS = ['normal', 'watch', 'alert', 'shutdown'] as const;
export type Level = (typeof LEVELS)[number];

export interface LevelEvent {
  type: 'level';
  stream: string;
  level: Level;
  risk: number;
  ts: number;
}

export interface ShutdownEvent {
  type: 'shutdown';
  stream: string;
  reason: string;
  flagIds: string[];
  ts: number;
  /** Counts shutdowns of this stream: a consumer dedupes by (stream, epoch). */
  epoch: number;
  manual: boolean;
  /** A moderator confirmed pkguard's recommendation (`escalation.mode: "recommend"`). */
  confirmed?: true;
}

export interface RestoreEvent {
  type: 'restore';
  stream: string;
  ts: number;
  epoch: number;
}

/** `recommend` mode: pkguard would have shut the stream down; a moderator confirms (or declines). */
export interface RecommendEvent {
  type: 'recommend';
  stream: string;
  reason: string;
  flagIds: string[];
  ts: number;
}

/** A moderator declined the stream's shutdown recommendation. */
export interface DeclineEvent {
  type: 'decline';
  stream: string;
  ts: number;
}

/** A flag raised on a partial ASR hypothesis that the final no longer contains. */
export interface RetractEvent {
  type: 'retract';
  stream: string;
  seq: number;
  flagId: string;
  ts: number;
}

export type { RiskState } from './incidents.js';

export type EscalationEvent = LevelEvent | ShutdownEvent | RestoreEvent | RecommendEvent | DeclineEvent | RetractEvent;


/** A pending recommendation as a snapshot keeps it. */
export interface Recommendation {
  stream: string;
  reason: string;
  flagIds: string[];
  ts: number;
}

/** What escalation needs of a message. */
export interface MessageFacts {
  seq: number;
  kind: 'transcript' | 'chat';
  /** False for a partial ASR hypothesis. */
  final: boolean;
  speaker?: Speaker | undefined;
}

export type FlagFacts = Pick<Flag, 'id' | 'term' | 'severity' | 'evasion'>;

/** Per-stream state; kept small because there is one per live stream. */
class StreamRisk {
  readonly book = new IncidentBook();
  level: Level = 'normal';
  pkActive = false;
  epoch = 0;
  /** Why it is shut down (while it is). */
  reason: string | undefined;
  /** The shutdown signal standing while it is shut down (told again to a connection that did not hear it). */
  signal: ShutdownEvent | undefined;
  recommended: Omit<Recommendation, 'stream'> | undefined;
}

export class Escalation {
  readonly #config: EscalationConfig;
  readonly #streams = new Map<string, StreamRisk>();
  /** Epochs of streams whose state was released (ended, idle) after a shutdown and restore. */
  readonly #endedEpochs = new Map<string, number>();

  constructor(config: EscalationConfig) {
    this.#config = config;
  }

  level(stream: string): Level {
    return this.#streams.get(stream)?.level ?? 'normal';
  }

  /** Current risk as of the stream's last event. */
  risk(stream: string): number {
    return this.#streams.get(stream)?.book.risk ?? 0;
  }

  /** Why `stream` is shut down, while it is. */
  shutdownReason(stream: string): string | undefined {
    const s = this.#streams.get(stream);
    return s?.level === 'shutdown' ? s.reason : undefined;
  }

  /** The reason of the stream's pending shutdown recommendation, if any. */
  recommendation(stream: string): string | undefined {
    return this.#streams.get(stream)?.recommended?.reason;
  }

  pkActive(stream: string): boolean {
    return this.#streams.get(stream)?.pkActive ?? false;
  }

  isShutDown(stream: string): boolean {
    return this.level(stream) === 'shutdown';
  }

  /** Accounts one message's flags (its incident) at event time `ts`; a final without flags settles its partials' incident. */
  onMessage(stream: string, msg: MessageFacts, flags: readonly FlagFacts[], ts: number): readonly EscalationEvent[] {
    const chat = msg.kind === 'chat';
    const source = sourceMultiplier(this.#config, chat, msg.speaker);
    if (flags.length === 0 || source === 0) return this.onTick(stream, ts, msg.final ? msg.seq : undefined);
    const s = this.#advance(stream, ts);
    const from = ts - this.#config.sustain.windowMs;
    for (const f of flags) {
      const priorIncidents = s.book.priorWith(f.term, msg.seq, from);
      const weight = flagWeight(this.#config, { severity: f.severity, evasion: f.evasion, priorIncidents, pkActive: s.pkActive, chat, speaker: msg.speaker });
      s.book.add(this.#config, msg.seq, ts, f.id, { weight, term: f.term, critical: f.severity === 'critical' && !chat });
    }
    const events: EscalationEvent[] = [];
    if (msg.final) this.#decide(stream, s, msg.seq, ts, events);
    else this.#relevel(stream, s, ts, events);
    return events;
  }

  onPk(stream: string, state: 'start' | 'end', ts: number): EscalationEvent[] {
    const s = this.#advance(stream, ts);
    s.pkActive = state === 'start';
    const events: EscalationEvent[] = [];
    this.#relevel(stream, s, ts, events);
    return events;
  }

  /** Any other event of the stream (a clean message): lets risk decay and the level fall; a final `seq` settles its partials' incident. */
  onTick(stream: string, ts: number, finalSeq?: number): readonly EscalationEvent[] {
    const s = this.#streams.get(stream);
    if (!s) return NO_EVENTS;
    s.book.advance(this.#config, ts);
    const settles = finalSeq !== undefined && s.book.get(finalSeq) !== undefined;
    // Most messages are clean ones of a calm stream: nothing to decide, no level to change, no array.
    if (!settles && (s.level === 'shutdown' || this.#levelFor(s) === s.level)) return NO_EVENTS;
    const events: EscalationEvent[] = [];
    if (settles) this.#decide(stream, s, finalSeq!, ts, events);
    else this.#relevel(stream, s, ts, events);
    return events;
  }

  /** A moderator marks a flag as a false positive. Returns undefined when the flag carries no weight here. */
  dismiss(stream: string, flagId: string, ts: number): EscalationEvent[] | undefined {
    const s = this.#streams.get(stream);
    if (!s) return undefined;
    this.#advance(stream, ts);
    if (!s.book.remove(this.#config, flagId)) return undefined;
    const events: EscalationEvent[] = [];
    this.#relevel(stream, s, ts, events);
    return events;
  }

  /** The final of `seq` no longer contains flag `flagId`: the retract event, and the level change removing its weight causes. */
  retract(stream: string, seq: number, flagId: string, ts: number): EscalationEvent[] {
    const events: EscalationEvent[] = [{ type: 'retract', stream, seq, flagId, ts }];
    const s = this.#streams.get(stream);
    if (!s) return events;
    this.#advance(stream, ts);
    if (s.book.remove(this.#config, flagId)) this.#relevel(stream, s, ts, events);
    return events;
  }

  /**
   * A flag's id changed after it was accounted (cluster mode: the log assigns the final id when it
   * stores the flag). Its weight stays; dismiss and the shutdown's evidence use the new id.
   */
  renameFlag(stream: string, from: string, to: string): void {
    const s = this.#streams.get(stream);
    if (!s) return;
    s.book.rename(from, to);
    if (s.reason?.includes(from)) s.reason = s.reason.replace(from, to);
    if (s.recommended) s.recommended.flagIds = s.recommended.flagIds.map((id) => (id === from ? to : id));
  }

  /** A moderator or control system shuts the stream down; no event if it already is. */
  shutdown(stream: string, reason: string, ts: number): EscalationEvent[] {
    const s = this.#advance(stream, ts);
    const events: EscalationEvent[] = [];
    if (s.level !== 'shutdown') this.#shutdown(stream, s, reason, s.book.flagIds(), ts, true, events);
    return events;
  }

  /** A moderator confirms the pending recommendation: it becomes this epoch's shutdown. No event without one. */
  confirm(stream: string, ts: number): EscalationEvent[] {
    const s = this.#streams.get(stream);
    const rec = s?.recommended;
    if (!s || !rec || s.level === 'shutdown') return [];
    this.#advance(stream, ts);
    const events: EscalationEvent[] = [];
    this.#shutdown(stream, s, rec.reason, rec.flagIds, ts, true, events);
    (events[1] as ShutdownEvent).confirmed = true;
    return events;
  }

  /** A moderator declines the pending recommendation; the next incident that warrants it recommends again. */
  decline(stream: string, ts: number): EscalationEvent[] {
    const s = this.#streams.get(stream);
    if (!s?.recommended) return [];
    this.#advance(stream, ts);
    s.recommended = undefined;
    const events: EscalationEvent[] = [{ type: 'decline', stream, ts }];
    this.#relevel(stream, s, ts, events);
    return events;
  }

  /** Lifts a shutdown: a new epoch starting from risk 0. No event if the stream is not shut down. */
  restore(stream: string, ts: number): EscalationEvent[] {
    const s = this.#streams.get(stream);
    if (!s || s.level !== 'shutdown') return [];
    this.#advance(stream, ts);
    this.#reset(s);
    return [
      { type: 'restore', stream, ts, epoch: s.epoch },
      { type: 'level', stream, level: 'normal', risk: 0, ts },
    ];
  }

  /** Releases a stream's state (stream ended). A shut-down stream keeps its state so it stays shut down. */
  end(stream: string): void {
    const s = this.#streams.get(stream);
    if (!s || s.level === 'shutdown') return;
    // The epoch outlives the stream's state: a later shutdown must not reuse (stream, epoch), the key consumers dedupe by.
    if (s.epoch > 0) this.#endedEpochs.set(stream, s.epoch);
    this.#streams.delete(stream);
  }

  /**
   * Sets whether a stream is shut down and its epoch, as the journal recorded it (recovery after a
   * restart, or a snapshot). Emits nothing: the signal went out before the restart.
   */
  recover(stream: string, state: { shutDown: boolean; epoch: number; reason?: string; signal?: ShutdownEvent }, ts: number): void {
    const s = this.#advance(stream, ts);
    s.epoch = state.epoch;
    if (state.shutDown) {
      s.level = 'shutdown';
      s.recommended = undefined;
      if (state.reason !== undefined) s.reason = state.reason;
      // From a snapshot only the reason and epoch are known: the signal says so with no flag ids.
      s.signal = state.signal ?? { type: 'shutdown', stream, reason: s.reason ?? 'shut down', flagIds: [], ts, epoch: s.epoch, manual: false };
    } else if (s.level === 'shutdown') this.#reset(s);
  }

  /** The shutdown signal of a stream that is shut down now, for a connection that has not heard it. */
  standingShutdown(stream: string): ShutdownEvent | undefined {
    return this.#streams.get(stream)?.signal;
  }

  /** Sets or clears a stream's pending recommendation as the journal recorded it. Emits nothing. */
  recoverRecommendation(stream: string, rec: Omit<Recommendation, 'stream'> | undefined): void {
    if (!rec && !this.#streams.has(stream)) return;
    const s = this.#advance(stream, rec?.ts ?? 0);
    if (s.level === 'shutdown') return;
    s.recommended = rec && { reason: rec.reason, flagIds: [...rec.flagIds], ts: rec.ts };
    s.level = this.#levelFor(s);
  }

  /**
   * Each stream's risk, its event time and its recent incidents (journal snapshot), for streams that
   * carry any, as of now: read lazily (risk-snapshot.ts). An earlier snapshot still being read is
   * read to its end first, so at most one is ever watching the books.
   */
  risks(): RiskSnapshot {
    this.#risks?.deref()?.finish();
    const books = Array.from(this.#streams, ([stream, s]) => [stream, s.book] as const);
    const snapshot = new RiskSnapshot(books, this.#config.sustain.windowMs);
    // Weak: once read and written, the states (~600 B a stream) need not wait for the next rotation to go.
    this.#risks = new WeakRef(snapshot);
    return snapshot;
  }

  #risks: WeakRef<RiskSnapshot> | undefined;

  /**
   * Sets a stream's risk as a snapshot recorded it (the flags behind it are in deleted segments).
   * Its level follows the risk, silently; a shut-down stream stays shut down. The flags' own weights
   * are not known, so a dismiss of one of those flags no longer lowers the risk.
   */
  restoreRisk(stream: string, state: RiskState): void {
    const s = this.#advance(stream, state.ts);
    s.book.risk = state.risk;
    s.book.lastTs = state.ts;
    s.book.restore(state.incidents ?? []);
    if (s.level === 'shutdown') return;
    s.level = this.#levelFor(s);
  }

  /** Epoch of every stream that has had a shutdown (journal snapshot). */
  epochs(): Record<string, number> {
    const out: Record<string, number> = Object.fromEntries(this.#endedEpochs);
    for (const [stream, s] of this.#streams) if (s.epoch > 0) out[stream] = s.epoch;
    return out;
  }

  /** Streams currently shut down, with their epochs and why (journal snapshot). */
  shutDownStreams(): { stream: string; epoch: number; reason?: string }[] {
    const out: { stream: string; epoch: number; reason?: string }[] = [];
    for (const [stream, s] of this.#streams) if (s.level === 'shutdown') out.push(s.reason !== undefined ? { stream, epoch: s.epoch, reason: s.reason } : { stream, epoch: s.epoch });
    return out;
  }

  /** Pending recommendations (journal snapshot). */
  recommendations(): Recommendation[] {
    const out: Recommendation[] = [];
    for (const [stream, s] of this.#streams) if (s.recommended) out.push({ stream, ...s.recommended });
    return out;
  }

  #advance(stream: string, ts: number): StreamRisk {
    let s = this.#streams.get(stream);
    if (!s) {
      s = new StreamRisk();
      s.book.lastTs = ts;
      s.epoch = this.#endedEpochs.get(stream) ?? 0;
      this.#endedEpochs.delete(stream);
      this.#streams.set(stream, s);
    }
    s.book.advance(this.#config, ts);
    return s;
  }

  #reset(s: StreamRisk): void {
    s.level = 'normal';
    s.reason = undefined;
    s.signal = undefined;
    s.recommended = undefined;
    s.book.clear();
  }

  /** After a decisive message (a final, a chat line) of incident `seq`: shut down (or recommend) if warranted, else relevel. */
  #decide(stream: string, s: StreamRisk, seq: number, ts: number, events: EscalationEvent[]): void {
    if (s.level === 'shutdown') return;
    const inc = s.book.get(seq);
    let reason: string | undefined;
    const critical = this.#config.criticalShutsDown && inc ? [...inc.flags].find(([, f]) => f.critical) : undefined;
    if (critical) reason = `critical flag ${critical[0]}: ${critical[1].term}`;
    else if (this.#sustained(s, ts)) {
      const t = this.#config.thresholds.shutdown;
      reason = `risk ${s.book.risk.toFixed(1)} crossed the shutdown threshold ${t} over ${s.book.countSince(ts - this.#config.sustain.windowMs)} incidents`;
    }
    if (reason === undefined) return this.#relevel(stream, s, ts, events);
    if (this.#config.mode === 'enforce') return this.#shutdown(stream, s, reason, s.book.flagIds(), ts, false, events);
    if (!s.recommended) {
      s.recommended = { reason, flagIds: s.book.flagIds(), ts };
      events.push({ type: 'recommend', stream, reason, flagIds: [...s.recommended.flagIds], ts });
    }
    this.#relevel(stream, s, ts, events);
  }

  /** Risk over the shutdown threshold with enough incidents behind it. */
  #sustained(s: StreamRisk, ts: number): boolean {
    const { thresholds, sustain } = this.#config;
    return s.book.risk >= thresholds.shutdown && s.book.countSince(ts - sustain.windowMs) >= sustain.incidents;
  }

  /** The level the risk gives, short of shutdown: `alert` at most, and at least while a recommendation is pending. */
  #levelFor(s: StreamRisk): Level {
    const t = this.#config.thresholds;
    const r = s.book.risk;
    return r >= t.alert || s.recommended ? 'alert' : r >= t.watch ? 'watch' : 'normal';
  }

  #relevel(stream: string, s: StreamRisk, ts: number, events: EscalationEvent[]): void {
    if (s.level === 'shutdown') return;
    const level = this.#levelFor(s);
    if (level !== s.level) {
      s.level = level;
      events.push({ type: 'level', stream, level, risk: round(s.book.risk), ts });
    }
  }

  /** Emits the level change and the one shutdown signal of this epoch. */
  #shutdown(stream: string, s: StreamRisk, reason: string, flagIds: string[], ts: number, manual: boolean, events: EscalationEvent[]): void {
    s.level = 'shutdown';
    s.reason = reason;
    s.recommended = undefined;
    s.epoch++;
    s.signal = { type: 'shutdown', stream, reason, flagIds, ts, epoch: s.epoch, manual };
    events.push({ type: 'level', stream, level: 'shutdown', risk: round(s.book.risk), ts });
    events.push(s.signal);
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** What most messages cause: shared, so a clean message allocates no array. */
const NO_EVENTS: readonly EscalationEvent[] = Object.freeze([]);
