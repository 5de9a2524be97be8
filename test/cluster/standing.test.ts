/**
 * A standing shutdown told again on `/ingest` in cluster mode, as the embedded server does (the
 * stream core's MessageStep decides it, once per connection and stream; the node's outbox sends
 * it): an ingest connection that sends for a shut-down stream, to the node that owns its partition,
 * hears the shutdown, with its epoch, before the ack; once per connection.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, removeDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { T0 } from './pipeline.js';
import { FAST_LEASES, hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

let nats: NatsProcess;
let node: ServerProcess;

describe.skipIf(!hasNatsServer)('cluster: a standing shutdown on /ingest', () => {
  beforeAll(async () => {
    nats = await startNats();
    node = await startNode(nats, 'standing');
    await waitBalanced([node], FAST_LEASES.partitions);
  }, 90_000);

  afterAll(async () => {
    await node?.stop();
    if (node) removeDir(node.dir);
    await nats?.stop();
  }, 60_000);

  test('a connection sending for a shut-down stream hears the shutdown before its ack, once', { timeout: 60_000 }, async () => {
    const stream = 'standing-1';
    const first = await Client.open(node.url('/ingest', TOKENS.ingest[0]));
    first.send({ type: 'transcript', stream, seq: 1, ts: T0, text: '大家好' });
    await first.ack(stream, 1);
    const moderator = await Client.open(node.url('/feed', TOKENS.moderator[0]));
    moderator.send({ type: 'shutdown', stream, reason: 'test: manual' });
    await moderator.next((m) => m.type === 'ok' && m.command === 'shutdown');
    // The connection that sent for it heard it live; a new one (a reconnect) has not.
    await first.next((m) => m.type === 'shutdown' && m.stream === stream);
    first.close();
    const second = await Client.open(node.url('/ingest', TOKENS.ingest[0]));
    second.send({ type: 'transcript', stream, seq: 2, ts: T0 + 1, text: '大家好' });
    await second.ack(stream, 2);
    second.send({ type: 'transcript', stream, seq: 3, ts: T0 + 2, text: '大家好' });
    await second.ack(stream, 3);
    const frames = second.received.filter((m) => m.stream === stream).map((m) => m.type);
    expect(frames).toEqual(['shutdown', 'ack', 'ack']);
    expect(second.of('shutdown')[0]).toMatchObject({ stream, reason: 'test: manual', epoch: 1, manual: true });
    second.close();
    moderator.close();
  });
});
