/**
 * Exactly once, in order, whatever the interleaving: the real FeedHub with fake sockets (the hub
 * uses only `send`, `bufferedAmount`, `readyState`, and `close` when it cuts a client off) and a
 * journal that grows while replays read it. fast-check interleaves flags being journaled and then
 * published, subscribes with and without `since`, re-subscribes, slow and dropped reads, cut-offs
 * and reconnects. A resuming client must see every flag its filter matches once, in id order,
 * each with its message's text (sent inline or by `textOf`); a client that never subscribes must
 * see every flag published after it connected, in order; no connection's position moves back.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { CATEGORIES, SEVERITIES, severityRank, type Category, type Flag, type Severity } from '../../src/flag.js';
import type { FlagEntry } from '../../src/stream/contracts.js';
import { FeedClient, FeedHub, type FeedSource } from '../../src/server/feed-hub.js';

const GRACE_MS = 50;

/** A socket as the hub sees it; `read` is the client taking frames off the wire. */
class FakeSocket {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  closeCode: number | undefined;
  readonly frames: string[] = [];
  send(data: string): void {
    if (this.readyState !== this.OPEN) throw new Error('send on a closed socket');
    this.frames.push(data);
    this.bufferedAmount += data.length;
  }
  close(code: number): void {
    if (this.readyState === this.OPEN) [this.readyState, this.closeCode] = [2, code];
  }
  terminate(): void {
    this.readyState = 3;
  }
  read(k: number): Record<string, unknown>[] {
    const taken = this.frames.splice(0, k);
    for (const f of taken) this.bufferedAmount -= f.length;
    return taken.map((f) => JSON.parse(f) as Record<string, unknown>);
  }
}

type Action =
  | { t: 'raise'; k: number; cats: Category[]; sevs: Severity[]; sameSeq: boolean }
  | { t: 'publish' }
  | { t: 'read'; k: number }
  | { t: 'wait'; ms: number }
  | { t: 'reconnect'; delay: number }
  | { t: 'resubscribe'; since: boolean; categories: Category[] | undefined };

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.record({ t: fc.constant('raise' as const), k: fc.integer({ min: 1, max: 4 }), cats: fc.array(fc.constantFrom(...CATEGORIES), { minLength: 4, maxLength: 4 }), sevs: fc.array(fc.constantFrom(...SEVERITIES), { minLength: 4, maxLength: 4 }), sameSeq: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ t: fc.constant('publish' as const) }), weight: 3 },
  fc.record({ t: fc.constant('read' as const), k: fc.integer({ min: 0, max: 8 }) }),
  fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ t: fc.constant('reconnect' as const), delay: fc.integer({ min: 0, max: GRACE_MS - 10 }) }),
  // A new filter; undefined keeps it. A filter that widens comes with `since` (the console reopens instead).
  fc.record({ t: fc.constant('resubscribe' as const), since: fc.boolean(), categories: fc.option(fc.subarray([...CATEGORIES], { minLength: 1 }), { nil: undefined }) }),
);

const num = (id: string) => Number(id.slice(1));
/** What the runs exercised, printed once: a property that never cuts a client off proves little. */
const seen: Record<string, number> = {};
const count = (what: string) => (seen[what] = (seen[what] ?? 0) + 1);
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

