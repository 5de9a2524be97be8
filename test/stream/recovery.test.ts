/**
 * Recovery paths of the embedded core one at a time (Journal + Processor in-process): a rotation's
 * snapshot racing a failed batch, a damaged snapshot, a record of the wrong shape, a disk that is
 * full at startup, and the seq guarantees (unsafe seqs refused naming `seq`, interleaved pipelines).
 */
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { FaultyFiles } from '../journal/faulty-files.js';
import { isAck, openCore, PEER, recordingOutbox, journalDirs, untilWritable, type Core, type CoreOptions, type Msg } from './embedded.js';
import { T0 } from './fault-model.js';

const newDir = journalDirs();

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort();
const activeBytes = (dir: string) => statSync(join(dir, segments(dir).at(-1)!)).size;

/** A sender of one stream's transcript chunks, seq by seq. */
function sender(core: () => Core, stream: string, start = 1) {
  let seq = start - 1;
  return {
    next: (text: string): Msg => ({ type: 'transcript', stream, seq: ++seq, ts: T0 + seq * 1000, text, final: true }),
    send: async (text: string) => (await core().processor.ingestBatch([{ type: 'transcript', stream, seq: ++seq, ts: T0 + seq * 1000, text, final: true }], PEER))[0]!,
    get seq() {
      return seq;
    },
  };
}

