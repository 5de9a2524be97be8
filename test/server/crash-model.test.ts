/**
 * Crashes against a model. The real server is SIGKILLed at random moments while a client streams
 * scripted messages (and re-sends what was not acked after each restart), then checked against a
 * simple model: the same per-stream scripts through the embedded core without faults
 * (test/stream/embedded.ts). Since the journal commits in order and the client re-sends whatever
 * was not acked, in order, every stream must end exactly as in the model:
 *
 * - every acked message's flags are in the journal, each (stream, seq) with the model's flags;
 * - no flag id is ever given to two flags (across every run's live feed and the journal);
 * - a moderator resuming with `since` gets every later flag once, in id order, no gap, no repeat;
 * - each (stream, epoch) is shut down once, and the shut-down set is the model's.
 *
 * Then the journal is abused between runs: its tail cut by 30 KB (no flag id reused), a snapshot
 * damaged with retention on (nothing processed twice, no shutdown signalled again), a record of
 * the wrong shape (skipped and counted), and seqs are tested over the wire: unsafe or too far ahead
 * refused naming `seq`, two pipelines interleaving one stream's seqs each processed once.
 *
 * The seed of the random kill moments is printed; CRASH_SEED=<n> replays a run. A small lexicon
 * keeps each restart short; timings are never asserted.
 */
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { openCore, PEER, smallLexiconDir, tempJournalDir, type Msg } from '../stream/embedded.js';
import { Client, removeDir, sleep, startServer, tempDir, TOKENS, type ServerProcess } from './harness.js';
import { prng } from '../../bench/corpus.js'; // seeded, so a failing run can be replayed

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
const RUNS = Number(process.env.CRASH_RUNS ?? 12);
const T0 = 1_790_000_000_000;

const lexicons = smallLexiconDir();
const cleanup: string[] = [lexicons];
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});


const CLAIMS = ['这个全网最低价', '史上最强的', '可以根治鼻炎', '大家加微信', '销量第一哦', '独家合作款'];

/** Message `k` of stream `j`: mostly clean; a claim every few messages (a high one each 9th); stream 3 says something critical once; every 5th stream's messages are chat. */
function scripted(j: number, k: number): Msg {
  const stream = `s${j}`;
  const ts = T0 + k * 200;
  let text = `第${k}句，大家好，欢迎来到直播间`;
  if ((k + j) % 9 === 0) text = `第${k}句，${CLAIMS[0]}`;
  else if ((k + 2 * j) % 7 === 0) text = `第${k}句，${CLAIMS[1 + ((k + j) % 5)]}`;
  if (j === 3 && k === 40) text = '喝了能治癌';
  return j % 5 === 4 ? { type: 'chat', stream, seq: k, ts, text } : { type: 'transcript', stream, seq: k, ts, text, final: true };
}

const key = (m: { stream?: unknown; seq?: unknown }) => `${m.stream}/${m.seq}`;
const num = (id: unknown) => Number(String(id).slice(1));

interface Model {
  /** `stream/seq` → sorted `category:term@start-end` of its flags. */
  flags: Map<string, string[]>;
  shutdowns: string[];
  shutDown: string[];
}

