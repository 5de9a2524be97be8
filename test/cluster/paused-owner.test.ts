/**
 * Fencing under load: an owner SIGSTOPped at an arbitrary moment while it commits (not at a
 * planted fault point: fencing.test.ts does that), paused past its lease, then resumed, five times
 * over. Its partitions are taken over meanwhile and the unacked messages processed by the new
 * owner; the resumed owner must not get a write in after that. Checked against a model of the partitions' event
 * sequence: every acked message is stored exactly once as a message record, with its flag, and no
 * message record is stored twice (a zombie's late commit would store one again: a batch carries
 * the messages of one commit, so its message id is not the new owner's).
 *
 * What refuses the late write is JetStream itself (jetstream-log.ts): every batch of message records
 * expects the partition's previous batch, and the new owner wrote one on takeover. Session 11's
 * fence-before-commit failed here 2 of 2 runs (5-10 message records stored twice ~30 ms after
 * SIGCONT: the fence's ack, read after the pause, let the commit through).
 * PAUSED_DEBUG=1 prints where twice-stored or missing records are, and the nodes' warnings.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Subjects } from '../../src/cluster/subjects.js';
import { Client, removeDir, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { FAST_LEASES, hasNatsServer, health, startNats, startNode, waitBalanced, type NatsProcess } from './harness.js';
import { storedEvents, type StoredEvent } from './history.js';
import { Pipeline } from './pipeline.js';

const P = FAST_LEASES.partitions;
const subjects = new Subjects('pkguard', P);

let nats: NatsProcess;
let nodes: ServerProcess[] = [];
const where: string[] = [];
const marks: string[] = [];

/** Every message record and flag stored, counted by `stream/seq`, and the fencing model's findings per partition. */
async function storedMessages(): Promise<{ msgs: Map<string, number>; flags: Map<string, number>; violations: string[]; onNodes: number }> {
  const msgs = new Map<string, number>();
  const flags = new Map<string, number>();
  where.length = 0;
  const events = await storedEvents(nats.url, subjects.eventsStream, 'pkguard.ev.>');
  const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
  const byPartition = new Map<string, StoredEvent[]>();
  for (const e of events) {
    const p = e.subject.split('.')[2]!;
    byPartition.set(p, [...(byPartition.get(p) ?? []), e]);
    if (e.copy) continue;
    for (const r of e.records) {
      const key = `${r.stream}/${r.seq}`;
      if (r.t === 'msg') {
        bump(msgs, key);
        if (r.flags?.length) bump(flags, key, r.flags.length);
      } else if (r.t === 'flag') bump(flags, key);
      if (process.env.PAUSED_DEBUG && (r.t === 'msg' || r.t === 'flag')) where.push(`${key} ${r.t} seq=${e.seq} t=${new Date(e.at).toISOString()} id=${e.msgID} sub=${e.subject}`);
    }
    if (process.env.PAUSED_DEBUG && e.emptyBatch) where.push(`EMPTY seq=${e.seq} t=${new Date(e.at).toISOString()} sub=${e.subject}`);
  }
  // Node subjects (one commit per node turn, src/cluster/node-commit.ts) are checked as one history;
  // the copies on partition subjects then repeat records stored in node batches.
  const nodeEvents = byPartition.get('n') ?? [];
  const onNodes = nodeFencingViolations(nodeEvents);
  byPartition.delete('n');
  const violations = [...onNodes.violations, ...[...byPartition.values()].flatMap((es) => fencingViolations(es, onNodes.copiedAt))];
  if (process.env.PAUSED_DEBUG) {
    // Around each later takeover: what each side stored there.
    const show = (e: StoredEvent) => `  ${e.seq} ${new Date(e.at).toISOString()} ${e.subject.split('.').slice(3).join('.')} id=${e.msgID ?? '-'} ${e.records.map((r) => `${r.t}:${r.stream}/${r.seq ?? ''}`).join(',').slice(0, 160)}`;
    for (const [p, es] of byPartition) es.forEach((e, i) => e.emptyBatch && e.msgID === undefined && i > 0 && console.log(`partition ${p} takeover at ${e.seq}\n${es.slice(Math.max(0, i - 3), i + 6).map(show).join('\n')}`));
  }
  return { msgs, flags, violations, onNodes: nodeEvents.length };
}

