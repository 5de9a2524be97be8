/**
 * The feed hub with fake sockets: state in pages at 100k streams, pages patched by signals sent
 * between them, the shut-down set for control clients, a bounded held queue while a slow reader
 * replays, and a message's text sent once per connection.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import type { Flag } from '../../src/flag.js';
import type { ShutdownEvent } from '../../src/escalate/escalation.js';
import type { FlagEntry, StreamSummary } from '../../src/stream/contracts.js';
import { UnavailableError } from '../../src/errors.js';
import { CORK_FLUSH_BYTES, FeedClient, FeedHub, type FeedSource } from '../../src/server/feed-hub.js';

class FakeSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  maxBuffered = 0;
  closeCode: number | undefined;
  readonly frames: string[] = [];
  send(data: string): void {
    this.frames.push(data);
    this.bufferedAmount += Buffer.byteLength(data);
    this.maxBuffered = Math.max(this.maxBuffered, this.bufferedAmount);
  }
  close(code: number): void {
    if (this.readyState === 1) [this.readyState, this.closeCode] = [2, code];
  }
  terminate(): void {
    this.readyState = 3;
  }
  /** Reads up to `bytes` of frames (at least one). */
  read(bytes = Infinity): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    let taken = 0;
    while (this.frames.length > 0 && (out.length === 0 || taken < bytes)) {
      const f = this.frames.shift()!;
      const n = Buffer.byteLength(f);
      taken += n;
      this.bufferedAmount -= n;
      out.push(JSON.parse(f) as Record<string, unknown>);
    }
    return out;
  }
}

const flag = (n: number, over: Partial<Flag> = {}): Flag => ({ id: `f${n}`, stream: 's', seq: n, category: 'extreme', term: '全网最低价', matched: '全网最低价', start: 0, end: 5, severity: 'high', evasion: false, via: 'text', ...over });

function sourceOf(summaries: StreamSummary[], journal: FlagEntry[] = []): FeedSource {
  return {
    history: {
      async *flagEntriesSince(after: number) {
        for (const e of journal) if (Number(e.flag.id.slice(1)) > after) yield e;
      },
      retainedFrom: () => undefined,
    },
    lastFlagNumber: () => journal.length,
    summaries: () => summaries.map((s) => ({ ...s })),
    thresholds: { watch: 3, alert: 8, shutdown: 16 },
  };
}

