/**
 * Reads a JetStream stream from a sequence on, forever, and recovers by itself: the reader behind
 * every node's `/feed`, `?flags=1` ingest connections and shutdown signals (node.ts).
 *
 * Why not the client's ordered consumer: in @nats-io/jetstream 3.4 an ordered consumer that is
 * recreated after nats-server restarts (its ephemeral consumer is gone) keeps the pull counters of
 * the lost consumer, asks the new one for only `max_messages - stale pending` messages and never
 * pulls again: the server shows `num_waiting: 0` with messages pending, and nothing is reported
 * (reproduced: 19 messages after the restart, then silence). So this reader owns its consumer:
 *
 * - an ephemeral pull consumer (ack none, in memory) starting at the last sequence handed on + 1,
 *   so a new consumer neither skips nor repeats anything;
 * - recreated on every reconnect, on a gap in its delivery sequence (something dropped in transit),
 *   and by a watchdog when no message came for `stallMs` while the consumer has messages pending,
 *   no longer exists, or does not answer while the stream has messages after the last one handed
 *   on (the consumer is R1: on a NATS cluster it dies with its server, and a connection to another
 *   server sees no reconnect);
 * - `stalled` is true from the watchdog's finding until messages flow again (`/healthz` says 503).
 */
import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';

export interface FollowerOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  filter: string;
  /** Called for each message, in stream order, once. */
  onMessage: (m: JsMsg) => void;
  /** Something went wrong and the reader starts over (logged; counted as a restart). */
  onRestart: (reason: string, detail?: string) => void;
  /** A pending message not delivered for this long counts as a stall. */
  stallMs?: number;
}

export class StreamFollower {
  readonly #o: FollowerOptions;
  readonly #stallMs: number;
  /** The last stream sequence handed to `onMessage`. */
  #lastSeq = 0;
  #lastDelivery = 0;
  #lastProgress = Date.now();
  #iter: ConsumerMessages | undefined;
  #consumer: string | undefined;
  #gen = 0;
  #restarting: Promise<void> | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #checking = false;
  #closed = false;
  #stalled = false;
  restarts = 0;

  constructor(o: FollowerOptions) {
    this.#o = o;
    this.#stallMs = o.stallMs ?? 3000;
  }

  /** True while messages are pending that the reader has not been handed for `stallMs`. */
  get stalled(): boolean {
    return this.#stalled;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Starts after the stream's current last message (new messages only). */
  async start(): Promise<void> {
    this.#lastSeq = (await this.#o.jsm.streams.info(this.#o.stream)).state.last_seq;
    await this.#open();
    void (async () => {
      for await (const st of this.#o.nc.status()) {
        if (this.#closed) break;
        if (st.type === 'reconnect') this.restart('reconnect');
      }
    })().catch(() => {});
    this.#watchdog = setInterval(() => void this.#check(), Math.max(250, Math.floor(this.#stallMs / 3)));
    this.#watchdog.unref();
  }

  async stop(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#iter?.stop();
    await this.#restarting?.catch(() => {});
    this.#deleteConsumer();
  }

  /** Drops the current consumer and opens a new one after the last message handed on. */
  restart(reason: string, detail?: string): void {
    if (this.#closed || this.#restarting) return;
    this.restarts++;
    this.#o.onRestart(reason, detail);
    this.#gen++;
    this.#iter?.stop();
    this.#iter = undefined;
    this.#deleteConsumer();
    this.#restarting = (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#open();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        }
      }
    })().finally(() => (this.#restarting = undefined));
  }

  async #open(): Promise<void> {
    const o = this.#o;
    const gen = this.#gen;
    const ci = await o.jsm.consumers.add(o.stream, {
      filter_subject: o.filter,
      ack_policy: AckPolicy.None,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#lastSeq + 1,
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(60_000),
    });
    if (gen !== this.#gen || this.#closed) {
      void o.jsm.consumers.delete(o.stream, ci.name).catch(() => {});
      return;
    }
    this.#consumer = ci.name;
    this.#lastDelivery = 0;
    this.#lastProgress = Date.now();
    const consumer = await o.js.consumers.get(o.stream, ci.name);
    const iter = await consumer.consume({ max_messages: 2000, expires: 10_000 });
    if (gen !== this.#gen || this.#closed) {
      iter.stop();
      return;
    }
    this.#iter = iter;
    void this.#run(iter, gen);
  }

  async #run(iter: ConsumerMessages, gen: number): Promise<void> {
    try {
      for await (const m of iter) {
        if (gen !== this.#gen) break;
        const d = m.info.deliverySequence;
        if (d !== this.#lastDelivery + 1) {
          // A message was lost between the server and us: start over after the last one handed on.
          this.restart('delivery_gap', `expected delivery ${this.#lastDelivery + 1}, got ${d}`);
          break;
        }
        this.#lastDelivery = d;
        this.#lastProgress = Date.now();
        this.#stalled = false;
        if (m.seq <= this.#lastSeq) continue;
        this.#lastSeq = m.seq;
        this.#o.onMessage(m);
      }
    } catch (err) {
      if (gen === this.#gen) this.restart('consumer_failed', (err as Error).message);
    }
  }

  /** The watchdog: no progress for a while, yet the consumer has work (or is gone): start over. */
  async #check(): Promise<void> {
    if (this.#closed || this.#restarting || this.#checking || !this.#consumer) return;
    if (Date.now() - this.#lastProgress < this.#stallMs) return;
    if (this.#o.nc.isClosed()) return;
    this.#checking = true;
    const gen = this.#gen;
    try {
      const info = await this.#o.jsm.consumers.info(this.#o.stream, this.#consumer);
      if (gen !== this.#gen) return;
      // nats-server 2.9 undercounts num_pending on a filtered consumer started at a sequence, so
      // "0 pending" is checked against the stream itself.
      if (info.num_pending > 0 || info.num_ack_pending > 0 || (await this.#streamHasMore())) {
        if (gen !== this.#gen) return;
        this.#stalled = true;
        this.restart('stalled', `${info.num_pending} pending, ${info.num_waiting} pull requests waiting`);
      } else this.#lastProgress = Date.now(); // idle, and fine
    } catch (err) {
      if (gen !== this.#gen) return;
      const message = (err as Error).message;
      // Gone, or unanswerable while the stream has events past ours: our R1 consumer lived on a
      // server that died, and our own connection (to another server) sees no reconnect.
      const lost = /not found/i.test(message);
      if (lost || (await this.#streamHasMore())) {
        if (gen !== this.#gen) return;
        this.#stalled = true;
        this.restart(lost ? 'consumer_lost' : 'consumer_unreachable', message);
      }
      // Otherwise NATS is unreachable: the reconnect (or the next check) restarts the reader.
    } finally {
      this.#checking = false;
    }
  }

  /** True if the stream holds a message for the filter after the last one handed on (false if it cannot say). */
  async #streamHasMore(): Promise<boolean> {
    try {
      // The newest message the filter takes (not the stream's last: other subjects may be in it).
      const last = await this.#o.jsm.streams.getMessage(this.#o.stream, { last_by_subj: this.#o.filter });
      return (last?.seq ?? 0) > this.#lastSeq;
    } catch {
      return false;
    }
  }

  #deleteConsumer(): void {
    const name = this.#consumer;
    this.#consumer = undefined;
    if (name && !this.#o.nc.isClosed()) void this.#o.jsm.consumers.delete(this.#o.stream, name).catch(() => {});
  }
}
