/**
 * The bodies of the messages on the events stream (JSON). Together they are the cluster's durable
 * history: enough to rebuild every stream's escalation state, dedupe and dismissals on failover, and
 * to serve `since` from any node. A flag's id is not in its body: it is `f<JetStream sequence>` of
 * the message that carries it, assigned by the stream, so ids are global and ordered.
 */
import type { Level } from '../escalate/escalation.js';
import type { Flag } from '../flag.js';

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

export interface LevelEventBody {
  t: 'level';
  stream: string;
  level: Level;
  risk: number;
  ts: number;
}

export interface ShutdownEventBody {
  t: 'shutdown';
  stream: string;
  reason: string;
  flagIds: string[];
  ts: number;
  epoch: number;
  manual: boolean;
}

export interface RestoreEventBody {
  t: 'restore';
  stream: string;
  ts: number;
  epoch: number;
}

export interface DismissEventBody {
  t: 'dismiss';
  stream: string;
  flagId: string;
  ts: number;
  reason?: string;
}

export interface PkEventBody {
  t: 'pk';
  stream: string;
  seq: number;
  ts: number;
  state: 'start' | 'end';
  opponent?: string;
}

export interface EndEventBody {
  t: 'end';
  stream: string;
  seq: number;
  ts: number;
}

export type ClusterEvent = FlagEvent | LevelEventBody | ShutdownEventBody | RestoreEventBody | DismissEventBody | PkEventBody | EndEventBody;

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