/** The same messages, each stream in order, through the embedded core without faults. */
async function model(msgs: Msg[]): Promise<Model> {
  const dir = tempJournalDir();
  cleanup.push(dir);
  const core = await openCore(dir, { journal: { fsync: false } });
  for (let i = 0; i < msgs.length; i += 200) await core.processor.ingestBatch(msgs.slice(i, i + 200), PEER);
  const flags = new Map<string, string[]>();
  for (const { flag } of core.outbox.rec.flags) flags.set(key(flag), [...(flags.get(key(flag)) ?? []), `${flag.category}:${flag.term}@${flag.start}-${flag.end}`].sort());
  const out = { flags, shutdowns: core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`).sort(), shutDown: core.processor.summaries().filter((s) => s.level === 'shutdown').map((s) => s.stream).sort() };
  await core.processor.close();
  return out;
}

/** Every record of the journal as it is on disk, in order; torn or invalid lines counted. */
function readJournal(dir: string) {
  const records: Record<string, unknown>[] = [];
  let torn = 0;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    const lines = text.split('\n');
    if (lines.at(-1) !== '') torn++;
    for (const line of lines.slice(0, -1)) {
      if (line === '') continue;
      try {
        records.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        torn++;
      }
    }
  }
  const flags = records.filter((r) => r.t === 'msg').flatMap((r) => (r.flags as Record<string, unknown>[]).map((f): Record<string, unknown> => ({ ...f, stream: r.stream, seq: r.seq })));
  return { records, flags, torn };
}

function flagKey(f: Record<string, unknown>): string {
  return `${f.category}:${f.term}@${f.start}-${f.end}`;
}

/** A client that streams batches without waiting, keeping at most `ahead` messages unanswered. */
class Pump {
  readonly acked = new Set<string>();
  readonly unexpected: Record<string, unknown>[] = [];
  #sentKeys: string[] = [];
  #answered = new Set<string>();
  constructor(readonly ingest: Client) {
    ingest.ws.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as Record<string, unknown> | Record<string, unknown>[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        if (m.type === 'ack') {
          this.acked.add(key(m));
          this.#answered.add(key(m));
        } else if (m.type === 'error') {
          this.#answered.add(key(m));
          this.unexpected.push(m);
        }
      }
    });
  }

  get outstanding(): number {
    return this.#sentKeys.length - this.#answered.size;
  }

  async send(msgs: Msg[], ahead: number, stop: () => boolean): Promise<number> {
    let sent = 0;
    for (let i = 0; i < msgs.length && !stop(); i += 40) {
      if (this.ingest.ws.readyState !== this.ingest.ws.OPEN) break;
      const batch = msgs.slice(i, i + 40);
      this.ingest.send(batch);
      for (const m of batch) this.#sentKeys.push(key(m));
      sent += batch.length;
      while (this.outstanding > ahead && !stop() && this.ingest.ws.readyState === this.ingest.ws.OPEN) await sleep(1);
      await new Promise((r) => setImmediate(r));
    }
    return sent;
  }

  async settle(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.outstanding > 0) {
      if (Date.now() > deadline) throw new Error(`${this.outstanding} messages unanswered`);
      await sleep(5);
    }
  }
}

describe('SIGKILL at random moments, checked against the model', () => {
  // 8 KB segments: the journal rotates every few dozen messages, so kills land while a snapshot is
  // being written in the background, before appends switched to it, and right after.
  test.each([
    { segments: 'one segment', segmentBytes: undefined },
    { segments: '8 KB segments, rotating every few dozen messages', segmentBytes: 8192 },
  ])(`${RUNS} runs, each killed at a random moment (seed ${SEED}), $segments; re-sends after each restart; then every invariant`, { timeout: 180_000 }, async ({ segmentBytes }) => {
    const rand = prng(SEED);
    console.log(`crash-model: seed ${SEED} (CRASH_SEED=${SEED} replays it), ${RUNS} runs`);
    const dir = tempDir();
    cleanup.push(dir);
    // Retention stays off: the model reads every flag back from the journal.
    const config = { lexicons, ...(segmentBytes ? { journal: { dir: join(dir, 'journal'), segmentBytes, retainBytes: 1 << 30 } } : {}) };
    const STREAMS = 12;
    const next = new Array<number>(STREAMS).fill(0); // last seq written into the script per stream
    const sent: Msg[] = []; // everything ever sent, in order
    const acked = new Set<string>();
    let unacked: Msg[] = [];
    const live = new Map<string, string>(); // flag id → stream/seq/flagKey, over all runs and resumes
    const reused: string[] = [];
    const resumeProblems: string[] = [];
    const shutdownSignals: string[] = [];
    let signalRepeats = 0; // a (stream, epoch) told twice on one connection
    const feedShutdowns: string[] = [];
    let lastSeen = 0;
    let killedMidStream = 0;

    const noteFlag = (f: Record<string, unknown>) => {
      const v = `${f.stream}/${f.seq}/${flagKey(f)}`;
      const had = live.get(f.id as string);
      if (had !== undefined && had !== v) reused.push(`${f.id}: ${had} and ${v}`);
      live.set(f.id as string, v);
    };

    for (let run = 0; run <= RUNS; run++) {
      const final = run === RUNS;
      const s = await startServer({ dir, config });
      const moderator = await Client.open(s.url('/feed', TOKENS.moderator[0]));
      moderator.send(lastSeen > 0 ? { type: 'subscribe', since: `f${lastSeen}` } : { type: 'subscribe' });
      await moderator.next((m) => m.type === 'streams');
      const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
      const pump = new Pump(ingest);
      // What was not acked goes again, in order, then the script carries on.
      const fresh: Msg[] = [];
      if (!final) {
        for (let i = 0; i < 50; i++) for (let j = 0; j < STREAMS; j++) fresh.push(scripted(j, ++next[j]!));
        sent.push(...fresh);
      }
      const queue = [...unacked, ...fresh];
      let killed = false;
      const killAfter = Math.floor(rand() ** 2 * 700); // acks: often early (even before the first), sometimes late
      const sending = pump.send(queue, 100 + Math.floor(rand() * 400), () => killed);
      if (!final) {
        while (pump.acked.size < Math.min(killAfter, queue.length - 1) && !(await Promise.race([sending.then(() => true), sleep(1).then(() => false)]))) {
          /* stream until the chosen number of acks */
        }
        s.proc.kill('SIGKILL');
        killed = true;
        await sending;
        expect(await s.exited).toBe(null);
        if (pump.acked.size < queue.length) killedMidStream++;
      } else {
        await sending;
        await pump.settle();
        // Flags go to the feed before the acks go out, but on another socket: let it drain.
        for (let n = -1; n !== moderator.received.length; await sleep(200)) n = moderator.received.length;
      }
      for (const k of pump.acked) acked.add(k);
      unacked = queue.filter((m) => !acked.has(key(m)));
      expect(pump.unexpected).toEqual([]);
      const runSignals = ingest.of('shutdown').map((m) => `${m.stream}#${m.epoch}`);
      signalRepeats += runSignals.length - new Set(runSignals).size;
      shutdownSignals.push(...runSignals);
      if (process.env.CRASH_DEBUG) console.log(`run ${run}: queue ${queue.length}, killAfter ${killAfter}, acked ${pump.acked.size}, ingest shutdowns ${JSON.stringify(ingest.of('shutdown').map((m) => m.stream))}, feed shutdowns ${JSON.stringify(moderator.of('shutdown').map((m) => m.stream))}, journal shutdowns ${JSON.stringify(readJournal(join(dir, 'journal')).records.filter((r) => r.t === 'shutdown').map((r) => r.stream))}`);
      feedShutdowns.push(...moderator.of('shutdown').map((m) => `${m.stream}#${m.epoch}`));

      // The `since` resume: strictly increasing, all after `since`, none seen before.
      const flags = moderator.of('flag').map((m) => m.flag as Record<string, unknown>);
      for (let i = 0; i < flags.length; i++) {
        const n = num(flags[i]!.id);
        if (n <= lastSeen) resumeProblems.push(`run ${run}: f${n} at or before since=f${lastSeen}`);
        if (i > 0 && n <= num(flags[i - 1]!.id)) resumeProblems.push(`run ${run}: f${n} after f${num(flags[i - 1]!.id)}`);
      }
      for (const f of flags) noteFlag(f);
      if (flags.length > 0) lastSeen = Math.max(lastSeen, ...flags.map((f) => num(f.id)));
      if (final) {
        expect(unacked).toEqual([]);
        const streams = (moderator.received.findLast((m) => m.type === 'streams')!.streams as { stream: string; level: string }[]).filter((x) => x.level === 'shutdown').map((x) => x.stream);
        // The shut-down set a moderator learns on subscribe (state, not only events) after all the crashes.
        const m = await model(sent);
        expect({ shutDown: streams.sort() }).toEqual({ shutDown: m.shutDown });
        moderator.close();
        ingest.close();
        expect(await s.stop()).toBe(0);

        const journal = readJournal(join(dir, 'journal'));
        // Every acked message (all of them, by now) with exactly the model's flags, once.
        const got = new Map<string, string[]>();
        for (const f of journal.flags) got.set(key(f), [...(got.get(key(f)) ?? []), flagKey(f)].sort());
        const wrong = [...new Set([...m.flags.keys(), ...got.keys()])].filter((k) => JSON.stringify(got.get(k)) !== JSON.stringify(m.flags.get(k)));
        expect(wrong.map((k) => `${k}: journal ${JSON.stringify(got.get(k))}, model ${JSON.stringify(m.flags.get(k))}`)).toEqual([]);
        // No id twice in the journal, and every id seen live is that same flag in the journal (no gap, no reuse).
        const ids = journal.flags.map((f) => f.id as string);
        expect(ids.length - new Set(ids).size).toBe(0);
        // No gap: every journaled flag reached the moderator, live or on a `since` resume after a kill.
        expect(ids.filter((id) => !live.has(id))).toEqual([]);
        for (const f of journal.flags) noteFlag(f);
        expect(reused).toEqual([]);
        expect(resumeProblems).toEqual([]);
        const seenIds = [...live.keys()].filter((id) => ids.includes(id));
        expect(seenIds.length).toBe(live.size);
        // One shutdown record per (stream, epoch): the model's. The feed hears each once, live; each
        // ingest connection at most once; and the pipeline hears every one in the end, a signal a
        // kill cut off being told again when its unacked message is re-sent on the next connection.
        const records = journal.records.filter((r) => r.t === 'shutdown').map((r) => `${r.stream}#${r.epoch}`).sort();
        expect(records).toEqual(m.shutdowns);
        expect(signalRepeats).toBe(0);
        expect(feedShutdowns.length - new Set(feedShutdowns).size).toBe(0);
        expect([...new Set(shutdownSignals)].sort()).toEqual(m.shutdowns);
        console.log(`crash-model: ${sent.length} messages over ${RUNS} kills (${killedMidStream} mid-stream), ${journal.flags.length} flags (max f${Math.max(...ids.map(num))}), ${m.shutdowns.length} shutdowns (${new Set(shutdownSignals).size} signalled live before a kill could cut them off), ${journal.torn} torn lines in the journal`);
      } else {
        moderator.close();
        ingest.close();
      }
    }
    expect(killedMidStream).toBeGreaterThan(RUNS / 2);
    // The case this variant is about happened: many rotations, so kills fell among them.
    if (segmentBytes) expect(readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.ndjson')).length).toBeGreaterThan(RUNS);
  });
});

