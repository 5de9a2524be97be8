/**
 * Partition snapshots against the simple model, a full replay: the state a processor rebuilds from
 * the partition's last snapshot plus the events after it must be the state it rebuilds from the
 * whole history. Checked after a real node wrote snapshots under pipelined load and was SIGKILLed
 * right after writing one (`after_snapshot`: later appends were already going) and right before
 * (`before_snapshot`: the state was taken, the write never happened), and after a node that took
 * the partition over from a snapshot went on and wrote more.
 *
 * Compared: every stream's level, shutdown reason, PK state, pending recommendation, epoch, seq
 * window and risk. Risk is compared to 0.01: the stream core's snapshot keeps it rounded to that
 * (as the journal's do), and it decays on from there.
 */
import { plainMap } from '../../src/stream/log.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JetStreamLog } from '../../src/cluster/jetstream-log.js';
import { PubAcks } from '../../src/cluster/pub-acks.js';
import { SnapshotStore } from '../../src/cluster/snapshots.js';
import { Subjects } from '../../src/cluster/subjects.js';
import type { FlagHistory } from '../../src/stream/contracts.js';
import type { SnapshotState, StreamLog } from '../../src/stream/log.js';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { coreOver } from '../stream/embedded.js';
import { T0 } from './pipeline.js';
import { hasNatsServer, startNats, startNode, type NatsProcess } from './harness.js';

/** One partition: every stream is in it, so one fault point names it. */
const CLUSTER = { partitions: 1, snapshotEvery: 120 };
const subjects = new Subjects('pkguard', 1);
const NO_HISTORY: FlagHistory = { async *flagEntriesSince() {}, retainedFrom: () => undefined };
const TEXTS = ['这个真的是销量第一', '全网最低价', '大家加微信', '史上最强', '独家合作', '可以根治鼻炎', '大家好', '欢迎来到直播间', '点点关注', '今天的福利很多'];

let nats: NatsProcess;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const nodes: ServerProcess[] = [];

/** A deterministic pseudo-random sequence (the workload is the same every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * Pipelined load on `streams` streams from three connections, each stream on one (nothing waits
 * for an ack before the next message): transcripts (some with claims, some partial), chat, PK sessions, ends, and
 * restores from a moderator. Runs until `until()` or `count` messages; returns the seqs sent.
 */
async function load(node: ServerProcess, o: { tag: string; streams: number; count: number; seed: number; until?: () => boolean }): Promise<number> {
  let clients: Client[];
  let moderator: Client;
  try {
    clients = await Promise.all([0, 1, 2].map(() => Client.open(node.url('/ingest', TOKENS.ingest[0]))));
    moderator = await Client.open(node.url('/feed', TOKENS.moderator[0]));
  } catch (err) {
    if (o.until?.()) return 0; // the node already died at its fault point (a snapshot due at takeover)
    throw err;
  }
  const rand = rng(o.seed);
  const seqs = new Map<string, number>();
  let sent = 0;
  try {
    // A critical claim opens three streams, so the model has shutdowns before the first snapshot
    // whatever the timing of the fault (the random load alone may reach none by record 120).
    for (let at = 0; at < 3; at++, sent++) {
      const stream = `${o.tag}-${at}`;
      seqs.set(stream, 1);
      clients[at % 3]!.send({ type: 'transcript', stream, seq: 1, ts: T0 + sent * 1500, text: '这款茶可以抗癌' });
    }
    while (sent < o.count && !(o.until?.() ?? false)) {
      for (let k = 0; k < 12; k++, sent++) {
        const at = Math.floor(rand() * o.streams);
        const stream = `${o.tag}-${at}`;
        const seq = (seqs.get(stream) ?? 0) + 1;
        seqs.set(stream, seq);
        const ts = T0 + sent * 1500;
        const r = rand();
        // Each stream on one connection, in order, as a pipeline sends it (event time only goes forward).
        const client = clients[at % 3]!;
        const text = TEXTS[Math.floor(rand() * TEXTS.length)]!;
        if (r < 0.06) client.send({ type: 'pk', stream, seq, ts, state: rand() < 0.6 ? 'start' : 'end', opponent: `${o.tag}-op` });
        else if (r < 0.08) client.send({ type: 'end', stream, seq, ts });
        else if (r < 0.2) client.send({ type: 'chat', stream, seq, ts, text });
        else if (r < 0.28) {
          client.send({ type: 'transcript', stream, seq, ts, text, final: false });
          client.send({ type: 'transcript', stream, seq, ts: ts + 1, text: `${text}啊`, final: true });
        } else client.send({ type: 'transcript', stream, seq, ts, text });
        if (r > 0.985) moderator.send({ type: 'restore', stream });
      }
      await sleep(5);
    }
    await sleep(300);
  } finally {
    for (const c of clients) c.close();
    moderator.close();
  }
  return sent;
}

