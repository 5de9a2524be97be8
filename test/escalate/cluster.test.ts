/**
 * Retract and recommend in cluster mode: two pkguard nodes on a real `nats-server -js`, in
 * recommend mode. A partial's flag the final drops is retracted on every node's feed under the id
 * JetStream gave it; a recommendation made on the owner reaches moderators on the other node, and
 * survives the owner's SIGKILL: the node that takes the partition over replays it from JetStream,
 * so a confirm sent afterwards becomes the shutdown.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { partitionOf } from '../../src/cluster/subjects.js';
import { Client, removeDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { FAST_LEASES, hasNatsServer, health, startNats, startNode, waitBalanced, type NatsProcess } from '../cluster/harness.js';

const P = FAST_LEASES.partitions;
let nats: NatsProcess;
let nodes: ServerProcess[] = [];

describe.skipIf(!hasNatsServer)('escalation across cluster nodes', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = await Promise.all(['x', 'y'].map((id) => startNode(nats, `node-${id}`, {}, { escalation: { mode: 'recommend' } })));
  }, 120_000);

  afterAll(async () => {
    for (const n of nodes) {
      await n.stop('SIGKILL');
      removeDir(n.dir);
    }
    await nats?.stop();
  });

  test('retract and recommend reach the other node; a recommendation survives the owner’s SIGKILL and is confirmed on the survivor', { timeout: 180_000 }, async () => {
    const owner = await waitBalanced(nodes, P);
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const ownedBy = (node: ServerProcess, prefix: string) => {
      for (let i = 0; ; i++) if (owner.get(partitionOf(`${prefix}-${i}`, P)) === node) return `${prefix}-${i}`;
    };
    const asr = ownedBy(a, 'asr');
    const rec = ownedBy(a, 'rec');
    const feedB = await Client.open(b.url('/feed', TOKENS.moderator[0]));
    feedB.send({ type: 'subscribe' });
    await feedB.next((m) => m.type === 'streams' && m.done === true);
    const ingest = await Client.open(b.url('/ingest', TOKENS.ingest[0])); // not the owner: forwarded
    const ts = Date.now();

    ingest.send({ type: 'transcript', stream: asr, seq: 1, ts, text: '吃了这个能抗癌', final: false });
    await ingest.ack(asr, 1, 30_000);
    const flag = (await feedB.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === asr, 30_000)).flag as { id: string; partial?: boolean };
    expect(flag.partial).toBe(true);
    ingest.send({ type: 'transcript', stream: asr, seq: 1, ts: ts + 500, text: '吃了这个能抗寒', final: true });
    await ingest.ack(asr, 1, 30_000);
    expect(await feedB.next((m) => m.type === 'retract' && m.stream === asr, 30_000)).toMatchObject({ flagId: flag.id, seq: 1 });

    ingest.send({ type: 'transcript', stream: rec, seq: 1, ts, text: 'this tea can cure cancer' });
    await ingest.ack(rec, 1, 30_000);
    const recommend = await feedB.next((m) => m.type === 'recommend' && m.stream === rec, 30_000);
    const recFlag = (await feedB.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === rec)).flag as { id: string };
    expect(recommend.flagIds).toEqual([recFlag.id]); // the id JetStream gave it, not the provisional one

    // The owner dies; node b takes its partitions over from JetStream.
    await a.stop('SIGKILL');
    const deadline = Date.now() + 60_000;
    while ((await health(b)).cluster.partitions.length < P) {
      if (Date.now() > deadline) throw new Error('no takeover');
      await new Promise((r) => setTimeout(r, 250));
    }
    const control = await Client.open(b.url('/feed', TOKENS.control[0]));
    control.send({ type: 'subscribe' });
    feedB.send({ type: 'confirm', stream: rec });
    const ok = await feedB.next((m) => (m.type === 'ok' || m.type === 'error') && (m.command === 'confirm' || m.stream === rec), 30_000);
    expect(ok).toMatchObject({ type: 'ok', command: 'confirm', stream: rec });
    expect(ok.noop).toBeUndefined(); // the replayed partition still held the recommendation
    expect(await control.next((m) => m.type === 'shutdown' && m.stream === rec, 30_000)).toMatchObject({ confirmed: true, flagIds: [recFlag.id] });
    for (const c of [feedB, ingest, control]) c.close();
  });
});