describe('a rotation snapshot taken while a batch is being written', () => {
  /**
   * A's write is held in flight; B (a critical claim on x) is appended meanwhile, so the snapshot
   * A's rotation takes already counts B. B's write (to the old segment: appends switch only once
   * the snapshot and all it counts are durable) is held too, and fails once `beforeFailing` has run.
   */
  async function bFailsAfterTheSnapshot(beforeFailing: (dir: string) => Promise<void>): Promise<void> {
    const dir = newDir();
    const files = new FaultyFiles();
    const opts: CoreOptions = { journal: { segmentBytes: 1500, retainBytes: 1 } };
    let core = await openCore(dir, { ...opts, files });
    const y = sender(() => core, 'y');
    while (activeBytes(dir) < 1200) expect(isAck(await y.send('大家好，欢迎来到直播间'))).toBe(true);

    const heldA = files.pauseAt('write', files.calls.write + 1);
    const a = core.processor.ingestBatch([y.next('这件衣服的面料很舒服，大家可以看看，颜色也有好几种。'.repeat(4))], PEER); // past segmentBytes
    await heldA.reached;
    const bMsg: Msg = { type: 'transcript', stream: 'x', seq: 1, ts: T0, text: '喝了能治癌', final: true };
    const b = core.processor.ingestBatch([bMsg], PEER);
    // The next write is B's: the flush loop issues it at once, while the snapshot's file is still being opened.
    files.failNext('write', 'ENOSPC', 1);
    const heldB = files.pauseAt('write', files.calls.write + 1);
    heldA.resume();
    expect((await a)[0]).toMatchObject({ type: 'ack' });
    await heldB.reached;
    await beforeFailing(dir);
    heldB.resume();
    expect((await b)[0]).toMatchObject({ type: 'error', code: 'internal' });
    expect(segments(dir)).toEqual(['segment-000000000001.ndjson']); // the rotation whose snapshot counted B is undone
    await untilWritable(core.processor);
    expect(core.processor.summaries().find((s) => s.stream === 'x')).toBeUndefined();

    // The pipeline is down a while; y goes on until retention has deleted the first segment.
    while (segments(dir)[0] === 'segment-000000000001.ndjson') expect(isAck(await y.send('大家好，欢迎来到直播间'))).toBe(true);
    await core.processor.close();

    // Restarted, replay starts at a later snapshot: x was never processed, never shut down.
    core = await openCore(dir, opts);
    expect(core.processor.summaries().find((s) => s.stream === 'x')).toBeUndefined();
    const again = (await core.processor.ingestBatch([bMsg], PEER))[0]!;
    expect(again).toEqual({ type: 'ack', stream: 'x', seq: 1 }); // processed now, not a duplicate
    expect(core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`)).toEqual(['x#1']);
    expect(core.outbox.rec.flags.map((f) => f.flag.term)).toEqual(['治癌']);
    await core.processor.close();
  }

  test('B fails while the snapshot is still being written: its state never becomes the journal\'s, even once a later snapshot is where replay starts', async () => {
    await bFailsAfterTheSnapshot(async () => undefined);
  });

  test('B fails after the snapshot is durable, before appends switched to it: the new segment goes all the same', async () => {
    await bFailsAfterTheSnapshot(async (dir) => {
      const next = join(dir, 'segment-000000000002.ndjson');
      // Written and fsynced in the background while B's write is held.
      for (let i = 0; i < 2000 && !(segments(dir).includes('segment-000000000002.ndjson') && readFileSync(next, 'utf8').endsWith('\n')); i++) await new Promise((r) => setTimeout(r, 2));
      expect(JSON.parse(readFileSync(next, 'utf8'))).toMatchObject({ t: 'snapshot', tail: { segment: 1 } });
    });
  });
});

describe('startup', () => {
  /** A journal whose last batch was torn after the flag that shut a stream down: the shutdown was never recorded nor signalled. */
  async function tornShutdown(dir: string): Promise<void> {
    const core = await openCore(dir);
    expect((await core.processor.ingestBatch([{ type: 'transcript', stream: 'x', seq: 1, ts: T0, text: '喝了能治癌', final: true }], PEER))[0]).toMatchObject({ type: 'ack' });
    await core.processor.close();
    const file = join(dir, segments(dir).at(-1)!);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    const kept = lines.filter((l) => !l.startsWith('{"t":"shutdown"') && !l.startsWith('{"t":"level"'));
    expect(kept.length).toBe(lines.length - 2);
    writeFileSync(file, kept.join('\n') + '\n');
  }

  test('a shutdown a torn batch left unrecorded is recorded and signalled once at startup', async () => {
    const dir = newDir();
    await tornShutdown(dir);
    const core = await openCore(dir);
    expect(core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`)).toEqual(['x#1']);
    await core.processor.close();
    const again = await openCore(dir);
    expect(again.outbox.rec.shutdowns).toEqual([]); // recorded now: not signalled a second time
    expect(again.processor.summaries()).toMatchObject([{ stream: 'x', level: 'shutdown' }]);
    await again.processor.close();
  });

  test('on a full disk, startup still succeeds: not ready, and the unrecorded shutdown is signalled once space returns', async () => {
    const dir = newDir();
    await tornShutdown(dir);
    const files = new FaultyFiles();
    files.fill(0);
    const core = await openCore(dir, { files });
    expect(core.processor.health()).toMatchObject({ ready: false, writable: false });
    const refused = (await core.processor.ingestBatch([{ type: 'transcript', stream: 'y', seq: 1, ts: T0, text: '大家好', final: true }], PEER))[0];
    expect(refused).toMatchObject({ type: 'error', code: 'internal' });
    files.release();
    await untilWritable(core.processor);
    expect(core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`)).toEqual(['x#1']);
    await core.processor.close();
    const again = await openCore(dir);
    expect(again.outbox.rec.shutdowns).toEqual([]);
    await again.processor.close();
  });
});

/** Breaks a segment's first line (its snapshot) without changing the file's length. */
function damageFirstLine(file: string): void {
  const buf = readFileSync(file);
  const nl = buf.indexOf(10);
  buf.fill(0x58, 2, Math.min(nl, 40)); // {"XXXX…: not JSON any more
  writeFileSync(file, buf);
}

describe('a damaged snapshot, with retention on', () => {
  /** Two streams over many small segments: 's' is shut down early (its records deleted), 'q' keeps sending. */
  async function session(dir: string, opts: CoreOptions) {
    const core = await openCore(dir, opts);
    const sent: Msg[] = [];
    const send = async (m: Msg) => {
      sent.push(m);
      expect((await core.processor.ingestBatch([m], PEER))[0]).toMatchObject({ type: 'ack' });
    };
    await send({ type: 'transcript', stream: 's', seq: 1, ts: T0, text: '喝了能治癌', final: true });
    for (let i = 1; i <= 120; i++) {
      await send({ type: 'transcript', stream: 'q', seq: i, ts: T0 + i * 60_000, text: i % 10 === 0 ? '这个全网最低价' : '大家好，欢迎来到直播间', final: true });
      if (i % 4 === 0) await send({ type: 'chat', stream: 's', seq: 1 + i / 4, ts: T0 + i * 1000, text: '主播好' });
    }
    const live = { summaries: core.processor.summaries(), flags: core.outbox.rec.flags.length, shutdowns: core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`), next: core.nextFlag() };
    await core.processor.close();
    return { sent, live };
  }

  for (const which of ['oldest', 'newest'] as const) {
    test(`the ${which} segment's snapshot damaged: replay falls ${which === 'oldest' ? 'forward to the next' : 'back to an older'} one; re-sent messages are not processed again, no shutdown is signalled again, ids continue`, async () => {
      const dir = newDir();
      const opts: CoreOptions = { journal: { segmentBytes: 4096, retainBytes: 8192 } };
      const { sent, live } = await session(dir, opts);
      expect(live.shutdowns).toEqual(['s#1']);
      const segs = segments(dir);
      expect(segs.length).toBeGreaterThanOrEqual(2);
      expect(segs[0]).not.toBe('segment-000000000001.ndjson'); // the shutdown record is gone with it
      damageFirstLine(join(dir, which === 'oldest' ? segs[0]! : segs.at(-1)!));

      const core = await openCore(dir, opts);
      expect(core.warnings.map((w) => w.event)).toContain(which === 'oldest' ? 'journal_snapshot_damaged' : 'journal_damaged_line');
      expect(core.journal.badRecords).toBe(1);
      expect(core.processor.summaries().find((s) => s.stream === 's')).toMatchObject({ level: 'shutdown' });
      // The pipeline re-sends the last 64 messages of each stream (its window): all duplicates.
      const resend = [...sent.filter((m) => m.stream === 'q').slice(-64), ...sent.filter((m) => m.stream === 's').slice(-20)];
      const replies = await core.processor.ingestBatch(resend, PEER);
      expect(replies.filter((r) => !(isAck(r) && r.duplicate))).toEqual([]);
      expect(core.outbox.rec.flags).toEqual([]);
      expect(core.outbox.rec.shutdowns).toEqual([]);
      // New flags get new ids.
      await core.processor.ingestBatch([{ type: 'transcript', stream: 'q', seq: 121, ts: T0 + 121 * 60_000, text: '全网最低价', final: true }], PEER);
      expect(core.outbox.rec.flags.map((f) => Number(f.flag.id.slice(1)))[0]).toBeGreaterThanOrEqual(live.next);
      await core.processor.close();
    });
  }
});