/** Sends one frame and waits for one answer per message. */
async function answer(c: Client, msgs: Msg[]): Promise<Record<string, unknown>[]> {
  const from = c.received.length;
  c.send(msgs);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const got = c.received.slice(from).filter((m) => m.type === 'ack' || m.type === 'error');
    if (got.length >= msgs.length) return got;
    if (Date.now() > deadline) throw new Error(`only ${got.length} of ${msgs.length} answered`);
    await sleep(5);
  }
}

describe('the journal abused between runs', () => {
  test('the tail cut by 30 KB after a kill: no flag id is handed out again', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    cleanup.push(dir);
    let s = await startServer({ dir, config: { lexicons } });
    const moderator = await Client.open(s.url('/feed', TOKENS.moderator[0]));
    const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    // Every message flagged: 30 KB of tail holds a hundred or so flags.
    const msgs = Array.from({ length: 600 }, (_, i): Msg => ({ type: 'chat', stream: `t${i % 6}`, seq: Math.floor(i / 6) + 1, ts: T0 + i, text: `第${i}句 加微信` }));
    for (let i = 0; i < msgs.length; i += 100) await answer(ingest, msgs.slice(i, i + 100));
    await moderator.next(() => moderator.of('flag').length >= msgs.length);
    s.proc.kill('SIGKILL');
    await s.exited;
    const seen = moderator.of('flag').map((m) => num((m.flag as { id: string }).id));
    const file = join(dir, 'journal', readdirSync(join(dir, 'journal')).filter((n) => n.endsWith('.ndjson')).sort().at(-1)!);
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(60_000);
    truncateSync(file, size - 30 * 1024);

    s = await startServer({ dir, config: { lexicons } });
    try {
      expect(s.logs.some((l) => l.event === 'journal_torn_tail')).toBe(true);
      const ingest2 = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
      const moderator2 = await Client.open(s.url('/feed', TOKENS.moderator[0]));
      // The cut messages are re-sent (they are new to the journal now) and new ones follow.
      const more = Array.from({ length: 120 }, (_, i): Msg => ({ type: 'chat', stream: 'u', seq: i + 1, ts: T0 + i, text: '加微信' }));
      await answer(ingest2, [...msgs.slice(-200), ...more]);
      await moderator2.next(() => moderator2.of('flag').length >= 120);
      const after = moderator2.of('flag').map((m) => num((m.flag as { id: string }).id));
      expect(Math.min(...after)).toBeGreaterThan(Math.max(...seen));
      for (const c of [ingest2, moderator2]) c.close();
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });

  test('with retention on, a damaged snapshot and a record of the wrong shape: startup succeeds, the bad lines are skipped and counted, re-sent messages are not processed again, no new shutdown is signalled (the new connection is told the standing ones, same epochs)', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    cleanup.push(dir);
    const config = { lexicons, journal: { dir: join(dir, 'journal'), segmentBytes: 4096, retainBytes: 16_384 } };
    let s = await startServer({ dir, config });
    const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    const msgs: Msg[] = [];
    for (let k = 1; k <= 40; k++) for (let j = 0; j < 6; j++) msgs.push(scripted(j, k));
    for (let i = 0; i < msgs.length; i += 12) await answer(ingest, msgs.slice(i, i + 12));
    const signalled = ingest.of('shutdown').map((m) => `${m.stream}#${m.epoch}`);
    expect(signalled.length).toBeGreaterThan(0);
    s.proc.kill('SIGKILL');
    await s.exited;
    const jdir = join(dir, 'journal');
    const segs = readdirSync(jdir).filter((n) => n.endsWith('.ndjson')).sort();
    expect(segs.length).toBeGreaterThanOrEqual(2);
    expect(segs[0]).not.toBe('segment-000000000001.ndjson');
    // The oldest snapshot: a few bytes of its first line overwritten.
    const oldest = join(jdir, segs[0]!);
    const buf = readFileSync(oldest);
    buf.fill(0x23, 5, 25);
    writeFileSync(oldest, buf);
    // A valid JSON record of the wrong shape at the end of the newest segment.
    appendFileSync(join(jdir, segs.at(-1)!), '{"t":"msg","stream":"s1","seq":999,"ts":1,"kind":"transcript","final":true,"flags":"f1"}\n');

    s = await startServer({ dir, config });
    try {
      expect(s.logs.filter((l) => l.event === 'journal_snapshot_damaged')).toHaveLength(1);
      expect(s.logs.filter((l) => l.event === 'journal_invalid_record').map((l) => l.reason)).toEqual(['flags: Invalid input: expected array, received string']);
      expect(s.logs.find((l) => l.event === 'journal_replayed')).toMatchObject({ badRecords: 2 });
      const metrics = await (await fetch(`http://127.0.0.1:${s.port}/metrics`)).text();
      expect(metrics).toMatch(/^pkguard_journal_bad_records 2$/m);
      const control = await Client.open(s.url('/feed', TOKENS.control[0]));
      control.send({ type: 'subscribe' });
      const moderator = await Client.open(s.url('/feed', TOKENS.moderator[0]));
      moderator.send({ type: 'subscribe' });
      const streams = (await moderator.next((m) => m.type === 'streams')).streams as { stream: string; level: string }[];
      await sleep(300);
      controlLearned = signalled.every((x) => JSON.stringify(control.received).includes(`"${x.split('#')[0]}"`));
      control.close();
      expect(streams.filter((x) => x.level === 'shutdown').map((x) => x.stream).sort()).toEqual([...new Set(signalled.map((x) => x.split('#')[0]))].sort());
      const ingest2 = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
      const resend = msgs.filter((m) => m.seq > 40 - 60);
      const replies = await answer(ingest2, resend);
      expect(replies.filter((r) => !(r.type === 'ack' && r.duplicate === true))).toEqual([]);
      await sleep(300);
      expect(ingest2.of('shutdown').map((m) => `${m.stream}#${m.epoch}`).sort()).toEqual([...signalled].sort());
      expect(moderator.of('flag')).toEqual([]);
      expect(moderator.of('shutdown')).toEqual([]);
      for (const c of [ingest2, moderator]) c.close();
    } finally {
      expect(await s.stop()).toBe(0);
    }
  });
});

