/**
 * A SIGTERMed node exits within a stated bound whatever NATS does: every NATS step of its leaving
 * (hand-back, the drain of its connections) is raced against a bound (node.ts `close`), then the
 * connections are closed. Broken on purpose: one of three nats-servers of an R3 cluster killed
 * under load and two nodes SIGTERMed at once (this took over 60 s in CI on Node 24), and a node
 * whose only nats-server is paused (SIGSTOP).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { FAST_LEASES, hasNatsServer, startNats, startNatsCluster, startNode, waitBalanced, type NatsProcess } from './harness.js';
import { Pipeline } from './pipeline.js';

const P = FAST_LEASES.partitions;
/** The in-flight wait of the drain (service.ts), kept short here. */
const DRAIN_MS = 2000;
/**
 * The exit bound: the in-flight wait, then node.ts's bound on leaving (3 lease times and 1 s: 2 to
 * hand back, the rest to stop or drain, 1 s to close), plus 3 s of slack for a loaded machine.
 */
const EXIT_BOUND_MS = DRAIN_MS + 3 * FAST_LEASES.leaseTtlMs + 1000 + 3000;
const LIMITS = { limits: { drainMs: DRAIN_MS } };
const flagOf = (m: Record<string, unknown>) => m.flag as { id: string; stream: string; seq: number };

let servers: NatsProcess[] = [];
let nodes: ServerProcess[] = [];

async function timedStop(n: ServerProcess, t0: number): Promise<number> {
  const exited = await Promise.race([n.stop('SIGTERM'), sleep(60_000).then(() => 'still running' as const)]);
  if (exited === 'still running') console.log(JSON.stringify(n.logs.filter((l) => l.event !== 'log_write_failed').slice(-14).map((l) => [l.time, l.event, l.msg])));
  expect(exited, 'exited at all').not.toBe('still running');
  return Date.now() - t0;
}

describe.skipIf(!hasNatsServer)('cluster: a SIGTERMed node exits within its bound', () => {
  afterAll(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    for (const n of nodes) removeDir(n.dir);
    await Promise.all(servers.map((s) => s.stop()));
  }, 60_000);

  test('R3 cluster, one nats-server SIGKILLed under load, two nodes SIGTERMed at once: both exit in time', { timeout: 240_000 }, async () => {
    servers = await startNatsCluster(3);
    const urls = servers.map((s) => s.url);
    nodes.push(await startNode(urls.join(','), 'exit-a', { servers: urls, replicas: 3 }, LIMITS));
    nodes.push(await startNode(urls.join(','), 'exit-b', { servers: [urls[1], urls[2], urls[0]], replicas: 3 }, LIMITS));
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    await waitBalanced(nodes, P, 60_000);
    const ingest = await Client.open(a.url('/ingest', TOKENS.ingest[0]));
    const pipeline = new Pipeline(ingest, 6, 'exit');
    pipeline.start(100);
    await sleep(3000);
    const dead = servers[0]!;
    const killed = new Promise((r) => dead.proc.once('exit', r));
    dead.proc.kill('SIGKILL');
    await killed;
    await sleep(1500); // the nodes are reconnecting or have moved to the others; ingest goes on
    const t0 = Date.now();
    const took = await Promise.all([timedStop(a, t0), timedStop(b, t0)]);
    pipeline.stop();
    console.log(`[exit-bound] R3, one nats-server dead: exited ${took.join(', ')} ms after SIGTERM (bound ${EXIT_BOUND_MS} ms)`);
    for (const ms of took) expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(pipeline.acked().length, 'messages were acked before the exit').toBeGreaterThan(20);
    // Not checked here: that a fresh node replays every acked flag. A node joining while the R3
    // streams are one peer short sometimes never answers a `since` subscribe (no flag in 100 s over
    // four connections; another run replayed all on the second): a finding for the cluster feed,
    // not for the exit. replication.test.ts checks nothing acked is lost after the same kill.
  });

  test('its only nats-server paused (SIGSTOP): the node exits in time', { timeout: 120_000 }, async () => {
    const nats = await startNats();
    servers.push(nats);
    const n = await startNode(nats, 'exit-paused', {}, LIMITS);
    nodes.push(n);
    await waitBalanced([n], P);
    const ingest = await Client.open(n.url('/ingest', TOKENS.ingest[0]));
    const pipeline = new Pipeline(ingest, 4, 'paused');
    pipeline.start(100);
    await sleep(1000);
    nats.proc.kill('SIGSTOP'); // stays paused until afterAll's stop (SIGCONT, SIGTERM)
    await sleep(300);
    const t0 = Date.now();
    const took = await timedStop(n, t0);
    pipeline.stop();
    console.log(`[exit-bound] nats-server paused: exited ${took} ms after SIGTERM (bound ${EXIT_BOUND_MS} ms)`);
    expect(took).toBeLessThan(EXIT_BOUND_MS);
    nats.proc.kill('SIGCONT');
  });
});
