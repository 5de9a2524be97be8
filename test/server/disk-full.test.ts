/**
 * A real full disk under the real server: the journal lives on a small tmpfs (mounting one needs
 * root, so the test is skipped otherwise), a filler file leaves little room, and an ingest client
 * sends batches of 200 messages until the disk is full. Every message gets one answer, an ack or
 * `internal`; `/healthz` says 503 while the journal fails. Deleting the filler frees space, the
 * client re-sends everything not acked, and a restart on the same journal shows: no acked message
 * missing, each (stream, epoch) shut down once, the shut-down set as a run without faults has it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { smallLexiconDir, openCore, PEER, type Msg } from '../stream/embedded.js';
import { Client, sleep, startServer, TOKENS, type ServerProcess } from './harness.js';

const ROOT = process.getuid?.() === 0;
/** The core's log events (named journal_* by the embedded core, log_* once it shares pino-core-log with the cluster). */
const WRITE_FAILED = ['journal_write_failed', 'log_write_failed'];
const WRITABLE = ['journal_writable', 'log_writable'];
const T0 = 1_790_000_000_000;
const STREAMS = 40;
const BATCH = 200;

const base = mkdtempSync(join(tmpdir(), 'pkguard-diskfull-'));
const mnt = join(base, 'tmpfs');
const lexicons = smallLexiconDir();
let mounted = false;
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mnt]);
  rmSync(base, { recursive: true, force: true });
  rmSync(lexicons, { recursive: true, force: true });
});

/** Message `k` of stream `j`: mostly clean, a high claim every 25th (offset per stream), so each stream crosses the shutdown threshold at its third claim, at a different batch. */
function message(j: number, k: number): Msg {
  const claim = (k + j * 7) % 25 === 24;
  const text = claim ? `第${k}句，这个全网最低价` : `第${k}句，大家好，欢迎来到直播间`;
  return j % 5 === 4 ? { type: 'chat', stream: `s${j}`, seq: k, ts: T0 + k * 100, text } : { type: 'transcript', stream: `s${j}`, seq: k, ts: T0 + k * 100, text, final: true };
}

async function healthz(s: ServerProcess): Promise<{ status: number; body: { journal: { writable: boolean } } }> {
  const res = await fetch(`http://127.0.0.1:${s.port}/healthz`);
  return { status: res.status, body: (await res.json()) as { journal: { writable: boolean } } };
}

/** Sends one frame and waits for one answer per message; returns them keyed `stream/seq`. */
async function sendBatch(c: Client, msgs: Msg[]): Promise<Map<string, Record<string, unknown>>> {
  const from = c.received.length;
  c.send(msgs);
  const want = new Set(msgs.map((m) => `${m.stream}/${m.seq}`));
  const answers = new Map<string, Record<string, unknown>>();
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const m of c.received.slice(from)) {
      const k = `${m.stream}/${m.seq}`;
      if ((m.type === 'ack' || m.type === 'error') && want.has(k) && !answers.has(k)) answers.set(k, m);
    }
    if (answers.size === want.size) return answers;
    if (Date.now() > deadline) throw new Error(`${want.size - answers.size} messages unanswered`);
    await sleep(5);
  }
}

/** Flags and shutdown records in the journal files, read back as they are on disk. */
function journalOnDisk(dir: string) {
  const flags: { id: string; key: string }[] = [];
  const shutdowns: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    expect(text === '' || text.endsWith('\n')).toBe(true); // ends at a whole record
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as { t: string; stream: string; seq: number; epoch: number; flags: { id: string }[] };
      if (r.t === 'msg') for (const f of r.flags) flags.push({ id: f.id, key: `${r.stream}/${r.seq}` });
      if (r.t === 'shutdown') shutdowns.push(`${r.stream}#${r.epoch}`);
    }
  }
  return { flags, shutdowns };
}

