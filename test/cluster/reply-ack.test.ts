/**
 * Reply, then ack: an owner that dies after storing a message's records but before replying leaves
 * the message unacked, so the next owner gets it again at once and answers the sender (a duplicate,
 * from the seq window rebuilt from the history): the sender waits for a takeover, not for
 * `replyTimeoutMs`, and the message is processed once. The crash is placed exactly with
 * PKGUARD_CLUSTER_FAULT (src/cluster/fault.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { partitionOf } from '../../src/cluster/subjects.js';
import { Client, removeDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { FAST_LEASES, hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

const P = FAST_LEASES.partitions;
/** Long, so a sender left waiting for it fails the test. */
const REPLY_TIMEOUT = 60_000;

let nats: NatsProcess;
let nodes: ServerProcess[] = [];

describe.skipIf(!hasNatsServer)('cluster: reply, then ack', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = [
      await startNode(nats, 'ra-survivor', { replyTimeoutMs: REPLY_TIMEOUT }),
      await startNode(nats, 'ra-victim', { replyTimeoutMs: REPLY_TIMEOUT }, {}, { PKGUARD_CLUSTER_FAULT: 'before_reply:crash-' }),
    ];
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) removeDir(n.dir);
    await nats?.stop();
  }, 60_000);

  test('the owner dies between storing and replying: the next owner answers the sender, the flag is raised once', { timeout: 90_000 }, async () => {
    const [survivor, victim] = nodes as [ServerProcess, ServerProcess];
    const owner = await waitBalanced(nodes, P);
    let stream = '';
    for (let i = 0; !stream; i++) if (owner.get(partitionOf(`crash-${i}`, P)) === victim) stream = `crash-${i}`;
    const feed = await Client.open(survivor.url('/feed', TOKENS.moderator[0]));
    const ingest = await Client.open(survivor.url('/ingest', TOKENS.ingest[0]));
    const t0 = Date.now();
    ingest.send({ type: 'transcript', stream, seq: 1, ts: 1_790_000_000_000, text: '全网最低价' });
    expect(await victim.exited).toBe(null); // killed itself at the fault point
    const reply = await ingest.next((m) => m.stream === stream && m.seq === 1, REPLY_TIMEOUT);
    const waited = Date.now() - t0;
    // Stored before the crash, so the redelivery is a duplicate; what matters is that it came.
    expect(reply).toMatchObject({ type: 'ack', stream, seq: 1, duplicate: true });
    // A lease lapses (3 s) and the survivor rebuilds the partition: seconds, not replyTimeoutMs.
    expect(waited).toBeLessThan(20_000);
    await feed.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === stream);
    const flags = feed.of('flag').filter((m) => (m.flag as { stream: string }).stream === stream);
    expect(flags).toHaveLength(1);
    console.log(`[reply-ack] sender answered ${waited} ms after sending, through the takeover`);
    feed.close();
    ingest.close();
  });
});
