/**
 * The one vocabulary of facts the stream core records, whichever log holds them (one JSON object
 * per line in the file journal), `t` says which. Everything that changes what a moderator sees or
 * whether a stream is shut down is a record, so a replay can rebuild it. `record-schema.ts`
 * validates each one as it is read back.
 */
import type { Flag } from '../flag.js';
import type { Speaker } from '../protocol/ingest.js';
import type { DeclineEvent, EscalationEvent, LevelEvent, RecommendEvent, Recommendation, RestoreEvent, RetractEvent, RiskState, ShutdownEvent } from '../escalate/escalation.js';
import type { Promotion } from '../shadow/shadow-lane.js';
import type { EndMark } from './ended.js';

/** First record of every segment after the first: the state older segments would rebuild, so they can be deleted. */
export interface SnapshotRecord {
  t: 'snapshot';
  /** Next flag number to allocate. */
  nextFlag: number;
  shutdown: { stream: string; epoch: number; reason?: string }[];
  /** Epoch of streams that were restored (a later shutdown counts on from it). */
  epochs: Record<string, number>;
  /** Highest final seq processed per live stream, for dedupe. */
  seqs: Record<string, number>;
  /** Each live stream's window of processed seqs below its highest, `[floor, first, last, ...]` (seq-window.ts); absent in older journals. */
  windows?: Record<string, number[]>;
  /** Each stream's risk as of the snapshot (absent in older journals: replay then starts those streams at 0). */
  risks?: Record<string, RiskState>;
  /** Streams in a PK session, with the opponent when known (absent in journals written before it was kept). */
  pk?: { stream: string; opponent?: string }[];
  /** Pending shutdown recommendations (`escalation.mode: "recommend"`; absent in older journals). */
  recommended?: Recommendation[];
  /** Streams that read as ended (stream/ended.ts), by their `end` (absent when none, and in older journals). */
  ended?: Record<string, EndMark>;
  /**
   * File journal: the records of segment `segment` from byte `from` on were appended while this
   * snapshot was being written, after it was taken; replay reads them right after it (journal.ts).
   */
  tail?: { segment: number; from: number };
}

/** A transcript chunk or chat message was processed; `flags` are the flags it raised. */
export interface MessageRecord {
  t: 'msg';
  stream: string;
  seq: number;
  ts: number;
  kind: 'transcript' | 'chat';
  final: boolean;
  flags: Flag[];
  /**
   * The original text: always for a final transcript chunk (a replay rebuilds the stream's
   * cross-chunk carry from it), otherwise only when it raised flags (the evidence a moderator reviews).
   */
  text?: string;
  /** Who said a transcript chunk, when the pipeline told (absent: the host, or older journals). */
  speaker?: Speaker;
  /** Flags found beyond the per-message cap and not raised. */
  dropped?: number;
  /** The end of the stream's earlier text, kept only when a flag was `carried` across the seam. */
  prev?: string;
  /**
   * Flags the shadow lexicon (`lexicons.shadow`) raised on this message: evidence for the
   * live/shadow comparison only, never escalated or replayed as flags (absent: none, or older journals).
   */
  shadow?: Flag[];
}

export interface PkRecord {
  t: 'pk';
  stream: string;
  seq: number;
  ts: number;
  state: 'start' | 'end';
  opponent?: string;
}

export interface EndRecord {
  t: 'end';
  stream: string;
  seq: number;
  ts: number;
}

/** Escalation events are journaled as they are, with `t` in place of `type`. */
type Journaled<E extends { type: string }, T extends string> = { t: T } & Omit<E, 'type'>;

export type LevelRecord = Journaled<LevelEvent, 'level'>;
export type ShutdownRecord = Journaled<ShutdownEvent, 'shutdown'>;
export type RestoreRecord = Journaled<RestoreEvent, 'restore'>;
/** `recommend` mode: a shutdown recommended to moderators (a confirm is a `shutdown` record with `confirmed`). */
export type RecommendRecord = Journaled<RecommendEvent, 'recommend'>;
export type DeclineRecord = Journaled<DeclineEvent, 'decline'>;
/** A partial hypothesis's flag the final no longer contains; journaled before that final's `msg` record. */
export type RetractRecord = Journaled<RetractEvent, 'retract'>;

/** A moderator marked a flag as a false positive. */
export interface DismissRecord {
  t: 'dismiss';
  flagId: string;
  stream: string | null;
  ts: number;
  reason?: string;
}

/** A moderator promoted the shadow lexicon to live (journaled before it took effect). */
export interface PromoteRecord extends Promotion {
  t: 'promote';
}

/** Flag ids below `below` may have been handed out: a restart never allocates under it (see processor.ts). */
export interface IdsRecord {
  t: 'ids';
  below: number;
}

export type StreamRecord =
  | SnapshotRecord
  | MessageRecord
  | PkRecord
  | EndRecord
  | LevelRecord
  | ShutdownRecord
  | RestoreRecord
  | RecommendRecord
  | DeclineRecord
  | RetractRecord
  | DismissRecord
  | PromoteRecord
  | IdsRecord;

/** An escalation event as its record. */
export function eventRecord(e: EscalationEvent): StreamRecord {
  switch (e.type) {
    case 'level':
      return { t: 'level', stream: e.stream, level: e.level, risk: e.risk, ts: e.ts };
    case 'shutdown':
      return { t: 'shutdown', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts, epoch: e.epoch, manual: e.manual, ...(e.confirmed ? { confirmed: true as const } : {}) };
    case 'restore':
      return { t: 'restore', stream: e.stream, ts: e.ts, epoch: e.epoch };
    case 'recommend':
      return { t: 'recommend', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts };
    case 'decline':
      return { t: 'decline', stream: e.stream, ts: e.ts };
    case 'retract':
      return { t: 'retract', stream: e.stream, seq: e.seq, flagId: e.flagId, ts: e.ts };
  }
}