/**
 * The partition's state rebuilt in this process: from its snapshot and the tail, or from the whole
 * history. The model only reads: what the core would record at open (a shutdown the flags imply
 * whose record died with the node) is taken as written, not written.
 */
async function rebuild(fromSnapshot: boolean) {
  const log = new JetStreamLog({ js, jsm, acks: new PubAcks(nc), subjects, partition: 0, node: 'model', warn: () => {}, ...(fromSnapshot ? { snapshots: new SnapshotStore({ js, jsm, subjects, maxBytes: 1 << 20 }) } : {}) });
  const readOnly: StreamLog = { replay: () => log.replay(), append: async () => new Map(), barrier: async () => {}, failure: undefined, pending: 0, probe: async () => true, close: async () => {} };
  const core = await coreOver(readOnly, NO_HISTORY, { idsFromLog: true });
  const state = comparable(core.processor.snapshot(), core.processor.summaries());
  await core.processor.close();
  return { state, replayed: log.replayed, from: log.replayedFrom };
}

/** What must agree: the snapshot state without the id allocator's position, risks to 0.01. */
function comparable(s: SnapshotState, summaries: { stream: string; level: string; risk: number; pk: boolean; opponent?: string; reason?: string; recommended?: string }[]) {
  const byStream = <T extends { stream: string }>(a: T[]) => [...a].sort((x, y) => (x.stream < y.stream ? -1 : 1));
  const risks = Object.fromEntries(Object.entries(plainMap(s.risks)).map(([k, r]) => [k, { ts: r.ts, incidents: r.incidents }]));
  const risk = Object.fromEntries([...Object.entries(plainMap(s.risks)).map(([k, r]) => [`risks.${k}`, r.risk]), ...summaries.map((x) => [`summary.${x.stream}`, x.risk])]) as Record<string, number>;
  return {
    shutdown: byStream(s.shutdown),
    epochs: s.epochs,
    seqs: plainMap(s.seqs),
    windows: plainMap(s.windows),
    pk: byStream(s.pk ?? []),
    recommended: s.recommended ?? [],
    risks,
    summaries: byStream(summaries).map((x) => ({ ...x, risk: undefined })),
    risk,
  };
}

/**
 * Until the history stops growing: no node is processing (the ingest work queue holds only what a
 * dead node left, or nothing once a live node has worked it off), so both rebuilds read the same history.
 */
async function quiet(): Promise<void> {
  let last = '';
  for (let stable = 0; stable < 4; ) {
    const events = (await jsm.streams.info(subjects.eventsStream)).state.last_seq;
    const ingest = (await jsm.streams.info(subjects.ingestStream)).state.messages;
    const live = nodes.some((n) => n.proc.exitCode === null && n.proc.signalCode === null);
    const now = `${events}/${ingest}`;
    stable = now === last && (!live || ingest === 0) ? stable + 1 : 0;
    last = now;
    await sleep(500);
  }
}