/**
 * The fencing model over one partition's stored events, in order: a takeover's empty batch (no
 * message id) starts an owner's term, and every record stored after it must be that owner's.
 * - A batch names its writer: its message id carries the sequence of the writer's takeover batch.
 * - A record outside a batch (the layout before session 13) names no writer; it is placed by the
 *   order its writer stores a commit in: flags are stored just before the batch holding their
 *   message (one write), other records just after a batch of their commit. A flag not followed by
 *   its message's batch, or a record right after a takeover batch, was stored outside its commit:
 *   a late write of an owner that had lost the partition.
 * - A copy (H_COPY) repeats a shutdown or restore stored in a batch before it.
 * Returns the violations found.
 */
export function fencingViolations(events: readonly StoredEvent[], copiedAt: ReadonlyMap<string, number> = new Map()): string[] {
  const out: string[] = [];
  let term = 0;
  let previous: StoredEvent | undefined;
  let flags: { e: StoredEvent; key: string }[] = [];
  const copied = new Set<string>();
  const keyOf = (r: { stream?: string; seq?: number }) => `${r.stream}/${r.seq}`;
  const epochOf = (e: StoredEvent) => Number(e.msgID?.split(':')[1]);
  const at = (e: StoredEvent) => `seq ${e.seq} (${e.subject}, ${new Date(e.at).toISOString()}, term ${term})`;
  for (const e of events) {
    const batch = e.subject.endsWith('.~.batch');
    if (batch && e.msgID === undefined) {
      for (const f of flags) out.push(`flag ${f.key} at ${at(f.e)}: its batch never followed`);
      flags = [];
      term = e.seq;
    } else if (batch) {
      if (epochOf(e) !== term) out.push(`batch of the owner of term ${epochOf(e)} stored at ${at(e)}`);
      const held = new Set(e.records.map(keyOf));
      for (const f of flags) if (!held.has(f.key)) out.push(`flag ${f.key} at ${at(f.e)}: not followed by its batch`);
      flags = [];
      for (const r of e.records) if (r.t === 'shutdown' || r.t === 'restore') copied.add(`${r.t}:${r.stream}:${r.epoch}`);
    } else if (e.copy) {
      if (!copied.has(e.msgID ?? '') && !((copiedAt.get(e.msgID ?? '') ?? Infinity) < e.seq)) out.push(`copy ${e.msgID} at ${at(e)} of no stored record`);
      continue; // not in the commit order
    } else if (e.records[0]?.t === 'flag') {
      flags.push({ e, key: keyOf(e.records[0]) });
    } else {
      if (flags.length > 0) out.push(`${e.records[0]?.t} at ${at(e)} between flags and their batch`);
      if (previous !== undefined && previous.subject.endsWith('.~.batch') && previous.msgID === undefined) out.push(`${e.records[0]?.t} record stored right after the takeover batch, at ${at(e)}`);
      if (previous === undefined) out.push(`${e.records[0]?.t} record before any batch, at ${at(e)}`);
    }
    if (!(e.records[0]?.t === 'flag')) previous = e;
  }
  for (const f of flags) out.push(`flag ${f.key} at ${at(f.e)}: its batch never followed`);
  return out;
}

/**
 * The fencing model over the node subjects (`ev.n.<node>`, one commit per node turn), the whole
 * stream in sequence order. A node's term of partition p opens at a batch of that node listing p in
 * `took` and closes at a `taken p` marker on that node's subject (written by the next owner before
 * it moves the fence). Violations:
 * - a record of p in a node's batch while that node has no open term of p (never took it, or a
 *   marker closed the term and it did not take p again): a write after losing the partition;
 * - a node taking p while another node's term of p is still open: the takeover did not fence the
 *   previous owner first.
 * Returns them, and where each shutdown/restore was stored (a copy must come after it).
 */
