/**
 * End to end: real `ws` clients against `pkguard serve` running as its own process.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, removeDir, startServer, TOKENS, upgradeStatus, type ServerProcess } from './harness.js';

let server: ServerProcess;
let feed: Client;
let control: Client;
let ingest: Client;
const T0 = 1_790_000_000_000;

beforeAll(async () => {
  server = await startServer();
  feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  control = await Client.open(server.url('/feed'), { authorization: `Bearer ${TOKENS.control[0]}` });
  ingest = await Client.open(server.url('/ingest?flags=1', TOKENS.ingest[0]));
}, 60_000);

afterAll(async () => {
  for (const c of [feed, control, ingest]) c?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
});

const flagsOn = (c: Client, stream: string) => c.of('flag').map((m) => m.flag as Record<string, unknown>).filter((f) => f.stream === stream);

describe('ingest → flags', () => {
  test('a phrase split across two transcript chunks is flagged on the second, with offsets into it', async () => {
    ingest.send({ type: 'transcript', stream: 'split', seq: 1, ts: T0, text: '今天这款是全网最' });
    ingest.send({ type: 'transcript', stream: 'split', seq: 2, ts: T0 + 500, text: '低价哦大家快抢' });
    await ingest.ack('split', 2);
    const m = await feed.next((x) => x.type === 'flag' && (x.flag as { stream: string }).stream === 'split');
    expect(m.flag).toMatchObject({ stream: 'split', seq: 2, category: 'extreme', term: '全网最低价', matched: '低价', start: 0, end: 2, carried: '全网最', ts: T0 + 500, kind: 'transcript' });
    // ?flags=1: the ingest connection gets its streams' flags too.
    await ingest.next((x) => x.type === 'flag' && (x.flag as { stream: string }).stream === 'split');
  });

  test('a batch frame is acked message by message; chat is scanned per message', async () => {
    ingest.send([
      { type: 'chat', stream: 'batch', seq: 1, ts: T0, user: 'u1', text: '这是全网最' },
      { type: 'chat', stream: 'batch', seq: 2, ts: T0 + 1, user: 'u2', text: '低价吗' },
      { type: 'transcript', stream: 'batch', seq: 3, ts: T0 + 2, text: '大家加微信吧' },
    ]);
    await ingest.ack('batch', 3);
    await ingest.ack('batch', 1);
    await feed.next((x) => x.type === 'flag' && (x.flag as { stream: string }).stream === 'batch');
    const flags = flagsOn(feed, 'batch');
    expect(flags.map((f) => [f.seq, f.term])).toEqual([[3, '加微信']]);
  });

  test('a re-sent seq is acked again but not processed twice', async () => {
    const msg = { type: 'transcript', stream: 'resend', seq: 7, ts: T0, text: '这个真的是销量第一' };
    ingest.send(msg);
    await ingest.ack('resend', 7);
    ingest.send(msg);
    const again = await ingest.next((m) => m.type === 'ack' && m.stream === 'resend' && m.duplicate === true);
    expect(again).toEqual({ type: 'ack', stream: 'resend', seq: 7, duplicate: true });
    ingest.send({ type: 'transcript', stream: 'resend', seq: 8, ts: T0 + 10, text: '好的' });
    await ingest.ack('resend', 8);
    expect(flagsOn(feed, 'resend')).toHaveLength(1);
  });

  test('partial hypotheses then the final yield one flag per claim', async () => {
    ingest.send({ type: 'transcript', stream: 'asr', seq: 1, ts: T0, text: '大家加微信', final: false });
    await ingest.ack('asr', 1);
    await feed.next((x) => x.type === 'flag' && (x.flag as { stream: string }).stream === 'asr');
    ingest.send({ type: 'transcript', stream: 'asr', seq: 1, ts: T0, text: '大家加微信吧', final: false });
    ingest.send({ type: 'transcript', stream: 'asr', seq: 1, ts: T0, text: '嗯大家加微信吧', final: true });
    await ingest.next(() => ingest.of('ack').filter((a) => a.stream === 'asr').length >= 3);
    // A second claim in the final is new and is reported.
    ingest.send({ type: 'transcript', stream: 'asr', seq: 2, ts: T0 + 100, text: '嗯', final: false });
    ingest.send({ type: 'transcript', stream: 'asr', seq: 2, ts: T0 + 100, text: '加微信，再说一遍加微信', final: true });
    await ingest.ack('asr', 2);
    await feed.next(() => flagsOn(feed, 'asr').length >= 3);
    expect(flagsOn(feed, 'asr').map((f) => [f.seq, f.term])).toEqual([
      [1, '加微信'],
      [2, '加微信'],
      [2, '加微信'],
    ]);
  });
});

describe('what the feed carries for the console', () => {
  test('each flag comes with its message text; PK changes and a streams summary on subscribe', async () => {
    ingest.send([
      { type: 'pk', stream: 'cards', seq: 1, ts: T0, state: 'start', opponent: 'rival' },
      { type: 'transcript', stream: 'cards', seq: 2, ts: T0 + 1, text: '家人们这个真的是销量第一' },
    ]);
    expect(await feed.next((m) => m.type === 'pk' && m.stream === 'cards')).toEqual({ type: 'pk', stream: 'cards', state: 'start', opponent: 'rival', ts: T0 });
    const m = await feed.next((x) => x.type === 'flag' && (x.flag as { stream: string }).stream === 'cards');
    const f = m.flag as { start: number; end: number; matched: string };
    expect((m.text as string).slice(f.start, f.end)).toBe(f.matched);
    const late = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    late.send({ type: 'subscribe', streams: ['cards'] });
    const summary = await late.next((x) => x.type === 'streams');
    late.close();
    expect(summary.streams).toEqual([{ stream: 'cards', level: 'watch', risk: 6, pk: true, opponent: 'rival' }]);
  });
});

describe('escalation', () => {
  test('a stream that keeps violating gets exactly one shutdown on its ingest socket, on control and on the feed', async () => {
    for (let i = 1; i <= 6; i++) ingest.send({ type: 'transcript', stream: 'bad', seq: i, ts: T0 + i * 1000, text: '全网最低价，全网最低价' });
    await ingest.ack('bad', 6);
    const onIngest = await ingest.next((m) => m.type === 'shutdown' && m.stream === 'bad');
    const onControl = await control.next((m) => m.type === 'shutdown' && m.stream === 'bad');
    const onFeed = await feed.next((m) => m.type === 'shutdown' && m.stream === 'bad');
    expect(onIngest).toEqual(onControl);
    expect(onFeed).toEqual(onControl);
    expect(onIngest).toMatchObject({ type: 'shutdown', stream: 'bad', epoch: 1, manual: false });
    expect((onIngest.flagIds as string[]).length).toBeGreaterThan(0);
    expect(await feed.next((m) => m.type === 'level' && m.stream === 'bad' && m.level === 'shutdown')).toBeTruthy();
    // More violations after the shutdown: no second signal.
    ingest.send({ type: 'transcript', stream: 'bad', seq: 7, ts: T0 + 8000, text: '全网最低价' });
    await ingest.ack('bad', 7);
    await feed.next(() => flagsOn(feed, 'bad').length >= 13);
    for (const c of [ingest, control, feed]) expect(c.of('shutdown').filter((m) => m.stream === 'bad')).toHaveLength(1);
    // Control connections get shutdown/restore only, never flags or levels.
    expect(control.received.every((m) => m.type === 'shutdown' || m.type === 'restore')).toBe(true);
  });

  test('a critical flag shuts a stream down at once; restore lifts it and a later shutdown is a new epoch', async () => {
    ingest.send({ type: 'transcript', stream: 'crit', seq: 1, ts: T0, text: '喝了能治癌' });
    const s = await control.next((m) => m.type === 'shutdown' && m.stream === 'crit');
    expect(s.reason).toMatch(/critical/);
    feed.send({ type: 'restore', stream: 'crit' });
    await control.next((m) => m.type === 'restore' && m.stream === 'crit');
    expect(await feed.next((m) => m.type === 'ok' && m.command === 'restore')).toMatchObject({ stream: 'crit' });
    feed.send({ type: 'shutdown', stream: 'crit', reason: 'moderator saw a weapon' });
    const manual = await ingest.next((m) => m.type === 'shutdown' && m.stream === 'crit' && m.manual === true);
    expect(manual).toMatchObject({ epoch: 2, reason: 'moderator saw a weapon' });
    feed.send({ type: 'shutdown', stream: 'crit' });
    expect(await feed.next((m) => m.type === 'ok' && m.command === 'shutdown' && m.noop === true)).toBeTruthy();
  });

  test('dismissing a flag removes its weight: risk and level go down', async () => {
    ingest.send({ type: 'transcript', stream: 'dis', seq: 1, ts: T0, text: '这个真的是销量第一' });
    ingest.send({ type: 'transcript', stream: 'dis', seq: 2, ts: T0, text: '全网最低价' });
    const alert = await feed.next((m) => m.type === 'level' && m.stream === 'dis' && m.level === 'alert');
    const flag = flagsOn(feed, 'dis')[0]!;
    feed.send({ type: 'dismiss', flagId: flag.id, reason: 'quoting a competitor' });
    const lower = await feed.next((m) => m.type === 'level' && m.stream === 'dis' && m.level === 'watch');
    expect(lower.risk as number).toBeLessThan(alert.risk as number);
    expect(await feed.next((m) => m.type === 'ok' && m.command === 'dismiss')).toMatchObject({ flagId: flag.id, stream: 'dis' });
    feed.send({ type: 'dismiss', flagId: 'f999999' });
    expect(await feed.next((m) => m.type === 'error' && m.code === 'unknown_flag')).toBeTruthy();
    feed.send({ type: 'restore', stream: 'no-such-stream' });
    expect(await feed.next((m) => m.type === 'error' && m.code === 'unknown_stream')).toBeTruthy();
  });
});

describe('auth and roles', () => {
  test('a missing or wrong token gets 401 and no socket; a right token on the wrong path gets 403', async () => {
    expect(await upgradeStatus(server.url('/ingest'))).toBe(401);
    expect(await upgradeStatus(server.url('/feed', 'wrong-token-0123456789abcdef'))).toBe(401);
    expect(await upgradeStatus(server.url('/ingest'), { authorization: 'Bearer nope' })).toBe(401);
    expect(await upgradeStatus(server.url('/feed', TOKENS.ingest[0]))).toBe(403);
    expect(await upgradeStatus(server.url('/ingest', TOKENS.moderator[0]))).toBe(403);
    expect(await upgradeStatus(server.url('/ingest', TOKENS.control[0]))).toBe(403);
    expect(await upgradeStatus(server.url('/elsewhere', TOKENS.moderator[0]))).toBe(404);
    expect(await upgradeStatus(server.url('/ingest'), { authorization: `Bearer ${TOKENS.ingest[0]}` })).toBe(101);
  });

  test('an ingest connection cannot send feed commands; a control connection cannot dismiss, shut down or restore', async () => {
    ingest.send({ type: 'dismiss', flagId: 'f1' });
    expect(await ingest.next((m) => m.type === 'error' && m.code === 'forbidden')).toMatchObject({ message: expect.stringMatching(/^type: dismiss/) });
    // Every feed command, the recommend-mode ones too, is forbidden on /ingest (not an unknown type).
    ingest.send({ type: 'confirm', stream: 'split' });
    expect(await ingest.next((m) => m.type === 'error' && m.code === 'forbidden' && /^type: confirm/.test(String(m.message)))).toBeTruthy();
    ingest.send({ type: 'decline', stream: 'split' });
    expect(await ingest.next((m) => m.type === 'error' && m.code === 'forbidden' && /^type: decline/.test(String(m.message)))).toBeTruthy();
    control.send({ type: 'dismiss', flagId: 'f1' });
    control.send({ type: 'shutdown', stream: 'split' });
    control.send({ type: 'restore', stream: 'bad' });
    await control.next(() => control.of('error').length >= 3);
    expect(control.of('error').map((m) => m.code)).toEqual(['forbidden', 'forbidden', 'forbidden']);
    // A moderator-only stream stays up, and 'bad' stays shut down.
    expect(control.of('restore').filter((m) => m.stream === 'bad')).toHaveLength(0);
  });
});

describe('HTTP', () => {
  test('/healthz is ready and /metrics speaks Prometheus text with pkguard counters', async () => {
    const base = `http://127.0.0.1:${server.port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', ready: true, journal: { writable: true } });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^pkguard_flags_total\{category="extreme",severity="high"\} \d+/m);
    expect(text).toMatch(/^pkguard_messages_total\{type="transcript"\} \d+/m);
    expect(text).toMatch(/^pkguard_connections\{role="moderator"\} 1/m);
    expect(text).toMatch(/^pkguard_shutdowns_total\{manual="false"\} [1-9]/m);
    expect(text).toMatch(/^pkguard_scan_seconds_bucket/m);
    expect(text).toMatch(/^pkguard_journal_pending_records \d+/m);
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    // The page's modules, and the pure server modules they import (one home for the flag's codes and the end rule).
    for (const path of ['/assets/console/main.js', '/assets/flag.js', '/assets/stream/ended.js']) {
      const r = await fetch(`${base}${path}`);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    }
    expect(await (await fetch(`${base}/assets/console/wire.js`)).text()).toContain(`from '../flag.js'`);
    for (const path of ['/assets/main.js', '/assets/console/tsconfig.json', '/assets/console/wire.ts']) expect((await fetch(`${base}${path}`)).status, path).toBe(404);
  });
});
