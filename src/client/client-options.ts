/**
 * What an `IngestClient` is configured with and reports: options (with their defaults), stats,
 * the result of `close()`, and its events. Types only; the behaviour is in ingest-client.ts.
 */
import type { BackoffOptions } from './backoff.js';
import type { ShutdownSignal } from './ingest-socket.js';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface IngestClientOptions {
  /** Messages held unacked (sent or waiting) before `ready()` waits. Default 1000. */
  window?: number;
  /** Messages of one stream on the wire unacked; keep it ≤ the server's `limits.seqWindow` (64). Default 32. */
  perStream?: number;
  /** Messages per frame; keep it ≤ the server's `limits.maxBatch` (1000). Default 500. */
  maxBatch?: number;
  /** Bytes per frame; keep it under the server's `limits.maxPayloadBytes` (1 MiB). Default 512 KiB. */
  maxFrameBytes?: number;
  /** How long a send waits for others to share its frame. Default 2 ms (0: the end of the current turn). */
  lingerMs?: number;
  /** Reconnect waits. Default 100 ms doubling to 5 s, jittered. */
  reconnect?: BackoffOptions;
  /** Waits before re-sending a stream after a retryable refusal. Default 50 ms doubling to 2 s. */
  retry?: BackoffOptions;
  /** Give up (every held message rejected, `unreachable`) after this long without a connection. Default never. */
  giveUpAfterMs?: number;
  /** How long `connect()` keeps trying before it rejects. Default 10 s. */
  connectTimeoutMs?: number;
  /** Ping interval; a server that did not answer the previous ping is dropped and reconnected. Default 10 s. */
  heartbeatMs?: number;
  /** Also receive the flags of the streams sent (`flag` events; best effort, the feed is the exact record). */
  flags?: boolean;
  /**
   * The streams this client will send, named on every (re)connect (`?streams=`): a node running N
   * owner processes hands the connection to the one owning them, so none is forwarded between
   * processes. With many streams, open one client per `streamsByOwner(streams, N)` group.
   */
  streams?: readonly string[];
}

export interface IngestClientStats {
  /** Messages taken by `send` (valid ones). */
  sent: number;
  acked: number;
  /** Acks that said `duplicate` (processed before a lost ack, then re-sent). */
  duplicates: number;
  /** Refused for good (by the server, or by the client's own check first). */
  refused: number;
  /** Given up by the client (`IngestUnackedError`). */
  givenUp: number;
  /** Messages put on the wire again (after a reconnect or a retryable refusal). */
  resent: number;
  /** Retryable refusals received (`internal`, `shutting_down`). */
  retried: number;
  /** Connections reopened after a loss. */
  reconnects: number;
  /** Held now, not yet answered. */
  unacked: number;
}

export interface CloseResult {
  /** Every message taken was answered (acked or refused); nothing given up. */
  drained: boolean;
  /** Messages given up at close (each one's promise rejected with `IngestUnackedError`). */
  unacked: { stream: string; seq: number }[];
  stats: IngestClientStats;
}

export interface IngestClientEvents {
  /** Connection state changes; `reason` for a loss, `delayMs` before the next attempt, `resending` on a reopen. */
  state: [state: ConnectionState, detail: { reason?: string; delayMs?: number; attempt?: number; resending?: number }];
  /** A stream was shut down (once per stream and epoch, whatever reconnects happen). */
  shutdown: [signal: ShutdownSignal];
  flag: [flag: { id: string; stream: string; seq: number; category: string; term: string }];
  /** Problems that cost no message by themselves (a failed connect, a frame-level error); only emitted when listened to. */
  error: [err: Error];
}
