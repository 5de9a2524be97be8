/**
 * One `/ingest` WebSocket: frames → validated messages → pipeline → acks and errors. A client that
 * sends array frames gets its replies as array frames too (the protocol allows arrays both ways):
 * all replies that became ready in one event-loop turn, usually one journal commit, share a frame,
 * which saves a socket write per message at high rates.
 *
 * Flow control never drops an accepted message. The rate is a shaper, not a gate on reading: a
 * queued message runs only once the connection's token bucket holds it, so a connection over its
 * rate is served at its rate in slices rather than in bursts of whole frames; the socket is paused
 * (TCP pushes back on the client) while it waits for tokens or has too many messages in flight. A client that does not read its acks is cut off once its send buffer passes the
 * limit: its memory cost is bounded and every other connection carries on.
 */
import type { WebSocket } from 'ws';
import { wireError, type WireError } from '../protocol/codes.js';
import { splitFrame } from '../protocol/frame.js';
import { INGEST_SCHEMAS, type IngestMessage } from '../protocol/ingest.js';
import { FEED_SCHEMAS } from '../protocol/feed.js';
import type { Limits } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { IngestPeer, StreamService } from '../stream/contracts.js';
import type { IngestBudget } from './ingest-budget.js';
import type { IngestLane, IngestScheduler } from './ingest-scheduler.js';
import { decodeIngest } from './ingest-decode.js';

/** Close code for a peer cut off for not reading what it is sent. */
export const CLOSE_NOT_READING = 4008;

/** Every feed command (confirm and decline too): on /ingest each is `forbidden`, not `unknown_type`. */
const FEED_COMMANDS: ReadonlySet<string> = new Set(Object.keys(FEED_SCHEMAS));

export class IngestConnection implements IngestPeer, IngestLane {
  readonly id: number;
  readonly ws: WebSocket;
  /** Opened with `?flags=1`: also receives the flags of the streams it sends. */
  readonly wantsFlags: boolean;
  readonly #core: StreamService;
  readonly #limits: Limits;
  readonly #metrics: Metrics;
  readonly #onCutOff: (reason: string) => void;
  /** Messages accepted (queued or in the core) and not yet answered, and their frames' bytes. */
  #inFlight = 0;
  #inFlightBytes = 0;
  #tokens: number;
  #refilledAt = Date.now();
  /** The rate the bucket last refilled at (messages per second): its fair share now. */
  #rate = 1;
  #pausedFor = { inFlight: false, rate: false, cpu: false };
  /** CPU budget in ms (may go negative: then paused until it refills). */
  #cpuMs: number;
  #cpuRefilledAt = performance.now();
  #cpuTimer: NodeJS.Timeout | undefined;
  #resumeTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** The server is draining: every queued message is answered now (with `shutting_down`), whatever the budgets say. */
  #draining = false;
  /** Replies waiting for the end of this event-loop turn. */
  #replies: object[] = [];
  #flushScheduled = false;
  /** Has sent an array frame, so it reads arrays: replies are coalesced into one frame per turn. */
  #speaksArrays = false;

  readonly #budget: IngestBudget;
  /** Which token it authenticated with (a digest prefix, not the token): connections of one token share its cap. */
  readonly #tokenId: string;
  readonly #scheduler: IngestScheduler;
  /** Frames waiting for their turn (the first from `#at`). */
  readonly #queue: { msgs: IngestMessage[]; batch: boolean; bytes: number }[] = [];
  #at = 0;
  /** Measured CPU ms per cost unit (a message's text units + 64): how many messages fit in a slice. */
  #msPerUnit = 0.0005;

