/**
 * Fencing: an owner paused (SIGSTOP) in the middle of an append, past its lease, must not write
 * once it resumes: the node that took the partition over wrote the partition's fence, so the old
 * owner's append is refused before any of its records is stored. The pause is placed exactly
 * with PKGUARD_CLUSTER_FAULT=before_append (src/cluster/fault.ts). `level` records carry no
 * message id, so a zombie's write would show up as a second one (JetStream's dedup would hide a
 * repeated flag).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { partitionOf, Subjects } from '../../src/cluster/subjects.js';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { storedEvents } from './history.js';
import { FAST_LEASES, hasNatsServer, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';

const P = FAST_LEASES.partitions;
const subjects = new Subjects('pkguard', P);

let nats: NatsProcess;
let nodes: ServerProcess[] = [];

/** The records stored for `stream`, by kind (read out of the partition's batches; copies apart). */
async function storedKinds(stream: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await storedEvents(nats.url, subjects.eventsStream, `pkguard.ev.${partitionOf(stream, P)}.>`)) {
    for (const r of e.records) {
      if (r.stream !== stream) continue;
      const kind = e.copy ? `${r.t} copy` : r.t;
      out[kind] = (out[kind] ?? 0) + 1;
      if (r.t === 'msg' && !e.copy) out.flag = (out.flag ?? 0) + (r.flags?.length ?? 0);
    }
  }
  return out;
}

describe.skipIf(!hasNatsServer)('cluster: fencing', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = [await startNode(nats, 'fence-survivor'), await startNode(nats, 'fence-victim', {}, {}, { PKGUARD_CLUSTER_FAULT: 'before_append:fenced-' })];
  }, 90_000);

  afterAll(async () => {
    for (const n of nodes) n.proc.kill('SIGCONT');
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) removeDir(n.dir);
    await nats?.stop();
  }, 60_000);

  test('an owner paused mid-append past its lease cannot write after the takeover', { timeout: 90_000 }, async () => {
    const [survivor, victim] = nodes as [ServerProcess, ServerProcess];
    const owner = await waitBalanced(nodes, P);
    let stream = '';
    for (let i = 0; !stream; i++) if (owner.get(partitionOf(`fenced-${i}`, P)) === victim) stream = `fenced-${i}`;
    const p = partitionOf(stream, P);
    const feed = await Client.open(survivor.url('/feed', TOKENS.moderator[0]));
    const ingest = await Client.open(survivor.url('/ingest', TOKENS.ingest[0]));
    const logsAt = survivor.logs.length;
    ingest.send({ type: 'transcript', stream, seq: 1, ts: 1_790_000_000_000, text: '全网最低价' });
    // The victim stops itself before storing anything; its lease lapses and the survivor takes over,
    // gets the unacked message again and processes it.
    expect(await ingest.next((m) => m.stream === stream && m.seq === 1, 30_000)).toEqual({ type: 'ack', stream, seq: 1 });
    expect(survivor.logs.slice(logsAt).some((l) => l.event === 'partition_started' && l.partition === p)).toBe(true);
    await feed.next((m) => m.type === 'level' && m.stream === stream);
    const before = await storedKinds(stream);
    expect(before).toMatchObject({ level: 1, flag: 1, msg: 1 });

    // The old owner resumes mid-append: refused by the fence, nothing of it stored, the partition given up.
    const victimLogsAt = victim.logs.length;
    victim.proc.kill('SIGCONT');
    const fenced = () => victim.logs.slice(victimLogsAt).find((l) => JSON.stringify(l).includes('fence moved'));
    for (let i = 0; i < 100 && !fenced(); i++) await sleep(100);
    await sleep(1000);
    expect(await storedKinds(stream)).toEqual(before);
    expect(feed.of('level').filter((m) => m.stream === stream)).toHaveLength(1);
    expect(fenced(), 'the resumed owner should report that its append was fenced off').toBeDefined();
    feed.close();
    ingest.close();
  });
});
