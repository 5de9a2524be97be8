/**
 * A test pipeline over one ingest connection, the simple model a real one follows: a round of
 * messages on fresh streams every `everyMs`, each re-sent until acked (after an error at once,
 * after silence in 20 s). Shared by the cluster fault tests.
 */
import type { Client } from '../server/harness.js';

export const T0 = 1_790_000_000_000;
/** Each raises a flag; two messages per stream stay below shutdown. */
const TEXTS = ['这个真的是销量第一', '全网最低价', '大家加微信', '史上最强', '独家合作', '可以根治鼻炎'];

export interface Sent {
  stream: string;
  seq: number;
  text: string;
  firstSent: number;
  lastSent: number;
  acked?: number;
  /** Got an error: send it again. */
  retry?: boolean;
}

/** A pipeline over one ingest connection: a round of messages every `everyMs`, each re-sent until acked. */
export class Pipeline {
  readonly sent = new Map<string, Sent>();
  readonly errors: Record<string, unknown>[] = [];
  #round = 0;
  #timer: NodeJS.Timeout | undefined;
  #seen = 0;

  constructor(
    readonly client: Client,
    readonly width: number,
    readonly tag: string,
  ) {}

  start(everyMs: number): void {
    this.#timer = setInterval(() => this.#tick(), everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #tick(): void {
    const now = Date.now();
    this.#collect(now);
    this.#round++;
    const gen = Math.floor((this.#round - 1) / 2);
    const seq = ((this.#round - 1) % 2) + 1;
    const batch: object[] = [];
    for (let i = 0; i < this.width; i++) {
      const stream = `${this.tag}-${gen}-${i}`;
      const text = TEXTS[(seq + i) % TEXTS.length]!;
      const s: Sent = { stream, seq, text, firstSent: now, lastSent: now };
      this.sent.set(`${stream}/${seq}`, s);
      batch.push({ type: 'transcript', stream, seq, ts: T0 + this.#round * 100, text });
    }
    // Re-send what got an error or no answer for a while (a pipeline's retry).
    for (const s of this.sent.values()) {
      if (s.acked === undefined && s.lastSent < now - 100 && (s.retry || now - s.lastSent > 20_000)) {
        s.retry = false;
        s.lastSent = now;
        batch.push({ type: 'transcript', stream: s.stream, seq: s.seq, ts: T0, text: s.text });
      }
    }
    if (this.client.ws.readyState === this.client.ws.OPEN) this.client.send(batch);
  }

  /** Re-sends every unacked message now (the end of a run: no new rounds). */
  resend(): void {
    const now = Date.now();
    this.#collect(now);
    const batch: object[] = [];
    for (const s of this.sent.values()) {
      if (s.acked !== undefined || now - s.lastSent < 2000) continue;
      s.lastSent = now;
      s.retry = false;
      batch.push({ type: 'transcript', stream: s.stream, seq: s.seq, ts: T0, text: s.text });
    }
    if (batch.length > 0 && this.client.ws.readyState === this.client.ws.OPEN) this.client.send(batch);
  }

  #collect(now: number): void {
    const got = this.client.received;
    for (; this.#seen < got.length; this.#seen++) {
      const m = got[this.#seen]!;
      const s = this.sent.get(`${m.stream}/${m.seq}`);
      if (!s) continue;
      if (m.type === 'ack') s.acked ??= now;
      else if (m.type === 'error') {
        this.errors.push(m);
        s.retry = true;
      }
    }
  }

  acked(): Sent[] {
    this.#collect(Date.now());
    return [...this.sent.values()].filter((s) => s.acked !== undefined);
  }
}