  constructor(id: number, ws: WebSocket, wantsFlags: boolean, deps: { core: StreamService; limits: Limits; metrics: Metrics; budget: IngestBudget; scheduler: IngestScheduler; tokenId: string; onCutOff: (reason: string) => void }) {
    this.id = id;
    this.ws = ws;
    this.wantsFlags = wantsFlags;
    this.#core = deps.core;
    this.#limits = deps.limits;
    this.#metrics = deps.metrics;
    this.#onCutOff = deps.onCutOff;
    this.#budget = deps.budget;
    this.#scheduler = deps.scheduler;
    this.#tokenId = deps.tokenId;
    // Empty at connect: burst credit is earned by sending under the rate, not handed out per socket.
    // Full, four flooders opening at once each dumped `rateBurst` (10k) messages into the first second,
    // and every client's ack waited behind the commits they made; reconnecting refilled it at will.
    this.#tokens = 0;
    this.#cpuMs = deps.limits.cpuBurstMs;
  }

  onFrame(data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.send(wireError('binary_frame', 'binary frames are not accepted; send JSON text frames'));
      return;
    }
    const frame = splitFrame(data.toString('utf8'), this.#limits.maxBatch);
    if ('type' in frame) {
      this.send(frame);
      return;
    }
    const valid: IngestMessage[] = [];
    for (let i = 0; i < frame.items.length; i++) {
      const raw = frame.items[i];
      const type = (raw as { type?: unknown } | null)?.type;
      if (typeof type === 'string' && FEED_COMMANDS.has(type) && !Object.hasOwn(INGEST_SCHEMAS, type)) {
        this.send(wireError('forbidden', `type: ${type} is a feed command; an ingest connection sends stream messages only`, { index: frame.batch ? i : undefined }));
        continue;
      }
      const decoded = decodeIngest(raw, frame.batch ? i : undefined);
      if (!decoded.ok) this.send(decoded.error);
      else valid.push(decoded.message);
    }
    // Refused items are answered at once, but still spend tokens: a flood of garbage is paced too.
    this.#refill();
    this.#tokens -= frame.items.length - valid.length;
    if (valid.length === 0) {
      this.#gateRate();
      return;
    }
    // Counted from acceptance, so a connection whose frames wait for their turn stops being read.
    const bytes = Math.ceil((data.length * valid.length) / frame.items.length);
    this.#inFlight += valid.length;
    this.#inFlightBytes += bytes;
    if ((this.#inFlight >= this.#limits.maxInFlight || this.#inFlightBytes >= this.#limits.maxInFlightBytes) && !this.#pausedFor.inFlight) this.#pause('inFlight');
    // At once when nobody waits and the turn has room; otherwise in turn, a time-bounded slice at
    // a time, least-served connection first (ingest-scheduler.ts).
    if (this.#queue.length === 0 && valid.length <= this.#limits.sliceSize && !this.#pausedFor.cpu && !this.#pausedFor.rate && this.#tokens >= valid.length && this.#scheduler.mayRunNow()) {
      this.#tokens -= valid.length;
      this.#scheduler.account(this, this.#process(valid, frame.batch, bytes));
      return;
    }
    this.#queue.push({ msgs: valid, batch: frame.batch, bytes });
    this.#gateRate();
    if (this.pending) this.#scheduler.wake(this);
  }

  /**
   * Has queued messages it may run now. A connection over its CPU budget or waiting for rate tokens
   * waits with its queue: pausing the socket alone stops new frames, while the ones already queued
   * (up to `maxInFlight` messages or `maxInFlightBytes`) would still take the core at full speed.
   */
  get pending(): boolean {
    return this.#queue.length > 0 && !this.#closed && !this.#pausedFor.cpu && !this.#pausedFor.rate;
  }

  /**
   * Messages accepted and not yet answered: queued here, in the core, or answered but waiting for
   * this turn's reply frame (a drain that closed the socket before that frame went out lost it).
   */
  get inFlight(): number {
    return this.#inFlight + this.#replies.length;
  }

  /**
   * The server drains: lifts the rate and CPU pauses, so the queued messages and the frames the
   * client already sent are answered (the core refuses them with `shutting_down`, which costs next
   * to nothing) before the socket closes. Without this a connection over its CPU budget at SIGTERM
   * kept its queue unanswered until the close.
   */
  drain(): void {
    this.#draining = true;
    clearTimeout(this.#resumeTimer);
    clearTimeout(this.#cpuTimer);
    if (this.#pausedFor.rate) this.#resume('rate');
    if (this.#pausedFor.cpu) this.#resume('cpu');
  }

  /** The next messages of the head frame, as many as the measured cost per unit expects to fit in `maxMs`. */
  runSlice(maxMs: number): number {
    const head = this.#queue[0];
    if (!head || this.#closed) return 0;
    // As many as the bucket holds (a draining server answers everything queued, whatever it holds).
    const allowed = this.#draining ? Infinity : Math.floor(this.#refill());
    if (allowed < 1) {
      this.#gateRate();
      return 0;
    }
    let end = this.#at;
    let units = 0;
    const max = Math.min(head.msgs.length, this.#at + this.#limits.sliceSize, this.#at + allowed);
    do units += costUnits(head.msgs[end++]!);
    while (end < max && (units + costUnits(head.msgs[end]!)) * this.#msPerUnit <= maxMs);
    const msgs = this.#at === 0 && end === head.msgs.length ? head.msgs : head.msgs.slice(this.#at, end);
    const bytes = Math.ceil((head.bytes * msgs.length) / head.msgs.length);
    if (end === head.msgs.length) {
      this.#queue.shift();
      this.#at = 0;
    } else this.#at = end;
    this.#tokens -= msgs.length;
    const ms = this.#process(msgs, head.batch, bytes);
    this.#gateRate();
    // A moving average, so one slow slice (a GC, a cold path) does not shrink the next ones for long.
    this.#msPerUnit = this.#msPerUnit * 0.7 + (ms / units) * 0.3;
    return ms;
  }

  /** Sends unless the peer has stopped reading, in which case it is cut off. */
  send(message: object): void {
    if (this.#closed || this.ws.readyState !== this.ws.OPEN) return;
    if ((message as WireError).type === 'error') this.#metrics.errors.inc({ code: (message as WireError).code });
    if (this.ws.bufferedAmount > this.#limits.maxBufferedBytes) {
      this.#cutOff('not_reading');
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  /** A signal serialized once for many connections (shutdown, flag). */
  sendRaw(json: string): void {
    if (this.#closed || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.#limits.maxBufferedBytes) this.#cutOff('not_reading');
    else this.ws.send(json);
  }

  closed(): void {
    this.#closed = true;
    this.#queue.length = 0;
    this.#budget.forget(this);
    this.#scheduler.forget(this);
    clearTimeout(this.#resumeTimer);
    clearTimeout(this.#cpuTimer);
    this.#core.forget(this);
  }

  /** Hands messages to the core; returns the ms that took (scan, escalation, records), before the log. */
  #process(msgs: IngestMessage[], batch: boolean, bytes: number): number {
    if (batch) this.#speaksArrays = true;
    const started = performance.now();
    const replies = this.#core.ingestBatch(msgs, this);
    const ms = performance.now() - started;
    this.#spendCpu(ms);
    replies.then(
      (replies) => this.#done(msgs.length, bytes, replies, started),
      (err: unknown) => this.#done(msgs.length, bytes, msgs.map((m) => wireError('internal', `message not processed: ${(err as Error).message}`, m)), started),
    );
    return ms;
  }

  #done(count: number, bytes: number, replies: object[], started: number): void {
    this.#inFlight -= count;
    this.#inFlightBytes -= bytes;
    this.#metrics.journalCommitSeconds.observe((performance.now() - started) / 1000);
    for (const r of replies) {
      if ((r as WireError).type === 'error') this.#metrics.errors.inc({ code: (r as WireError).code });
      this.#replies.push(r);
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Every batch that became durable in this turn (one journal commit) answers in one frame.
      setImmediate(() => this.#flushReplies());
    }
    if (this.#pausedFor.inFlight && this.#inFlight <= this.#limits.maxInFlight / 2 && this.#inFlightBytes <= this.#limits.maxInFlightBytes / 2) this.#resume('inFlight');
  }

  /** A client that has sent array frames gets its replies as arrays; one that never has, one object per frame. */
  #flushReplies(): void {
    this.#flushScheduled = false;
    const replies = this.#replies;
    this.#replies = [];
    if (this.#speaksArrays) this.sendRaw(JSON.stringify(replies));
    else for (const r of replies) this.sendRaw(JSON.stringify(r));
  }

  /**
   * Token bucket, refilled at the connection's fair share of its own, its token's and the node's
   * caps, up to `rateBurst`; returns the tokens held.
   */
  #refill(): number {
    const now = Date.now();
    this.#rate = this.#budget.rateFor(this, this.#tokenId, now);
    // Credit is earned by sending under the rate: while messages wait, the bucket fills to one slice
    // at most. Otherwise the time a flooder's queue spent behind a busy event loop came back as a
    // burst of up to `rateBurst` messages, just when the node was short of CPU.
    const cap = this.#queue.length > 0 ? Math.min(this.#limits.rateBurst, Math.max(this.#tokens, this.#limits.sliceSize)) : this.#limits.rateBurst;
    this.#tokens = Math.min(cap, this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    this.#refilledAt = now;
    return this.#tokens;
  }

  /**
   * Waits (socket and queue paused) until the bucket holds the head frame's next slice and any debt
   * is paid. Charging a whole frame up front instead let four flooders opening at once each put a
   * 500-message frame through in one go, and every client's ack waited behind the bursts.
   */
  #gateRate(): void {
    if (this.#draining || this.#pausedFor.rate || this.#closed) return;
    const head = this.#queue[0];
    const need = head ? Math.min(this.#limits.sliceSize, head.msgs.length - this.#at, this.#limits.rateBurst) : 0;
    if (this.#tokens >= need) return;
    this.#pause('rate');
    this.#resumeTimer = setTimeout(() => this.#resume('rate'), Math.ceil(((need - this.#tokens) * 1000) / this.#rate));
  }

  /** The core's fan-out of this connection's flags and signals (feed frames) counts against its CPU budget too. */
  charge(ms: number): void {
    this.#spendCpu(ms);
    // And the scheduler's: a connection whose flags cost the fan-out is served after lighter ones.
    this.#scheduler.account(this, ms);
  }

  /**
   * The CPU budget: what processing this connection's messages took, measured, against its fair
   * share of `cpuShare` of a core. Message counts alone let one flag-dense 18k-unit chat line cost
   * as little as "好看"; the time it takes does not.
   */
  #spendCpu(ms: number): void {
    const now = performance.now();
    const msPerSecond = this.#budget.cpuFor(this);
    const { cpuBurstMs } = this.#limits;
    // Owing at most one burst: a slice measured long by a GC, a cold path or a busy machine (wall
    // time) must not pause a light client for seconds.
    this.#cpuMs = Math.max(-cpuBurstMs, Math.min(cpuBurstMs, this.#cpuMs + ((now - this.#cpuRefilledAt) * msPerSecond) / 1000) - ms);
    this.#cpuRefilledAt = now;
    if (this.#cpuMs < 0 && !this.#pausedFor.cpu && !this.#draining) {
      this.#pause('cpu');
      this.#cpuTimer = setTimeout(() => this.#resume('cpu'), Math.ceil((-this.#cpuMs * 1000) / msPerSecond));
    }
  }

  #pause(why: 'inFlight' | 'rate' | 'cpu'): void {
    this.#pausedFor[why] = true;
    this.#metrics.pauses.inc({ reason: why === 'inFlight' ? 'in_flight' : why });
    this.ws.pause();
  }

  #resume(why: 'inFlight' | 'rate' | 'cpu'): void {
    this.#pausedFor[why] = false;
    if (why !== 'inFlight' && this.pending) this.#scheduler.wake(this);
    if (!this.#pausedFor.inFlight && !this.#pausedFor.rate && !this.#pausedFor.cpu && !this.#closed) this.ws.resume();
  }

  #cutOff(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onCutOff(reason);
    // terminate, not close: a peer that does not read would never take the close frame either.
    this.ws.terminate();
  }
}

/** What a message costs to process, roughly: its text's units plus a fixed part (parse, record, ack). */
function costUnits(m: IngestMessage): number {
  return 64 + ('text' in m && typeof m.text === 'string' ? m.text.length : 0);
}
