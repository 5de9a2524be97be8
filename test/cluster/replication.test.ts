/**
 * Real replication: three nats-servers in one JetStream cluster on loopback, the streams, fences
 * and lease bucket at R3, two pkguard nodes. One nats-server is SIGKILLed while a pipeline sends:
 * nodes fail over to the other servers, and nothing acked is lost or shown twice.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { FAST_LEASES, hasNatsServer, startNatsCluster, startNode, waitBalanced, type NatsProcess } from './harness.js';
import { Pipeline } from './pipeline.js';

const P = FAST_LEASES.partitions;
const flagOf = (m: Record<string, unknown>) => m.flag as { id: string; stream: string; seq: number; term: string; start: number };

let servers: NatsProcess[] = [];
let nodes: ServerProcess[] = [];

describe.skipIf(!hasNatsServer)('cluster on a 3-server NATS cluster (R3)', () => {
  beforeAll(async () => {
    servers = await startNatsCluster(3);
    const urls = servers.map((s) => s.url);
    // Each node prefers a different server first; the one killed below is the first of node A.
    // One after the other: the first creates the R3 streams (elections take a while on a busy machine).
    nodes.push(await startNode(urls.join(','), 'r3-a', { servers: urls, replicas: 3 }));
    nodes.push(await startNode(urls.join(','), 'r3-b', { servers: [urls[1], urls[2], urls[0]], replicas: 3 }));
    await waitBalanced(nodes, P, 60_000);
  }, 120_000);

  afterAll(async () => {
    // SIGTERM, both at once, one of three nats-servers dead: this once took over 60 s (CI, Node 24);
    // node.ts's close is bounded now (exit-bound.test.ts states and checks the bound).
    await Promise.all(nodes.map((n) => n.stop('SIGTERM')));
    for (const n of nodes) removeDir(n.dir);
    await Promise.all(servers.map((s) => s.stop()));
  }, 60_000);

  test('one nats-server SIGKILLed under load: nothing acked lost, nothing twice, ingest goes on', { timeout: 200_000 }, async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const feed = await Client.open(b.url('/feed', TOKENS.moderator[0]));
    const ingest = await Client.open(a.url('/ingest', TOKENS.ingest[0]));
    const pipeline = new Pipeline(ingest, 6, 'r3');
    pipeline.start(150);
    await sleep(4000);
    const killedAt = Date.now();
    const dead = servers[0]!;
    const exited = new Promise((r) => dead.proc.once('exit', r));
    dead.proc.kill('SIGKILL');
    await exited;
    await sleep(15_000);
    pipeline.stop();
    // Every message sent is acked in the end (the pipeline re-sends), through the surviving servers.
    // How soon is not what this checks (the nats-fault tests time recovery): R3 streams led from the
    // dead server re-elect, which took over 55 s once in CI, so the re-sends go on for 90 s.
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline && pipeline.acked().length < pipeline.sent.size) {
      pipeline.resend();
      await sleep(500);
    }
    const acked = pipeline.acked();
    expect(acked.length).toBe(pipeline.sent.size);
    expect(acked.filter((s) => s.acked! > killedAt + 5000).length).toBeGreaterThan(0);
    const flagged = () => new Set(feed.of('flag').map(flagOf).map((f) => `${f.stream}/${f.seq}`));
    for (let i = 0; i < 100 && acked.some((s) => !flagged().has(`${s.stream}/${s.seq}`)); i++) await sleep(100);
    expect(acked.filter((s) => !flagged().has(`${s.stream}/${s.seq}`)).map((s) => `${s.stream}/${s.seq}`)).toEqual([]);
    const keys = feed.of('flag').map(flagOf).map((f) => `${f.stream}/${f.seq}/${f.term}/${f.start}`);
    expect(keys.length - new Set(keys).size).toBe(0);
    console.log(`[replication] acked ${acked.length} messages, ${acked.filter((s) => s.acked! > killedAt).length} after the kill; errors ${pipeline.errors.length} (${[...new Set(pipeline.errors.map((e) => e.code))].join(',')})`);
    feed.close();
    ingest.close();
  });
});
