/**
 * The live feed: every flag, level change, shutdown and restore goes out to moderator connections
 * (filtered by their subscription) and shutdown/restore to control connections.
 *
 * Each event is serialized once for all subscribers. A subscriber that stops reading is not allowed
 * to make memory grow: once its socket holds more than `maxBufferedBytes` it is told
 * (`slow_consumer`, with the last flag id sent) and disconnected; it resumes with `since`.
 *
 * `since` replays later flags from the journal while live flags for that subscriber are held back,
 * then releases the held ones above the last replayed id: every flag exactly once, in id order.
 */
import type { WebSocket } from 'ws';
import type { LevelEvent, RestoreEvent, ShutdownEvent } from '../escalate/escalation.js';
import { severityRank, type Flag } from '../flag.js';
import { wireError } from '../protocol/codes.js';
import type { SubscribeCommand } from '../protocol/feed.js';
import type { Role } from '../config.js';
import type { FlagHistory, PkEvent } from '../stream/contracts.js';

/** What a subscribe needs from the server: flag history, the newest flag number, the stream summaries. */
export interface FeedSource {
  history: FlagHistory;
  lastFlagNumber(): number | Promise<number>;
  summaries(): object[];
  /** Escalation thresholds, so a console can scale its risk gauges. */
  thresholds: { watch: number; alert: number; shutdown: number };
}

/** Close code for a client cut off for not reading (4000–4999: application-defined). */
export const CLOSE_SLOW_CONSUMER = 4008;

interface Filter {
  categories: Set<string> | undefined;
  minSeverity: number;
  streams: Set<string> | undefined;
}

export class FeedClient {
  readonly ws: WebSocket;
  readonly role: Exclude<Role, 'ingest'>;
  filter: Filter = { categories: undefined, minSeverity: 0, streams: undefined };
  /** Number of the last flag sent, so a replay and live flags never overlap. */
  lastFlag = 0;
  /** Live flags held while a `since` replay runs. */
  held: { flag: Flag; json: string }[] | undefined;
  /** Counts subscribes, so a newer one stops an older one's replay. */
  generation = 0;
  closed = false;

  constructor(ws: WebSocket, role: Exclude<Role, 'ingest'>) {
    this.ws = ws;
    this.role = role;
  }

  wantsFlag(f: Flag): boolean {
    const { categories, minSeverity, streams } = this.filter;
    return (
      this.role === 'moderator' &&
      (!categories || categories.has(f.category)) &&
      severityRank(f.severity) >= minSeverity &&
      (!streams || (f.stream !== undefined && streams.has(f.stream)))
    );
  }

  wantsStream(stream: string): boolean {
    return !this.filter.streams || this.filter.streams.has(stream);
  }
}

export interface FeedHubOptions {
  maxBufferedBytes: number;
  onSlowConsumer: (client: FeedClient) => void;
}

export class FeedHub {
  readonly #clients = new Set<FeedClient>();
  readonly #opts: FeedHubOptions;

  constructor(opts: FeedHubOptions) {
    this.#opts = opts;
  }

  add(client: FeedClient): void {
    this.#clients.add(client);
  }