if (!ROOT) {
  test.skip('real full disk on a tmpfs: skipped, not running as root (mount -t tmpfs needs root)', () => undefined);
} else {
  test('a real full disk: all not acked get internal, /healthz 503 while failing; after space returns and a re-send, a restart is missing nothing and each stream was shut down once', { timeout: 180_000 }, async (ctx) => {
    mkdirSync(mnt);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt], { stdio: 'pipe' });
      mounted = true;
    } catch (err) {
      // Root without CAP_SYS_ADMIN (an unprivileged container): no tmpfs, no real full disk.
      ctx.skip(`skipped: mount -t tmpfs failed (${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`);
    }
    const journalDir = join(mnt, 'journal');
    const filler = join(mnt, 'filler');
    // Leave about 300 KiB: the disk fills after a few batches.
    const free = () => {
      const s = statfsSync(mnt);
      return s.bavail * s.bsize;
    };
    writeFileSync(filler, Buffer.alloc(free() - 300 * 1024));
    const config = { journal: { dir: journalDir }, lexicons };

    // The model: the same messages through the embedded core without faults.
    const sent: Msg[] = [];
    let s = await startServer({ dir: base, config });
    const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    const control = await Client.open(s.url('/feed', TOKENS.control[0]));
    const acked = new Set<string>();
    const notAcked: Msg[] = [];
    const statuses: number[] = [];
    let k = 0;
    let failedBatches = 0;
    let fullBatches = 0;
    while (fullBatches < 4) {
      expect(k).toBeLessThan(400); // the disk must fill long before
      const batch: Msg[] = [];
      for (let i = 0; i < BATCH / STREAMS; i++) {
        k++;
        for (let j = 0; j < STREAMS; j++) batch.push(message(j, k));
      }
      sent.push(...batch);
      const answers = await sendBatch(ingest, batch);
      let internal = 0;
      for (const m of batch) {
        const a = answers.get(`${m.stream}/${m.seq}`)!;
        if (a.type === 'ack') acked.add(`${m.stream}/${m.seq}`);
        else {
          expect(a).toMatchObject({ type: 'error', code: 'internal' }); // nothing else, ever
          internal++;
          notAcked.push(m);
        }
      }
      if (internal > 0) {
        failedBatches++;
        statuses.push((await healthz(s)).status);
      }
      if (failedBatches > 0) fullBatches++;
    }
    expect(notAcked.length).toBeGreaterThan(0);
    expect(s.logs.some((l) => WRITE_FAILED.includes(l.event as string))).toBe(true);
    expect(statuses.every((st) => st === 503)).toBe(true); // not ready until space returns (no flapping)

    // Space returns: /healthz says 200 again once the journal takes a write.
    rmSync(filler);
    const deadline = Date.now() + 20_000;
    while ((await healthz(s)).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    expect((await healthz(s)).body.journal.writable).toBe(true);

    // The client re-sends everything not acked, in order, until all is acked.
    let resend = notAcked;
    for (let round = 0; resend.length > 0; round++) {
      expect(round).toBeLessThan(10);
      const answers = await sendBatch(ingest, resend);
      const next: Msg[] = [];
      for (const m of resend) {
        const a = answers.get(`${m.stream}/${m.seq}`)!;
        if (a.type === 'ack') acked.add(`${m.stream}/${m.seq}`);
        else {
          expect(a).toMatchObject({ type: 'error', code: 'internal' });
          next.push(m);
        }
      }
      resend = next;
      if (resend.length > 0) await sleep(600);
    }
    expect(acked.size).toBe(sent.length);
    const liveSignals = ingest.of('shutdown').map((m) => `${m.stream}#${m.epoch}`);
    // Signals, not state: a control client goes live 0.5 s after it connects (it never subscribes),
    // and its state then tells the standing shutdowns (`state: true`, no epoch). One it already
    // heard live is left out (feed-hub.ts); one the core holds whose signal is still on its way (its
    // records not yet durable) comes as state and then as the signal (1 run in ~5 under load).
    const controlSignals = control.of('shutdown').filter((m) => m.state !== true).map((m) => `${m.stream}#${m.epoch}`);
    const controlState = control.of('shutdown').filter((m) => m.state === true).map((m) => m.stream as string);
    ingest.close();
    control.close();
    expect(await s.stop()).toBe(0);
    const failures = s.logs.filter((l) => WRITE_FAILED.includes(l.event as string)).length;
    expect(s.logs.filter((l) => WRITABLE.includes(l.event as string))).toHaveLength(1); // once, after the filler went

    // Restart on the same journal.
    s = await startServer({ dir: base, config });
    try {
      const control2 = await Client.open(s.url('/feed', TOKENS.control[0]));
      const ingest2 = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
      // Re-sent again after the restart (within each stream's window of 64 seqs): every one a duplicate.
      const sample = sent.filter((m, i) => i % 3 === 0 && m.seq > k - 60);
      const answers = await sendBatch(ingest2, sample);
      expect([...answers.values()].filter((a) => !(a.type === 'ack' && a.duplicate === true))).toEqual([]);
      await sleep(300);
      // No new shutdown: the new connection is told the standing ones it sends for, same epochs, once each.
      const told = ingest2.of('shutdown').map((m) => `${m.stream}#${m.epoch}`);
      expect(told.length).toBe(new Set(told).size);
      expect(told.filter((x) => !liveSignals.includes(x))).toEqual([]);
      control2.close();
      ingest2.close();
    } finally {
      expect(await s.stop()).toBe(0);
    }

    // What the journal holds, compared with the same messages through the embedded core without faults.
    const disk = journalOnDisk(journalDir);
    const reference = await openCore(mkdtempSync(join(base, 'reference-')));
    for (let i = 0; i < sent.length; i += BATCH) await reference.processor.ingestBatch(sent.slice(i, i + BATCH), PEER);
    const refFlags = new Map<string, number>();
    for (const f of reference.outbox.rec.flags) refFlags.set(`${f.flag.stream}/${f.flag.seq}`, (refFlags.get(`${f.flag.stream}/${f.flag.seq}`) ?? 0) + 1);
    const refShutdowns = reference.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`).sort();
    await reference.processor.close();

    const diskFlags = new Map<string, number>();
    for (const f of disk.flags) diskFlags.set(f.key, (diskFlags.get(f.key) ?? 0) + 1);
    const missing = [...refFlags.keys()].filter((key) => acked.has(key) && diskFlags.get(key) !== refFlags.get(key));
    expect(missing).toEqual([]); // 0 acked messages missing (or flagged twice)
    expect([...diskFlags.keys()].filter((key) => !refFlags.has(key))).toEqual([]);
    expect(new Set(disk.flags.map((f) => f.id)).size).toBe(disk.flags.length); // no id twice
    expect(refShutdowns.length).toBeGreaterThan(STREAMS / 2);
    expect([...disk.shutdowns].sort()).toEqual(refShutdowns); // one shutdown record per (stream, epoch)
    expect([...liveSignals].sort()).toEqual(refShutdowns); // and one signal each, to the ingest connection
    expect([...controlSignals].sort()).toEqual(refShutdowns); // and to control
    expect(controlState.filter((st) => !refShutdowns.some((r) => r.startsWith(`${st}#`)))).toEqual([]); // state only of streams shut down
    console.log(`disk-full: ${sent.length} messages, ${notAcked.length} answered internal (${failedBatches} batches), ${failures} journal write failures, healthz while failing ${JSON.stringify(statuses)}, ${refShutdowns.length} shutdowns`);
  });
}
