/**
 * Rotation, retention and recovery from a snapshot: once old segments are deleted, a restart still
 * knows the next flag id, the shut-down streams with their epochs and reasons, PK sessions with their
 * opponents, and the last seqs.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Escalation } from '../../src/escalate/escalation.js';
import { DEFAULT_ESCALATION } from '../../src/escalate/risk.js';
import type { Flag } from '../../src/flag.js';
import { Journal } from '../../src/journal/journal.js';
import type { SnapshotRecord } from '../../src/stream/records.js';
import { replayLog } from '../../src/stream/replay.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const flag = (n: number, stream: string): Flag => ({ id: `f${n}`, stream, category: 'extreme', term: '全网最低价', matched: '全网最低价', start: 0, end: 5, severity: 'high', evasion: false, via: 'text' });

async function open(dir: string, snapshot: () => Omit<SnapshotRecord, 't'>, warnings: string[] = []) {
  const j = await Journal.open({ dir, segmentBytes: 4096, retainBytes: 3 * 4096, snapshot, warn: (e) => warnings.push(e), fsync: false });
  return j;
}

test('segments rotate with a snapshot first, retention keeps the total bounded, and a restart recovers from the snapshot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-journal-'));
  dirs.push(dir);
  let next = 1;
  const state = () => ({ nextFlag: next, shutdown: [{ stream: 'gone', epoch: 2, reason: 'risk 17 crossed the shutdown threshold 16' }], epochs: { gone: 2, back: 1 }, seqs: { live: next }, pk: [{ stream: 'live', opponent: 'rival' }, { stream: 'solo' }] });
  const j = await open(dir, state);
  for await (const _ of j.replay()) throw new Error('empty journal replays nothing');
  await j.append([{ t: 'shutdown', stream: 'gone', reason: 'test', flagIds: [], ts: 1, epoch: 2, manual: true }]);
  for (let i = 0; i < 400; i++) {
    await j.append([{ t: 'msg', stream: 'live', seq: i + 1, ts: 1000 + i, kind: 'transcript', final: true, flags: [flag(next, 'live')], text: '全网最低价' }]);
    next++;
  }
  await j.close();

  const files = readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort();
  expect(files.length).toBeGreaterThan(1);
  expect(files[0]).not.toBe('segment-000000000001.ndjson'); // the oldest were deleted
  const total = files.reduce((n, f) => n + readFileSync(join(dir, f)).length, 0);
  expect(total).toBeLessThanOrEqual(3 * 4096 + 4096);
  for (const f of files) expect(JSON.parse(readFileSync(join(dir, f), 'utf8').split('\n')[0]!).t).toBe('snapshot');

  // Restart: the shutdown record itself is gone with the first segment; the snapshot carries it.
  const escalation = new Escalation(DEFAULT_ESCALATION);
  const reopened = await open(dir, state);
  const recovered = await replayLog(reopened, escalation, 64);
  expect(recovered.nextFlag).toBe(next);
  expect(recovered.windows.get('live')?.high).toBe(400);
  expect(escalation.isShutDown('gone')).toBe(true);
  expect(escalation.shutDownStreams()).toContainEqual({ stream: 'gone', epoch: 2, reason: 'risk 17 crossed the shutdown threshold 16' });
  expect(escalation.shutdownReason('gone')).toBe('risk 17 crossed the shutdown threshold 16');
  // The PK records went with the deleted segments; the snapshot keeps the sessions and the opponent.
  expect(escalation.pkActive('live')).toBe(true);
  expect(escalation.pkActive('solo')).toBe(true);
  expect(recovered.opponents.get('live')).toBe('rival');
  expect(recovered.opponents.has('solo')).toBe(false);

  // Flags after an id still in retention come back in order, across segments; older ones are gone
  // by policy. The oldest flag held is not the oldest snapshot's nextFlag: the batches written while
  // that snapshot was (rotation.ts) went on into the segment before it, now deleted.
  const oldest = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8').split('\n')[0]!) as SnapshotRecord;
  const first = reopened.retainedFrom()!;
  expect(first).toBeGreaterThanOrEqual(oldest.nextFlag);
  const since = first + 1;
  expect(next - since).toBeGreaterThan(20); // the range spans more than one segment
  const ids: number[] = [];
  for await (const f of reopened.flagsSince(since)) ids.push(Number(f.id.slice(1)));
  expect(ids).toEqual(Array.from({ length: next - 1 - since }, (_, i) => since + 1 + i));
  await reopened.close();
});

test('a torn last line is cut off with a warning and appends continue on a clean line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-journal-'));
  dirs.push(dir);
  const snap = () => ({ nextFlag: 1, shutdown: [], epochs: {}, seqs: {} });
  const j = await open(dir, snap);
  for await (const _ of j.replay());
  await j.append([{ t: 'end', stream: 'a', seq: 1, ts: 1 }]);
  await j.close();
  const file = join(dir, 'segment-000000000001.ndjson');
  const { appendFileSync } = await import('node:fs');
  appendFileSync(file, '{"t":"end","stream":"b","se');
  const warnings: string[] = [];
  const j2 = await open(dir, snap, warnings);
  const seen: string[] = [];
  for await (const r of j2.replay()) seen.push(r.t === 'end' ? r.stream : r.t);
  expect(seen).toEqual(['a']);
  expect(warnings).toEqual(['journal_torn_tail']);
  await j2.append([{ t: 'end', stream: 'c', seq: 1, ts: 2 }]);
  await j2.close();
  expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { stream: string }).stream)).toEqual(['a', 'c']);
});

test('close waits for a rotation and its retention: nothing changes in the directory after close returns', async () => {
  // Each batch is durable (its appender resolved) before the same flush rotates and deletes old
  // segments; close() used to return at that point, and a journal reopened at once listed a
  // segment the closed one then deleted (ENOENT in replay: test/stream/ended.test.ts, under load).
  const listing = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort();
  let rotatedAtClose = 0;
  for (let run = 0; run < 30; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'pkguard-journal-'));
    dirs.push(dir);
    const j = await Journal.open({ dir, segmentBytes: 1024, retainBytes: 1024, snapshot: () => ({ nextFlag: 1, shutdown: [], epochs: {}, seqs: {} }), warn: () => {}, fsync: true });
    for await (const _ of j.replay()) throw new Error('empty journal replays nothing');
    // Enough bytes in one batch to pass the segment size: each flush ends in a rotation, and from
    // the third on in retention deleting the oldest segment.
    const batch = (b: number) => Array.from({ length: 12 }, (_, i) => ({ t: 'msg' as const, stream: 's', seq: b * 100 + i + 1, ts: 1, kind: 'transcript' as const, final: true, flags: [], text: '这是一段足够长的文字，用来填满日志的一个分段。'.repeat(2) }));
    for (let b = 0; b < 3; b++) await j.append(batch(b));
    const before = listing(dir);
    const last = j.append(batch(3));
    await j.close();
    const atClose = listing(dir);
    await last;
    if (atClose.join() !== before.join()) rotatedAtClose++;
    await new Promise((r) => setTimeout(r, 30));
    expect(listing(dir)).toEqual(atClose);
    // And a journal reopened at once replays every segment it lists.
    const again = await Journal.open({ dir, segmentBytes: 1024, retainBytes: 1024, snapshot: () => ({ nextFlag: 1, shutdown: [], epochs: {}, seqs: {} }), warn: () => {}, fsync: false });
    for await (const _ of again.replay()) void _;
    await again.close();
  }
  // The case the test is about happened: the last flush before close rotated.
  expect(rotatedAtClose).toBeGreaterThan(0);
});
