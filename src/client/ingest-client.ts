/**
 * `IngestClient`: a pipeline's connection to `/ingest` that never loses a message without saying so.
 *
 * - `send(message)` returns a promise that settles on the server's answer: the ack (a `duplicate`
 *   ack counts: the message had been processed, once), or `IngestRefusedError` for a message the
 *   server refuses for good, or `IngestUnackedError` when the client gives up on it.
 * - At most `window` messages are held unacked; `await client.ready()` waits while the window is
 *   full, which is how a paused server (it stops reading the socket) pushes back on the source.
 * - A dropped connection is reopened with jittered exponential backoff, and everything unacked is
 *   sent again, in order within each stream; the server dedupes what it had already processed.
 * - Retryable refusals (`internal`: the journal could not write; `shutting_down`) send that stream's
 *   unacked messages again after a backoff, without disturbing other streams.
 * - Sends are batched into array frames: whatever is sent within `lingerMs` (or `maxBatch`) shares one.
 */
import { EventEmitter } from 'node:events';
import { IngestConnectError, IngestRefusedError, IngestUnackedError, type UnackedReason } from '../errors.js';
import { decodeMessage } from '../protocol/frame.js';
import { INGEST_SCHEMAS, type IngestMessage } from '../protocol/ingest.js';
import { backoffDelay } from './backoff.js';
import { IngestSocket, type IngestHandlers, type ShutdownSignal } from './ingest-socket.js';
import { UnackedLedger, type IngestAck } from './unacked-ledger.js';
import type { CloseResult, ConnectionState, IngestClientEvents, IngestClientOptions, IngestClientStats } from './client-options.js';

export type { CloseResult, ConnectionState, IngestClientEvents, IngestClientOptions, IngestClientStats } from './client-options.js';

export interface IngestClient {
  on<E extends keyof IngestClientEvents>(event: E, listener: (...args: IngestClientEvents[E]) => void): this;
  once<E extends keyof IngestClientEvents>(event: E, listener: (...args: IngestClientEvents[E]) => void): this;
  off<E extends keyof IngestClientEvents>(event: E, listener: (...args: IngestClientEvents[E]) => void): this;
}

/** Refusals that say "send it again": the message was not processed and a retry can succeed. */
const RETRYABLE = new Set(['internal', 'shutting_down']);
const RESOLVED = Promise.resolve();

export class IngestClient extends EventEmitter {
  /** Servers to try, in turn: any node of a cluster takes any stream. */
  readonly #urls: readonly string[];
  #urlAt = 0;
  readonly #token: string;
  readonly #o: Required<Omit<IngestClientOptions, 'reconnect' | 'retry' | 'streams'>> & Pick<IngestClientOptions, 'reconnect' | 'retry' | 'streams'>;
  readonly #ledger: UnackedLedger;
  #maxBatch: number;
  /** Held messages at or under which `ready()` waiters go on. */
  readonly #lowWater: number;
  #socket: IngestSocket | undefined;
  #state: ConnectionState = 'connecting';
  #closing = false;
  #attempt = 0;
  #downSince = Date.now();
  #lastError = '';
  #alive = true;
  #opened = false;
  #lingerTimer: NodeJS.Timeout | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDue = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #flushQueued = false;
  #readyWaiters: (() => void)[] = [];
  #drained: (() => void) | undefined;
  #closeResult: Promise<CloseResult> | undefined;
  #firstOpen: { resolve: () => void; reject: (err: Error) => void } | undefined;
  readonly #shutdownEpochs = new Map<string, number>();
  readonly #stats = { sent: 0, acked: 0, duplicates: 0, refused: 0, givenUp: 0, retried: 0, reconnects: 0 };

