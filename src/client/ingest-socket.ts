/**
 * One `/ingest` WebSocket: sends frames and dispatches each reply (ack, error, shutdown, flag) to a
 * handler. No retry, no window: it is the transport under `IngestClient` (which adds those), and
 * what the load generators in bench/ drive directly, so they measure the server and not a client.
 */
import WebSocket from 'ws';
import { IngestConnectError } from '../errors.js';

/** `{"type":"shutdown",...}` as the server sends it on `/ingest` (DESIGN.md "Wire protocol"). */
export interface ShutdownSignal {
  stream: string;
  reason: string;
  flagIds: string[];
  ts: number;
  /** Counts the stream's shutdowns: a shutdown after a restore has a higher epoch. */
  epoch: number;
  manual?: boolean;
}

/** A `{"type":"error"}` reply: `stream`/`seq` name the message it refuses, when it had them. */
export interface WireReplyError {
  code: string;
  message: string;
  stream?: string;
  seq?: number;
  index?: number;
}

export interface IngestHandlers {
  ack?(stream: string, seq: number, duplicate: boolean): void;
  error?(error: WireReplyError): void;
  shutdown?(signal: ShutdownSignal): void;
  flag?(flag: { id: string; stream: string; seq: number; category: string; term: string }): void;
  /** The socket closed (either side, or the network); not called for a connect that failed. */
  closed?(code: number, reason: string): void;
  /** A pong to our ping: the server is alive. */
  pong?(): void;
}

export interface IngestSocketOptions {
  /** Also receive the flags of the streams this connection sends (`?flags=1`). */
  flags?: boolean;
  /** How long the HTTP upgrade may take. Default 10 s. */
  handshakeTimeoutMs?: number;
  /**
   * The streams this connection will send (`?streams=`): a node running several owner processes
   * hands the connection to the process owning most of them, so their messages are not forwarded
   * between processes (group them with `streamsByOwner`). A hint only; any stream may still be sent.
   */
  streams?: readonly string[];
}

/** `ws://host:port` → `ws://host:port/ingest`; a URL that already ends in `/ingest` is kept. */
export function ingestUrl(url: string, flags = false, streams?: readonly string[]): URL {
  const base = new URL(url);
  const target = base.pathname.endsWith('/ingest') ? base : new URL('/ingest', base);
  if (flags) target.searchParams.set('flags', '1');
  if (streams && streams.length > 0) target.searchParams.set('streams', streams.join(','));
  return target;
}

export class IngestSocket {
  readonly ws: WebSocket;
  #handlers: IngestHandlers;
  sent = 0;
  acked = 0;
  errors = 0;

  private constructor(ws: WebSocket, handlers: IngestHandlers) {
    this.ws = ws;
    this.#handlers = handlers;
    ws.on('message', (data: Buffer) => this.#receive(data.toString()));
    ws.on('pong', () => this.#handlers.pong?.());
    ws.on('close', (code: number, reason: Buffer) => this.#handlers.closed?.(code, reason.toString()));
  }

  /**
   * Connects to `url` (ws://host:port) with `token`. Rejects with `IngestConnectError`: `status`
   * 401/403 for a token the server refuses, 503 while it drains, none when it is unreachable.
   */
  static connect(url: string, token: string, handlers: IngestHandlers = {}, opts: IngestSocketOptions = {}): Promise<IngestSocket> {
    const target = ingestUrl(url, opts.flags, opts.streams);
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false, handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000 });
      let settled = false;
      const fail = (err: IngestConnectError) => {
        if (settled) return;
        settled = true;
        ws.terminate();
        reject(err);
      };
      // Kept for the socket's whole life: an 'error' with no listener would throw from the emitter.
      ws.on('error', (err) => fail(new IngestConnectError(target.href, undefined, err.message)));
      ws.once('unexpected-response', (_req, res) => fail(new IngestConnectError(target.href, res.statusCode, `HTTP ${res.statusCode}`)));
      ws.once('open', () => {
        settled = true;
        resolve(new IngestSocket(ws, handlers));
      });
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends messages as one frame (an array when more than one). */
  send(messages: readonly object[]): void {
    if (messages.length === 0) return;
    this.ws.send(messages.length === 1 ? JSON.stringify(messages[0]) : JSON.stringify(messages));
    this.sent += messages.length;
  }

  /** Sends an already serialized frame holding `count` messages. */
  sendFrame(json: string, count: number): void {
    this.ws.send(json);
    this.sent += count;
  }

  /** Messages sent and not yet answered. */
  get outstanding(): number {
    return this.sent - this.acked - this.errors;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  /** Drops the connection at once (a peer that stopped answering would never complete a close). */
  terminate(): void {
    this.ws.terminate();
  }

  #receive(text: string): void {
    let parsed: Record<string, unknown> | Record<string, unknown>[];
    try {
      parsed = JSON.parse(text) as Record<string, unknown> | Record<string, unknown>[];
    } catch {
      this.#handlers.error?.({ code: 'invalid_json', message: `the server sent a frame that is not JSON: ${text.slice(0, 80)}` });
      return;
    }
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      switch (m.type) {
        case 'ack':
          this.acked++;
          this.#handlers.ack?.(m.stream as string, m.seq as number, m.duplicate === true);
          break;
        case 'error':
          // Errors about a whole frame (no seq) do not answer one message.
          if (m.seq !== undefined) this.errors++;
          this.#handlers.error?.(m as unknown as WireReplyError);
          break;
        case 'shutdown':
          this.#handlers.shutdown?.(m as unknown as ShutdownSignal);
          break;
        case 'flag':
          this.#handlers.flag?.(m.flag as { id: string; stream: string; seq: number; category: string; term: string });
          break;
      }
    }
  }
}
