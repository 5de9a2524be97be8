/**
 * Connections routed by their `?streams=` hint on a node of two owner processes (real processes,
 * real WebSocket connections): a connection hinted with its streams lands on their owner, so none
 * of its messages is forwarded (each owner's `pkguard_owner_forwarded_messages_total`, read through
 * `/metrics?streams=…`, which the same hint routes); a wrong hint still works, forwarded; an owner
 * SIGKILLed while hinted sockets are open costs only its own connections, and while it is down its
 * hint falls back to the other owner (its streams `unavailable` there), and back to it after the restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Client, removeDir, sleep, startServer, TOKENS, type ServerProcess } from '../server/harness.js';
import { streamsOf } from './owner-harness.js';
import { IngestClient, streamsByOwner } from '../../src/index.js';

const T0 = 1_732_260_000_000;
const auth = { authorization: `Bearer ${TOKENS.ingest[0]}` };

/** One owner's counters, reached by hinting one of its streams on `/metrics`. */
async function counters(server: ServerProcess, streamOfOwner: string): Promise<{ forwarded: number; processed: number }> {
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics?streams=${streamOfOwner}`)).text();
  const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(name)).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
  return { forwarded: sum('pkguard_owner_forwarded_messages_total'), processed: sum('pkguard_messages_total') };
}

function ownerPid(server: ServerProcess, owner: number, nth: number): number | undefined {
  return server.logs.filter((l) => l.event === 'owner_ready' && l.owner === owner)[nth - 1]?.pid as number | undefined;
}

async function until<T>(f: () => T | undefined | false | Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out');
    await sleep(50);
  }
}

/** Sends `rounds` frames of one message per stream and waits for every ack; returns how many were sent. */
async function sendAll(c: Client, streams: readonly string[], firstSeq: number, rounds: number): Promise<number> {
  for (let r = 0; r < rounds; r++) c.send(streams.map((stream) => ({ type: 'chat', stream, seq: firstSeq + r, ts: T0 + r, user: 'u', text: '今天天气不错' })));
  for (const s of streams) await c.ack(s, firstSeq + rounds - 1, 20_000);
  return streams.length * rounds;
}

describe('connections routed by their ?streams= hint', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop('SIGKILL');
    for (const o of [0, 1]) {
      const n = server ? server.logs.filter((l) => l.event === 'owner_ready' && l.owner === o).length : 0;
      const pid = server && ownerPid(server, o, n);
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (server) removeDir(server.dir);
    server = undefined;
  });

  it('a hinted connection\'s messages reach their owner with no forward; a wrong hint is forwarded and still acked', async () => {
    server = await startServer({ config: { processes: 2 } });
    const s = server;
    const mine = [streamsOf(0, 6, 'h'), streamsOf(1, 6, 'h')];
    const before = [await counters(s, mine[0]![0]!), await counters(s, mine[1]![0]!)];
    // Six connections each way: round-robin alone would put about half on the other owner.
    const conns = await Promise.all([0, 1].flatMap((o) => [0, 1, 2].map((k) => Client.open(s.url(`/ingest?streams=${mine[o]!.slice(2 * k, 2 * k + 2).join(',')}`), auth).then((c) => ({ c, o, streams: mine[o]!.slice(2 * k, 2 * k + 2) })))));
    const sent = [0, 0];
    for (const { c, o, streams } of conns) sent[o]! += await sendAll(c, streams, 1, 5);
    const after = [await counters(s, mine[0]![0]!), await counters(s, mine[1]![0]!)];
    for (const o of [0, 1]) {
      expect(after[o]!.forwarded - before[o]!.forwarded).toBe(0);
      // Each owner processed exactly its own streams' messages: /metrics?streams= reached each of them.
      expect(after[o]!.processed - before[o]!.processed).toBe(sent[o]);
    }
    // A wrong hint: owner 1's stream named, owner 0's streams sent. Forwarded by owner 1, acked all the same.
    const wrong = await Client.open(s.url(`/ingest?streams=${mine[1]![0]}`), auth);
    const n = await sendAll(wrong, mine[0]!.slice(0, 3), 100, 4);
    expect(wrong.of('error')).toEqual([]);
    const third = [await counters(s, mine[0]![0]!), await counters(s, mine[1]![0]!)];
    expect(third[1]!.forwarded - after[1]!.forwarded).toBe(n);
    expect(third[0]!.forwarded - after[0]!.forwarded).toBe(0);
    expect(third[0]!.processed - after[0]!.processed).toBe(n);
    // The client library: one IngestClient per owner group of its streams (streamsByOwner), each hinted; still no forward.
    const groups = streamsByOwner(streamsOf(0, 3, 'g').concat(streamsOf(1, 3, 'g')), 2);
    const clients = await Promise.all(groups.map((g) => IngestClient.connect(`ws://127.0.0.1:${s.port}`, TOKENS.ingest[0]!, { streams: g })));
    await Promise.all(groups.flatMap((g, o) => g.map((stream) => clients[o]!.send({ type: 'chat', stream, seq: 1, ts: T0, user: 'u', text: '你好' }))));
    const fourth = [await counters(s, mine[0]![0]!), await counters(s, mine[1]![0]!)];
    for (const o of [0, 1]) {
      expect(fourth[o]!.forwarded).toBe(third[o]!.forwarded);
      expect(fourth[o]!.processed - third[o]!.processed).toBe(3);
    }
    for (const { c } of conns) c.close();
    wrong.close();
    await Promise.all(clients.map((c) => c.close()));
  });

  it('connections handed over in a burst: each answers the frame it sent the moment it opened', async () => {
    server = await startServer({ config: { processes: 2 } });
    const s = server;
    const streams = [...streamsOf(0, 50, 'b'), ...streamsOf(1, 50, 'b')];
    const opened: Client[] = [];
    // 100 connections, 25 at a time, each sending at once on open (the deterministic check that the primary reads nothing past the request line is socket-handoff.test.ts).
    for (let i = 0; i < streams.length; i += 25) {
      const batch = await Promise.all(streams.slice(i, i + 25).map(async (stream) => {
        const c = await Client.open(s.url(`/ingest?streams=${stream}`), auth);
        c.send({ type: 'chat', stream, seq: 1, ts: T0, user: 'u', text: '你好' });
        return c;
      }));
      opened.push(...batch);
    }
    await Promise.all(opened.map((c, k) => c.ack(streams[k]!, 1, 20_000)));
    for (const c of opened) c.close();
  });

  it('owner 1 SIGKILLed with hinted sockets open: only its connections drop; its hint falls back to owner 0 (unavailable) until it is back, then reaches it again', async () => {
    server = await startServer({ config: { processes: 2 } });
    const s = server;
    const [s0, s1] = [streamsOf(0, 4, 'k'), streamsOf(1, 4, 'k')];
    const on0 = await Promise.all([0, 1].map(() => Client.open(s.url(`/ingest?streams=${s0.join(',')}`), auth)));
    const on1 = await Promise.all([0, 1].map(() => Client.open(s.url(`/ingest?streams=${s1.join(',')}`), auth)));
    for (const c of on0) await sendAll(c, s0, 1, 2);
    for (const c of on1) await sendAll(c, s1, 1, 2);
    const base0 = await counters(s, s0[0]!);
    process.kill(ownerPid(s, 1, 1)!, 'SIGKILL');
    // The sockets owner 1 held are gone with it; owner 0's stay open and keep acking, with no forward.
    for (const c of on1) expect((await c.closed).code).toBe(1006);
    let seq = 10;
    for (const c of on0) await sendAll(c, s0, seq++, 1);
    expect(on0.every((c) => c.ws.readyState === c.ws.OPEN)).toBe(true);
    // Owner 1's hint while it is down (the primary saw it die; its restart not ready yet): handed to owner 0, its streams refused as unavailable.
    // (A connection handed in the instant between the kill and the primary seeing it goes down with the dead owner, as with cluster's round-robin.)
    await until(() => s.logs.some((l) => l.event === 'owner_died' && l.owner === 1));
    const early = await Client.open(s.url(`/ingest?streams=${s1.join(',')}`), auth);
    early.send(s1.map((stream) => ({ type: 'chat', stream, seq: 50, ts: T0, user: 'u', text: '你好' })));
    const refusal = await early.next((m) => m.type === 'error' || m.type === 'ack', 20_000);
    // Either it came while owner 1 was down (refused) or after its restart was ready (acked): never lost, never another code.
    if (refusal.type === 'error') expect(refusal.code).toBe('unavailable');
    await until(() => s.logs.filter((l) => l.event === 'owner_ready' && l.owner === 1).length >= 2);
    // Back: a new hinted connection reaches the restarted owner 1, which forwards none of it.
    const back = await Client.open(s.url(`/ingest?streams=${s1.join(',')}`), auth);
    await until(async () => {
      back.send(s1.map((stream) => ({ type: 'chat', stream, seq: 60, ts: T0, user: 'u', text: '你好' })));
      const r = await back.next((m) => m.seq === 60, 20_000);
      back.received.length = 0;
      return r.type === 'ack';
    });
    const n = await sendAll(back, s1, 61, 3);
    const c1 = await counters(s, s1[0]!);
    expect(c1.forwarded).toBe(0);
    expect(c1.processed).toBeGreaterThanOrEqual(n);
    // Owner 0 forwarded nothing for the connections hinted to it, before or after the kill.
    const c0 = await counters(s, s0[0]!);
    expect(c0.forwarded - base0.forwarded).toBeLessThanOrEqual(s1.length * 1);
    for (const c of [...on0, early, back]) c.close();
  });
});
