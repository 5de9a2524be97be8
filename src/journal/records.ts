/**
 * What the journal holds: one JSON object per line, `t` says which. Everything that changes what a
 * moderator sees or whether a stream is shut down is a record, so a restart can rebuild it.
 */
import type { Flag } from '../flag.js';
import type { LevelEvent, RestoreEvent, ShutdownEvent } from '../escalate/escalation.js';

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
  /** Streams in a PK session, with the opponent when known (absent in journals written before it was kept). */
  pk?: { stream: string; opponent?: string }[];
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
  /** The original text, kept only when it raised flags: the evidence a moderator reviews. */
  text?: string;
  /** The end of the stream's earlier text, kept only when a flag was `carried` across the seam. */
  prev?: string;
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

/** A moderator marked a flag as a false positive. */
export interface DismissRecord {
  t: 'dismiss';
  flagId: string;
  stream: string | null;
  ts: number;
  reason?: string;
}

export type JournalRecord =
  | SnapshotRecord
  | MessageRecord
  | PkRecord
  | EndRecord
  | LevelRecord
  | ShutdownRecord
  | RestoreRecord
  | DismissRecord;

const KINDS = new Set(['snapshot', 'msg', 'pk', 'end', 'level', 'shutdown', 'restore', 'dismiss']);

/** A parsed line is a record when it is an object with a known `t`; anything else is damage. */
export function isRecord(v: unknown): v is JournalRecord {
  return v !== null && typeof v === 'object' && KINDS.has((v as { t?: unknown }).t as string);
}