export function nodeFencingViolations(events: readonly StoredEvent[]): { violations: string[]; copiedAt: Map<string, number> } {
  const out: string[] = [];
  const copiedAt = new Map<string, number>();
  /** Partition → the node whose term is open, and where it opened. */
  const open = new Map<number, { node: string; seq: number }>();
  for (const e of events) {
    const node = e.subject.split('.').slice(3).join('.');
    if (e.taken) {
      if (open.get(e.taken.p)?.node === node) open.delete(e.taken.p);
      continue;
    }
    if (!e.parts) {
      out.push(`unknown message on node subject ${e.subject} at seq ${e.seq}`);
      continue;
    }
    for (const p of e.took ?? []) {
      const before = open.get(p);
      if (before && before.node !== node) out.push(`partition ${p}: ${node} took it at seq ${e.seq} while ${before.node}'s term (from seq ${before.seq}) was open`);
      open.set(p, { node, seq: e.seq });
    }
    e.records.forEach((r, i) => {
      const p = e.parts![i]!;
      if (open.get(p)?.node !== node) out.push(`${r.t} ${r.stream}/${r.seq ?? ''} of partition ${p} stored by ${node} at seq ${e.seq} outside its term (term: ${open.get(p)?.node ?? 'none'})`);
      if (r.t === 'shutdown' || r.t === 'restore') copiedAt.set(`${r.t}:${r.stream}:${r.epoch}`, e.seq);
    });
  }
  return { violations: out, copiedAt };
}

test('the node-subject model finds a write after a marker, and a takeover that skipped the marker', () => {
  const ev = (seq: number, node: string, e: Partial<StoredEvent>): StoredEvent => ({ seq, subject: `pkguard.ev.n.${node}`, at: 0, msgID: undefined, copy: false, emptyBatch: false, records: [], ...e });
  const msg = (stream: string, seq: number) => ({ t: 'msg', stream, seq });
  const history = [
    ev(1, 'a', { took: [3], parts: [3], records: [msg('s', 1)] }),
    ev(2, 'a', { taken: { p: 3, by: 'b' }, records: [{ t: 'taken' }] }),
    ev(3, 'b', { took: [3], parts: [3], records: [msg('s', 2)] }),
  ];
  expect(nodeFencingViolations(history).violations).toEqual([]);
  // The old owner's batch after the marker (what a paused owner's late write would be).
  expect(nodeFencingViolations([...history, ev(4, 'a', { took: [], parts: [3], records: [msg('s', 3)] })]).violations).toHaveLength(1);
  // A takeover that did not mark the previous owner.
  expect(nodeFencingViolations([history[0]!, history[2]!]).violations).toHaveLength(1);
});

