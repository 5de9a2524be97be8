/**
 * The per-stream seq window against a model that remembers every processed seq: within the window
 * both agree exactly; below it a seq is refused (`stale`), never silently called a duplicate.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { SeqWindow } from '../../src/stream/seq-window.js';

test('rising seqs: each new once, then duplicate', () => {
  const w = new SeqWindow(4);
  for (let s = 0; s < 10; s++) {
    expect(w.verdict(s)).toBe('new');
    w.mark(s);
    expect(w.verdict(s)).toBe('duplicate');
  }
  expect(w.verdict(4)).toBe('stale'); // below the 4 remembered under 9
  expect(w.verdict(5)).toBe('duplicate');
});

test('two pipelines interleaving seqs of one stream: every distinct seq is new exactly once', () => {
  const w = new SeqWindow(64);
  const a = [1, 3, 5, 7, 9, 11];
  const b = [2, 4, 6, 8, 10, 12];
  const order = [1, 2, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11]; // b runs ahead of a
  let processed = 0;
  for (const s of [...order, ...a, ...b]) {
    if (w.verdict(s) === 'new') {
      w.mark(s);
      processed++;
    }
  }
  expect(processed).toBe(12);
});

test('a snapshot of the window restores the same verdicts (runs are kept compactly)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 200 }), fc.integer({ min: 1, max: 40 }), (seqs, size) => {
      const w = new SeqWindow(size);
      for (const s of seqs) if (w.verdict(s) === 'new') w.mark(s);
      const r = SeqWindow.restore(size, w.high, w.save());
      for (let s = -1; s <= 301; s++) expect(r.verdict(s)).toBe(w.verdict(s));
    }),
  );
});

test('against a model: never new twice, and a processed seq is never new again', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 400 }), fc.integer({ min: 1, max: 32 }), (seqs, size) => {
      const w = new SeqWindow(size);
      const done = new Set<number>();
      for (const s of seqs) {
        const v = w.verdict(s);
        if (done.has(s)) expect(v).not.toBe('new');
        else if (v !== 'stale') expect(v).toBe('new'); // never processed: new unless below the window
        if (v === 'new') {
          w.mark(s);
          done.add(s);
        }
      }
    }),
  );
});

test('an older journal without windows: everything up to the highest seq is done', () => {
  const w = SeqWindow.restore(8, 10, undefined);
  expect(w.verdict(10)).toBe('duplicate');
  expect(w.verdict(3)).toBe('stale');
  expect(w.verdict(11)).toBe('new');
});

/** The window as a plain sorted list of the last `size` seqs below high: what the runs must behave like. */
class ListModel {
  high = -1;
  floor = -1;
  below: number[] = [];
  constructor(readonly size: number) {}
  verdict(s: number): string {
    if (s > this.high) return 'new';
    if (s === this.high) return 'duplicate';
    if (s <= this.floor) return 'stale';
    return this.below.includes(s) ? 'duplicate' : 'new';
  }
  mark(s: number): void {
    if (s > this.high) {
      if (this.high >= 0) this.below.push(this.high);
      this.high = s;
    } else {
      this.below.push(s);
      this.below.sort((a, b) => a - b);
    }
    if (this.below.length > this.size) this.floor = Math.max(this.floor, this.below.shift()!);
  }
}

test('runs behave exactly like a sorted list: rising runs, gaps, resends and pipelines out of order, timestamp-sized seqs', () => {
  const step = fc.oneof(fc.constant(1), fc.constant(1), fc.constant(1), fc.integer({ min: 2, max: 5 }), fc.integer({ min: -12, max: 0 }), fc.integer({ min: 900, max: 2000 }));
  fc.assert(
    fc.property(fc.array(step, { maxLength: 300 }), fc.integer({ min: 1, max: 40 }), fc.boolean(), (steps, size, big) => {
      const w = new SeqWindow(size);
      const m = new ListModel(size);
      let s = big ? 1_733_000_000_000 : 0;
      for (const d of steps) {
        s = Math.max(0, s + d);
        const v = w.verdict(s);
        expect(v).toBe(m.verdict(s));
        if (v === 'new') {
          w.mark(s);
          m.mark(s);
        }
        expect(w.floor).toBe(m.floor);
      }
      for (let x = s - 80; x <= s + 1; x++) expect(w.verdict(x)).toBe(m.verdict(x));
      const r = SeqWindow.restore(size, w.high, w.save());
      for (let x = s - 80; x <= s + 1; x++) expect(r.verdict(x)).toBe(w.verdict(x));
    }),
    { numRuns: 300 },
  );
});