  remove(client: FeedClient): void {
    client.closed = true;
    this.#clients.delete(client);
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Applies a subscription. Each subscribe states the client's position afresh: with `since` (or
   * `history`, counted back from the newest flag) it replays the journal (in cluster mode: the events
   * stream) from there under the new filter, then goes live; without either it goes live from now.
   * A console re-subscribes this way when its filter widens. A newer subscribe stops an older replay.
   */
  async subscribe(client: FeedClient, cmd: SubscribeCommand, source: FeedSource): Promise<void> {
    const generation = ++client.generation;
    client.filter = {
      categories: cmd.categories ? new Set(cmd.categories) : undefined,
      minSeverity: cmd.minSeverity ? severityRank(cmd.minSeverity) : 0,
      streams: cmd.streams ? new Set(cmd.streams) : undefined,
    };
    if (client.role !== 'moderator') return;
    const latest = await source.lastFlagNumber();
    if (client.generation !== generation) return;
    const list = source.summaries().filter((s) => client.wantsStream((s as { stream: string }).stream));
    this.#send(client, JSON.stringify({ type: 'streams', streams: list, lastFlag: latest > 0 ? `f${latest}` : null, thresholds: source.thresholds }));
    const after = cmd.since !== undefined ? Number(cmd.since.slice(1)) : cmd.history !== undefined ? Math.max(0, latest - cmd.history) : undefined;
    if (after === undefined) return;
    const oldest = await source.history.retainedFrom();
    if (client.generation !== generation) return;
    if (oldest !== undefined && after + 1 < oldest) {
      // Say so rather than replay silently from later: the moderator asked for flags that are gone.
      this.#send(client, JSON.stringify({ type: 'notice', code: 'history_truncated', message: `flags after f${after} up to f${oldest - 1} were removed by journal retention; replaying from f${oldest}`, firstAvailable: `f${oldest}` }));
    }
    // Live flags for this client wait here while the replay runs (kept if a replay is superseded).
    const held = (client.held ??= []);
    client.lastFlag = after;
    try {
      for await (const { flag, text, prev } of source.history.flagEntriesSince(after)) {
        if (client.closed || client.generation !== generation) return;
        const n = Number(flag.id.slice(1));
        if (n <= client.lastFlag || !client.wantsFlag(flag)) continue;
        client.lastFlag = n;
        if (!this.#send(client, JSON.stringify(prev !== undefined ? { type: 'flag', flag, text, prev } : { type: 'flag', flag, text }))) return;
        if (client.ws.bufferedAmount > this.#opts.maxBufferedBytes / 2) await drained(client.ws);
      }
    } finally {
      if (client.generation === generation) {
        client.held = undefined;
        for (const h of held) if (client.wantsFlag(h.flag)) this.#sendFlag(client, h.flag, h.json);
      }
    }
  }

  /** `text` is the message the flags came from, so the console can show the span in context; `prev` the text before a carried flag. */
  flags(flags: readonly Flag[], text: string, prev?: string): void {
    if (this.#clients.size === 0) return;
    for (const flag of flags) {
      let json: string | undefined;
      for (const c of this.#clients) {
        if (!c.wantsFlag(flag)) continue;
        json ??= JSON.stringify(prev !== undefined && flag.carried !== undefined ? { type: 'flag', flag, text, prev } : { type: 'flag', flag, text });
        if (c.held) c.held.push({ flag, json });
        else this.#sendFlag(c, flag, json);
      }
    }
  }

  level(e: LevelEvent): void {
    this.#broadcast(e.stream, false, () => JSON.stringify({ type: 'level', stream: e.stream, level: e.level, risk: e.risk, ts: e.ts }));
  }

  shutdown(json: string, stream: string): void {
    this.#broadcast(stream, true, () => json);
  }

  pk(e: PkEvent): void {
    this.#broadcast(e.stream, false, () => JSON.stringify(e));
  }

  restore(e: RestoreEvent): void {
    this.#broadcast(e.stream, true, () => JSON.stringify({ type: 'restore', stream: e.stream, ts: e.ts, epoch: e.epoch }));
  }

  /** Sends a message to one client (command results and errors). */
  reply(client: FeedClient, message: object): void {
    this.#send(client, JSON.stringify(message));
  }

  #broadcast(stream: string, control: boolean, json: () => string): void {
    let text: string | undefined;
    for (const c of this.#clients) {
      if ((c.role === 'control' && !control) || !c.wantsStream(stream)) continue;
      this.#send(c, (text ??= json()));
    }
  }

  #sendFlag(c: FeedClient, flag: Flag, json: string): void {
    const n = Number(flag.id.slice(1));
    if (n <= c.lastFlag) return;
    c.lastFlag = n;
    this.#send(c, json);
  }

  /** False when the client was cut off. */
  #send(c: FeedClient, json: string): boolean {
    if (c.closed || c.ws.readyState !== c.ws.OPEN) return false;
    if (c.ws.bufferedAmount > this.#opts.maxBufferedBytes) {
      c.closed = true;
      c.ws.send(
        JSON.stringify(
          wireError('slow_consumer', `feed client fell behind by more than ${this.#opts.maxBufferedBytes} bytes; reconnect and subscribe with since=${c.lastFlag > 0 ? `f${c.lastFlag}` : '<last flag id you received>'}`),
        ),
      );
      this.#opts.onSlowConsumer(c);
      return false;
    }
    c.ws.send(json);
    return true;
  }
}

/** Resolves once the socket's send buffer has drained (or it closed). */
function drained(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (ws.bufferedAmount === 0 || ws.readyState !== ws.OPEN) resolve();
      else setTimeout(check, 5);
    };
    check();
  });
}
