/**
 * JetStream publishes whose acks come back on one wildcard inbox subscription per connection,
 * matched by a token in the reply subject, with one sweep for timeouts. `js.publish` made each
 * publish a nats.js request: a promise, a timer, an Error with a stack trace (`RequestError`) and a
 * mux entry per publish, ~1 % of a loaded cluster node's CPU in the Error alone (bench/README,
 * session 14). Same outcome as `js.publish`: resolves to the PubAck, rejects with the server's
 * error description (e.g. "wrong last sequence: 12", which fencing reads), "no responders" when no
 * stream takes the subject, "timeout" after `timeoutMs`.
 */
import { createInbox, headers, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

export interface PublishOptions {
  /** `Nats-Msg-Id`: a re-sent publish within the stream's duplicate window stores nothing. */
  msgID?: string;
  /** `Nats-Expected-Last-Subject-Sequence`: refused unless the subject's last message has it. */
  expect?: number;
  headers?: MsgHdrs;
}

/** The PubAck or the error, as JetStream's reply body says. */
interface Reply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

interface Waiting {
  resolve: (a: PubAck) => void;
  reject: (e: Error) => void;
  by: number;
}

/** How often unanswered publishes are checked for their timeout. */
const SWEEP_MS = 250;

export class PubAcks {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<string, Waiting>();
  readonly #sub: Subscription;
  readonly #sweep: NodeJS.Timeout;
  #next = 0;

  /** `timeoutMs`: as nats.js's JetStream client's default. */
  constructor(nc: NatsConnection, timeoutMs = 5000) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    this.#prefix = createInbox();
    const cut = this.#prefix.length + 1;
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, m) => {
        if (err) return;
        const token = m.subject.slice(cut);
        const w = this.#waiting.get(token);
        if (!w) return; // timed out already
        this.#waiting.delete(token);
        if (m.headers?.code === 503) return w.reject(new Error('no responders: no stream takes this subject'));
        let r: Reply;
        try {
          r = m.json<Reply>();
        } catch {
          return w.reject(new Error('invalid ack response'));
        }
        if (r.error) return w.reject(new Error(r.error.description ?? `JetStream error ${r.error.err_code ?? r.error.code}`));
        if (typeof r.seq !== 'number' || !r.stream) return w.reject(new Error('invalid ack response'));
        w.resolve({ stream: r.stream, seq: r.seq, duplicate: r.duplicate === true });
      },
    });
    this.#sweep = setInterval(() => this.#expire(Date.now()), SWEEP_MS);
    this.#sweep.unref();
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  publish(subject: string, body: string | Uint8Array, opts: PublishOptions = {}): Promise<PubAck> {
    let h = opts.headers;
    if (opts.msgID !== undefined || opts.expect !== undefined) {
      h ??= headers();
      if (opts.msgID !== undefined) h.set('Nats-Msg-Id', opts.msgID);
      if (opts.expect !== undefined) h.set('Nats-Expected-Last-Subject-Sequence', String(opts.expect));
    }
    const token = (this.#next++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      try {
        this.#nc.publish(subject, body, { reply: `${this.#prefix}.${token}`, ...(h ? { headers: h } : {}) });
      } catch (err) {
        return reject(err as Error); // closed or draining connection
      }
      this.#waiting.set(token, { resolve, reject, by: Date.now() + this.#timeoutMs });
    });
  }

  #expire(now: number): void {
    // Insertion order is send order, and every publish has the same timeout: stop at the first not due.
    for (const [token, w] of this.#waiting) {
      if (w.by > now) break;
      this.#waiting.delete(token);
      w.reject(new Error('timeout'));
    }
  }

  /** Fails what is still waiting (the connection is going) and stops. */
  close(): void {
    clearInterval(this.#sweep);
    for (const w of this.#waiting.values()) w.reject(new Error('closed connection'));
    this.#waiting.clear();
    try {
      this.#sub.unsubscribe();
    } catch {
      /* the connection is closed already */
    }
  }
}