let controlLearned: boolean | undefined;
describe('signals are state', () => {
  // DESIGN.md: "A moderator or control client that connects at any time learns the current
  // shut-down set": a control connection gets it as `shutdown` messages marked `state: true` when it
  // subscribes. Checked on the restart above (undefined: that test did not get that far, a failure).
  test('a control client connecting after the restart above learns the shut-down set', () => {
    expect(controlLearned).toBe(true);
  });
});

describe('seqs over the wire', () => {
  let s: ServerProcess | undefined;
  afterAll(async () => {
    if (s) await s.stop();
  });

  test('seq 2^53−1 (too far ahead), 2^53 (unsafe) and −1 are refused with an error naming seq; the stream keeps working. Two pipelines interleaving one stream\'s seqs, with re-sends: each distinct seq processed once', { timeout: 60_000 }, async () => {
    const dir = tempDir();
    cleanup.push(dir);
    s = await startServer({ dir, config: { lexicons } });
    const moderator = await Client.open(s.url('/feed', TOKENS.moderator[0]));
    const a = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    const msg = (seq: number, stream = 'z'): Msg => ({ type: 'chat', stream, seq, ts: T0, text: '加微信' });
    expect(await answer(a, [msg(1)])).toEqual([{ type: 'ack', stream: 'z', seq: 1 }]);
    for (const seq of [Number.MAX_SAFE_INTEGER, 2 ** 53, -1]) {
      const [r] = await answer(a, [msg(seq)]);
      expect(r).toMatchObject({ type: 'error', code: 'invalid_message' });
      expect(r!.message).toMatch(/^seq: /);
    }
    expect(await answer(a, [msg(2), msg(1)])).toEqual([{ type: 'ack', stream: 'z', seq: 2 }, { type: 'ack', stream: 'z', seq: 1, duplicate: true }]);

    // Two pipelines, one stream: A the even seqs, B the odd ones, each at its own pace and batch
    // size, each re-sending some of its own and of the other's earlier seqs. They drift apart by up
    // to 40 seqs: within the window of 64 (a pipeline further behind is refused, naming seq).
    const b = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    const done = [0, 0];
    const pipeline = async (c: Client, parity: number, batch: number, pause: number) => {
      const seqs = Array.from({ length: 400 }, (_, i) => i + 1).filter((x) => x % 2 === parity);
      for (let i = 0; i < seqs.length; i += batch) {
        const chunk = seqs.slice(i, i + batch);
        while (chunk.at(-1)! > done[1 - parity]! + 40 && done[1 - parity]! < 399) await sleep(1);
        const again = chunk.map((x) => x - 5 - (x % 7)).filter((x) => x > 0);
        const replies = await answer(c, [...chunk, ...again].map((x) => msg(x, 'p')));
        expect(replies.filter((r) => r.type !== 'ack')).toEqual([]);
        done[parity] = chunk.at(-1)!;
        await sleep(pause);
      }
    };
    await Promise.all([pipeline(a, 0, 4, 2), pipeline(b, 1, 9, 5)]);
    await moderator.next(() => moderator.of('flag').filter((m) => (m.flag as { stream: string }).stream === 'p').length >= 400);
    await sleep(200);
    const perSeq = new Map<number, number>();
    for (const m of moderator.of('flag')) {
      const f = m.flag as { stream: string; seq: number };
      if (f.stream === 'p') perSeq.set(f.seq, (perSeq.get(f.seq) ?? 0) + 1);
    }
    expect([...Array(400).keys()].map((i) => i + 1).filter((x) => perSeq.get(x) !== 1)).toEqual([]);
    for (const c of [a, b, moderator]) c.close();
    expect(await s.stop()).toBe(0);
    s = undefined;
    removeDir(dir);
  });
});
