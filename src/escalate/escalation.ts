/**
 * Per-stream escalation: `normal → watch → alert → shutdown`, driven only by event time so tests and
 * replays are deterministic.
 *
 * - Each flag adds its weight (risk.ts) to the stream's risk, which decays between events.
 * - Level follows risk up and down, except `shutdown`, which only `restore` lifts.
 * - A `critical` flag, the risk crossing the shutdown threshold, or a moderator's `shutdown` emits
 *   exactly one `shutdown` per epoch; `restore` starts a new epoch with risk 0.
 * - `dismiss` removes a flag's weight (decayed as it would have been) and keeps it out of the
 *   repetition count.
 */
import type { Flag } from '../flag.js';
import { decay, flagWeight, type EscalationConfig } from './risk.js';

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
}

export interface RestoreEvent {
  type: 'restore';
  stream: string;
  ts: number;
  epoch: number;
}

export type EscalationEvent = LevelEvent | ShutdownEvent | RestoreEvent;

/** A stream's risk as a snapshot keeps it. */
export interface RiskState {
  risk: number;
  /** Event time the risk is as of (it decays from there). */
  ts: number;
  /** Flags per term in this epoch (the repetition weight). */
  terms: Record<string, number>;
}

interface Contribution {
  weight: number;
  ts: number;
  term: string;
}

/** Per-stream state; kept small because there is one per live stream. */
class StreamRisk {
  risk = 0;
  lastTs = 0;
  level: Level = 'normal';
  pkActive = false;
  epoch = 0;
  /** Why it is shut down (while it is). */
  reason: string | undefined;
  termCounts = new Map<string, number>();
  /** Flags still carrying weight in this epoch, for dismiss and for the shutdown's evidence. */
  contributions = new Map<string, Contribution>();
}

