/**
 * The live feed: flags, level changes, PK, shutdown and restore go out to moderator connections
 * (filtered by their subscription), shutdown and restore to control connections.
 *
 * Exactly once, in order, on one connection and across resumes:
 * - Live flags are held for a connection from the moment it opens until it goes live: after its
 *   subscribe's state and replay, or, when it never subscribes, after `graceMs`. A client that
 *   opens, waits, then subscribes with `since` so gets every later flag once, in id order.
 * - A connection's position (the last flag sent) never moves back: a `since` or `history` below it
 *   replays only from it, and says so (`position_kept`). To see older flags under a wider filter a
 *   client opens a new connection (the console does).
 * - Nothing is queued without bound: flags held past `maxHeldBytes`, or a socket buffer past
 *   `maxBufferedBytes`, cut the client off with `slow_consumer` naming the last flag it was sent;
 *   it resumes from there with `since`. Replays and state pages go only as fast as the client reads.
 *   Before its first subscribe a client has had no chance to read: what overflows then is dropped
 *   (it is all journaled) and replayed when the connection goes live.
 */
import type { DeclineEvent, LevelEvent, RecommendEvent, RestoreEvent, RetractEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { Flag } from '../flag.js';
import { wireError } from '../protocol/codes.js';
import { flagNumber, type SubscribeCommand } from '../protocol/feed.js';
import type { EndEvent, PkEvent } from '../stream/contracts.js';
import { flagsLiftEnd } from '../stream/ended.js';
import { FeedClient, HeldFlags } from './feed-client.js';
import { MessageText, OutgoingFlag } from './feed-frames.js';
import { FeedStreams, StatePages, type PageLimits, type Signal } from './feed-state.js';
import { shadowFrame, type ShadowOutcome } from '../shadow/shadow-lane.js';

export { FeedClient } from './feed-client.js';

import type { FeedSource } from './feed-source.js';
export type { FeedSource };

/** Close code for a client cut off for not reading (4000–4999: application-defined). */
export const CLOSE_SLOW_CONSUMER = 4008;
/** Close code for a client whose subscribe could not be served: 1013, "try again later". */
export const CLOSE_REPLAY_FAILED = 1013;

export interface FeedHubOptions {
  maxBufferedBytes: number;
  /** Bytes of live flags held for one connection (default: `maxBufferedBytes`). */
  maxHeldBytes?: number;
  /** How long a connection that has not subscribed holds live flags before going live (default 500 ms). */
  graceMs?: number;
  /** Size of a `streams` page (default 500 streams or 64 KiB). */
  pages?: PageLimits;
  onSlowConsumer: (client: FeedClient) => void;
  /**
   * A subscribe's state or replay failed (its source could not read the history): the client was
   * sent an error naming its position and closed with `CLOSE_REPLAY_FAILED` (for logs and metrics).
   */
  onReplayFailed?: (client: FeedClient) => void;
}

export const DEFAULT_GRACE_MS = 500;

/** A client's frames corked in one tick are written at once past this many bytes buffered. */
export const CORK_FLUSH_BYTES = 64 * 1024;

export class FeedHub {
  readonly #clients = new Set<FeedClient>();
  readonly #opts: FeedHubOptions;
  readonly #maxHeld: number;
  readonly #pages: PageLimits;
  /** What the feed has said of each stream: a subscribe's state pages show that, as a client that stayed saw it. */
  readonly #told = new FeedStreams();

  constructor(opts: FeedHubOptions) {
    this.#opts = opts;
    this.#maxHeld = opts.maxHeldBytes ?? opts.maxBufferedBytes;
    this.#pages = opts.pages ?? { streams: 500, bytes: 64 * 1024 };
  }

  /** Takes a new connection: it holds live flags until it subscribes, or goes live after the grace. */
  add(client: FeedClient, source: FeedSource): void {
    client.source = source;
    client.held = new HeldFlags(this.#maxHeld);
    this.#clients.add(client);
    client.grace = setTimeout(() => this.#goLive(client), this.#opts.graceMs ?? DEFAULT_GRACE_MS);
    client.grace.unref?.();
  }

  remove(client: FeedClient): void {
    this.#close(client);
    this.#clients.delete(client);
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Applies a subscription: the filter at once, then the state pages, then (with `since`, or
   * `history` counted back from the newest flag) a replay from the journal (cluster: the events
   * stream) under the filter, then the held live flags. Without a position on a live connection only
   * the filter changes; during a replay, the replay goes on under the new filter. A newer subscribe
   * stops an older one's pages and replay and carries on from where it got to.
   */
  async subscribe(client: FeedClient, cmd: SubscribeCommand): Promise<void> {
    if (client.closed) return;
    this.#endGrace(client);
    const generation = ++client.generation;
    client.setFilter(cmd);
    if (client.role === 'moderator' && (cmd.since !== undefined || cmd.history !== undefined)) {
      // Taken now: a subscribe without a position that overtakes this one still starts from here.
      client.asked = cmd.since !== undefined ? { since: flagNumber(cmd.since) } : { history: cmd.history! };
      // A replay is coming: hold live flags from now, so none overtakes it.
      client.held ??= new HeldFlags(this.#maxHeld);
    }
    await this.#runOrCutOff(client, generation);
  }

  /** `text` is the message the flags came from (sent once per connection); `prev` the text before a carried flag. */
  flags(flags: readonly Flag[], text: string, prev?: string): void {
    // A flag past the end of a stream the feed said ended: it is live again (the console does the same).
    const stream = flags[0]?.stream;
    const end = stream !== undefined ? this.#told.ended(stream) : undefined;
    if (end && flagsLiftEnd(flags, end)) this.#resumed(stream!);
    if (this.#clients.size === 0) return;
    // A page still to come may read ended from the core (an end from before a restart): lifted too.
    if (stream !== undefined) for (const c of this.#clients) c.state?.liftEnd(stream, flags);
    const msg = new MessageText(text);
    for (const flag of flags) {
      let out: OutgoingFlag | undefined;
      for (const c of this.#clients) {
        if (c.closed || !c.wantsFlag(flag)) continue;
        out ??= new OutgoingFlag(flag, msg, prev);
        if (!c.held) this.#sendFlag(c, out);
        else if (!c.held.push(out)) this.#heldOverflow(c);
      }
    }
  }

  level(e: LevelEvent): void {
    this.#broadcast(e, false, () => JSON.stringify({ type: 'level', stream: e.stream, level: e.level, risk: e.risk, ts: e.ts }));
  }

  /**
   * A stream's `end` message was processed (moderators only): `{"type":"end","stream","seq","ts"}`.
   * A frame type older clients skip; the `streams` pages carry `ended` (its time) while it holds.
   */
  end(e: EndEvent): void {
    this.#broadcast(e, false, () => JSON.stringify({ type: 'end', stream: e.stream, seq: e.seq, ts: e.ts }));
  }

  #resumed(stream: string): void {
    const e = { type: 'resumed', stream } as const;
    this.#told.apply(e);
    for (const c of this.#clients) c.state?.apply(e);
  }

  /** `json` is the signal as the ingest connections got it. */
  shutdown(e: ShutdownEvent, json: string): void {
    this.#broadcast(e, true, () => json);
  }

  pk(e: PkEvent): void {
    this.#broadcast(e, false, () => JSON.stringify(e));
  }

  restore(e: RestoreEvent): void {
    this.#broadcast(e, true, () => JSON.stringify({ type: 'restore', stream: e.stream, ts: e.ts, epoch: e.epoch }));
  }

  /** Moderators only: control connections act on shutdowns, and a recommendation is not one until confirmed. */
  recommend(e: RecommendEvent): void {
    this.#broadcast(e, false, () => JSON.stringify({ type: 'recommend', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts }));
  }

  decline(e: DeclineEvent): void {
    this.#broadcast(e, false, () => JSON.stringify({ type: 'decline', stream: e.stream, ts: e.ts }));
  }

  /** A partial hypothesis's flag the final dropped (moderators only; not a state, so no page patch). */
  retract(e: RetractEvent): void {
    let text: string | undefined;
    for (const c of this.#clients) {
      if (c.closed || c.role !== 'moderator' || !c.wantsStream(e.stream)) continue;
      this.#send(c, (text ??= JSON.stringify({ type: 'retract', stream: e.stream, seq: e.seq, flagId: e.flagId, ts: e.ts })));
    }
  }

  /**
   * What the shadow lexicon raised on a message, to moderators that subscribed with `shadow: true`
   * (and whose stream filter takes the stream). Not held or replayed: shadow frames are a live view.
   */
  shadow(o: ShadowOutcome): void {
    let text: string | undefined;
    for (const c of this.#clients) {
      if (c.closed || c.role !== 'moderator' || !c.filter.shadow || !c.wantsStream(o.stream)) continue;
      this.#send(c, (text ??= shadowFrame(o)));
    }
  }

  /** Sends a message to one client (command results and errors). */
  reply(client: FeedClient, message: object): void {
    this.#send(client, JSON.stringify(message));
  }

  /** State pages, replay, held flags: the steps by which a connection goes live. */
  async #run(client: FeedClient, generation: number): Promise<void> {
    const source = client.source!;
    const moderator = client.role === 'moderator';
    const latest = moderator ? await source.lastFlagNumber() : 0;
    if (this.#stale(client, generation)) return;
    let from: number | undefined;
    if (moderator) {
      const asked = client.asked && ('since' in client.asked ? client.asked.since : Math.max(0, source.historyStart ? source.historyStart(latest, client.asked.history) : latest - client.asked.history));
      client.asked = undefined;
      if (asked !== undefined && client.lastFlag !== undefined && asked < client.lastFlag) {
        this.reply(client, {
          type: 'notice',
          code: 'position_kept',
          message: `this connection was already sent flags up to ${client.position}; a subscribe never moves it back. Open a new connection to replay from an earlier flag`,
          position: client.position,
        });
        from = client.lastFlag;
      } else from = asked ?? (client.held ? (client.lastFlag ?? client.droppedAfter) : undefined);
    }
    if (from !== undefined) {
      // The position is taken now, so a subscribe that overtakes this one before its replay starts
      // goes on from here rather than from wherever the connection was.
      client.lastFlag = Math.max(client.lastFlag ?? from, from);
      client.droppedAfter = undefined;
    }

    const summaries = await source.summaries();
    if (this.#stale(client, generation)) return;
    const list = this.#told.over(summaries).filter((s) => client.wantsStream(s.stream) && (moderator || s.level === 'shutdown'));
    const pages = (client.state = new StatePages(list, moderator ? { lastFlag: latest > 0 ? `f${latest}` : null, thresholds: source.thresholds } : {}, !moderator, client.toldShutdown));
    while (!pages.done) {
      const frame = pages.next(this.#pages);
      if ((frame !== undefined && !this.#send(client, frame)) || !(await this.#paced(client, generation))) return;
    }
    client.state = undefined;
    client.toldShutdown = undefined;

    if (from !== undefined && !(await this.#replay(client, generation))) return;

    // Release what was held, still holding what arrives meanwhile; live once the queue is empty.
    const held = client.held;
    if (!held) return;
    for (let o = held.shift(); o; o = held.shift()) {
      if (client.wantsFlag(o.flag) && !this.#sendFlag(client, o)) return;
      if (!(await this.#paced(client, generation))) return;
    }
    client.held = undefined;
  }

  /** Sends the journaled flags after the client's position under its filter; false when stopped. */
  async #replay(client: FeedClient, generation: number): Promise<boolean> {
    const source = client.source!;
    const oldest = await source.history.retainedFrom();
    if (this.#stale(client, generation)) return false;
    const from = client.lastFlag!;
    if (oldest !== undefined && from + 1 < oldest) {
      // Say so rather than replay silently from later: the moderator asked for flags that are gone.
      this.reply(client, { type: 'notice', code: 'history_truncated', message: `flags after f${from} up to f${oldest - 1} were removed by journal retention; replaying from f${oldest}`, firstAvailable: `f${oldest}` });
    }
    let msg: MessageText | undefined;
    for await (const { flag, text, prev } of source.history.flagEntriesSince(from)) {
      if (this.#stale(client, generation)) return false;
      if (!client.wantsFlag(flag)) continue;
      if (!msg || msg.text !== text) msg = new MessageText(text);
      if (!this.#sendFlag(client, new OutgoingFlag(flag, msg, prev))) return false;
      if (!(await this.#paced(client, generation))) return false;
    }
    return !this.#stale(client, generation);
  }

  /** The grace ran out and the client never subscribed: it goes live with the default filter. */
  #goLive(client: FeedClient): void {
    if (client.grace === undefined || client.closed) return;
    client.grace = undefined;
    void this.#runOrCutOff(client, ++client.generation);
  }

  /**
   * Runs a subscribe; if it fails (the history could not be read), the client is told so with its
   * position and disconnected. Left open, it held live flags for good behind the failed replay and
   * heard nothing more: a cluster node joining while its NATS cluster re-elected did that to every
   * `since` (one `internal` error, then silence).
   */
  async #runOrCutOff(client: FeedClient, generation: number): Promise<void> {
    const asked = client.asked && 'since' in client.asked ? client.asked.since : undefined;
    try {
      await this.#run(client, generation);
    } catch (err) {
      if (this.#stale(client, generation)) return;
      const position = client.position ?? (asked !== undefined && asked > 0 ? `f${asked}` : null);
      const code = (err as { code?: unknown }).code === 'PKG_ERR_UNAVAILABLE' ? 'unavailable' : 'internal';
      this.#close(client);
      if (client.ws.readyState === client.ws.OPEN) {
        const message = `replay failed: ${(err as Error).message}; reconnect and subscribe with since=${position ?? '<the last flag id you received>'}`;
        client.ws.send(JSON.stringify({ ...wireError(code, message), lastFlag: position }));
        client.ws.close(CLOSE_REPLAY_FAILED, 'replay failed; resume with since');
      }
      this.#opts.onReplayFailed?.(client);
    }
  }

  #endGrace(client: FeedClient): void {
    clearTimeout(client.grace);
    client.grace = undefined;
  }

  /**
   * Too much held. Before the first subscribe (or the grace's end) the client has had no chance to
   * read: what it held is dropped, as it is all journaled, and replayed when it goes live. Later it
   * is not reading as fast as flags come, and is cut off.
   */
  #heldOverflow(c: FeedClient): void {
    if (c.grace !== undefined) {
      const below = c.held!.drop();
      if (below !== undefined) c.droppedAfter = Math.min(c.droppedAfter ?? below, below);
    } else this.#cutOff(c, `more than ${this.#maxHeld} bytes of flags waited for this client while it subscribed or replayed`);
  }

  #broadcast(e: Signal, control: boolean, json: () => string): void {
    this.#told.apply(e);
    let text: string | undefined;
    for (const c of this.#clients) {
      if (c.closed || !c.wantsStream(e.stream)) continue;
      // State pages still to come must show the stream as it is after this signal.
      c.state?.apply(e);
      if (c.role === 'control' && !control) continue;
      if (c.toldShutdown) {
        if (e.type === 'shutdown') c.toldShutdown.add(e.stream);
        else if (e.type === 'restore') c.toldShutdown.delete(e.stream);
      }
      this.#send(c, (text ??= json()));
    }
  }

  /** Sends a flag unless the connection's position is already past it; false when the client was cut off. */
  #sendFlag(c: FeedClient, o: OutgoingFlag): boolean {
    if (o.n <= (c.lastFlag ?? 0)) return true;
    const ref = c.texts.refFor(o);
    if (!this.#send(c, o.frame(ref))) return false;
    c.lastFlag = o.n;
    if (ref === undefined) c.texts.remember(o);
    return true;
  }

  /**
   * Corks a client's socket until the end of this tick, so every frame it is sent meanwhile leaves
   * in one write: all flags and signals of one journal commit (its batches are published in one
   * run of promise callbacks, and `nextTick` runs after them), not one `writev` per message.
   * One write per flag was the largest cost of a flood's fan-out (100 flags of a dense line to 3
   * moderators, 300 writev calls), and at 50k msg/s about as many feed writes as ack writes.
   * `ws` keeps its socket private (`_socket`); a socket without one (a test's fake) is not corked.
   */
  #corkForTick(c: FeedClient): void {
    if (c.corked) return;
    const socket = socketOf(c);
    if (!socket) return;
    socket.cork();
    c.corked = true;
    if (this.#corked.length === 0) process.nextTick(this.#uncorkAll);
    this.#corked.push(c);
  }

  /** The clients whose sockets are corked in this tick. */
  readonly #corked: FeedClient[] = [];

  readonly #uncorkAll = (): void => {
    for (const c of this.#corked) this.#uncork(c);
    this.#corked.length = 0;
  };

  #uncork(c: FeedClient): void {
    if (!c.corked) return;
    c.corked = false;
    socketOf(c)?.uncork();
  }

  /** False when the client is closed or was cut off. */
  #send(c: FeedClient, json: string): boolean {
    if (c.closed || c.ws.readyState !== c.ws.OPEN) return false;
    if (c.ws.bufferedAmount > this.#opts.maxBufferedBytes) {
      this.#cutOff(c, `feed client fell behind by more than ${this.#opts.maxBufferedBytes} bytes`);
      return false;
    }
    this.#corkForTick(c);
    c.ws.send(json);
    // Enough for one efficient write: out now, so a big commit's fan-out never waits in user space
    // for the tick's end (nor counts toward slow_consumer as if the client had not read it).
    if (c.corked && c.ws.bufferedAmount >= CORK_FLUSH_BYTES) this.#uncork(c);
    return true;
  }

  #cutOff(c: FeedClient, why: string): void {
    const position = c.position;
    this.#close(c);
    if (c.ws.readyState === c.ws.OPEN) {
      const message = `${why}; reconnect and subscribe with since=${position ?? '<the last flag id you received>'}`;
      c.ws.send(JSON.stringify({ ...wireError('slow_consumer', message), lastFlag: position }));
    }
    this.#opts.onSlowConsumer(c);
  }

  #close(c: FeedClient): void {
    c.closed = true;
    this.#endGrace(c);
    c.held = undefined;
    c.state = undefined;
  }

  #stale(c: FeedClient, generation: number): boolean {
    return c.closed || c.generation !== generation;
  }

  /** Lets the client read before sending more; false when stopped meanwhile. */
  async #paced(c: FeedClient, generation: number): Promise<boolean> {
    const high = this.#opts.maxBufferedBytes / 2;
    if (c.ws.bufferedAmount > high) {
      while (c.ws.bufferedAmount > high / 2 && c.ws.readyState === c.ws.OPEN && !this.#stale(c, generation)) await new Promise((r) => setTimeout(r, 5));
    }
    return !this.#stale(c, generation);
  }
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

function socketOf(c: FeedClient): Corkable | undefined {
  const socket = (c.ws as unknown as { _socket?: Corkable })._socket;
  return socket && typeof socket.cork === 'function' ? socket : undefined;
}
