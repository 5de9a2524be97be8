/**
 * A rotation's snapshot is written in the background while batches go on into the old segment
 * (src/journal/journal.ts): acks never wait for it, and replay reads the records the snapshot does
 * not count (its `tail`) right after it. Checked against a model: the snapshot plus what replay
 * yields after it covers every acked record exactly once, in order.
 */
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Journal } from '../../src/journal/journal.js';
import type { MessageRecord, SnapshotRecord, StreamRecord } from '../../src/stream/records.js';
import { FaultyFiles } from './faulty-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const listing = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort();
const msg = (seq: number): MessageRecord => ({ t: 'msg', stream: 's', seq, ts: seq, kind: 'transcript', final: true, flags: [], text: '这是一段用来填满分段的文字。'.repeat(3) });

/**
 * A journal whose snapshot is the model's state: the last seq appended (state changes at append, as
 * the processor's do). `files` lets a test hold the snapshot's write.
 */
async function journal(dir: string, files?: FaultyFiles) {
  const model = { last: 0 };
  let rotations = 0;
  const j = await Journal.open({
    dir,
    segmentBytes: 2048,
    retainBytes: 1,
    fsync: true,
    warn: () => {},
    snapshot: () => ({ nextFlag: 1, shutdown: [], epochs: {}, seqs: { s: model.last } }),
    onRotate: () => void rotations++,
    ...(files ? { files } : {}),
  });
  for await (const _ of j.replay()) void _;
  const append = (seq: number) => {
    model.last = seq;
    return j.append([msg(seq)]);
  };
  /** Resolves once `n` rotations' snapshots are durable (`onRotate`). */
  const rotated = async (n: number) => {
    for (let i = 0; i < 2000 && rotations < n; i++) await new Promise((r) => setTimeout(r, 2));
    expect(rotations).toBe(n);
  };
  return { j, append, model, rotated };
}

/**
 * What a restart would see: the seqs the snapshot it starts from counts, then the seqs replayed after
 * it. Read from a copy of the directory as it is this moment (a rotation may be writing in the
 * background: the copy is what a crash now would leave, and replay repairs the copy, not the original).
 */
async function replayed(source: string): Promise<{ counted: number; after: number[]; order: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-rotation-copy-'));
  dirs.push(dir);
  cpSync(source, dir, { recursive: true });
  const j = await Journal.open({ dir, segmentBytes: 2048, retainBytes: 1, fsync: false, warn: () => {}, snapshot: () => ({ nextFlag: 1, shutdown: [], epochs: {}, seqs: {} }) });
  const records: StreamRecord[] = [];
  for await (const r of j.replay()) records.push(r);
  await j.close();
  const first = records[0]!;
  const counted = first.t === 'snapshot' ? (first.seqs.s ?? 0) : 0;
  const after = records.filter((r): r is MessageRecord => r.t === 'msg').map((r) => r.seq);
  return { counted, after, order: records.map((r) => r.t) };
}

test('batches appended while the snapshot is written go to the old segment, ahead of the switch; replay puts them right after the snapshot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-rotation-'));
  dirs.push(dir);
  const files = new FaultyFiles();
  const { j, append, rotated } = await journal(dir, files);
  let seq = 0;
  // A first rotation, unhindered: segment 2.
  while (listing(dir).length < 2) await append(++seq);
  await rotated(1);
  await append(++seq); // switched: appends go to segment 2 now
  // Fill segment 2 to just past its size: the batch that crosses it starts the next rotation.
  const seg2 = join(dir, 'segment-000000000002.ndjson');
  while (readFileSync(seg2).length < 2048) await append(++seq);
  const counted = seq;
  // The rotation is under way: hold its snapshot's fdatasync (the next datasync call is its).
  const held = files.pauseAt('datasync', files.calls.datasync + 1);
  await held.reached;
  // Batches meanwhile are acked, into segment 2 (not 3): the snapshot is not durable yet.
  const during: number[] = [];
  for (let i = 0; i < 5; i++) {
    await append(++seq);
    during.push(seq);
  }
  const seg2Seqs = () => readFileSync(seg2, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StreamRecord).filter((r): r is MessageRecord => r.t === 'msg').map((r) => r.seq);
  expect(seg2Seqs().slice(-5)).toEqual(during);
  held.resume();
  // The snapshot becomes durable; the next batch switches to segment 3.
  await rotated(2);
  const seg3 = join(dir, 'segment-000000000003.ndjson');
  await append(++seq);
  const lines = readFileSync(seg3, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as StreamRecord);
  const snap = lines[0] as SnapshotRecord;
  expect(snap).toMatchObject({ t: 'snapshot', seqs: { s: counted }, tail: { segment: 2 } });
  // The tail starts where the first record the snapshot does not count starts.
  const seg2Text = readFileSync(seg2);
  expect(JSON.parse(seg2Text.subarray(snap.tail!.from).toString('utf8').split('\n')[0]!)).toMatchObject({ t: 'msg', seq: counted + 1 });
  expect(lines.slice(1).map((r) => (r as MessageRecord).seq)).toEqual([seq]);
  await j.close();

  // Retention would delete segment 1 (kept here: it keeps three): then segment 2's own snapshot
  // lacks its tail, and replay starts at segment 3, reading segment 2's tail right after it.
  unlinkSync(join(dir, 'segment-000000000001.ndjson'));
  const r = await replayed(dir);
  expect(r.order[0]).toBe('snapshot');
  expect(r.counted).toBe(counted);
  expect(r.after).toEqual(Array.from({ length: seq - counted }, (_, i) => counted + 1 + i));
});