/** Flags kept per stream for dismissal; older ones have decayed to nothing anyway. */
const MAX_CONTRIBUTIONS = 64;

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
    return this.#streams.get(stream)?.risk ?? 0;
  }

  /** Why `stream` is shut down, while it is. */
  shutdownReason(stream: string): string | undefined {
    const s = this.#streams.get(stream);
    return s?.level === 'shutdown' ? s.reason : undefined;
  }

  pkActive(stream: string): boolean {
    return this.#streams.get(stream)?.pkActive ?? false;
  }

  isShutDown(stream: string): boolean {
    return this.level(stream) === 'shutdown';
  }

  /** Accounts a flag at its event time `ts`. */
  onFlag(stream: string, flag: Pick<Flag, 'id' | 'term' | 'severity' | 'evasion' | 'kind'>, ts: number): EscalationEvent[] {
    const s = this.#advance(stream, ts);
    const chat = flag.kind === 'chat';
    if (chat && this.#config.chatMultiplier === 0) return [];
    const prior = s.termCounts.get(flag.term) ?? 0;
    s.termCounts.set(flag.term, prior + 1);
    const weight = flagWeight(this.#config, { severity: flag.severity, evasion: flag.evasion, priorSameTerm: prior, pkActive: s.pkActive, chat });
    s.risk += weight;
    s.contributions.set(flag.id, { weight, ts, term: flag.term });
    if (s.contributions.size > MAX_CONTRIBUTIONS) s.contributions.delete(s.contributions.keys().next().value!);
    const events: EscalationEvent[] = [];
    if (s.level !== 'shutdown' && flag.severity === 'critical' && !chat && this.#config.criticalShutsDown) {
      this.#shutdown(stream, s, `critical flag ${flag.id}: ${flag.term}`, ts, false, events);
    } else this.#relevel(stream, s, ts, events);
    return events;
  }

  onPk(stream: string, state: 'start' | 'end', ts: number): EscalationEvent[] {
    const s = this.#advance(stream, ts);
    s.pkActive = state === 'start';
    const events: EscalationEvent[] = [];
    this.#relevel(stream, s, ts, events);
    return events;
  }

  /** Any other event of the stream (a clean message): lets risk decay and the level fall. */
  onTick(stream: string, ts: number): EscalationEvent[] {
    if (!this.#streams.has(stream)) return [];
    const s = this.#advance(stream, ts);
    const events: EscalationEvent[] = [];
    this.#relevel(stream, s, ts, events);
    return events;
  }

  /** A moderator marks a flag as a false positive. Returns undefined when the flag carries no weight here. */
  dismiss(stream: string, flagId: string, ts: number): EscalationEvent[] | undefined {
    const s = this.#streams.get(stream);
    const c = s?.contributions.get(flagId);
    if (!s || !c) return undefined;
    this.#advance(stream, ts);
    s.contributions.delete(flagId);
    s.risk = Math.max(0, s.risk - decay(this.#config, c.weight, s.lastTs - c.ts));
    const n = s.termCounts.get(c.term) ?? 1;
    if (n <= 1) s.termCounts.delete(c.term);
    else s.termCounts.set(c.term, n - 1);
    const events: EscalationEvent[] = [];
    this.#relevel(stream, s, ts, events);
    return events;
  }

  /**
   * A flag's id changed after it was accounted (cluster mode: the log assigns the final id when it
   * stores the flag). Its weight stays; dismiss and the shutdown's evidence use the new id.
   */
  renameFlag(stream: string, from: string, to: string): void {
    const s = this.#streams.get(stream);
    const c = s?.contributions.get(from);
    if (!s || !c) return;
    s.contributions.delete(from);
    s.contributions.set(to, c);
    if (s.reason?.includes(from)) s.reason = s.reason.replace(from, to);
  }

  /** A moderator or control system shuts the stream down; no event if it already is. */
  shutdown(stream: string, reason: string, ts: number): EscalationEvent[] {
    const s = this.#advance(stream, ts);
    const events: EscalationEvent[] = [];
    if (s.level !== 'shutdown') this.#shutdown(stream, s, reason, ts, true, events);
    return events;
  }

  /** Lifts a shutdown: a new epoch starting from risk 0. No event if the stream is not shut down. */
  restore(stream: string, ts: number): EscalationEvent[] {
    const s = this.#streams.get(stream);
    if (!s || s.level !== 'shutdown') return [];
    this.#advance(stream, ts);
    s.risk = 0;
    s.level = 'normal';
    s.reason = undefined;
    s.termCounts.clear();
    s.contributions.clear();
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
  recover(stream: string, state: { shutDown: boolean; epoch: number; reason?: string }, ts: number): void {
    const s = this.#advance(stream, ts);
    s.epoch = state.epoch;
    if (state.shutDown) {
      s.level = 'shutdown';
      if (state.reason !== undefined) s.reason = state.reason;
    }
    else if (s.level === 'shutdown') {
      s.level = 'normal';
      s.reason = undefined;
      s.risk = 0;
      s.termCounts.clear();
      s.contributions.clear();
    }
  }

  /** Each stream's risk, its event time and its repetition counts (journal snapshot), for streams that carry any. */
  risks(): Record<string, RiskState> {
    const out: Record<string, RiskState> = {};
    for (const [stream, s] of this.#streams) {
      if (s.risk < 0.01 && s.termCounts.size === 0) continue;
      out[stream] = { risk: round(s.risk), ts: s.lastTs, terms: Object.fromEntries(s.termCounts) };
    }
    return out;
  }

  /**
   * Sets a stream's risk as a snapshot recorded it (the flags behind it are in deleted segments).
   * Its level follows the risk, silently; a shut-down stream stays shut down. The flags' own weights
   * are not known, so a dismiss of one of those flags no longer lowers the risk.
   */
  restoreRisk(stream: string, state: RiskState): void {
    const s = this.#advance(stream, state.ts);
    s.risk = state.risk;
    s.lastTs = state.ts;
    s.termCounts = new Map(Object.entries(state.terms));
    if (s.level === 'shutdown') return;
    const t = this.#config.thresholds;
    s.level = s.risk >= t.alert ? 'alert' : s.risk >= t.watch ? 'watch' : 'normal';
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

  #advance(stream: string, ts: number): StreamRisk {
    let s = this.#streams.get(stream);
    if (!s) {
      s = new StreamRisk();
      s.lastTs = ts;
      s.epoch = this.#endedEpochs.get(stream) ?? 0;
      this.#endedEpochs.delete(stream);
      this.#streams.set(stream, s);
    }
    if (ts > s.lastTs) {
      s.risk = decay(this.#config, s.risk, ts - s.lastTs);
      s.lastTs = ts;
    }
    return s;
  }

  #relevel(stream: string, s: StreamRisk, ts: number, events: EscalationEvent[]): void {
    if (s.level === 'shutdown') return;
    const t = this.#config.thresholds;
    if (s.risk >= t.shutdown) {
      this.#shutdown(stream, s, `risk ${s.risk.toFixed(1)} crossed the shutdown threshold ${t.shutdown}`, ts, false, events);
      return;
    }
    const level: Level = s.risk >= t.alert ? 'alert' : s.risk >= t.watch ? 'watch' : 'normal';
    if (level !== s.level) {
      s.level = level;
      events.push({ type: 'level', stream, level, risk: round(s.risk), ts });
    }
  }

  /** Emits the level change and the one shutdown signal of this epoch. */
  #shutdown(stream: string, s: StreamRisk, reason: string, ts: number, manual: boolean, events: EscalationEvent[]): void {
    s.level = 'shutdown';
    s.reason = reason;
    s.epoch++;
    events.push({ type: 'level', stream, level: 'shutdown', risk: round(s.risk), ts });
    events.push({ type: 'shutdown', stream, reason, flagIds: [...s.contributions.keys()], ts, epoch: s.epoch, manual });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
