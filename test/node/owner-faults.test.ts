/**
 * Faults of a node with two owner processes, on real processes and real WebSocket connections:
 * one owner SIGKILLed while idle and while batches are being forwarded to it. Checked against a
 * simple model of what was sent and answered: every message on a surviving connection gets exactly
 * one answer, the killed owner's streams get `unavailable` (the other owner's keep being acked),
 * acks per stream come in seq order across the forward, everything acked is in its owner's journal
 * after the restart, and no flag id reaches a feed twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ownerOfStream } from '../../src/node/owner-of.js';
import { Client, removeDir, sleep, startServer, TOKENS, type ServerProcess } from '../server/harness.js';
import { journalRecords, streamsOf } from './owner-harness.js';

const T0 = 1_732_260_000_000;
const auth = (role: keyof typeof TOKENS) => ({ authorization: `Bearer ${TOKENS[role][0]}` });
const FLAGGED = '这个真的是销量第一';

function ownerPid(server: ServerProcess, owner: number, nth = 1): number | undefined {
  const ready = server.logs.filter((l) => l.event === 'owner_ready' && l.owner === owner);
  return ready[nth - 1]?.pid as number | undefined;
}

async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(20);
  }
}

/** Which (stream, seq) each owner's journal holds. */
function journaled(server: ServerProcess): Set<string> {
  const out = new Set<string>();
  for (const o of [0, 1]) for (const r of journalRecords(server.dir, o)) if (r.t === 'msg') out.add(`${r.stream as string}:${r.seq as number}`);
  return out;
}

const isOpen = (c: Client) => c.ws.readyState === c.ws.OPEN;

