/**
 * The durable log under the stream core. The file journal implements it; everything the processor
 * knows can be rebuilt by replaying it, which is how a restart, and a failed write, recover.
 */
import type { RiskSnapshot } from '../escalate/risk-snapshot.js';
import type { SnapshotRecord, StreamRecord } from './records.js';

/** Provisional flag id → the id the log stored it under (a log that assigns ids, as JetStream does). */
export type FlagRenames = ReadonlyMap<string, string>;

export interface StreamLog {
  /**
   * Appends records; resolves once all of them are durable. A rejection means none of this append
   * (nor anything appended after it that was not yet durable) is in the log: the log ends at its last
   * whole record, and the caller must drop whatever state it built on the rejected records.
   */
  append(records: readonly StreamRecord[]): Promise<FlagRenames | void>;
  /** Resolves once everything appended so far is durable (rejects as `append` would). */
  barrier(): Promise<void>;
  /**
   * Every valid record from the oldest point state can be rebuilt from, in order (bad records are
   * skipped and reported by the log). Also (re)opens the log for appending: called before the first
   * append, and again by a processor rebuilding after a failed write.
   */
  replay(): AsyncIterable<StreamRecord>;
  /** The last write failed and no write has succeeded since: not ready, nothing can be acked. */
  readonly failure: Error | undefined;
  /** Records appended but not yet durable. */
  readonly pending: number;
  /** Tries a tiny durable write; true once the log takes writes again (after `failure`). */
  probe(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * The state a snapshot record carries, produced by the processor when the log asks for one. Its
 * per-stream maps (seqs, windows, risks) are read lazily, as of the moment it was taken
 * (seq-snapshot.ts, escalate/risk-snapshot.ts): JSON.stringify reads them whole, the file journal a
 * slice at a time; `plainMap` gives one as a plain record.
 */
export type SnapshotState = Omit<SnapshotData, 'risks' | 'seqs' | 'windows'> & {
  risks?: SnapshotData['risks'] | RiskSnapshot;
  seqs: SnapshotData['seqs'] | LazyEntries;
  windows?: SnapshotData['windows'] | LazyEntries;
};

/**
 * A map of a snapshot whose entries are read as they are asked for, as of when the snapshot was
 * taken (seq-snapshot.ts, escalate/risk-snapshot.ts): the file journal writes it a slice at a
 * time, JSON.stringify reads it whole through `toJSON`.
 */
export interface LazyEntries {
  lazyEntries(): Iterable<[string, unknown]>;
  toJSON(): unknown;
}

/** A snapshot map as a plain record, whichever form it was taken in. */
export function plainMap<T>(map: Record<string, T> | LazyEntries | undefined): Record<string, T> {
  if (map === undefined) return {};
  return typeof (map as LazyEntries).lazyEntries === 'function' ? ((map as LazyEntries).toJSON() as Record<string, T>) : (map as Record<string, T>);
}

/** A snapshot's state as read back (plain JSON). */
export type SnapshotData = Omit<SnapshotRecord, 't' | 'tail'>;