describe('a record of the wrong shape in a segment', () => {
  test('valid JSON, wrong shape (flags not an array, a seq as a string, an unknown kind): skipped, logged and counted; startup succeeds and the rest replays', async () => {
    const dir = newDir();
    const core = await openCore(dir);
    await core.processor.ingestBatch([{ type: 'transcript', stream: 'w', seq: 1, ts: T0, text: '这个全网最低价', final: true }], PEER);
    await core.processor.close();
    const file = join(dir, segments(dir)[0]!);
    appendFileSync(file, ['{"t":"msg","stream":"w","seq":2,"ts":1,"kind":"transcript","final":true,"flags":{"id":"f9"}}', '{"t":"msg","stream":"w","seq":"3","ts":1,"kind":"transcript","final":true,"flags":[]}', '{"t":"teleport","stream":"w"}', '[1,2,3]', 'null'].join('\n') + '\n');
    const again = await openCore(dir);
    expect(again.journal.badRecords).toBe(5);
    expect(again.warnings.filter((w) => w.event === 'journal_invalid_record').map((w) => w.detail.reason)).toEqual(['flags: Invalid input: expected array, received object', 'seq: Invalid input: expected number, received string', 't: not a record kind ("teleport")', 't: not a record kind (undefined)', 't: not a record kind (undefined)']);
    // Seq 1 is known, 2 and 3 were never processed.
    const replies = await again.processor.ingestBatch([1, 2, 3].map((seq) => ({ type: 'transcript', stream: 'w', seq, ts: T0 + seq, text: '全网最低价', final: true }) as Msg), PEER);
    expect(replies).toEqual([{ type: 'ack', stream: 'w', seq: 1, duplicate: true }, { type: 'ack', stream: 'w', seq: 2 }, { type: 'ack', stream: 'w', seq: 3 }]);
    expect(again.outbox.rec.flags.map((f) => f.flag.seq)).toEqual([2, 3]);
    expect(again.outbox.rec.flags.every((f) => Number(f.flag.id.slice(1)) > 1)).toBe(true); // f1 is seq 1's
    await again.processor.close();
  });
});