async function expectSnapshotMatchesFullReplay(): Promise<{ from: number; tail: number }> {
  await quiet();
  const full = await rebuild(false);
  const snap = await rebuild(true);
  expect(snap.from, 'a snapshot was written').toBeGreaterThan(0);
  expect(snap.replayed).toBeLessThan(full.replayed);
  const { risk: snapRisk, ...snapState } = snap.state;
  const { risk: fullRisk, ...fullState } = full.state;
  expect(snapState).toEqual(fullState);
  expect(Object.keys(snapRisk).sort()).toEqual(Object.keys(fullRisk).sort());
  for (const [k, r] of Object.entries(fullRisk)) expect(Math.abs(snapRisk[k]! - r), k).toBeLessThanOrEqual(0.0101);
  // The model is not trivially empty.
  expect(full.state.shutdown.length).toBeGreaterThan(0);
  expect(Object.keys(full.state.seqs).length).toBeGreaterThan(10);
  return { from: snap.from!, tail: snap.replayed };
}

const died = (n: ServerProcess) => n.exited;

describe.skipIf(!hasNatsServer)('cluster: partition snapshots', () => {
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) n.proc.kill('SIGKILL');
    for (const n of nodes) removeDir(n.dir);
    await nc?.close();
    await nats?.stop();
  }, 60_000);

  test('SIGKILL right after a snapshot is written, appends after it in flight: snapshot + tail = full replay', { timeout: 120_000 }, async () => {
    const node = await startNode(nats, 'snap-after', CLUSTER, {}, { PKGUARD_CLUSTER_FAULT: 'after_snapshot:snapshot-0' });
    nodes.push(node);
    let dead = false;
    void died(node).then(() => (dead = true));
    await load(node, { tag: 'a', streams: 40, count: 20_000, seed: 1, until: () => dead });
    expect(dead, 'the node killed itself after its snapshot').toBe(true);
    const r = await expectSnapshotMatchesFullReplay();
    expect(r.tail, 'events were stored after the snapshot before the kill').toBeGreaterThan(0);
  });

  test('a node takes over from the snapshot (replays only the tail), goes on, writes more: still = full replay', { timeout: 120_000 }, async () => {
    const before = await rebuild(true);
    const node = await startNode(nats, 'snap-next', CLUSTER);
    nodes.push(node);
    const started = () => node.logs.find((l) => l.event === 'partition_started');
    for (let i = 0; i < 200 && !started(); i++) await sleep(100);
    expect(started()).toMatchObject({ fromSnapshot: before.from });
    expect(started()!.rebuiltEvents).toBeLessThanOrEqual(before.replayed);
    await load(node, { tag: 'b', streams: 30, count: 1500, seed: 2 });
    await sleep(1000);
    const r = await expectSnapshotMatchesFullReplay();
    expect(r.from).toBeGreaterThan(before.from!);
    await node.stop();
    await expectSnapshotMatchesFullReplay();

    // A node started now knows every stream shut down before it started (the console's banners).
    const full = await rebuild(false);
    const observer = await startNode(nats, 'snap-observer', CLUSTER);
    nodes.push(observer);
    const feed = await Client.open(observer.url('/feed', TOKENS.moderator[0]));
    feed.send({ type: 'subscribe' });
    await feed.next((m) => m.type === 'streams' && m.done === true, 20_000);
    const shown = feed
      .of('streams')
      .flatMap((m) => m.streams as { stream: string; level: string }[])
      .filter((x) => x.level === 'shutdown')
      .map((x) => x.stream)
      .sort();
    expect(shown).toEqual(full.state.shutdown.map((x) => x.stream).sort());
    feed.close();
    await observer.stop();
  });

  test('SIGKILL after the state is taken, before the snapshot is written: the older snapshot + tail = full replay', { timeout: 120_000 }, async () => {
    for (const n of nodes) n.proc.kill('SIGKILL'); // the partition is free for this node
    const node = await startNode(nats, 'snap-before', CLUSTER, {}, { PKGUARD_CLUSTER_FAULT: 'before_snapshot:snapshot-0' });
    nodes.push(node);
    let dead = false;
    void died(node).then(() => (dead = true));
    const before = await rebuild(true);
    await load(node, { tag: 'c', streams: 40, count: 20_000, seed: 3, until: () => dead });
    expect(dead).toBe(true);
    const r = await expectSnapshotMatchesFullReplay();
    expect(r.from, 'no new snapshot').toBe(before.from);
    expect(r.tail, 'events were stored after the snapshot before the kill').toBeGreaterThan(0);
  });
});
