/**
 * nats-server dies (SIGKILL, restarted on the same port and store) or freezes (SIGSTOP) while a
 * pipeline keeps sending: once it is back, every node's feeds (`/feed`, `?flags=1` ingest, shutdown
 * signals) resume by themselves and stay live, no acked message's flag is lost, and none arrives
 * twice. The pipeline is the simple model a real one follows: every message is re-sent until acked.
 */
import { writeFileSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Subjects } from '../../src/cluster/subjects.js';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { Pipeline, T0 } from './pipeline.js';
import { FAST_LEASES, hasNatsServer, health, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

const P = FAST_LEASES.partitions;
const subjects = new Subjects('pkguard', P);
let nats: NatsProcess;
let nodes: ServerProcess[] = [];

const flagOf = (m: Record<string, unknown>) => m.flag as { id: string; stream: string; seq: number; term: string; start: number };

describe.skipIf(!hasNatsServer)('cluster when nats-server fails', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = await Promise.all(['a', 'b'].map((id) => startNode(nats, `fault-${id}`)));
    await waitBalanced(nodes, P);
  }, 90_000);

  afterAll(async () => {
    if (process.env.CLUSTER_DUMP_LOGS) for (const n of nodes) writeFileSync(`${process.env.CLUSTER_DUMP_LOGS}-${n.port}.log`, n.logs.map((l) => JSON.stringify(l)).join('\n'));
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) removeDir(n.dir);
    await nats?.stop();
  }, 60_000);

  test('the events consumer deleted under a node: its reader notices, starts over after the last event, and counts the restart', async () => {
    const [a] = nodes as [ServerProcess, ServerProcess];
    const moderator = await Client.open(a.url('/feed', TOKENS.moderator[0]));
    const ingest = await Client.open(a.url('/ingest', TOKENS.ingest[0]));
    const send = async (stream: string) => {
      ingest.send({ type: 'transcript', stream, seq: 1, ts: T0, text: '全网最低价' });
      await ingest.ack(stream, 1, 30_000);
    };
    await send('lost-consumer-1');
    await moderator.next((m) => m.type === 'flag' && flagOf(m).stream === 'lost-consumer-1');
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    // The readers' consumers are the ephemeral (unnamed durable) ones on the events stream.
    for await (const ci of jsm.consumers.list(subjects.eventsStream)) if (!ci.config.durable_name) await jsm.consumers.delete(subjects.eventsStream, ci.name);
    await nc.close();
    await send('lost-consumer-2');
    await moderator.next((m) => m.type === 'flag' && flagOf(m).stream === 'lost-consumer-2', 20_000);
    const metrics = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    expect(metrics).toMatch(/pkguard_cluster_consumer_restarts_total\{consumer="events",reason="(consumer_lost|stalled)"\} [1-9]/);
    const keys = moderator.of('flag').map(flagOf).map((f) => `${f.stream}/${f.seq}/${f.term}/${f.start}`);
    expect(keys.length - new Set(keys).size).toBe(0);
    moderator.close();
    ingest.close();
  });

  for (const fault of [
    { name: 'SIGKILL for 3 s, restarted on the same store', run: () => nats.restart(3000), tag: 'kill', leasesHold: false },
    { name: 'SIGSTOP for 4 s', run: () => nats.pause(4000), tag: 'stop', leasesHold: false },
    { name: 'SIGSTOP for 1 s (a blip shorter than the 3 s lease)', run: () => nats.pause(1000), tag: 'blip', leasesHold: true },
  ]) {
    test(`${fault.name}: feeds and shutdown signals resume within seconds, nothing acked lost, nothing twice`, { timeout: 180_000 }, async () => {
      const [a, b] = nodes as [ServerProcess, ServerProcess];
      const moderator = await Client.open(a.url('/feed', TOKENS.moderator[0]));
      const control = await Client.open(b.url('/feed', TOKENS.control[0]));
      const ingest = await Client.open(a.url('/ingest?flags=1', TOKENS.ingest[0]));
      const pipeline = new Pipeline(ingest, 6, fault.tag);
      const arrived = new Map<string, number>(); // stream/seq → first arrival on the moderator feed
      const onFlag = (m: Record<string, unknown>) => {
        if (m.type !== 'flag') return;
        const f = flagOf(m);
        const k = `${f.stream}/${f.seq}`;
        if (!arrived.has(k)) arrived.set(k, Date.now());
      };
      moderator.ws.on('message', (data: Buffer) => {
        const parsed = JSON.parse(data.toString()) as Record<string, unknown> | Record<string, unknown>[];
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) onFlag(m);
      });

      pipeline.start(150);
      await sleep(3000);
      const ownedBefore = await Promise.all(nodes.map(async (n) => (await health(n)).cluster.partitions));
      const logsBefore = nodes.map((n) => n.logs.length);
      const tFault = Date.now();
      await fault.run();
      const tBack = Date.now();

      // Right after its return, and again 15 s later, a stream is
      // driven to shutdown; each signal must reach the control feed on the other node.
      const shutdownAfterReturn = async (name: string) => {
        const extra = await Client.open(b.url('/ingest', TOKENS.ingest[0]));
        const hot = `${fault.tag}-${name}`;
        for (let seq = 1; seq <= 3; seq++) {
          for (let attempt = 0; ; attempt++) {
            extra.send({ type: 'transcript', stream: hot, seq, ts: T0 + seq * 1000, text: '全网最低价' });
            const r = await extra.next((m) => m.stream === hot && m.seq === seq && (m.type === 'ack' || m.type === 'error'), 30_000);
            extra.received.splice(extra.received.indexOf(r), 1);
            if (r.type === 'ack') break;
            if (attempt > 60) throw new Error(`${hot}/${seq} never acked: ${JSON.stringify(r)}`);
            await sleep(250);
          }
        }
        const acked = Date.now();
        await control.next((m) => m.type === 'shutdown' && m.stream === hot, 30_000);
        extra.close();
        return { ackedAfterReturn: acked - tBack, signalMs: Date.now() - acked };
      };
      const early = await shutdownAfterReturn('hot-early');
      if (fault.leasesHold) {
        // Nothing moved: the same partitions on the same nodes, none lost, none rebuilt.
        expect(await Promise.all(nodes.map(async (n) => (await health(n)).cluster.partitions))).toEqual(ownedBefore);
        const moved = nodes.flatMap((n, i) => n.logs.slice(logsBefore[i]).filter((l) => l.event === 'lease_lost' || l.event === 'partition_started'));
        expect(moved).toEqual([]);
      }
      await sleep(fault.leasesHold ? 3000 : 15_000);
      const late = await shutdownAfterReturn('hot-late');
      pipeline.stop();

      // Every acked message's flags reach the feed: wait for the stragglers, then check.
      const acked = pipeline.acked();
      const missing = () => acked.filter((s) => !arrived.has(`${s.stream}/${s.seq}`));
      for (let i = 0; i < 100 && missing().length > 0; i++) await sleep(100);
      expect(acked.length).toBeGreaterThan(100);
      expect(missing().map((s) => `${s.stream}/${s.seq}`)).toEqual([]);
      // ... once each (a redelivery after reconnect must not show a flag twice).
      const keys = moderator.of('flag').map(flagOf).map((f) => `${f.stream}/${f.seq}/${f.term}/${f.start}`);
      expect(keys.length - new Set(keys).size).toBe(0);
      const ids = moderator.of('flag').map((m) => flagOf(m).id);
      expect(ids.length - new Set(ids).size).toBe(0);
      // ?flags=1 on the ingest connection gets them too.
      const own = new Set(ingest.of('flag').map(flagOf).map((f) => `${f.stream}/${f.seq}`));
      expect(acked.filter((s) => !own.has(`${s.stream}/${s.seq}`)).map((s) => `${s.stream}/${s.seq}`)).toEqual([]);

      // Feeds resumed: the first message sent after the return reached the feed soon after.
      const afterBack = acked.filter((s) => s.acked! >= tBack).sort((x, y) => x.acked! - y.acked!);
      const sentAfter = acked.filter((s) => s.firstSent >= tBack);
      const resumeMs = Math.min(...sentAfter.map((s) => arrived.get(`${s.stream}/${s.seq}`)!)) - tBack;
      // ... and stayed live: the worst ack → feed lag of anything acked after the return.
      const worstLag = Math.max(...afterBack.map((s) => arrived.get(`${s.stream}/${s.seq}`)! - s.acked!));
      console.log(`[nats-fault ${fault.tag}] outage ${tBack - tFault} ms; feed resumed ${resumeMs} ms after return; worst lag after return ${worstLag} ms; shutdown: early ${JSON.stringify(early)} late ${JSON.stringify(late)}; acked ${acked.length}, errors ${pipeline.errors.length} (${[...new Set(pipeline.errors.map((e) => e.code))].join(',')})`);
      expect(resumeMs).toBeLessThan(15_000);
      expect(worstLag).toBeLessThan(10_000);
      expect(late.signalMs).toBeLessThan(10_000);
      // Back to health: both nodes connected and the partitions owned again.
      await waitBalanced(nodes, P, 30_000);
      for (const n of nodes) for (let i = 0; i < 100 && !(await health(n)).ready; i++) await sleep(100);
      for (const n of nodes) expect((await health(n)).ready).toBe(true);
      // Errors during the outage say what happened: the owner or NATS could not be reached.
      expect([...new Set(pipeline.errors.map((e) => e.code))].filter((c) => c !== 'unavailable')).toEqual([]);
      for (const x of [moderator, control, ingest]) x.close();
    });
  }
});
