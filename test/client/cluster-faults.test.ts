/**
 * Cluster mode: three pkguard nodes on a real `nats-server -js`. A pipeline's `IngestClient` is
 * connected to the node that owns a share of its streams, and that node is SIGKILLed mid-stream:
 * the client reconnects to the next node of its list and re-sends everything unacked; messages
 * forwarded to the dead owner come back `internal` and are retried until a survivor has taken
 * the partition over. Every message is acked exactly once from the caller's view, and a moderator
 * on a surviving node sees exactly the model's flags, each once.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { partitionOf } from '../../src/cluster/subjects.js';
import { IngestClient } from '../../src/index.js';
import { Client, removeDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { smallLexiconDir } from '../stream/embedded.js';
import { FAST_LEASES, hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from '../cluster/harness.js';
import { flagKey, modelFlags, multisetDiff, pipeline, UNPACED, workload } from './harness.js';

const SEED = Number(process.env.CLIENT_FAULT_SEED ?? Date.now() % 1_000_000);
const MESSAGES = Number(process.env.CLIENT_CLUSTER_MESSAGES ?? 10_000);
const STREAMS = 150;
const P = FAST_LEASES.partitions;

const lexicons = smallLexiconDir();
let nats: NatsProcess;
let nodes: ServerProcess[] = [];

describe.skipIf(!hasNatsServer)('IngestClient against a cluster', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = await Promise.all(['a', 'b', 'c'].map((id) => startNode(nats, `node-${id}`, {}, { lexicons, limits: UNPACED })));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) removeDir(n.dir);
    await nats?.stop();
    rmSync(lexicons, { recursive: true, force: true });
  }, 60_000);

  test(`${MESSAGES} messages over ${STREAMS} streams; the node the client is on, owner of some of them, is SIGKILLed (seed ${SEED})`, { timeout: 300_000 }, async () => {
    const owner = await waitBalanced(nodes, P);
    const [a, victim, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const msgs = workload(MESSAGES, STREAMS, SEED, 'k');
    const victimStreams = new Set(msgs.filter((m) => owner.get(partitionOf(m.stream, P)) === victim).map((m) => m.stream));
    expect(victimStreams.size).toBeGreaterThan(10);
    const model = modelFlags(msgs, lexicons);

    const moderator = await Client.open(a.url('/feed', TOKENS.moderator[0]));
    moderator.send({ type: 'subscribe' });
    const url = (n: ServerProcess) => `ws://127.0.0.1:${n.port}`;
    const client = await IngestClient.connect([url(victim), url(a), url(c)], TOKENS.ingest[0]!, { reconnect: { initialMs: 50, maxMs: 500 }, retry: { initialMs: 200, maxMs: 1000 } });

    let killedAt = -1;
    const kill = (async () => {
      while (client.stats.acked < MESSAGES * 0.3) await new Promise((r) => setTimeout(r, 5));
      killedAt = client.stats.acked;
      victim.proc.kill('SIGKILL');
      await victim.exited;
    })();
    const started = performance.now();
    const outcome = await pipeline(client, msgs);
    const seconds = (performance.now() - started) / 1000;
    await kill;
    const closed = await client.close({ timeoutMs: 5000 });

    expect(outcome.wrong).toEqual([]);
    expect(outcome.failures.slice(0, 5)).toEqual([]);
    expect(outcome.acks).toBe(MESSAGES);
    expect(closed).toMatchObject({ drained: true, unacked: [], stats: { acked: MESSAGES, refused: 0, givenUp: 0 } });
    expect(killedAt).toBeLessThan(MESSAGES); // the kill landed mid-stream
    expect(closed.stats.reconnects).toBeGreaterThanOrEqual(1);

    // Every expected flag once on a survivor's feed (flags of the victim's acked messages too: they were in JetStream).
    await moderator.next(() => moderator.of('flag').length >= model.length, 60_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 1000));
    const got = moderator.of('flag').map((m) => flagKey(m.flag as Parameters<typeof flagKey>[0]));
    const diff = multisetDiff(got, model);
    expect({ extra: diff.extra.slice(0, 5), missing: diff.missing.slice(0, 5), counts: [got.length, model.length] }).toEqual({ extra: [], missing: [], counts: [model.length, model.length] });
    moderator.close();
    console.log(`client cluster fault run: ${JSON.stringify({ seed: SEED, messages: MESSAGES, streams: STREAMS, victimStreams: victimStreams.size, killedAtAcked: killedAt, acked: closed.stats.acked, duplicates: closed.stats.duplicates, resent: closed.stats.resent, retried: closed.stats.retried, reconnects: closed.stats.reconnects, flags: model.length, seconds: +seconds.toFixed(1) })}`);
  });
});
