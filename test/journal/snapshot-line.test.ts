/**
 * The rotation snapshot's line is written a slice at a time (src/journal/snapshot-line.ts): the
 * text must be JSON.stringify's, byte for byte, and the event loop must run between slices.
 */
import { expect, test } from 'vitest';
import { prng as rng } from '../../bench/corpus.js';
import { snapshotLine } from '../../src/journal/snapshot-line.js';
import type { SnapshotRecord } from '../../src/stream/records.js';

/** Stream ids and terms with what JSON escapes: quotes, backslashes, controls, lone surrogates, astral and CJK units. */
function text(r: () => number): string {
  const pool = ['a', 'Z', '"', '\\', '\n', '\u0001', '\u2028', '\ud800', '\udfff', '😀', '最', '低', '价', ' ', '/', '\u007f'];
  let s = '';
  for (let n = Math.floor(r() * 8); n > 0; n--) s += pool[Math.floor(r() * pool.length)];
  return s;
}

function record(r: () => number, streams: number): SnapshotRecord {
  const seqs: Record<string, number> = {};
  const windows: Record<string, number[]> = {};
  const risks: NonNullable<SnapshotRecord['risks']> = {};
  const epochs: Record<string, number> = {};
  for (let i = 0; i < streams; i++) {
    const id = `${text(r)}#${i}`;
    seqs[id] = Math.floor(r() * 1e6) - 1;
    if (r() < 0.8) windows[id] = [1, 2, 5, 9].slice(0, Math.floor(r() * 5));
    if (r() < 0.6) risks[id] = { risk: r() * 20, ts: 1_700_000_000_000 + i, incidents: [{ seq: i, ts: i, weight: r(), terms: [text(r), text(r)] }] };
    if (r() < 0.3) epochs[id] = Math.floor(r() * 4);
  }
  const rec: SnapshotRecord = {
    t: 'snapshot',
    nextFlag: 1 + Math.floor(r() * 1e9),
    // An optional field set to undefined is left out, as JSON.stringify leaves it out.
    shutdown: Array.from({ length: Math.floor(r() * 300) }, (_, i) => ({ stream: `s${i}`, epoch: i, reason: r() < 0.5 ? text(r) : undefined })) as SnapshotRecord['shutdown'],
    epochs,
    seqs,
    windows,
    risks,
    pk: r() < 0.5 ? [] : [{ stream: 'p', opponent: text(r) }],
    recommended: r() < 0.5 ? undefined : [{ stream: 'q', reason: text(r), flagIds: ['f1', 'f2'], ts: 3 }],
    tail: { segment: 4, from: Math.floor(r() * 1e8) },
  };
  return rec;
}

test('the line is JSON.stringify(record) + "\\n", byte for byte, for any slice size', async () => {
  const r = rng(7);
  for (let round = 0; round < 60; round++) {
    const rec = record(r, Math.floor(r() * 700));
    const expected = Buffer.from(JSON.stringify(rec) + '\n', 'utf8');
    for (const slice of [1, 3, 128, 100_000]) expect((await snapshotLine(rec, slice)).equals(expected)).toBe(true);
  }
  // Empty maps and lists.
  const empty: SnapshotRecord = { t: 'snapshot', nextFlag: 1, shutdown: [], epochs: {}, seqs: {} };
  expect((await snapshotLine(empty, 1)).toString('utf8')).toBe(JSON.stringify(empty) + '\n');
});

test('the event loop runs between slices, and the longest slice is reported', async () => {
  const rec = record(rng(3), 5000);
  let ticks = 0;
  let ticking = true;
  const tick = () => {
    ticks++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  const timing = { ms: 0 };
  const line = await snapshotLine(rec, 128, timing);
  ticking = false;
  expect(line.toString('utf8')).toBe(JSON.stringify(rec) + '\n');
  // 5,000 seqs, ~4,000 windows and ~3,000 risks in slices of 128: other work ran in ~90 gaps.
  expect(ticks).toBeGreaterThan(50);
  expect(timing.ms).toBeGreaterThan(0);
});
