/**
 * The `since` replay's reader (src/cluster/range-reader.ts) on a real nats-server, broken on
 * purpose: its consumer deleted under it mid-read, the server paused (SIGSTOP) so requests time
 * out, and paused for longer than it waits. Checked against the model of what was published:
 * every sequence of the range once, in order, or a typed `UnavailableError`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { readRange } from '../../src/cluster/range-reader.js';
import { UnavailableError } from '../../src/errors.js';
import { hasNatsServer, startNats, type NatsProcess } from './harness.js';

const N = 3000;
let nats: NatsProcess;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

describe.skipIf(!hasNatsServer)('range reader', () => {
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url, reconnectTimeWait: 200, maxReconnectAttempts: -1 });
    jsm = await jetstreamManager(nc, { timeout: 1000 });
    js = jetstream(nc, { timeout: 1000 });
    await jsm.streams.add({ name: 'RR', subjects: ['rr.>'] });
    const acks = [];
    for (let i = 1; i <= N; i++) acks.push(js.publish(`rr.${i % 7}`, String(i)));
    await Promise.all(acks);
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  const read = (from: number, to: number, o: { onMessage?: (seq: number) => void | Promise<void>; giveUpMs?: number; retries?: string[] } = {}) =>
    (async () => {
      const seqs: number[] = [];
      for await (const m of readRange({ js, jsm, stream: 'RR', filter: 'rr.>', from, to, batch: 250, fetchMs: 1000, giveUpMs: o.giveUpMs ?? 20_000, onRetry: (r) => o.retries?.push(r) })) {
        expect(Number(m.string())).toBe(m.seq);
        seqs.push(m.seq);
        await o.onMessage?.(m.seq);
      }
      return seqs;
    })();

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  test('its consumer deleted under it twice mid-read: every sequence once, in order', async () => {
    const retries: string[] = [];
    const seqs = await read(101, N, {
      retries,
      onMessage: async (seq) => {
        if (seq !== 800 && seq !== 2000) return;
        for await (const ci of jsm.consumers.list('RR')) await jsm.consumers.delete('RR', ci.name);
      },
    });
    expect(seqs).toEqual(range(101, N));
    expect(retries.length, 'it noticed and started over').toBeGreaterThanOrEqual(2);
    const left = [];
    for await (const ci of jsm.consumers.list('RR')) left.push(ci.name);
    expect(left, 'no consumer left behind').toEqual([]);
  });

  test('the server paused for 3 s mid-read (requests time out): every sequence once, in order', async () => {
    const retries: string[] = [];
    let paused: Promise<void> | undefined;
    const seqs = await read(1, N, {
      retries,
      onMessage: (seq) => {
        if (seq === 1200) paused = nats.pause(3000);
      },
    });
    await paused;
    expect(seqs).toEqual(range(1, N));
    console.log(`[range-reader] paused mid-read: retries ${JSON.stringify(retries)}`);
  });

  test('paused for longer than it waits: UnavailableError (PKG_ERR_UNAVAILABLE), after what it read', async () => {
    const seqs: number[] = [];
    let paused: Promise<void> | undefined;
    const err = await read(1, N, {
      giveUpMs: 2000,
      onMessage: (seq) => {
        seqs.push(seq);
        if (seq === 500) paused = nats.pause(6000);
      },
    }).catch((e: unknown) => e);
    await paused;
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as UnavailableError).code).toBe('PKG_ERR_UNAVAILABLE');
    expect(seqs, 'what came before was in order, with no gap').toEqual(range(1, seqs.length));
  });
});
