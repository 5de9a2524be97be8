/**
 * The events reader (src/cluster/follower.ts) on a 3-server JetStream cluster with an R3 stream:
 * its own consumer is R1 and lives on one server. SIGKILL exactly that server while the reader's
 * connection stays up on another: no reconnect tells the reader anything, so it must notice by
 * itself and carry on after the last message it handed on, every message once and in order.
 */
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StreamFollower } from '../../src/cluster/follower.js';
import { sleep } from '../server/harness.js';
import { hasNatsServer, startNatsCluster, type NatsProcess } from './harness.js';

const STREAM = 'FOLLOWER_TEST';
let servers: NatsProcess[] = [];
const conns: NatsConnection[] = [];

/** Publishes until JetStream stores it; the message id makes a retry after a lost answer a no-op. */
async function publish(js: JetStreamClient, n: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await js.publish('ft.events', JSON.stringify({ n }), { msgID: `m${n}`, timeout: 2000 });
      return;
    } catch (err) {
      if (attempt > 60) throw err;
      await sleep(250);
    }
  }
}

async function consumerHost(jsm: JetStreamManager): Promise<string | undefined> {
  for await (const ci of jsm.consumers.list(STREAM)) return ci.cluster?.leader;
  return undefined;
}

describe.skipIf(!hasNatsServer)('StreamFollower on an R3 stream', () => {
  beforeAll(async () => {
    servers = await startNatsCluster(3);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => {})));
    await Promise.all(servers.map((s) => s.stop()));
  }, 60_000);

  test('the server holding its consumer is SIGKILLed: it resumes on its own, each message once, in order', { timeout: 120_000 }, async () => {
    const admin = await connect({ servers: servers.map((s) => s.url) });
    conns.push(admin);
    const jsm = await jetstreamManager(admin, { timeout: 5000 });
    await jsm.streams.add({ name: STREAM, subjects: ['ft.>'], num_replicas: 3 });
    const js = jetstream(admin, { timeout: 5000 });
    for (let n = 1; n <= 20; n++) await publish(js, n);

    // Open readers until one's consumer sits on a server other than the one its connection uses.
    // JetStream places the R1 consumer on a stream peer of its choosing: three tries, one per
    // server, all landed on the reader's own server in about one run in twenty (CI, load); twelve
    // tries make that about one in half a million.
    let follower: StreamFollower | undefined;
    let host: string | undefined;
    let reader: NatsConnection | undefined;
    const got: number[] = [];
    const restarts: string[] = [];
    for (let attempt = 0; attempt < 12 && !follower; attempt++) {
      const i = attempt % servers.length;
      // The previous try's consumer must be gone, or consumerHost could read its host.
      for (let t = 0; t < 20 && (await consumerHost(jsm)) !== undefined; t++) await sleep(100);
      const nc = await connect({ servers: servers[i]!.url });
      conns.push(nc);
      const rjsm = await jetstreamManager(nc, { timeout: 2000 });
      const f = new StreamFollower({
        nc,
        js: jetstream(nc, { timeout: 2000 }),
        jsm: rjsm,
        stream: STREAM,
        filter: 'ft.>',
        onMessage: (m) => got.push(m.json<{ n: number }>().n),
        onRestart: (reason) => restarts.push(reason),
        stallMs: 1500,
      });
      await f.start();
      await sleep(300);
      for (let t = 0; t < 20 && !(host = await consumerHost(jsm)); t++) await sleep(200);
      if (host && host !== `s${i + 1}`) {
        follower = f;
        reader = nc;
      } else {
        await f.stop();
        await nc.close();
      }
    }
    expect(follower, 'no reader got its consumer on another server').toBeDefined();
    const victim = servers[Number(host!.slice(1)) - 1]!;

    for (let n = 21; n <= 40; n++) await publish(js, n);
    for (let t = 0; t < 50 && got.length < 20; t++) await sleep(100);
    expect(got).toEqual(Array.from({ length: 20 }, (_, i) => i + 21));

    const exited = new Promise((r) => victim.proc.once('exit', r));
    victim.proc.kill('SIGKILL');
    await exited;
    for (let n = 41; n <= 140; n++) await publish(js, n);
    for (let t = 0; t < 300 && got.length < 120; t++) await sleep(100);

    expect(reader!.isClosed()).toBe(false);
    expect(got).toEqual(Array.from({ length: 120 }, (_, i) => i + 21));
    expect(restarts.length).toBeGreaterThan(0);
    expect(follower!.stalled).toBe(false);
    await follower!.stop();
  });
});
