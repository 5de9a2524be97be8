/**
 * One `/feed` connection as the hub sees it: its role and filter, its position (the last flag it
 * was sent; it never moves back), the live flags held back for it while it subscribes or replays
 * (bounded in bytes), which messages' texts it already has, and the state pages still to send.
 */
import type { WebSocket } from 'ws';
import type { Role } from '../config.js';
import { severityRank, type Flag } from '../flag.js';
import type { SubscribeCommand } from '../protocol/feed.js';
import type { FeedSource } from './feed-source.js';
import { TextMemory, type OutgoingFlag } from './feed-frames.js';
import type { StatePages } from './feed-state.js';

/** What the hub uses of a socket (a test can give it a fake with the same behaviour). */
export type FeedSocket = Pick<WebSocket, 'send' | 'bufferedAmount' | 'readyState' | 'OPEN' | 'close' | 'terminate'>;

interface Filter {
  categories: Set<string> | undefined;
  minSeverity: number;
  streams: Set<string> | undefined;
  /** Asked for `shadow` frames (subscribe `shadow: true`). */
  shadow?: boolean;
}

/**
 * Live flags waiting for one connection, in arrival order. Each costs its frame without the text;
 * a message's text is counted once per run of its flags, as it is sent once.
 */
export class HeldFlags {
  #items: { o: OutgoingFlag; cost: number }[] = [];
  #head = 0;
  bytes = 0;
  readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** False once the queue holds more than its limit. */
  push(o: OutgoingFlag): boolean {
    const last = this.#items[this.#items.length - 1];
    const cost = o.size + (this.length > 0 && last!.o.msg === o.msg ? 0 : o.msg.bytes);
    this.#items.push({ o, cost });
    this.bytes += cost;
    return this.bytes <= this.limit;
  }

  /** Empties the queue; returns the number below the lowest flag it held (undefined when it held none). */
  drop(): number | undefined {
    let low = Infinity;
    for (let i = this.#head; i < this.#items.length; i++) low = Math.min(low, this.#items[i]!.o.n);
    this.#items = [];
    this.#head = 0;
    this.bytes = 0;
    return low === Infinity ? undefined : low - 1;
  }

  shift(): OutgoingFlag | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++]!;
    this.bytes -= item.cost;
    // Compact now and then, so a long-lived queue does not keep what it released.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item.o;
  }
}

export class FeedClient {
  readonly ws: FeedSocket;
  readonly role: Exclude<Role, 'ingest'>;
  filter: Filter = { categories: undefined, minSeverity: 0, streams: undefined };
  /**
   * Number of the last flag sent, or where a `since` put the connection: nothing at or below it is
   * sent again, so it only moves forward. Undefined until the first flag or `since`.
   */
  lastFlag: number | undefined;
  /** Live flags held back: from the moment the connection opens until it goes live, and during every replay. */
  held: HeldFlags | undefined;
  /** The position a subscribe asked for, until the hub has resolved it (`history` needs the newest flag number). */
  asked: { since: number } | { history: number } | undefined;
  /**
   * Set when flags held before the first subscribe were dropped to bound memory: they are in the
   * journal, so going live replays from here instead.
   */
  droppedAfter: number | undefined;
  /** The state pages still to send, patched by signals sent meanwhile. */
  state: StatePages | undefined;
  readonly texts = new TextMemory();
  /** Counts subscribes, so a newer one stops an older one's state pages and replay. */
  generation = 0;
  closed = false;
  /** Its socket is corked until the end of this tick (feed-hub.ts). */
  corked = false;
  /** Set by the hub when it takes the connection. */
  source: FeedSource | undefined;
  /** Pending while the connection has neither subscribed nor gone live by itself. */
  grace: ReturnType<typeof setTimeout> | undefined;
  /**
   * Control clients, until their first state is sent: streams whose shutdown signal went out to
   * them live meanwhile (signals are not held in the grace). Their state leaves those out: a state
   * `shutdown` carries no epoch, so it could not be told from a second shutdown.
   */
  toldShutdown: Set<string> | undefined;

  constructor(ws: FeedSocket, role: Exclude<Role, 'ingest'>) {
    this.ws = ws;
    this.role = role;
    this.toldShutdown = role === 'control' ? new Set() : undefined;
  }

  setFilter(cmd: SubscribeCommand): void {
    this.filter = {
      categories: cmd.categories ? new Set(cmd.categories) : undefined,
      minSeverity: cmd.minSeverity ? severityRank(cmd.minSeverity) : 0,
      streams: cmd.streams ? new Set(cmd.streams) : undefined,
      shadow: cmd.shadow === true,
    };
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

  /** `f123`, or null before the first flag: what a client resumes from. */
  get position(): string | null {
    return this.lastFlag !== undefined && this.lastFlag > 0 ? `f${this.lastFlag}` : null;
  }
}