async function scenario(actions: Action[], filter: { categories: Category[]; minSeverity: Severity }, maxBufferedBytes: number): Promise<void> {
  /** After a filter change, flags are checked from the connection's position at that subscribe on. */
  let checkFrom: number | undefined;
  // The core: a journal (durable, in id order) and the flags journaled but not yet published.
  const journal: FlagEntry[] = [];
  const unpublished: { flags: Flag[]; text: string }[] = [];
  let seq = 0;
  const source: FeedSource = {
    history: {
      async *flagEntriesSince(after: number) {
        // Reads to the journal's end as it grows, yielding to other work between records.
        for (let i = 0; i < journal.length; i++) {
          await (i % 3 === 0 ? new Promise((r) => setTimeout(r, 1)) : Promise.resolve());
          if (num(journal[i]!.flag.id) > after) yield journal[i]!;
        }
      },
      retainedFrom: () => undefined,
    },
    // Asynchronous, as in cluster mode (a JetStream round trip): subscribes can overtake each other.
    lastFlagNumber: () => new Promise((resolve) => setTimeout(() => resolve(journal.length), 2)),
    // A few streams in pages of one, so state pages are paced and subscribes can overtake them.
    summaries: () => ['s1', 's2', 's3'].map((stream) => ({ stream, level: 'normal', risk: 0, pk: false })),
    thresholds: { watch: 3, alert: 8, shutdown: 16 },
  };
  const hub = new FeedHub({ maxBufferedBytes, graceMs: GRACE_MS, pages: { streams: 1, bytes: 1 }, onSlowConsumer: (c) => c.ws.close(4008, 'slow consumer') });
  const matches = (f: Flag) => filter.categories.includes(f.category) && severityRank(f.severity) >= severityRank(filter.minSeverity);
  const textOf = new Map<string, string>(journal.map((e) => [e.flag.id, e.text!]));

  /** One client's view of one connection: frames received, texts by the flag that carried them. */
  class Reader {
    readonly sock = new FakeSocket();
    readonly client = new FeedClient(this.sock as never, 'moderator');
    readonly texts = new Map<string, string>();
    position = 0;
    /** Has sent its subscribe with a position; only then may it re-subscribe without one. */
    subscribed = false;
    constructor(readonly got: number[]) {
      hub.add(this.client, source);
    }
    take(k: number): void {
      for (const m of this.sock.read(k)) {
        if (m.type === 'notice' || m.type === 'error') count(`${m.type} ${m.code as string}`);
        if (m.type !== 'flag') continue;
        count(m.textOf !== undefined ? 'flag frames with textOf' : 'flag frames with text');
        const f = m.flag as Flag;
        const text = m.textOf !== undefined ? this.texts.get(m.textOf as string) : (m.text as string);
        expect(text, `text of ${f.id}`).toBe(textOf.get(f.id));
        if (m.text !== undefined) this.texts.set(f.id, m.text as string);
        const last = this.got.at(-1) ?? 0;
        expect(num(f.id), `f${num(f.id)} after f${last}`).toBeGreaterThan(last);
        this.got.push(num(f.id));
      }
    }
    checkPosition(): void {
      const p = this.client.lastFlag ?? 0;
      expect(p).toBeGreaterThanOrEqual(this.position);
      this.position = p;
    }
    get cutOff(): boolean {
      return this.sock.readyState !== this.sock.OPEN && this.sock.frames.length === 0;
    }
  }

  const got: number[] = [];
  const subscribe = (r: Reader, withSince: boolean) => {
    if (withSince) r.subscribed = true;
    const last = got.at(-1);
    const position = withSince ? (last ? { since: `f${last}` } : { history: 1_000_000 }) : {};
    void hub.subscribe(r.client, { type: 'subscribe', categories: filter.categories, minSeverity: filter.minSeverity, ...position });
  };
  const open = (delay: number, old?: Reader): Reader => {
    if (old) hub.remove(old.client); // the server sees the socket close; unread frames are lost with it
    const r = new Reader(got);
    setTimeout(() => subscribe(r, true), delay);
    return r;
  };
  let reader = open(0);
  // A client that never subscribes: everything published after it connected, in order.
  const observed: number[] = [];
  const observer = new Reader(observed);

  const publish = () => {
    const m = unpublished.shift();
    if (m) hub.flags(m.flags, m.text);
  };
  const step = async () => {
    await flush();
    observer.take(Infinity);
    reader.checkPosition();
    observer.checkPosition();
  };

  for (const a of actions) {
    if (a.t === 'raise') {
      count('messages');
      if (!a.sameSeq || seq === 0) seq++;
      // A later hypothesis of the same seq has another text: its flags must carry that text again.
      const text = `message ${seq} said at ${journal.length}: ${'全网最低价，'.repeat(a.k)}`;
      const flags = Array.from({ length: a.k }, (_, i): Flag => ({ id: `f${journal.length + i + 1}`, stream: 's', seq, category: a.cats[i]!, term: '全网最低价', matched: '全网最低价', start: i * 6, end: i * 6 + 5, severity: a.sevs[i]!, evasion: false, via: 'text' }));
      for (const flag of flags) {
        journal.push({ flag, text });
        textOf.set(flag.id, text);
      }
      unpublished.push({ flags, text });
    } else if (a.t === 'publish') publish();
    else if (a.t === 'read') reader.take(a.k);
    else if (a.t === 'wait') await vi.advanceTimersByTimeAsync(a.ms);
    else if (a.t === 'reconnect') {
      count('reconnects');
      reader = open(a.delay, reader);
    }
    else if (a.t === 'resubscribe' && reader.subscribed && reader.sock.readyState === reader.sock.OPEN) {
      const next = a.categories ?? filter.categories;
      const narrower = next.every((c) => filter.categories.includes(c));
      if (next.length !== filter.categories.length || !narrower) checkFrom = Math.max(reader.client.lastFlag ?? 0, got.at(-1) ?? 0);
      filter.categories = next;
      subscribe(reader, a.since || !narrower);
    }
    if (reader.cutOff) reader = open(0, reader);
    await step();
  }

  // Drain: publish the rest, read everything, resume after cut-offs, until nothing moves.
  while (unpublished.length > 0) {
    publish();
    await step();
  }
  for (let i = 0; i < 2000; i++) {
    await vi.advanceTimersByTimeAsync(GRACE_MS);
    reader.take(Infinity);
    if (reader.cutOff) reader = open(0, reader);
    await step();
    const settled = (r: Reader) => r.client.held === undefined && r.client.state === undefined && r.sock.frames.length === 0;
    if (settled(reader) && reader.client.generation > 0 && !reader.cutOff && (settled(observer) || observer.sock.closeCode !== undefined)) break;
  }
  const expected = journal.filter((e) => matches(e.flag) && num(e.flag.id) > (checkFrom ?? 0)).map((e) => num(e.flag.id));
  expect(got.filter((n) => n > (checkFrom ?? 0))).toEqual(expected);
  // Connected before the first flag and never cut off: it saw every flag (a cut-off one was checked for order only).
  if (observer.sock.closeCode === undefined) expect(observed).toEqual(journal.map((e) => num(e.flag.id)));
}

test('no gap, no repeat, id order, text resolved, position never back: random interleavings', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(actionArb, { minLength: 1, maxLength: 120, size: 'max' }),
      fc.subarray([...CATEGORIES], { minLength: 1 }),
      fc.constantFrom(...SEVERITIES.slice(0, 3)),
      fc.constantFrom(1500, 4000, 1 << 20),
      async (actions, categories, minSeverity, maxBufferedBytes) => {
        vi.clearAllTimers();
        await scenario(actions, { categories, minSeverity }, maxBufferedBytes);
      },
    ),
    { numRuns: Number(process.env.FEED_PROPERTY_RUNS ?? 500) },
  );
  console.log(`[feed property] ${JSON.stringify(seen)}`);
  expect(seen['error slow_consumer']).toBeGreaterThan(0);
  expect(seen['notice position_kept']).toBeGreaterThan(0);
  expect(seen['flag frames with textOf']).toBeGreaterThan(0);
}, 120_000);