describe('an owner process killed', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop('SIGKILL');
    for (const o of [0, 1]) {
      const pid = server && ownerPid(server, o, server.logs.filter((l) => l.event === 'owner_ready' && l.owner === o).length);
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (server) removeDir(server.dir);
    server = undefined;
  });

  it('its streams get unavailable until it is back, the other owner keeps acking; after the restart nothing acked is lost and no flag repeats', async () => {
    server = await startServer({ config: { processes: 2 } });
    const s = server;
    const [a0, b0] = streamsOf(0, 2, 'k');
    const [a1, b1] = streamsOf(1, 2, 'k');
    const feeds = await Promise.all([0, 1, 2, 3].map(() => Client.open(s.url('/feed'), auth('moderator'))));
    for (const f of feeds) f.send({ type: 'subscribe' });
    const conns = await Promise.all([0, 1, 2, 3].map(() => Client.open(s.url('/ingest'), auth('ingest'))));
    const acked: string[] = [];
    let seq = 0;
    for (const c of conns) {
      const frame = [a0, a1, b0, b1].map((stream) => ({ type: 'transcript', stream, seq: ++seq, ts: T0 + seq, text: FLAGGED }));
      c.send(frame);
      for (const m of frame) {
        await c.ack(m.stream, m.seq);
        acked.push(`${m.stream}:${m.seq}`);
      }
    }
    const before = journaled(s);
    for (const k of acked) expect(before.has(k)).toBe(true);

    process.kill(ownerPid(s, 1)!, 'SIGKILL');
    // The connections the killed process held are gone with it; the others stay.
    await until(() => conns.filter((c) => !isOpen(c)).length > 0 || undefined);
    // Every connection of the dead process sees its close by now (the kernel reset them all at once).
    await sleep(500);
    const alive = conns.filter(isOpen);
    expect(alive.length).toBeGreaterThan(0);
    const c = alive[0]!;
    const refused = await until(async () => {
      const n = ++seq;
      c.send([{ type: 'transcript', stream: a0, seq: n, ts: T0 + n, text: '你好' }, { type: 'transcript', stream: a1, seq: n, ts: T0 + n, text: FLAGGED }]);
      await c.ack(a0, n);
      const r = await c.next((m) => m.stream === a1 && m.seq === n);
      return r.type === 'error' ? r : undefined;
    });
    expect(refused.code).toBe('unavailable');
    // Owner 0's streams are acked meanwhile, on every surviving connection.
    for (const x of alive) {
      const n = ++seq;
      x.send({ type: 'transcript', stream: b0, seq: n, ts: T0 + n, text: FLAGGED });
      await x.ack(b0, n);
      acked.push(`${b0}:${n}`);
    }

    await until(() => ownerPid(s, 1, 2), 60_000);
    // Back: its streams are acked again (the links come up within a few retries).
    const n = ++seq;
    await until(async () => {
      c.send({ type: 'transcript', stream: a1, seq: n, ts: T0 + n, text: FLAGGED });
      const r = await c.next((m) => m.stream === a1 && m.seq === n && (m.type === 'ack' || m.received !== true));
      (r as { received?: boolean }).received = true;
      c.received.splice(c.received.indexOf(r), 1);
      return r.type === 'ack' ? r : undefined;
    });
    acked.push(`${a1}:${n}`);
    // A message acked before the kill, sent again: a duplicate, not processed twice.
    const again = acked.find((k) => k.startsWith(`${a1}:`))!;
    c.send({ type: 'transcript', stream: a1, seq: Number(again.split(':')[1]), ts: T0, text: FLAGGED });
    const dup = await c.next((m) => m.type === 'ack' && m.stream === a1 && m.seq === Number(again.split(':')[1]) && m.duplicate === true);
    expect(dup.duplicate).toBe(true);

    await sleep(500);
    const after = journaled(s);
    for (const k of acked) expect(after.has(k)).toBe(true);
    // No flag id twice on any feed that stayed up, and ids keep rising across the restart.
    for (const f of feeds.filter(isOpen)) {
      const ids = f.of('flag').map((m) => Number((m.flag as { id: string }).id.slice(1)));
      for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    }
    // A resume from the first flag replays every later one once, both owners' journals merged.
    const first = Math.min(...feeds.flatMap((f) => f.of('flag').map((m) => Number((m.flag as { id: string }).id.slice(1)))));
    const resumed = await Client.open(s.url('/feed'), auth('moderator'));
    resumed.send({ type: 'subscribe', since: `f${first}` });
    await sleep(1500);
    const replayed = resumed.of('flag').map((m) => (m.flag as { id: string; stream: string; seq: number }));
    expect(new Set(replayed.map((f) => f.id)).size).toBe(replayed.length);
    const flaggedMsgs = new Set(replayed.map((f) => `${f.stream}:${f.seq}`));
    // Every acked message (all of them flag text) after the first flag's has its flag in the resume, from either owner's journal.
    const firstMsg = feeds.flatMap((f) => f.of('flag')).map((m) => m.flag as { id: string; stream: string; seq: number }).find((f) => f.id === `f${first}`)!;
    for (const k of acked) if (k !== `${firstMsg.stream}:${firstMsg.seq}`) expect(flaggedMsgs.has(k)).toBe(true);
    expect(new Set(replayed.map((f) => ownerOfStream(f.stream, 2))).size).toBe(2);
    for (const x of [...conns, ...feeds, resumed]) x.close();
  });

  it('a batch forwarded to an owner that dies mid-batch: exactly its unanswered messages get unavailable, acks stay in seq order per stream, every ack is durable', async () => {
    server = await startServer({ config: { processes: 2 } });
    const s = server;
    const conns = await Promise.all([0, 1, 2, 3].map(() => Client.open(s.url('/ingest'), auth('ingest'))));
    // Each connection its own streams, of both owners (replies name one connection's message).
    const streamsOfConn = conns.map((_, ci) => [...streamsOf(0, 3, `z${ci}-`), ...streamsOf(1, 3, `z${ci}-`)]);
    // The model: per connection, every message sent, in order.
    const sent = conns.map(() => [] as { stream: string; seq: number }[]);
    let stop = false;
    const senders = conns.map(async (c, ci) => {
      let seq = 0;
      while (!stop && isOpen(c)) {
        seq++;
        const frame = streamsOfConn[ci]!.map((stream) => ({ type: 'chat', stream, seq, ts: T0 + seq, user: 'u', text: seq % 4 === 0 ? FLAGGED : '大家好' }));
        c.send(frame);
        sent[ci]!.push(...frame.map((m) => ({ stream: m.stream, seq: m.seq })));
        await sleep(4);
      }
    });
    await sleep(700);
    process.kill(ownerPid(s, 1)!, 'SIGKILL');
    await until(() => ownerPid(s, 1, 2), 60_000);
    await sleep(700);
    stop = true;
    await Promise.all(senders);
    const survivors = conns.map((c, i) => [c, i] as const).filter(([c]) => isOpen(c));
    expect(survivors.length).toBeGreaterThan(0);
    // Every message a surviving connection sent is answered, once.
    for (const [c, ci] of survivors) {
      await until(() => c.received.filter((m) => m.type === 'ack' || m.type === 'error').length >= sent[ci]!.length || undefined, 30_000);
    }
    await sleep(300);
    const durable = journaled(s);
    let refused = 0;
    for (const [c, ci] of survivors) {
      const answers = c.received.filter((m) => m.type === 'ack' || m.type === 'error');
      expect(answers.length).toBe(sent[ci]!.length);
      const byKey = new Map<string, Record<string, unknown>>();
      for (const a of answers) {
        const k = `${a.stream as string}:${a.seq as number}`;
        expect(byKey.has(k)).toBe(false);
        byKey.set(k, a);
      }
      const lastAck = new Map<string, number>();
      for (const a of answers) {
        if (a.type === 'error') {
          expect(a.code).toBe('unavailable');
          // Only the dead owner's streams are refused.
          expect(ownerOfStream(a.stream as string, 2)).toBe(1);
          refused++;
          continue;
        }
        // Acks per stream in seq order, across the forward.
        const st = a.stream as string;
        expect(a.seq as number).toBeGreaterThan(lastAck.get(st) ?? -1);
        lastAck.set(st, a.seq as number);
        expect(durable.has(`${st}:${a.seq as number}`)).toBe(true);
      }
      for (const m of sent[ci]!) expect(byKey.has(`${m.stream}:${m.seq}`)).toBe(true);
    }
    expect(refused).toBeGreaterThan(0);
    // Batches were in flight to the owner when it died (not only refused up front while it was down).
    expect(s.logs.some((l) => l.event === 'owner_unlinked' && (l.unanswered as number) > 0)).toBe(true);
    // The dead process's connections: whatever they were acked is durable too.
    for (const [ci, c] of conns.entries()) {
      if (isOpen(c)) continue;
      for (const a of c.of('ack')) expect(durable.has(`${a.stream as string}:${a.seq as number}`)).toBe(true);
      expect(sent[ci]!.length).toBeGreaterThan(0);
    }
    for (const c of conns) c.close();
  });
});
