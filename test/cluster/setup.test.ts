/**
 * Nodes started together all create the cluster's streams and lease bucket at once (setup.ts): on a
 * real nats-server, and on a 3-server JetStream cluster with R3 streams, every racing creator joins,
 * and what they leave behind is one set of streams with the configured settings.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy } from '@nats-io/jetstream';
import { setUpStreams, settingUp } from '../../src/cluster/setup.js';
import { Subjects } from '../../src/cluster/subjects.js';
import { hasNatsServer, startNats, startNatsCluster, type NatsProcess } from './harness.js';

const SETTINGS = { replicas: 1, ingestMaxAgeMs: 3_600_000, eventsMaxAgeMs: 7_200_000, duplicateWindowMs: 60_000, leaseTtlMs: 6000 };

async function race(servers: string[], prefix: string, creators: number, replicas: number): Promise<PromiseSettledResult<void>[]> {
  const conns: NatsConnection[] = await Promise.all(Array.from({ length: creators }, () => connect({ servers })));
  try {
    const subjects = new Subjects(prefix, 8);
    return await Promise.allSettled(conns.map(async (nc) => setUpStreams(nc, await jetstreamManager(nc), subjects, { ...SETTINGS, replicas })));
  } finally {
    await Promise.all(conns.map((nc) => nc.close()));
  }
}

async function expectSettled(servers: string[], prefix: string, replicas: number): Promise<void> {
  const nc = await connect({ servers });
  try {
    const jsm = await jetstreamManager(nc);
    const s = new Subjects(prefix, 8);
    const names: string[] = [];
    for await (const si of jsm.streams.list()) if (si.config.name.toLowerCase().includes(prefix)) names.push(si.config.name);
    expect(names.sort()).toEqual([s.eventsStream, s.fencesStream, s.ingestStream, `KV_${s.ownersBucket}`, s.snapshotsStream].sort());
    const ingest = await jsm.streams.info(s.ingestStream);
    expect(ingest.config.retention).toBe(RetentionPolicy.Workqueue);
    expect(ingest.config.num_replicas).toBe(replicas);
    expect((await jsm.streams.info(s.eventsStream)).config.duplicate_window).toBe(SETTINGS.duplicateWindowMs * 1e6);
    expect((await jsm.streams.info(s.snapshotsStream)).config.max_msgs_per_subject).toBe(1);
  } finally {
    await nc.close();
  }
}

describe.skipIf(!hasNatsServer)('cluster setup: nodes created together', () => {
  let nats: NatsProcess;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  test('8 creators at once, 10 times over on one nats-server: all join, one set of streams', async () => {
    for (let round = 0; round < 10; round++) {
      const prefix = `race${round}`;
      const results = await race([nats.url], prefix, 8, 1);
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      await expectSettled([nats.url], prefix, 1);
    }
  }, 120_000);

  test('a real conflict is not waited out: a stream of another name holding the subjects fails the join, naming the step', async () => {
    const nc = await connect({ servers: nats.url });
    try {
      const jsm = await jetstreamManager(nc);
      const s = new Subjects('taken', 8);
      await jsm.streams.add({ name: 'SQUATTER', subjects: [s.fencesAll()] });
      const t0 = Date.now();
      await expect(setUpStreams(nc, jsm, s, SETTINGS)).rejects.toThrow(`joining the cluster: fences stream: subjects ${s.fencesAll()} are held by another stream, SQUATTER`);
      // Not waited out as if another node were creating the same stream.
      expect(Date.now() - t0).toBeLessThan(400);
    } finally {
      await nc.close();
    }
  }, 30_000);

  test('settingUp: a failure that does not pass is not asked again', async () => {
    let calls = 0;
    await expect(settingUp('step', async () => {
      calls++;
      throw new Error('authorization violation');
    })).rejects.toThrow('joining the cluster: step: authorization violation');
    expect(calls).toBe(1);
  });
});

describe.skipIf(!hasNatsServer)('cluster setup: R3 on a 3-server cluster', () => {
  let servers: NatsProcess[] = [];
  beforeAll(async () => {
    servers = await startNatsCluster(3);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  test('6 creators at once, each on its own server: all join, one set of R3 streams', async () => {
    const urls = servers.map((s) => s.url);
    for (let round = 0; round < 3; round++) {
      const prefix = `r3race${round}`;
      const results = await Promise.all(urls.map((u) => race([u], prefix, 2, 3)));
      expect(results.flat().filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      await expectSettled(urls, prefix, 3);
    }
  }, 120_000);
});
