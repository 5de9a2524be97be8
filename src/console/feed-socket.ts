/**
 * The moderator's connection to `/feed`: reconnects by itself with backoff and, on every open,
 * sends the subscribe the console asks for (with `since`, so nothing is lost across a drop or a
 * server restart). A socket that never opens while the server answers `/healthz` means the token
 * was refused (browsers do not expose the 401), which stops the retries.
 */
import { parseFrame, type ServerMessage } from './wire.js';

export type SocketStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface FeedSocketHandlers {
  /** The subscribe to send on (re)open. */
  subscribe(): object;
  message(m: ServerMessage): void;
  status(s: SocketStatus, detail: string): void;
}

const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 5000;

export class FeedSocket {
  readonly #url: string;
  readonly #on: FeedSocketHandlers;
  #ws: WebSocket | undefined;
  #attempt = 0;
  #refusals = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(url: string, handlers: FeedSocketHandlers) {
    this.#url = url;
    this.#on = handlers;
  }

  start(): void {
    this.#stopped = false;
    this.#open();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#ws?.close(1000, 'console closed');
  }

  /** Drops the connection and opens a new one at once (its subscribe starts afresh). */
  reopen(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    const old = this.#ws;
    this.#ws = undefined; // its close event is then ignored
    old?.close(1000, 'reopening');
    this.#attempt = 0;
    this.#open();
  }

  /** Sends a command; false (nothing sent) while disconnected. */
  send(message: object): boolean {
    if (this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(message));
    return true;
  }

  get open(): boolean {
    return this.#ws?.readyState === WebSocket.OPEN;
  }

  #open(): void {
    this.#on.status(this.#attempt === 0 ? 'connecting' : 'reconnecting', this.#attempt === 0 ? 'connecting…' : `reconnecting (attempt ${this.#attempt})…`);
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.#attempt = 0;
      this.#refusals = 0;
      ws.send(JSON.stringify(this.#on.subscribe()));
      this.#on.status('live', 'live');
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      for (const m of parseFrame(ev.data)) this.#on.message(m);
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws || this.#stopped) return;
      this.#ws = undefined;
      if (!opened) void this.#checkRefused();
      else this.#retry(`connection lost (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
    };
  }

  /** A socket that failed before opening: server down (retry) or token refused (stop after two in a row). */
  async #checkRefused(): Promise<void> {
    let serverUp = false;
    try {
      serverUp = (await fetch('/healthz', { cache: 'no-store' })).status === 200;
    } catch {
      serverUp = false;
    }
    if (this.#stopped) return;
    if (serverUp && ++this.#refusals >= 2) {
      this.#on.status('unauthorized', 'the server refused this token');
      return;
    }
    if (!serverUp) this.#refusals = 0;
    this.#retry(serverUp ? 'the server did not accept the connection' : 'server unreachable');
  }

  #retry(why: string): void {
    this.#attempt++;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.#attempt - 1));
    const jittered = delay / 2 + Math.random() * (delay / 2);
    this.#on.status('reconnecting', `${why}; reconnecting in ${(jittered / 1000).toFixed(1)} s`);
    this.#timer = setTimeout(() => this.#open(), jittered);
  }
}