test('a crash once the snapshot is durable, before any batch switched to it: the restart replays the old segment\'s tail after it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-rotation-'));
  dirs.push(dir);
  const files = new FaultyFiles();
  const { append, rotated } = await journal(dir, files);
  let seq = 0;
  while (listing(dir).length < 2) await append(++seq);
  await rotated(1);
  await append(++seq);
  const seg2 = join(dir, 'segment-000000000002.ndjson');
  while (readFileSync(seg2).length < 2048) await append(++seq);
  const counted = seq;
  const held = files.pauseAt('datasync', files.calls.datasync + 1);
  await held.reached;
  for (let i = 0; i < 3; i++) await append(++seq);
  held.resume();
  const seg3 = join(dir, 'segment-000000000003.ndjson');
  await rotated(2);
  // The process dies here (the journal is never closed): segment 3 holds only the snapshot.
  expect(readFileSync(seg3, 'utf8').trim().split('\n')).toHaveLength(1);
  unlinkSync(join(dir, 'segment-000000000001.ndjson'));
  const r = await replayed(dir);
  expect(r.counted).toBe(counted);
  expect(r.after).toEqual([counted + 1, counted + 2, counted + 3]);
});

test('retention keeps three segments, and every restart in between covers each acked record once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-rotation-'));
  dirs.push(dir);
  const { j, append } = await journal(dir);
  let seq = 0;
  for (let round = 0; round < 12; round++) {
    // Batches of a few records at once, so some rotations have a tail and some do not.
    const burst: Promise<void>[] = [];
    for (let i = 0; i < 1 + (round % 4); i++) burst.push(append(++seq));
    await Promise.all(burst);
    for (let i = 0; i < 6; i++) await append(++seq);
    const r = await replayed(dir);
    // Nothing counted twice, nothing missing: the snapshot's count, then every later seq in order.
    expect(r.after).toEqual(Array.from({ length: seq - r.counted }, (_, i) => r.counted + 1 + i));
  }
  await j.close();
  expect(listing(dir).length).toBe(3);
  expect(listing(dir)[0]).not.toBe('segment-000000000001.ndjson');
});

test('a snapshot that cannot be taken is no write failure: appends go on in the segment, a warning says why, and the next batch tries again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-rotation-'));
  dirs.push(dir);
  const warnings: string[] = [];
  let failing = true;
  let last = 0;
  const j = await Journal.open({
    dir,
    segmentBytes: 2048,
    retainBytes: 1 << 20,
    fsync: false,
    warn: (event) => warnings.push(event),
    snapshot: () => {
      if (failing) throw new Error('state unavailable');
      return { nextFlag: 1, shutdown: [], epochs: {}, seqs: { s: last } };
    },
  });
  for await (const _ of j.replay()) void _;
  let seq = 0;
  for (let i = 0; i < 40; i++) await j.append([msg((last = ++seq))]);
  expect(warnings.filter((w) => w === 'journal_rotate_failed').length).toBeGreaterThan(1);
  expect(j.failure).toBeUndefined();
  expect(listing(dir)).toEqual(['segment-000000000001.ndjson']);
  failing = false;
  await j.append([msg((last = ++seq))]);
  for (let i = 0; i < 200 && listing(dir).length < 2; i++) await new Promise((r) => setTimeout(r, 2));
  await j.append([msg((last = ++seq))]);
  await j.close();
  expect(listing(dir)).toEqual(['segment-000000000001.ndjson', 'segment-000000000002.ndjson']);
  const r = await replayed(dir);
  expect([...Array.from({ length: r.counted }, (_, i) => i + 1), ...r.after]).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
});