describe('sequence numbers', () => {
  test('seq 2^53−1 (and any seq too far ahead) is refused with an error naming seq; the stream keeps working', async () => {
    const core = await openCore(newDir());
    const msg = (seq: number, text = '全网最低价'): Msg => ({ type: 'transcript', stream: 'z', seq, ts: T0 + (seq % 1e6), text, final: true });
    expect((await core.processor.ingestBatch([msg(1)], PEER))[0]).toMatchObject({ type: 'ack' });
    for (const seq of [Number.MAX_SAFE_INTEGER, 1 + 1e13 + 1]) {
      const [r] = await core.processor.ingestBatch([msg(seq)], PEER);
      expect(r).toMatchObject({ type: 'error', code: 'invalid_message', stream: 'z', seq });
      expect((r as { message: string }).message).toMatch(/^seq: /);
    }
    // Nothing of it stuck: the next seqs are processed, a re-send is a duplicate.
    expect(await core.processor.ingestBatch([msg(2), msg(3), msg(2)], PEER)).toEqual([{ type: 'ack', stream: 'z', seq: 2 }, { type: 'ack', stream: 'z', seq: 3 }, { type: 'ack', stream: 'z', seq: 2, duplicate: true }]);
    expect(core.outbox.rec.flags.map((f) => f.flag.seq)).toEqual([1, 2, 3]);
    await core.processor.close();
    const again = await openCore(core.journal.dir);
    expect((await again.processor.ingestBatch([msg(4)], PEER))[0]).toEqual({ type: 'ack', stream: 'z', seq: 4 });
    await again.processor.close();
  });

  test('two pipelines interleaving the seqs of one stream, with re-sends, a failed write and a restart: every distinct seq processed once', async () => {
    const dir = newDir();
    const files = new FaultyFiles([{ op: 'write', at: 7, kind: 'ENOSPC' }, { op: 'datasync', at: 15, kind: 'EIO' }]);
    let core = await openCore(dir, { files });
    const processed = new Map<number, number>();
    const count = (c: Core) => {
      for (const f of c.outbox.rec.flags) processed.set(f.flag.seq!, (processed.get(f.flag.seq!) ?? 0) + 1);
    };
    const msg = (seq: number): Msg => ({ type: 'chat', stream: 'p', seq, ts: T0 + seq, text: '加微信' }); // chat: one flag each, no escalation
    // Pipeline A sends even seqs, B odd ones, each at its own pace and batch size, each re-sending
    // some of what it sent (and some of the other's): up to 40 seqs apart, inside the window of 64.
    const pipeline = async (parity: number, batch: number, upTo: number, from = 0) => {
      const seqs = Array.from({ length: upTo }, (_, i) => i).filter((s) => s % 2 === parity && s >= from);
      for (let i = 0; i < seqs.length; i += batch) {
        const chunk = seqs.slice(i, i + batch);
        const resend = chunk.map((s) => s - 3 - (s % 5)).filter((s) => s >= from);
        for (let attempt = 0; ; attempt++) {
          const replies = await core.processor.ingestBatch([...chunk, ...resend].map(msg), PEER);
          const bad = replies.filter((r) => !isAck(r));
          if (bad.length === 0) break;
          expect(bad.every((r) => r.type === 'error' && r.code === 'internal')).toBe(true);
          await untilWritable(core.processor);
        }
        await new Promise((r) => setTimeout(r, parity === 0 ? 1 : 3));
      }
    };
    await Promise.all([pipeline(0, 3, 120), pipeline(1, 7, 120)]);
    count(core);
    await core.processor.close();
    core = await openCore(dir);
    await Promise.all([pipeline(0, 5, 200, 100), pipeline(1, 2, 200, 100)]);
    count(core);
    await core.processor.close();
    expect(files.fired).toHaveLength(2);
    const wrong = [...Array(200).keys()].filter((s) => processed.get(s) !== 1).map((s) => `${s}×${processed.get(s) ?? 0}`);
    expect(wrong).toEqual([]);
  });
});

