/**
 * `coreThread: true` against a real `pkguard serve`: the stream core in its worker thread, the
 * sockets on the main thread. What crosses the thread boundary is checked from outside: acks after
 * the journal, flags on the feed, a shutdown a control client learns on connecting (summaries are
 * asked of the worker), `since` paged from the worker's journal (more than one page) after a
 * SIGKILL and restart, exactly once and in id order, and one `/metrics` with the worker's counters
 * summed in and the process metrics once. (The whole server suite also runs this way with
 * PKGUARD_CORE_THREAD=1.)
 */
import { afterAll, expect, test } from 'vitest';
import { Client, removeDir, sleep, startServer, tempDir, TOKENS } from './harness.js';

const dir = tempDir();
afterAll(() => removeDir(dir));
const T0 = 1_790_000_000_000;
const num = (m: Record<string, unknown>) => Number((m.flag as { id: string }).id.slice(1));

test('the core thread: acks, flags, state on connect, paged since after SIGKILL, merged metrics', async () => {
  const config = { coreThread: true, escalation: { thresholds: { watch: 3, alert: 8, shutdown: 16 } } };
  let s = await startServer({ dir, config });
  expect(s.logs.find((l) => l.event === 'listening')?.coreThread).toBe(true);
  const moderator = await Client.open(s.url('/feed', TOKENS.moderator[0]));
  // Live from now (without a subscribe it would hold flags for the grace and replay them after).
  moderator.send({ type: 'subscribe' });
  await moderator.next((m) => m.type === 'streams');
  const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  // 600 messages with one flag each in 30 batches over 30 streams: more than one history page (512).
  let seq = 0;
  for (let b = 0; b < 30; b++) {
    const batch = Array.from({ length: 20 }, (_, i) => ({ type: 'chat', stream: `c${i}`, seq: ++seq, ts: T0 + seq, user: 'u', text: `第${seq}句 全网最低价` }));
    ingest.send(batch);
    await ingest.ack(batch[19]!.stream, batch[19]!.seq, 30_000);
  }
  expect(ingest.of('ack')).toHaveLength(600);
  // A stream driven over the shutdown threshold: one shutdown, to its ingest connection.
  const hot = Array.from({ length: 6 }, (_, k) => ({ type: 'transcript', stream: 'hot', seq: k + 1, ts: T0 + 1000 * k, text: '加我微信私聊，全网最低价，保证治愈', final: true }));
  ingest.send(hot);
  await ingest.ack('hot', 6, 30_000);
  await ingest.next((m) => m.type === 'shutdown' && m.stream === 'hot', 10_000);
  await moderator.next((m) => m.type === 'shutdown' && m.stream === 'hot', 10_000);
  const live = moderator.of('flag').map(num);
  expect(live.length).toBeGreaterThan(600);
  expect(live).toEqual([...live].sort((a, b) => a - b));

  // A control client connecting now learns the shut-down set (asked of the core thread).
  const control = await Client.open(s.url('/feed', TOKENS.control[0]));
  const standing = await control.next((m) => m.type === 'shutdown');
  expect(standing).toMatchObject({ stream: 'hot', state: true });

  // One /metrics: the worker's counters summed in, the process metrics once.
  const text = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
  expect(Number(/pkguard_messages_total\{type="chat"\} (\d+)/.exec(text)?.[1])).toBe(600);
  expect(text.match(/^# HELP pkguard_process_cpu_seconds_total /gm)).toHaveLength(1);
  expect(text.match(/^# HELP pkguard_messages_total /gm)).toHaveLength(1);
  const health = (await (await fetch(`http://127.0.0.1:${s.port}/healthz`)).json()) as { ready: boolean; lexicon: { patterns: number }; streams: number };
  expect(health.ready).toBe(true);
  expect(health.lexicon.patterns).toBeGreaterThan(0);
  expect(health.streams).toBe(21);
  // The hot stream's later flags may reach the feed after its shutdown frame: wait until the feed is
  // quiet, so `live` holds every flag journaled before the kill.
  for (let n = -1; n !== moderator.of('flag').length; await sleep(300)) n = moderator.of('flag').length;
  live.splice(0, live.length, ...moderator.of('flag').map(num));
  for (const c of [moderator, ingest, control]) c.close();

  // SIGKILL, restart on the same journal: `since` replays every later flag once, in id order, across pages.
  await s.stop('SIGKILL');
  s = await startServer({ dir, config });
  const resumed = await Client.open(s.url('/feed', TOKENS.moderator[0]));
  resumed.send({ type: 'subscribe', since: `f${live[0]}` });
  const last = live[live.length - 1]!;
  await resumed.next((m) => m.type === 'flag' && num(m) === last, 30_000);
  expect(resumed.of('flag').map(num)).toEqual(live.slice(1));
  // The shut-down stream stays shut down; its re-sent messages are acked as duplicates, not processed.
  const again = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
  again.send(hot[5]);
  const ack = await again.next((m) => m.type === 'ack' && m.stream === 'hot');
  expect(ack.duplicate).toBe(true);
  resumed.close();
  again.close();
  expect(await s.stop()).toBe(0);
}, 180_000);
