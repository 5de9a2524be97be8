/**
 * Each durable batch reports where its time went: write(2), fdatasync (zero without fsync), and
 * the wait from its first append to its write; the parts add up to the batch's total.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Journal, type WriteDetail } from '../../src/journal/journal.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const snapshot = () => ({ nextFlag: 1, shutdown: [], epochs: {}, seqs: {} });

for (const fsync of [true, false]) {
  test(`write, sync and wait per batch (fsync ${fsync})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pkguard-journal-'));
    dirs.push(dir);
    const seen: { records: number; seconds: number; d: WriteDetail }[] = [];
    const j = await Journal.open({ dir, snapshot, warn: () => undefined, fsync, onWrite: (records, _b, seconds, d) => seen.push({ records, seconds, d }) });
    for await (const _ of j.replay()) throw new Error('empty');
    const rec = (seq: number) => ({ t: 'end' as const, stream: 's', seq, ts: seq });
    // Two appends in one turn share a batch; the turn is held 30 ms after the first, so the batch waited at least that.
    const a = j.append([rec(1)]);
    const t0 = performance.now();
    while (performance.now() - t0 < 30);
    const b = j.append([rec(2), rec(3)]);
    await Promise.all([a, b]);
    await j.close();
    expect(seen).toHaveLength(1);
    const { records, seconds, d } = seen[0]!;
    expect(records).toBe(3);
    expect(d.wait).toBeGreaterThanOrEqual(0.029);
    expect(d.write).toBeGreaterThan(0);
    if (fsync) expect(d.sync).toBeGreaterThan(0);
    else expect(d.sync).toBe(0);
    expect(Math.abs(d.write + d.sync - seconds)).toBeLessThan(0.002);
  });
}