describe('gaps closed since they were found', () => {
  test('a stream ended and reopened keeps counting epochs: its next shutdown is epoch 2, not a second epoch 1 a consumer would drop as a repeat', async () => {
    // Escalation.end deletes the stream's state, epoch included (src/escalate/escalation.ts).
    const core = await openCore(newDir());
    const send = (seq: number, m: Partial<Msg>) => core.processor.ingestBatch([{ type: 'transcript', stream: 'r', seq, ts: T0 + seq * 1000, text: '', final: true, ...m } as Msg], PEER);
    await send(1, { text: '喝了能治癌' });
    await core.processor.command({ type: 'restore', stream: 'r' });
    await send(2, { type: 'end' } as Partial<Msg>);
    await send(3, { text: '喝了能治癌' });
    const signals = core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`);
    await core.processor.close();
    expect(signals).toEqual(['r#1', 'r#2']);
  });

  test('risk survives a rebuild from a snapshot: with retention, a failed write does not make a stream forget its claims', async () => {
    // A snapshot record carries seqs, epochs, PK and the shut-down set, but no risk (records.ts
    // SnapshotRecord, Escalation has no way to restore it): replay from a snapshot starts every
    // stream at risk 0, so after a rebuild or a restart the third high claim no longer shuts it down.
    const dir = newDir();
    const files = new FaultyFiles();
    const core = await openCore(dir, { files, journal: { segmentBytes: 2048, retainBytes: 4096 } });
    const r = sender(() => core, 'r');
    const y = sender(() => core, 'y');
    await r.send('这个全网最低价');
    await r.send('全网最低价啊'); // 4 + 6: alert
    while (segments(dir)[0] === 'segment-000000000001.ndjson') await y.send('大家好，欢迎来到直播间');
    files.failNext('write', 'ENOSPC');
    expect(await y.send('大家好')).toMatchObject({ code: 'internal' });
    await untilWritable(core.processor);
    await r.send('真的全网最低价'); // + 8 = 18: shutdown
    const signals = core.outbox.rec.shutdowns.map((e) => e.stream);
    await core.processor.close();
    expect(signals).toEqual(['r']);
  });
});

describe('probing a full disk for space', () => {
  test('a disk with a few bytes of slack (a block\'s tail) is still full: the core stays not ready instead of flapping, one failure, one rebuild', async () => {
    const files = new FaultyFiles();
    const core = await openCore(newDir(), { files, probeMs: 5 });
    const q = sender(() => core, 'q');
    expect(await q.send('大家好')).toMatchObject({ type: 'ack' });
    files.fill(0);
    expect(await q.send('大家好')).toMatchObject({ code: 'internal' });
    files.fill(200); // what a real disk leaves in the last block of a file: a one-byte probe fits
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 10));
      const ready = core.processor.health().ready;
      const r = await q.send('大家好，欢迎来到直播间，今天的福利很多'.repeat(3));
      expect({ ready, r: r.type === 'error' ? r.code : r.type }).toEqual({ ready: false, r: 'internal' });
    }
    expect(core.journalFailures).toHaveLength(1);
    files.release();
    await untilWritable(core.processor);
    expect(await q.send('大家好')).toMatchObject({ type: 'ack' });
    expect(core.recoveries).toBe(1);
    await core.processor.close();
  });
});
