/**
 * `GET /api/stream`'s answer: a stream's newest flagged messages with the chunks around them, and
 * its level history and PK sessions (src/server/stream-context.ts reads it from the journal). A
 * pure module (no Node imports): the console's drill-down is compiled with it.
 */
import type { Flag } from '../flag.js';

/** A chunk of what was said (a final transcript chunk, or a chat line that was flagged). */
export interface Chunk {
  seq: number;
  ts: number;
  kind: 'transcript' | 'chat';
  final: boolean;
  speaker?: string;
  text: string;
}

export interface FlaggedChunk extends Chunk {
  flags: Flag[];
  /** The end of the text before, when a flag was carried across the seam. */
  prev?: string;
  before: Chunk[];
  after: Chunk[];
}

export interface StreamEventEntry {
  type: 'level' | 'shutdown' | 'restore' | 'recommend' | 'decline' | 'pk' | 'end';
  ts: number;
  level?: string;
  risk?: number;
  reason?: string;
  state?: string;
  opponent?: string;
}

export interface StreamContext {
  stream: string;
  /** Newest last. */
  flagged: FlaggedChunk[];
  /** Level history and PK sessions in journal order, newest last (the last MAX_EVENTS). */
  events: StreamEventEntry[];
  /** Older flagged messages were left out (only the last `limit` are sent). */
  truncated: boolean;
}
