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
 * The message records of one commit's run (jetstream-log.ts), in order, on `<prefix>.ev.<p>.~.batch`:
 * one JetStream message for many messages' records instead of one each. Their flags are stored
 * before it, one message per flag, as for a single `msg` record.
 */
export interface BatchEvent {
  t: 'batch';
  records: MessageRecord[];
}

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
