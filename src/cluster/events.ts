/**
 * The bodies of the messages on the events stream (JSON): the stream core's records
 * (src/stream/records.ts), except that a message record's flags travel one per message (`FlagEvent`)
 * so each flag's id is `f<JetStream sequence>` of the message that carries it, assigned by the
 * stream: ids are global and ordered (see jetstream-log.ts). Together they are the cluster's durable
 * history: enough to rebuild every stream's state on failover and to serve `since` from any node.
 */
import type { Flag } from '../flag.js';
import type { MessageRecord, StreamRecord } from '../stream/records.js';

export interface FlagEvent {
  t: 'flag';
  stream: string;
  seq: number;
  /** Raised by a final message (false: a partial hypothesis; its seq is not yet done). */
  final: boolean;
  flag: Omit<Flag, 'id'>;
  /** The message text the flag came from (the evidence a moderator reviews). */
  text: string;
  /** The stream's text before this chunk, when the flag was carried across the seam (up to 256 units). */
  prev?: string;
}

/**
 * A partition's records on `<prefix>.ev.<p>.~.batch`, in order: one JetStream message for many
 * records instead of one each.
 *
 * Version 2 (`v: 2`, session 13): every record a commit makes (message records with their flags,
 * levels, shutdowns, ...) is inside, so every write of an owner carries the fencing condition
 * (jetstream-log.ts). A flag's id is derived from where it is stored: `f<seq * FLAG_ID_SPAN + i>`,
 * `seq` the batch's JetStream sequence and `i` the flag's place among the batch's flags (see
 * flagIdOf). Flags are stored without their id.
 *
 * Without `v` (session 12): message records only, their flags stored before the batch, one
 * `FlagEvent` each (id `f<sequence>`). Older still: one `msg` record per message. Both still replay.
 */
export interface BatchEvent {
  t: 'batch';
  v?: 2;
  records: StreamRecord[];
}

/**
 * Flag ids a v2 batch can give: its flags are numbered `seq * FLAG_ID_SPAN + i`, so ids stay global
 * and ordered (a later batch has a higher sequence), and above every id of the older layout (`f<seq>`,
 * a sequence below the batch's). A batch holds fewer flags than this (jetstream-log.ts splits).
 */
export const FLAG_ID_SPAN = 1000;

export function flagIdOf(seq: number, index: number): string {
  return `f${seq * FLAG_ID_SPAN + index}`;
}

/** The batch sequence and the index within it that a v2 flag number names. */
export function flagPlace(n: number): { seq: number; index: number } {
  return { seq: Math.floor(n / FLAG_ID_SPAN), index: n % FLAG_ID_SPAN };
}

export function isBatchV2(body: unknown): body is BatchEvent & { v: 2 } {
  return typeof body === 'object' && body !== null && (body as BatchEvent).t === 'batch' && (body as BatchEvent).v === 2 && Array.isArray((body as BatchEvent).records);
}

/**
 * The records of a v2 batch stored at `seq`, each message record's flags given their ids (in place:
 * the body is the caller's parsed copy). Not validated here: readers that rebuild state check each.
 */
export function batchRecords(body: BatchEvent, seq: number): StreamRecord[] {
  let i = 0;
  for (const r of body.records) {
    if ((r as { t?: unknown }).t !== 'msg' || !Array.isArray((r as MessageRecord).flags)) continue;
    for (const f of (r as MessageRecord).flags) (f as { id: string }).id = flagIdOf(seq, i++);
  }
  return body.records;
}

/**
 * A copy of a shutdown or restore record already stored in a v2 batch, on the stream's own subject
 * for control systems (durable consumers on `ev.*.*.shutdown`; the id is the deduplication key) and
 * for a starting node's shut-down set. Readers of the history skip it (it is in the batch).
 */
export const H_COPY = 'Pkguard-Copy';

/** Header of a node batch (node-commit.ts): the partitions it carries records of or took, so a replay parses only its own. */
export const H_PARTS = 'Pkguard-Parts';

export type ClusterEvent = FlagEvent | BatchEvent | StreamRecord;

/** Headers of an ingest message that wants its acks sent back (a WebSocket on some node). */
export const H_REPLY = 'Pkguard-Reply';
export const H_CORR = 'Pkguard-Corr';
/** The ingest message is a moderator command for the partition's owner, not stream messages. */
export const H_COMMAND = 'Pkguard-Command';

/** A reply on `<prefix>.reply.<node>`: one reply per message of the ingest message, in order. */
export interface ReplyBody {
  corr: string;
  replies: object[];
}
