/**
 * PubAcks against a real nats-server: each outcome `js.publish` had (stored, duplicate, refused on
 * the expected sequence, no stream, no answer, connection going) comes back to its own publish.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { PubAcks } from '../../src/cluster/pub-acks.js';
import { hasNatsServer, startNats, stopProcess, type NatsProcess } from './harness.js';

let nats: NatsProcess;
let nc: NatsConnection;

describe.skipIf(!hasNatsServer)('PubAcks', () => {
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'PA', subjects: ['pa.>'], retention: RetentionPolicy.Limits, storage: StorageType.File, duplicate_window: 60e9 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });

  test('stored, duplicate, refused on the expected sequence, no stream: each to its own publish, many in flight', async () => {
    const acks = new PubAcks(nc);
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => acks.publish(`pa.${i % 7}`, `m${i}`)));
    expect(many.map((a) => a.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const first = await acks.publish('pa.id', 'x', { msgID: 'one' });
    expect(first).toEqual({ stream: 'PA', seq: 201, duplicate: false });
    expect(await acks.publish('pa.id', 'x', { msgID: 'one' })).toEqual({ stream: 'PA', seq: 201, duplicate: true });
    expect((await acks.publish('pa.id', 'y', { expect: 201 })).seq).toBe(202);
    await expect(acks.publish('pa.id', 'z', { expect: 201 })).rejects.toThrow(/wrong last sequence: 202/);
    await expect(acks.publish('nostream.x', 'z')).rejects.toThrow(/no responders/);
    expect(acks.waiting).toBe(0);
    acks.close();
  });

  test('no answer (nats-server paused): "timeout" after the bound; close fails what waits', async () => {
    const acks = new PubAcks(nc, 600);
    await stopProcess(nats.proc);
    try {
      const t0 = Date.now();
      await expect(acks.publish('pa.t', 'late')).rejects.toThrow(/^timeout$/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
      const waiting = acks.publish('pa.t', 'closed');
      acks.close();
      await expect(waiting).rejects.toThrow(/closed connection/);
    } finally {
      nats.proc.kill('SIGCONT');
    }
  });
});