describe.skipIf(!hasNatsServer)('cluster: an owner paused at a random moment under load', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = [await startNode(nats, 'paused-survivor'), await startNode(nats, 'paused-victim')];
  }, 90_000);

  afterAll(async () => {
    if (process.env.PAUSED_DEBUG) for (const n of nodes) console.log(n.stderr().slice(-4000), n.logs.filter((l) => (l.level as number) >= 40).map((l) => JSON.stringify(l).slice(0, 400)).join('\n'));
    for (const n of nodes) n.proc.kill('SIGCONT');
    await Promise.all(nodes.map((n) => n.stop()));
    for (const n of nodes) removeDir(n.dir);
    await nats?.stop();
  }, 60_000);

  test('no write of the paused owner lands after the takeover: every acked message stored once', { timeout: 240_000 }, async () => {
    const [survivor, victim] = nodes as [ServerProcess, ServerProcess];
    await waitBalanced(nodes, P);
    // One pipeline through each node: the survivor's forwards the victim's partitions' messages,
    // the victim's own go straight into its cores (local ingest) until it is paused.
    const viaSurvivor = new Pipeline(await Client.open(survivor.url('/ingest', TOKENS.ingest[0])), 12, 'ps');
    const viaVictim = new Pipeline(await Client.open(victim.url('/ingest', TOKENS.ingest[0])), 12, 'pv');
    viaSurvivor.start(40);
    viaVictim.start(40);
    let fenced = 0;
    for (let round = 0; round < 5; round++) {
      await waitBalanced(nodes, P, 60_000);
      await sleep(800 + Math.random() * 700); // under load, at no particular point of a commit
      const logsAt = victim.logs.length;
      victim.proc.kill('SIGSTOP');
      marks.push(`STOP ${new Date().toISOString()}`);
      // The survivor takes every partition over and processes what the victim had not acked.
      const stoppedAt = Date.now();
      const served = async () => {
        const h = (await health(survivor)).cluster as { partitions: number[]; unserved?: number[] };
        return h.partitions.length === P && (h.unserved ?? []).length === 0;
      };
      for (let i = 0; i < 150 && !(await served()); i++) await sleep(50);
      expect((await health(survivor)).cluster.partitions).toHaveLength(P);
      // Resumed at once (rounds 0, 2, 4): paused for less than a JetStream publish's timeout (5 s), so
      // an ack that came in during the pause is read, not timed out, and what the owner sends next
      // races the takeover. Rounds 1 and 3 stay paused longer: its publishes time out instead.
      if (round % 2 === 1) await sleep(1500);
      victim.proc.kill('SIGCONT');
      marks.push(`CONT ${new Date().toISOString()} after ${Date.now() - stoppedAt} ms`);
      await sleep(1500);
      fenced += victim.logs.slice(logsAt).filter((l) => /fence moved|marker on/.test(JSON.stringify(l))).length;
    }
    viaSurvivor.stop();
    viaVictim.stop();
    // Everything sent is acked in the end (re-sent until it is).
    const all = () => [...viaSurvivor.sent.values(), ...viaVictim.sent.values()];
    for (let i = 0; i < 120 && all().some((s) => s.acked === undefined); i++) {
      viaSurvivor.resend();
      viaVictim.resend();
      await sleep(500);
      viaSurvivor.acked();
      viaVictim.acked();
    }
    await sleep(1000);
    // Read first: the stored history is checked whatever the liveness of the run.
    const { msgs, flags, violations, onNodes } = await storedMessages();
    // With one commit per node turn on, the node-subject model must have had a history to check.
    if (process.env.PKGUARD_CLUSTER_NODE_COMMIT === '1') expect(onNodes).toBeGreaterThan(0);
    if (process.env.PAUSED_DEBUG) console.log(marks.join('\n'));
    // The issue's promise: an owner cut off cannot write after losing its lease.
    expect(violations, 'a record stored outside its owner\'s term').toEqual([]);
    const unacked = all().filter((s) => s.acked === undefined);
    if (process.env.PAUSED_DEBUG && unacked.length > 0) {
      for (const [name, pl] of [['viaSurvivor', viaSurvivor], ['viaVictim', viaVictim]] as const) {
        const codes: Record<string, number> = {};
        for (const e of pl.errors) codes[String(e.code)] = (codes[String(e.code)] ?? 0) + 1;
        console.log(name, 'ws', pl.client.ws.readyState, 'errors', JSON.stringify(codes), JSON.stringify(pl.errors.at(-1)), 'received', pl.client.received.length);
      }
      for (const n of nodes) console.log(JSON.stringify(await health(n)).slice(0, 1500));
      console.log('unacked partitions', JSON.stringify([...new Set(unacked.map((s) => subjects.partition(s.stream)))]));
    }
    expect(unacked.map((s) => `${s.stream}/${s.seq}`)).toEqual([]);
    const twice = [...msgs].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
    if (process.env.PAUSED_DEBUG && twice.length > 0) {
      const keys = new Set(twice.map((t) => t.split(' ')[0]));
      console.log(marks.join('\n'));
      console.log(where.filter((w) => keys.has(w.split(' ')[0]!)).join('\n'));
      for (const [name, n] of [['survivor', survivor], ['victim', victim]] as const) console.log(name, n.logs.filter((l) => l.event !== 'flag' && l.level !== 30).map((l) => JSON.stringify(l)).join('\n').slice(0, 6000));
    }
    expect(twice, 'a message record stored twice: a write after the takeover').toEqual([]);
    const missing = all().filter((s) => msgs.get(`${s.stream}/${s.seq}`) !== 1).map((s) => `${s.stream}/${s.seq}`);
    if (process.env.PAUSED_DEBUG && missing.length > 0) {
      const keys = new Set(missing);
      console.log(marks.join('\n'));
      const parts = new Set(missing.map((k) => subjects.partition(k.split('/')[0]!)));
      console.log(where.filter((w) => keys.has(w.split(' ')[0]!) || (w.startsWith('EMPTY') && parts.has(Number(w.split('.')[2])))).join('\n'));
      for (const [name, n] of [['survivor', survivor], ['victim', victim]] as const) console.log(name, n.logs.filter((l) => l.event !== 'flag' && l.level !== 30).map((l) => JSON.stringify(l)).join('\n').slice(0, 6000));
    }
    expect(missing, 'acked but not stored').toEqual([]);
    const unflagged = all().filter((s) => !flags.get(`${s.stream}/${s.seq}`)).map((s) => `${s.stream}/${s.seq}`);
    expect(unflagged, 'acked but its flag not stored').toEqual([]);
    console.log(`paused-owner: ${all().length} messages acked, each stored once (${onNodes} node-subject messages); the resumed owner was fenced off ${fenced} time(s)`);
    viaSurvivor.client.close();
    viaVictim.client.close();
  });
});