function connect(hub: FeedHub, source: FeedSource, role: 'moderator' | 'control' = 'moderator') {
  const sock = new FakeSocket();
  const client = new FeedClient(sock as never, role);
  hub.add(client, source);
  return { sock, client };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('state on subscribe', () => {
  test('100k streams: pages of at most 500 streams / ~64 KiB, paced by the reader, the last marked done', async () => {
    const N = 100_000;
    const summaries: StreamSummary[] = Array.from({ length: N }, (_, i) => ({ stream: `room-${i}-${'x'.repeat(i % 100)}`, level: i % 7 === 0 ? 'watch' : 'normal', risk: i % 7 === 0 ? 3.5 : 0, pk: i % 5 === 0, ...(i % 5 === 0 ? { opponent: `rival-${i}` } : {}) }));
    const maxBufferedBytes = 1 << 20;
    const cut: FeedClient[] = [];
    const hub = new FeedHub({ maxBufferedBytes, onSlowConsumer: (c) => cut.push(c) });
    const { sock, client } = connect(hub, sourceOf(summaries));
    const done = hub.subscribe(client, { type: 'subscribe' });
    const pages: Record<string, unknown>[] = [];
    let largest = 0;
    let total = 0;
    for (let i = 0; i < 10_000 && !pages.at(-1)?.done; i++) {
      for (const f of sock.frames) largest = Math.max(largest, Buffer.byteLength(f));
      for (const m of sock.read(256 * 1024)) {
        pages.push(m);
        total += (m.streams as unknown[]).length;
      }
      await vi.advanceTimersByTimeAsync(5);
    }
    await done;
    expect(cut).toEqual([]);
    expect(pages.every((p) => p.type === 'streams' && (p.streams as unknown[]).length <= 500)).toBe(true);
    expect(pages.map((p) => p.done)).toEqual([...Array(pages.length - 1).fill(false), true]);
    expect(pages.map((p) => p.page)).toEqual(pages.map((_, i) => i));
    expect(total).toBe(N);
    expect(new Set(pages.flatMap((p) => (p.streams as StreamSummary[]).map((s) => s.stream))).size).toBe(N);
    expect(largest).toBeLessThan(64 * 1024 + 512);
    expect(sock.maxBuffered).toBeLessThanOrEqual(maxBufferedBytes / 2 + 64 * 1024 + 512);
    expect(pages[0]).toMatchObject({ lastFlag: null, thresholds: { watch: 3, alert: 8, shutdown: 16 } });
    console.log(`[feed state] ${N} streams: ${pages.length} pages, largest frame ${largest} B, most buffered ${sock.maxBuffered} B`);
  });

  test('a signal sent between pages is in the later page: a page never takes a stream back', async () => {
    const summaries: StreamSummary[] = [`a${'x'.repeat(300)}`, `b${'x'.repeat(300)}`, 'c'].map((stream) => ({ stream, level: 'normal', risk: 0, pk: false }));
    const hub = new FeedHub({ maxBufferedBytes: 1200, pages: { streams: 1, bytes: 1 }, onSlowConsumer: () => {} });
    const { sock, client } = connect(hub, sourceOf(summaries));
    void hub.subscribe(client, { type: 'subscribe' });
    await vi.advanceTimersByTimeAsync(0);
    expect(sock.frames.length).toBeLessThan(3); // paced: the rest waits for the reader
    hub.shutdown({ type: 'shutdown', stream: 'c', reason: 'critical flag f9: 治癌', flagIds: ['f9'], ts: 1, epoch: 1, manual: false }, '{"type":"shutdown","stream":"c","reason":"critical flag f9: 治癌"}');
    hub.pk({ type: 'pk', stream: 'c', state: 'start', opponent: 'd', ts: 1 });
    const got: Record<string, unknown>[] = [];
    for (let i = 0; i < 50; i++) {
      got.push(...sock.read());
      await vi.advanceTimersByTimeAsync(5);
    }
    const pageOfC = got.find((m) => m.type === 'streams' && (m.streams as StreamSummary[])[0]?.stream === 'c')!;
    expect(got.indexOf(pageOfC)).toBeGreaterThan(got.findIndex((m) => m.type === 'shutdown'));
    expect((pageOfC.streams as StreamSummary[])[0]).toEqual({ stream: 'c', level: 'shutdown', risk: 0, pk: true, opponent: 'd', reason: 'critical flag f9: 治癌' });
  });

  test('control clients get the shut-down set of their streams as state shutdown messages, on subscribe and when they never subscribe', async () => {
    const summaries: StreamSummary[] = [
      { stream: 'a', level: 'shutdown', risk: 20, pk: false, reason: 'risk 20.0 crossed the shutdown threshold 16' },
      { stream: 'b', level: 'alert', risk: 9, pk: false },
      { stream: 'c', level: 'shutdown', risk: 0, pk: false, reason: 'manual shutdown by a moderator' },
    ];
    const hub = new FeedHub({ maxBufferedBytes: 1 << 20, graceMs: 100, onSlowConsumer: () => {} });
    const quiet = connect(hub, sourceOf(summaries), 'control');
    const picky = connect(hub, sourceOf(summaries), 'control');
    const state = (s: StreamSummary) => ({ type: 'shutdown', stream: s.stream, reason: s.reason, state: true });
    await hub.subscribe(picky.client, { type: 'subscribe', streams: ['c', 'b'] });
    expect(picky.sock.read()).toEqual([[state(summaries[2]!)]]);
    expect(quiet.sock.frames).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(quiet.sock.read()).toEqual([[state(summaries[0]!), state(summaries[2]!)]]);
    // Nothing shut down: nothing to say.
    const calm = connect(hub, sourceOf([summaries[1]!]), 'control');
    await vi.advanceTimersByTimeAsync(100);
    expect(calm.sock.frames).toEqual([]);
  });

  test('a control client that heard a shutdown live during its grace is not told it again as state (a state shutdown has no epoch to dedupe by)', async () => {
    const hub = new FeedHub({ maxBufferedBytes: 1 << 20, graceMs: 100, onSlowConsumer: () => {} });
    const before: StreamSummary = { stream: 'a', level: 'shutdown', risk: 20, pk: false, reason: 'risk 20.0 crossed the shutdown threshold 16' };
    const during: StreamSummary = { stream: 'd', level: 'shutdown', risk: 17, pk: false, reason: 'risk 17.0 crossed the shutdown threshold 16' };
    // The source answers as the core would once the grace ends: both streams shut down.
    const { sock } = connect(hub, sourceOf([before, during]), 'control');
    await vi.advanceTimersByTimeAsync(40);
    const live = { type: 'shutdown', stream: 'd', reason: during.reason, flagIds: ['f3'], ts: 5, epoch: 1, manual: false };
    hub.shutdown(live as ShutdownEvent, JSON.stringify(live));
    await vi.advanceTimersByTimeAsync(100);
    const got = sock.read().flat() as Record<string, unknown>[];
    expect(got.filter((m) => m.stream === 'd')).toEqual([live]);
    expect(got.filter((m) => m.stream === 'a')).toEqual([{ type: 'shutdown', stream: 'a', reason: before.reason, state: true }]);
    // Once its state is sent it is live: a later shutdown is one more signal.
    const later = { ...live, stream: 'e', epoch: 1 };
    hub.shutdown(later as ShutdownEvent, JSON.stringify(later));
    expect(sock.read().flat()).toEqual([later]);
  });
});

describe('bounded while a slow reader replays', () => {
  test('held flags stay under the bound; past it slow_consumer names the last flag sent, close 4008', async () => {
    const text = '全网最低价，'.repeat(50);
    const journal: FlagEntry[] = Array.from({ length: 5000 }, (_, i) => ({ flag: flag(i + 1, { seq: i + 1 }), text }));
    const maxBufferedBytes = 256 * 1024;
    const hub = new FeedHub({ maxBufferedBytes, onSlowConsumer: (c) => c.ws.close(4008, 'slow consumer') });
    const { sock, client } = connect(hub, sourceOf([], journal));
    void hub.subscribe(client, { type: 'subscribe', since: 'f10' });
    let maxHeld = 0;
    // Live flags keep coming; the client reads nothing.
    for (let n = 5001; n <= 20_000 && sock.closeCode === undefined; n++) {
      const f = flag(n, { seq: n });
      journal.push({ flag: f, text });
      hub.flags([f], text);
      maxHeld = Math.max(maxHeld, client.held?.bytes ?? 0);
      if (n % 50 === 0) await vi.advanceTimersByTimeAsync(5);
    }
    expect(sock.closeCode).toBe(4008);
    expect(maxHeld).toBeLessThanOrEqual(maxBufferedBytes + 2048);
    expect(sock.maxBuffered).toBeLessThanOrEqual(maxBufferedBytes + 2048);
    const got = sock.read();
    const error = got.at(-1)!;
    const lastSent = (got.filter((m) => m.type === 'flag').at(-1)!.flag as Flag).id;
    expect(error).toMatchObject({ type: 'error', code: 'slow_consumer', lastFlag: lastSent });
    expect(error.message).toContain(`since=${lastSent}`);
    const ids = got.filter((m) => m.type === 'flag').map((m) => Number((m.flag as Flag).id.slice(1)));
    expect(ids).toEqual(ids.map((_, i) => 11 + i)); // from since, in order, nothing twice
    expect(client.held).toBeUndefined(); // released with the client
  });
});

describe('text once', () => {
  test('one message with 100 flags: each connection gets its text once, later flags reference it', async () => {
    const text = '全网最低价，'.repeat(3000);
    const flags = Array.from({ length: 100 }, (_, i) => flag(i + 1, { seq: 7, start: i * 6, end: i * 6 + 5, category: i < 10 ? 'extreme' : 'exclusive' }));
    const hub = new FeedHub({ maxBufferedBytes: 8 << 20, onSlowConsumer: () => {} });
    const all = connect(hub, sourceOf([]));
    const some = connect(hub, sourceOf([]));
    await hub.subscribe(all.client, { type: 'subscribe' });
    await hub.subscribe(some.client, { type: 'subscribe', categories: ['exclusive'] });
    for (const c of [all, some]) c.sock.read();
    hub.flags(flags, text);
    for (const [c, first, count] of [[all, 'f1', 100], [some, 'f11', 90]] as const) {
      const bytes = c.sock.bufferedAmount;
      const got = c.sock.read().filter((m) => m.type === 'flag');
      expect(got).toHaveLength(count);
      expect(got[0]).toMatchObject({ flag: { id: first }, text });
      expect(got.slice(1).every((m) => m.textOf === first && m.text === undefined)).toBe(true);
      expect(bytes).toBeLessThan(Buffer.byteLength(text) + count * 400);
      console.log(`[feed text once] 100 flags of one ${text.length}-char message: ${count} frames, ${bytes} bytes (was ~${count} × ${Buffer.byteLength(text)})`);
    }
  });
});

describe('writes', () => {
  /** A socket under the fake: counts the writes a corked socket would make (one per uncork with frames waiting). */
  class CountingSocket {
    depth = 0;
    writes = 0;
    waiting = 0;
    cork(): void {
      this.depth++;
    }
    uncork(): void {
      if (this.depth > 0 && --this.depth === 0 && this.waiting > 0) [this.writes, this.waiting] = [this.writes + 1, 0];
    }
    frame(): void {
      if (this.depth > 0) this.waiting++;
      else this.writes++;
    }
  }

  test('everything a client is sent in one tick (every message of a journal commit) leaves in one write; the next tick writes again', async () => {
    const hub = new FeedHub({ maxBufferedBytes: 8 << 20, onSlowConsumer: () => {} });
    const { sock, client } = connect(hub, sourceOf([]));
    await hub.subscribe(client, { type: 'subscribe' });
    sock.read();
    const under = new CountingSocket();
    (sock as unknown as { _socket: CountingSocket })._socket = under;
    const send = sock.send.bind(sock);
    sock.send = (data: string) => (under.frame(), send(data));
    // Three flagged messages and a level change of one commit, published one after another.
    hub.flags([flag(1)], 'a 全网最低价');
    hub.flags([flag(2), flag(3)], 'b 全网最低价 全网最低价');
    hub.level({ type: 'level', stream: 's', level: 'watch', risk: 4, ts: 1 });
    hub.flags([flag(4)], 'c 全网最低价');
    expect(under.writes).toBe(0);
    await new Promise((r) => process.nextTick(r));
    expect(under.writes).toBe(1);
    expect(under.depth).toBe(0);
    expect(sock.read().map((m) => m.type)).toEqual(['flag', 'flag', 'flag', 'level', 'flag']);
    hub.flags([flag(5)], 'd 全网最低价');
    await new Promise((r) => process.nextTick(r));
    expect(under.writes).toBe(2);
    expect(sock.read()).toHaveLength(1);
  });
});

describe('writes, bounded', () => {
  test('a tick that corks more than CORK_FLUSH_BYTES for one client writes then, not at the end of the tick', async () => {
    const hub = new FeedHub({ maxBufferedBytes: 8 << 20, onSlowConsumer: () => {} });
    const { sock, client } = connect(hub, sourceOf([]));
    await hub.subscribe(client, { type: 'subscribe' });
    sock.read();
    let depth = 0;
    let uncorkedAt: number[] = [];
    (sock as unknown as { _socket: object })._socket = {
      cork: () => void depth++,
      uncork: () => {
        if (depth > 0 && --depth === 0) uncorkedAt.push(sock.bufferedAmount);
      },
    };
    const big = '家'.repeat(12_000); // ~36 KB of UTF-8 per message's frame
    for (let i = 1; i <= 6; i++) hub.flags([flag(i, { seq: i })], big);
    expect(uncorkedAt.length).toBeGreaterThanOrEqual(2);
    expect(uncorkedAt.every((b) => b >= CORK_FLUSH_BYTES)).toBe(true);
    await new Promise((r) => process.nextTick(r));
    expect(depth).toBe(0);
    expect(sock.read().filter((m) => m.type === 'flag')).toHaveLength(6);
    uncorkedAt = [];
  });
});

describe('a replay that fails', () => {
  /** A history that yields its first `served` entries, then fails as `err`. */
  function failingSource(journal: FlagEntry[], served: number, err: Error): FeedSource {
    const source = sourceOf([], journal);
    source.history.flagEntriesSince = async function* (after: number) {
      let n = 0;
      for (const e of journal) {
        if (Number(e.flag.id.slice(1)) <= after) continue;
        if (n++ === served) throw err;
        yield e;
      }
    };
    return source;
  }

  test('says so with the position to resume from and closes (1013): never left open and silent', async () => {
    const journal = [1, 2, 3, 4].map((n) => ({ flag: flag(n), text: '全网最低价' }));
    const failed: FeedClient[] = [];
    const hub = new FeedHub({ maxBufferedBytes: 1 << 20, onSlowConsumer: () => {}, onReplayFailed: (c) => failed.push(c) });
    const { sock, client } = connect(hub, failingSource(journal, 2, new Error('timeout')));
    await hub.subscribe(client, { type: 'subscribe', since: 'f1' });
    hub.flags([flag(5)], '全网最低价'); // live, after the failure: not sent on this connection
    const got = sock.read();
    expect(got.filter((m) => m.type === 'flag').map((m) => (m.flag as Flag).id)).toEqual(['f2', 'f3']);
    expect(got.at(-1)).toMatchObject({ type: 'error', code: 'internal', lastFlag: 'f3' });
    expect(String(got.at(-1)!.message)).toContain('since=f3');
    expect(sock.closeCode).toBe(1013);
    expect(failed).toEqual([client]);
  });

  test('a source that gave up waiting (PKG_ERR_UNAVAILABLE) is `unavailable`; nothing sent yet: the position asked for', async () => {
    const journal = [1, 2, 3].map((n) => ({ flag: flag(n), text: '全网最低价' }));
    const hub = new FeedHub({ maxBufferedBytes: 1 << 20, onSlowConsumer: () => {} });
    const { sock, client } = connect(hub, failingSource(journal, 0, new UnavailableError('reading the events', 30_000, new Error('timeout'))));
    await hub.subscribe(client, { type: 'subscribe', since: 'f1' });
    const got = sock.read();
    expect(got.filter((m) => m.type === 'flag')).toEqual([]);
    expect(got.at(-1)).toMatchObject({ type: 'error', code: 'unavailable', lastFlag: 'f1' });
    expect(sock.closeCode).toBe(1013);
  });
});
