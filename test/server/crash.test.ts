/**
 * Crash: the server is killed with SIGKILL while messages stream in, then restarted on the same
 * journal. Nothing acked may be lost, ids continue, shut-down streams stay shut down, and a
 * moderator resuming with `since` gets every later flag exactly once, in order.
 */
import { afterAll, expect, test } from 'vitest';
import { Client, removeDir, sleep, startServer, TOKENS, tempDir } from './harness.js';

const dir = tempDir();
afterAll(() => removeDir(dir));

const TEXTS = ['这个真的是销量第一', '全网最低价', '大家加微信', '史上最强', '独家合作', '可以根治鼻炎'];
const T0 = 1_790_000_000_000;
const num = (id: unknown) => Number(String(id).slice(1));

test('SIGKILL mid-stream, restart on the same journal: nothing acked is lost, ids continue, shutdowns stay, resume is exact', { timeout: 120_000 }, async () => {
  const a = await startServer({ dir });
  const moderator = await Client.open(a.url('/feed', TOKENS.moderator[0]));
  moderator.send({ type: 'subscribe' }); // live from now (without it, flags are held for limits.feedGraceMs)
  const ingest = await Client.open(a.url('/ingest', TOKENS.ingest[0]));

  // A critical claim shuts 'crit' down before the crash.
  ingest.send({ type: 'transcript', stream: 'crit', seq: 1, ts: T0, text: '喝了能治癌' });
  await moderator.next((m) => m.type === 'shutdown' && m.stream === 'crit');

  // Five streams send without waiting for acks; the process dies after ~150 acks, mid-stream.
  const sent: { stream: string; seq: number }[] = [];
  let sending = true;
  const pump = (async () => {
    for (let i = 0; sending && i < 2000; i++) {
      const batch = [];
      for (let s = 0; s < 5; s++) {
        const m = { type: 'transcript', stream: `c${s}`, seq: i + 1, ts: T0 + i * 100, text: TEXTS[(i + s) % TEXTS.length] };
        batch.push(m);
        sent.push(m);
      }
      if (ingest.ws.readyState !== ingest.ws.OPEN) break;
      ingest.send(batch);
      // Stay a few hundred messages ahead of the acks, so the kill always lands mid-stream however
      // fast the server is; yield each time so acks are read.
      await (sent.length - ingest.of('ack').length < 300 ? new Promise((r) => setImmediate(r)) : sleep(1));
    }
  })();
  await ingest.next(() => ingest.of('ack').length >= 150, 30_000);
  a.proc.kill('SIGKILL');
  sending = false;
  await pump;
  expect(await a.exited).toBe(null);
  const acked = ingest.of('ack').map((m) => `${m.stream}/${m.seq}`);
  const liveFlags = moderator.of('flag').map((m) => m.flag as Record<string, unknown>);
  expect(sent.length).toBeGreaterThan(acked.length); // it really died mid-stream
  const lastSeen = liveFlags.at(-1)!.id as string;

  const b = await startServer({ dir });
  try {
    const resumed = await Client.open(b.url('/feed', TOKENS.moderator[0]));
    resumed.send({ type: 'subscribe', since: lastSeen });
    const ingest2 = await Client.open(b.url('/ingest', TOKENS.ingest[0]));

    // Re-sent acked messages are acked as duplicates, not processed again.
    const [s0, q0] = acked[0]!.split('/');
    ingest2.send({ type: 'transcript', stream: s0, seq: Number(q0), ts: T0, text: TEXTS[0] });
    expect(await ingest2.next((m) => m.type === 'ack')).toMatchObject({ duplicate: true });

    // 'crit' is still shut down: another critical claim starts no second shutdown (no new epoch), a
    // manual shutdown is a no-op; this new connection is told the standing one, once, before the ack.
    ingest2.send({ type: 'transcript', stream: 'crit', seq: 2, ts: T0 + 1000, text: '喝了能治癌' });
    await ingest2.ack('crit', 2);
    resumed.send({ type: 'shutdown', stream: 'crit' });
    expect(await resumed.next((m) => m.type === 'ok' && m.command === 'shutdown')).toMatchObject({ noop: true });
    ingest2.send({ type: 'transcript', stream: 'crit', seq: 3, ts: T0 + 2000, text: '谢谢大家' });
    await ingest2.ack('crit', 3);
    expect(ingest2.of('shutdown')).toEqual([expect.objectContaining({ stream: 'crit', epoch: 1 })]);
    const told = ingest2.received.findIndex((m) => m.type === 'shutdown');
    expect(told).toBeLessThan(ingest2.received.findIndex((m) => m.type === 'ack' && m.stream === 'crit'));

    // Let the replay catch up with the live flag of 'crit' seq 2 (the newest flag).
    const newest = await resumed.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === 'crit');
    const resumedFlags = resumed.of('flag').map((m) => m.flag as Record<string, unknown>);
    const ids = resumedFlags.map((f) => num(f.id));

    // Exactly once and in order: strictly increasing, all after `since`, none already seen live.
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1]!);
    expect(ids[0]).toBeGreaterThan(num(lastSeen));
    // Ids continue past everything journaled before the crash.
    const before = [...liveFlags, ...resumedFlags.filter((f) => f !== newest.flag)];
    expect(num((newest.flag as { id: string }).id)).toBeGreaterThan(Math.max(...before.map((f) => num(f.id))));

    // Every acked message's flags are there (each text raises at least one flag).
    const flagged = new Set([...liveFlags, ...resumedFlags].map((f) => `${f.stream}/${f.seq}`));
    const missing = acked.filter((k) => !flagged.has(k));
    expect(missing).toEqual([]);
    for (const c of [resumed, ingest2]) c.close();
  } finally {
    await b.stop();
  }
  // The torn tail, if the kill cut a write in half, is reported, never fatal.
  expect(b.logs.filter((l) => l.level === 60)).toEqual([]);
});
