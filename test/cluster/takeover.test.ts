/**
 * A SIGKILLed node's partitions are taken over without waiting out its leases: its NATS connection
 * closes with the process, the survivor's liveness probe gets "no responders" (liveness.ts) and
 * evicts it, and a message sent for one of its streams the moment it died is acked by the new
 * owner. Default lease times (6 s), so a takeover by lease expiry would show. The time from the
 * SIGKILL to the ack is printed (bench/cluster/takeover.ts measures it with a long history).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { partitionOf } from '../../src/cluster/subjects.js';
import { Client, removeDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { T0 } from './pipeline.js';
import { hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

const P = 16;
const DEFAULT_LEASES = { partitions: P, leaseTtlMs: 6000, renewMs: 2000 };
let nats: NatsProcess;
let nodes: ServerProcess[] = [];

describe.skipIf(!hasNatsServer)('cluster: SIGKILL takeover', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = await Promise.all(['survivor', 'victim'].map((id) => startNode(nats, `takeover-${id}`, DEFAULT_LEASES)));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) removeDir(n.dir);
    await nats?.stop();
  }, 60_000);

  test('the survivor evicts the dead node and acks a message for its stream', { timeout: 90_000 }, async () => {
    const [survivor, victim] = nodes as [ServerProcess, ServerProcess];
    const owner = await waitBalanced(nodes, P);
    let stream = '';
    for (let i = 0; !stream; i++) if (owner.get(partitionOf(`orphan-${i}`, P)) === victim) stream = `orphan-${i}`;
    const ingest = await Client.open(survivor.url('/ingest', TOKENS.ingest[0]));
    const logsAt = survivor.logs.length;
    const killed = Date.now();
    victim.proc.kill('SIGKILL');
    ingest.send({ type: 'transcript', stream, seq: 1, ts: T0, text: '全网最低价' });
    expect(await ingest.ack(stream, 1, 30_000)).toEqual({ type: 'ack', stream, seq: 1 });
    const ms = Date.now() - killed;
    const logs = survivor.logs.slice(logsAt);
    const evicted = logs.findIndex((l) => l.event === 'node_evicted' && l.node === 'takeover-victim');
    const started = logs.findIndex((l) => l.event === 'partition_started' && l.partition === partitionOf(stream, P));
    expect(evicted, 'the survivor found the victim dead by its closed connection').toBeGreaterThanOrEqual(0);
    expect(started).toBeGreaterThan(evicted);
    expect(logs.some((l) => l.event === 'lease_lost')).toBe(false);
    console.log(`SIGKILL → ack of a message for the dead node's stream: ${ms} ms (lease ${DEFAULT_LEASES.leaseTtlMs} ms)`);
    ingest.close();
  });
});
