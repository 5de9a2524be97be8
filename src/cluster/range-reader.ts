/**
 * Reads a stretch of a JetStream stream, from one sequence up to another, each message once and in
 * order, and recovers by itself: the reader behind a cluster node's `since` replay (node.ts
 * `flagEntriesSince`).
 *
 * Why not the client's ordered consumer (used before): on an R3 cluster one nats-server short, a
 * joining node's replay failed on its first JetStream request (`timeout` during the elections) and
 * the connection then stayed silent: 5 of 9 local runs of the old exit-bound replay check. A reset
 * ordered consumer can stop pulling for good (follower.ts). So, as the follower does, this reader
 * owns its consumer:
 *
 * - an ephemeral consumer (ack none, in memory, R1) at the next sequence wanted;
 * - read with bounded fetches: a fetch ends by itself after `fetchMs`, so a lost pull request or a
 *   consumer that died with its server costs one fetch, never the replay;
 * - any failure, a gap in the delivery sequence, or a fetch that brings nothing while messages
 *   remain: a fresh consumer after the last message handed on (so nothing skipped, nothing twice);
 * - gives up with `UnavailableError` only after `giveUpMs` without a message handed on.
 */
import { AckPolicy, DeliverPolicy, type Consumer, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { UnavailableError } from '../errors.js';
import { backoffMs, GIVE_UP_MS, sleep } from './retry.js';

export interface RangeReadOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  /** Must take the message at `to` (on the events stream `<prefix>.ev.>` takes every message). */
  filter: string;
  from: number;
  to: number;
  /** Messages asked for per fetch (default 1000). */
  batch?: number;
  /** How long one fetch waits for its messages (default 3 s). */
  fetchMs?: number;
  giveUpMs?: number;
  /** The reader starts over with a fresh consumer: `reason` is a word, `detail` the error. */
  onRetry?: (reason: string, detail: string) => void;
}

/** Messages `from`..`to` under the filter, in stream order, each once. */
export async function* readRange(o: RangeReadOptions): AsyncGenerator<JsMsg> {
  const giveUpMs = o.giveUpMs ?? GIVE_UP_MS;
  let next = Math.max(1, o.from);
  let progressAt = Date.now();
  let attempt = 0;
  let consumer: Consumer | undefined;
  /** The consumer's last delivery sequence: they count from 1 per consumer, across its fetches. */
  let delivered = 0;
  try {
    while (next <= o.to) {
      try {
        if (!consumer) {
          consumer = await openAt(o, next);
          delivered = 0;
        }
        const iter = await consumer.fetch({ max_messages: o.batch ?? 1000, expires: o.fetchMs ?? 3000 });
        let got = 0;
        try {
          for await (const m of iter) {
            // A hole in the delivery sequence: a message was lost between the server and us.
            if (m.info.deliverySequence !== delivered + 1) throw new Error(`delivery gap: expected ${delivered + 1}, got ${m.info.deliverySequence}`);
            delivered = m.info.deliverySequence;
            if (m.seq < next) continue;
            next = m.seq + 1;
            got++;
            progressAt = Date.now();
            attempt = 0;
            yield m;
            progressAt = Date.now(); // the time a slow client took to read it is not the server's
            if (next > o.to) break;
          }
        } finally {
          iter.stop();
        }
        if (got === 0 && next <= o.to) throw new Error(`a fetch brought nothing; ${o.to - next + 1} sequences to go`);
      } catch (err) {
        const message = (err as Error).message;
        if (Date.now() - progressAt >= giveUpMs) throw new UnavailableError(`reading ${o.stream} from ${next} to ${o.to}`, giveUpMs, err);
        o.onRetry?.(reasonOf(message), message);
        drop(consumer);
        consumer = undefined;
        await sleep(backoffMs(attempt++));
      }
    }
  } finally {
    drop(consumer);
  }
}

async function openAt(o: RangeReadOptions, seq: number): Promise<Consumer> {
  const ci = await o.jsm.consumers.add(o.stream, {
    filter_subject: o.filter,
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: seq,
    mem_storage: true,
    num_replicas: 1,
    // A reader that stops reading (its client paused) leaves nothing behind for long.
    inactive_threshold: nanos(60_000),
  });
  try {
    return await o.js.consumers.get(o.stream, ci.name);
  } catch (err) {
    void o.jsm.consumers.delete(o.stream, ci.name).catch(() => {});
    throw err;
  }
}

function drop(consumer: Consumer | undefined): void {
  if (consumer) void consumer.delete().catch(() => {});
}

function reasonOf(message: string): string {
  if (/timeout/i.test(message)) return 'timeout';
  if (/not found/i.test(message)) return 'consumer_lost';
  if (/delivery gap/.test(message)) return 'delivery_gap';
  if (/brought nothing/.test(message)) return 'stalled';
  return 'failed';
}
