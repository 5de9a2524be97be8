/**
 * SIGTERM while NATS is gone: handing the partitions back cannot be done, and the node must still
 * exit (its NATS connections, left reconnecting, kept it alive for good); the leases lapse by themselves.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { removeDir, type ServerProcess } from '../server/harness.js';
import { FAST_LEASES, hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

let nats: NatsProcess | undefined;
let node: ServerProcess | undefined;

describe.skipIf(!hasNatsServer)('cluster: SIGTERM with NATS unreachable', () => {
  afterAll(async () => {
    node?.proc.kill('SIGKILL');
    if (node) removeDir(node.dir);
    await nats?.stop();
  });

  test('the node exits, not waiting for NATS forever', { timeout: 60_000 }, async () => {
    nats = await startNats();
    node = await startNode(nats, 'leaving');
    await waitBalanced([node], FAST_LEASES.partitions);
    await nats.stop();
    const t0 = Date.now();
    const exited = await Promise.race([node.stop(), new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    if (exited === 'still running') console.log(JSON.stringify(node.logs.slice(-8)));
    expect(exited).not.toBe('still running');
    console.log(`exited ${Date.now() - t0} ms after SIGTERM with NATS gone (lease ${FAST_LEASES.leaseTtlMs} ms)`);
  });
});
