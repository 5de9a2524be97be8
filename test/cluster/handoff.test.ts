/**
 * Planned hand-off on scale-out: while a pipeline keeps sending to node A, nodes B and C join one
 * after the other. A releases the partitions above its new share (each stopped once its acks are
 * out, snapshotted, its lease deleted) and the joiner takes each at once from that snapshot. No
 * message is lost (every one acked, each flag raised once), nothing is refused for good, and the
 * hand-off is quick: the figures (time until balanced, ack latency during the joins) are printed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { Pipeline } from './pipeline.js';
import { FAST_LEASES, hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

const P = FAST_LEASES.partitions;
let nats: NatsProcess;
const nodes: ServerProcess[] = [];

describe.skipIf(!hasNatsServer)('cluster: planned hand-off on join', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes.push(await startNode(nats, 'handoff-a'));
    await waitBalanced(nodes, P);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((x) => x.stop()));
    for (const x of nodes) removeDir(x.dir);
    await nats?.stop();
  }, 60_000);

  test('a rolling join under load loses no ack and raises no flag twice', { timeout: 150_000 }, async () => {
    const a = nodes[0]!;
    const moderator = await Client.open(a.url('/feed', TOKENS.moderator[0]));
    moderator.send({ type: 'subscribe' });
    const pipeline = new Pipeline(await Client.open(a.url('/ingest', TOKENS.ingest[0])), 8, 'handoff');
    pipeline.start(50);
    await sleep(1500);
    const joins: number[] = [];
    for (const id of ['handoff-b', 'handoff-c']) {
      const node = await startNode(nats, id);
      const t0 = Date.now();
      nodes.push(node);
      await waitBalanced(nodes, P, 60_000);
      joins.push(Date.now() - t0);
      await sleep(1500);
    }
    pipeline.stop();
    for (let i = 0; i < 40 && pipeline.acked().length < pipeline.sent.size; i++) {
      pipeline.resend();
      await sleep(500);
    }
    const sent = [...pipeline.sent.values()];
    const acked = pipeline.acked();
    expect(acked.length, 'every message acked').toBe(sent.length);
    expect(pipeline.errors.filter((e) => e.code !== 'unavailable' && e.code !== 'internal'), 'no refusal for good').toEqual([]);
    // Each flag once: every message raises one (pipeline.ts), and none twice.
    await sleep(1500);
    const keys = moderator.of('flag').map((m) => m.flag as { stream: string; seq: number; term: string; start: number }).map((f) => `${f.stream}/${f.seq}/${f.term}/${f.start}`);
    expect(keys.length - new Set(keys).size, 'no flag twice').toBe(0);
    expect(new Set(keys.map((k) => k.split('/').slice(0, 2).join('/'))).size, 'a flag for every message').toBe(sent.length);
    const lat = acked.map((s) => s.acked! - s.firstSent).sort((x, y) => x - y);
    const handed = nodes.slice(1).flatMap((n) => n.logs.filter((l) => l.event === 'partition_started'));
    console.log(
      `hand-off: ${sent.length} messages; balanced ${joins.map((ms) => `${ms} ms`).join(', ')} after each join; ack latency p50 ${lat[lat.length >> 1]} p99 ${lat[Math.floor(lat.length * 0.99)]} max ${lat.at(-1)} ms; ${pipeline.errors.length} retried errors; ` +
        `${handed.length} partitions handed over, rebuilt from a snapshot ${handed.filter((l) => l.fromSnapshot !== null).length}, events replayed max ${Math.max(...handed.map((l) => l.rebuiltEvents as number))}`,
    );
    moderator.close();
  });
});
