/**
 * What the transport (`server/`) and the stream core agree on, whichever core runs behind it: the
 * embedded processor over the file journal, or a cluster node over NATS JetStream. `server/` sees
 * only these types, so it never imports `cluster/` or `journal/`, and neither of them imports it.
 */
import type { DeclineEvent, LevelEvent, RecommendEvent, RestoreEvent, RetractEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { Flag } from '../flag.js';
import type { ShadowOutcome } from '../shadow/shadow-lane.js';
import type { WireError } from '../protocol/codes.js';
import type { ConfirmCommand, DeclineCommand, DismissCommand, PromoteCommand, RestoreCommand, ShutdownCommand } from '../protocol/feed.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { StreamSummary } from './summary.js';

/** An ingest connection as the core sees it: something signals for its streams go to. */
export interface IngestPeer {
  readonly id: number;
  /** Charged with the CPU time publishing its messages' flags and signals took (the fan-out), so that cost stays with the sender. */
  charge?(ms: number): void;
}

export interface Ack {
  type: 'ack';
  stream: string;
  seq: number;
  /** Already processed earlier: acked again, not processed twice. */
  duplicate?: true;
}

export type ModeratorCommand = DismissCommand | ShutdownCommand | RestoreCommand | ConfirmCommand | DeclineCommand | PromoteCommand;

export interface CommandResult {
  type: 'ok';
  command: ModeratorCommand['type'];
  stream: string;
  flagId?: string;
  /** Nothing changed: already shut down, not shut down, already dismissed. */
  noop?: true;
}

export interface PkEvent {
  type: 'pk';
  stream: string;
  state: 'start' | 'end';
  opponent?: string;
  ts: number;
}

/** A stream's `end` message was processed: on the feed as `{"type":"end","stream","seq","ts"}`. */
export interface EndEvent {
  type: 'end';
  stream: string;
  seq: number;
  ts: number;
}

export type { StreamSummary };

/** Where signals go once they are durable: the feed hub and the ingest connections of a stream. */
export interface Outbox {
  /** `text` is the message the flags came from; `prev` the stream's text before it when a flag was carried across the seam. */
  flags(flags: readonly Flag[], text: string, streamConns: Iterable<IngestPeer>, prev?: string): void;
  pk(event: PkEvent): void;
  /** A stream ended (optional: an outbox without it tells no one). */
  end?(event: EndEvent): void;
  event(event: LevelEvent | RestoreEvent | RecommendEvent | DeclineEvent | RetractEvent): void;
  shutdown(event: ShutdownEvent, streamConns: Iterable<IngestPeer>): void;
  /** A stream's standing shutdown, to one ingest connection that sends for it and has not heard it (a reconnect, a restart). */
  standing(event: ShutdownEvent, peer: IngestPeer): void;
  /** What the shadow lexicon raised on a message (only with `lexicons.shadow`): counted, and sent to feed clients that ask. */
  shadow?(outcome: ShadowOutcome): void;
}

/** A journaled flag with the message it came from (and, for a carried flag, the text before it). */
export interface FlagEntry {
  flag: Flag;
  text: string | undefined;
  prev?: string;
}

/** Where `since` reads earlier flags from: the journal, or in cluster mode the events stream. */
export interface FlagHistory {
  /** Flags numbered above `after`, in id order (the caller dedupes against live flags by number). */
  flagEntriesSince(after: number): AsyncGenerator<FlagEntry>;
  /** The oldest flag number still held once retention removed older ones (undefined: nothing removed). */
  retainedFrom(): number | undefined | Promise<number | undefined>;
}

/** What `/healthz` shows of the core: no filesystem paths, nothing a client could misuse. */
export interface CoreHealth {
  ready: boolean;
  /** The log (journal or JetStream) takes writes. */
  writable: boolean;
  /** Records appended but not yet durable. */
  pending: number;
  streams: number;
  /** Cluster mode only: node, connection, members, owned partitions. */
  cluster?: object;
}

/**
 * The stream core as the transport drives it. Every reply settles only once what the message caused
 * is durable; signals leave through the `Outbox` it was built with.
 */
export interface StreamService {
  /** Processes the messages of one frame in order; one reply per message, in order. */
  ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]>;
  command(cmd: ModeratorCommand): Promise<CommandResult | WireError>;
  /** An ingest connection closed: it no longer receives its streams' signals. */
  forget(peer: IngestPeer): void;
  /** Every stream known with its level, risk, PK state and shut-down reason (a promise when the core runs in its own thread). */
  summaries(): StreamSummary[] | Promise<StreamSummary[]>;
  readonly history: FlagHistory;
  /** The number of the newest flag (0 before the first): where `history` on subscribe counts back from. */
  lastFlagNumber(): number | Promise<number>;
  /** Where a `history: n` replay starts when the newest flag is `latest`; without it `latest - n` (ids are dense). */
  historyStart?(latest: number, n: number): number;
  /** Messages taken but not yet answered. */
  readonly inFlight: number;
  health(): CoreHealth;
  /** Releases scanner state of streams idle for `idleMs`; returns how many were released. */
  sweepIdle(idleMs: number): number;
  /** Stop taking messages (SIGTERM): new ones get `shutting_down`, in-flight ones finish. */
  drain(): void;
  close(): Promise<void>;
}