  private constructor(urls: string | readonly string[], token: string, o: IngestClientOptions) {
    super();
    this.#urls = typeof urls === 'string' ? [urls] : [...urls];
    if (this.#urls.length === 0) throw new RangeError('IngestClient.connect: no URL given');
    this.#token = token;
    this.#o = {
      window: o.window ?? 1000,
      perStream: o.perStream ?? 32,
      maxBatch: o.maxBatch ?? 500,
      maxFrameBytes: o.maxFrameBytes ?? 512 * 1024,
      lingerMs: o.lingerMs ?? 2,
      giveUpAfterMs: o.giveUpAfterMs ?? Infinity,
      connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
      heartbeatMs: o.heartbeatMs ?? 10_000,
      flags: o.flags ?? false,
      ...(o.streams ? { streams: o.streams } : {}),
      reconnect: o.reconnect,
      retry: o.retry ?? { initialMs: 50, maxMs: 2000 },
    };
    for (const k of ['window', 'perStream', 'maxBatch', 'maxFrameBytes'] as const) {
      if (!(Number.isInteger(this.#o[k]) && this.#o[k] >= 1)) throw new RangeError(`IngestClient option ${k}: expected a positive integer, received ${String(this.#o[k])}`);
    }
    this.#maxBatch = this.#o.maxBatch;
    this.#lowWater = this.#o.window - Math.max(1, Math.min(this.#o.maxBatch, Math.floor(this.#o.window / 2)));
    this.#ledger = new UnackedLedger(this.#o.perStream);
  }

  /**
   * Opens a client on `url` (`ws://host:port`; in cluster mode a list of nodes, tried in turn on
   * each reconnect) with an `ingest` token. Resolves once connected; rejects with
   * `IngestConnectError` when the token is refused (401/403) or no connection opened within
   * `connectTimeoutMs`.
   */
  static connect(url: string | readonly string[], token: string, options: IngestClientOptions = {}): Promise<IngestClient> {
    const client = new IngestClient(url, token, options);
    return new Promise<IngestClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new IngestConnectError(client.#urls.join(' '), undefined, `no connection within ${client.#o.connectTimeoutMs} ms (last: ${client.#lastError})`);
        client.#giveUp('unreachable', err.message, err);
      }, client.#o.connectTimeoutMs);
      client.#firstOpen = {
        resolve: () => {
          clearTimeout(timer);
          resolve(client);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      void client.#open();
    });
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get stats(): IngestClientStats {
    return { ...this.#stats, resent: this.#ledger.resent, unacked: this.#ledger.size };
  }

  /**
   * Resolves when the window has room (at once when it has): `await client.ready()` before each
   * `send`. Once the window is full it waits until a frame's worth (or half the window) is free.
   */
  ready(): Promise<void> {
    if (this.#ledger.size < this.#o.window || this.#state === 'closed') return RESOLVED;
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  /**
   * Sends one message (DESIGN.md's ingest shapes). Resolves with its ack; rejects with
   * `IngestRefusedError` (refused for good) or `IngestUnackedError` (the client gave up on it).
   * The message is serialized now; later changes to the object are not sent.
   */
  send(message: IngestMessage | Record<string, unknown>): Promise<IngestAck> {
    const decoded = decodeMessage(message, INGEST_SCHEMAS, undefined);
    if (!decoded.ok) return this.#refuseLocally(decoded.error.code, decoded.error.message, decoded.error.stream, decoded.error.seq);
    const { stream, seq } = decoded.message;
    if (this.#closing || this.#state === 'closed') {
      this.#stats.givenUp++;
      return Promise.reject(new IngestUnackedError('closed', stream, seq, 'the client is closed'));
    }
    const json = JSON.stringify(message);
    const bytes = Buffer.byteLength(json);
    if (bytes + 2 > this.#o.maxFrameBytes) return this.#refuseLocally('invalid_message', `message: ${bytes} bytes as JSON; a frame holds at most ${this.#o.maxFrameBytes}`, stream, seq);
    this.#stats.sent++;
    return new Promise<IngestAck>((resolve, reject) => {
      this.#ledger.add({ stream, seq, json, bytes, tries: 0, resolve, reject });
      this.#scheduleFlush();
    });
  }

  /**
   * Stops taking messages and waits up to `timeoutMs` (default 10 s) for every held one to be
   * answered. What is still unacked then is given up: each promise rejects with
   * `IngestUnackedError` (`close_timeout`) and the result lists them.
   */
  close(options: { timeoutMs?: number } = {}): Promise<CloseResult> {
    return (this.#closeResult ??= this.#close(options.timeoutMs ?? 10_000));
  }

  async #close(timeoutMs: number): Promise<CloseResult> {
    this.#closing = true;
    this.#flush();
    if (this.#ledger.size > 0 && this.#state !== 'closed') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.#drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const unacked = this.#giveUp('close_timeout', `not acked within the close timeout of ${timeoutMs} ms`);
    return { drained: this.#stats.givenUp === 0, unacked, stats: this.stats };
  }

  async #open(): Promise<void> {
    let me: IngestSocket | undefined;
    const current = () => me !== undefined && this.#socket === me;
    const handlers: IngestHandlers = {
      ack: (stream, seq, duplicate) => current() && this.#onAck(stream, seq, duplicate),
      error: (e) => current() && this.#onError(e.code, e.message, e.stream, e.seq),
      shutdown: (s) => current() && this.#onShutdown(s),
      flag: (f) => current() && this.emit('flag', f),
      pong: () => void (this.#alive = true),
      closed: (code, reason) => current() && this.#lost(`connection closed (${code}${reason ? ` ${reason}` : ''})`),
    };
    try {
      me = await IngestSocket.connect(this.#urls[this.#urlAt]!, this.#token, handlers, { flags: this.#o.flags, ...(this.#o.streams ? { streams: this.#o.streams } : {}) });
    } catch (err) {
      if (this.#state === 'closed') return;
      const e = err as IngestConnectError;
      this.#lastError = e.message;
      this.#emitError(e);
      if (e.status === 401 || e.status === 403) return void this.#giveUp('unauthorized', e.message, e);
      if (Date.now() - this.#downSince > this.#o.giveUpAfterMs) return void this.#giveUp('unreachable', `no connection for ${this.#o.giveUpAfterMs} ms (last: ${e.message})`, e);
      return this.#reconnectLater(e.message);
    }
    if (this.#state === 'closed') return me.terminate();
    this.#socket = me;
    this.#alive = true;
    this.#heartbeat = setInterval(() => this.#beat(), this.#o.heartbeatMs).unref();
    if (this.#opened) this.#stats.reconnects++;
    this.#opened = true;
    this.#ledger.rewindAll();
    this.#setState('open', this.#ledger.size > 0 ? { resending: this.#ledger.size } : {});
    this.#firstOpen?.resolve();
    this.#firstOpen = undefined;
    this.#flush();
  }

  #beat(): void {
    if (!this.#alive) return this.#socket?.terminate(); // its 'close' reconnects
    this.#alive = false;
    this.#socket?.ws.ping();
  }

  #lost(reason: string): void {
    this.#socket = undefined;
    clearInterval(this.#heartbeat);
    if (this.#state === 'closed') return;
    this.#downSince = Date.now();
    this.#reconnectLater(reason);
  }

  #reconnectLater(reason: string): void {
    this.#urlAt = (this.#urlAt + 1) % this.#urls.length;
    const delayMs = backoffDelay(++this.#attempt, this.#o.reconnect);
    this.#setState(this.#opened ? 'reconnecting' : 'connecting', { reason, delayMs, attempt: this.#attempt });
    this.#reconnectTimer = setTimeout(() => void this.#open(), delayMs);
  }

  #onAck(stream: string, seq: number, duplicate: boolean): void {
    this.#alive = true;
    const p = this.#ledger.take(stream, seq);
    if (!p) return; // an answer to a message already answered (a re-send's twin)
    this.#attempt = 0; // the connection works: the next loss starts the backoff over
    this.#ledger.settled(stream);
    this.#stats.acked++;
    if (duplicate) this.#stats.duplicates++;
    p.resolve({ stream, seq, duplicate });
    this.#afterAnswer();
  }

  #onError(code: string, message: string, stream: string | undefined, seq: number | undefined): void {
    this.#alive = true;
    if (stream === undefined || seq === undefined) {
      // A frame-level refusal names no message. A frame too big for this server: smaller frames from now on.
      if (code === 'batch_too_large' && this.#maxBatch > 1) {
        this.#maxBatch = Math.max(1, this.#maxBatch >> 1);
        this.#socket?.terminate(); // what that frame held goes again on the next connection
      }
      this.#emitError(new IngestRefusedError(code, message, { local: false }));
      return;
    }
    if (RETRYABLE.has(code)) {
      this.#stats.retried++;
      const now = Date.now();
      const delay = this.#ledger.rewind(stream, now, (n) => backoffDelay(n, this.#o.retry));
      this.#armRetry(now + delay);
      return;
    }
    const p = this.#ledger.take(stream, seq);
    if (!p) return;
    this.#stats.refused++;
    p.reject(new IngestRefusedError(code, message, { stream, seq, local: false }));
    this.#afterAnswer();
  }

  /** One timer for all held-back streams, due at the earliest hold's end. */
  #armRetry(due: number): void {
    if (this.#retryTimer !== undefined && this.#retryDue <= due) return;
    clearTimeout(this.#retryTimer);
    this.#retryDue = due;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      const now = Date.now();
      this.#ledger.unblock(now);
      this.#flush();
      const next = this.#ledger.nextUnblock();
      if (next !== undefined) this.#armRetry(Math.max(next, now + 1));
    }, Math.max(0, due - Date.now()));
  }

  #onShutdown(s: ShutdownSignal): void {
    // After a reconnect the same signal may come again; the caller hears each (stream, epoch) once.
    if ((this.#shutdownEpochs.get(s.stream) ?? 0) >= s.epoch) return;
    this.#shutdownEpochs.set(s.stream, s.epoch);
    this.emit('shutdown', s);
  }

  /** A message was answered: room in the window, maybe drained, maybe more to send. */
  #afterAnswer(): void {
    // Waiters go once the window is half empty (or a frame's worth is free), not at the first free
    // slot: the source then refills in a burst that fills whole frames, instead of a frame per ack.
    if (this.#readyWaiters.length > 0 && this.#ledger.size <= this.#lowWater) {
      const waiters = this.#readyWaiters;
      this.#readyWaiters = [];
      for (const w of waiters) w();
    }
    if (this.#ledger.size === 0) this.#drained?.();
    // Once per reply frame (its answers are dispatched in one go), not once per answer.
    if (!this.#flushQueued && this.#ledger.hasSendable) {
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.#flush();
      });
    }
  }

  #scheduleFlush(): void {
    if (this.#state !== 'open') return;
    if (this.#ledger.waiting >= this.#maxBatch) return this.#flush();
    if (this.#lingerTimer !== undefined) return;
    this.#lingerTimer = this.#o.lingerMs > 0 ? setTimeout(() => this.#flush(), this.#o.lingerMs) : (setImmediate(() => this.#flush()) as unknown as NodeJS.Timeout);
  }

  #flush(): void {
    if (this.#lingerTimer !== undefined) {
      clearTimeout(this.#lingerTimer);
      clearImmediate(this.#lingerTimer as unknown as NodeJS.Immediate);
      this.#lingerTimer = undefined;
    }
    const socket = this.#socket;
    if (!socket?.open) return;
    while (this.#ledger.hasSendable && this.#ledger.inFlight < this.#o.window) {
      const out: string[] = [];
      this.#ledger.fill(out, this.#maxBatch, this.#o.maxFrameBytes, this.#o.window);
      if (out.length === 0) break;
      socket.sendFrame(`[${out.join(',')}]`, out.length);
    }
  }

  /** Stops for good: every held message is rejected with `reason`; returns them. */
  #giveUp(reason: UnackedReason, detail: string, err?: Error): { stream: string; seq: number }[] {
    const wasClosed = this.#state === 'closed';
    this.#state = 'closed';
    this.#closing = true;
    clearTimeout(this.#reconnectTimer);
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#lingerTimer);
    clearInterval(this.#heartbeat);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) void closeWithin(socket, 1000);
    const left = this.#ledger.takeAll();
    for (const p of left) {
      this.#stats.givenUp++;
      p.reject(new IngestUnackedError(reason, p.stream, p.seq, detail));
    }
    for (const w of this.#readyWaiters.splice(0)) w();
    this.#drained?.();
    this.#firstOpen?.reject(err ?? new IngestConnectError(this.#urls.join(' '), undefined, detail));
    this.#firstOpen = undefined;
    if (!wasClosed) this.emit('state', 'closed', { reason: detail });
    return left.map((p) => ({ stream: p.stream, seq: p.seq }));
  }

  #refuseLocally(code: string, message: string, stream: string | undefined, seq: number | undefined): Promise<never> {
    this.#stats.refused++;
    return Promise.reject(new IngestRefusedError(code, message, { stream, seq, local: true }));
  }

  #setState(state: ConnectionState, detail: IngestClientEvents['state'][1]): void {
    this.#state = state;
    this.emit('state', state, detail);
  }

  /** 'error' only when listened to: an EventEmitter throws an unheard 'error', and every message has its own promise. */
  #emitError(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }
}

/** A polite close, cut short when the server does not complete it. */
async function closeWithin(socket: IngestSocket, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([socket.close(), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
  socket.terminate();
}

export type { IngestAck } from './unacked-ledger.js';
export type { ShutdownSignal } from './ingest-socket.js';
