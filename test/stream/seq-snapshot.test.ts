/**
 * A SeqSnapshot (src/stream/seq-snapshot.ts) is read over many turns (`seqs` through, then
 * `windows`) while streams go on marking seqs: whatever is marked between its reads, it yields
 * every window as of the moment it was taken, exactly what reading it all at once then gave.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { plainMap } from '../../src/stream/log.js';
import { SeqSnapshot } from '../../src/stream/seq-snapshot.js';
import { SeqWindow } from '../../src/stream/seq-window.js';

const STREAMS = ['a', 'b', 'c', 'd'];

type Op = { t: 'mark'; stream: number; seq: number } | { t: 'read'; n: number } | { t: 'again' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('mark' as const), stream: fc.nat(3), seq: fc.oneof(fc.nat(40), fc.integer({ min: 1_796_000_000_000, max: 1_796_000_000_040 })) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('read' as const), n: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'again' as const }) },
);

/** Streams with a seq, as a stream table hands them to a snapshot. */
function take(windows: Map<string, SeqWindow>): SeqSnapshot {
  const live = [...windows].filter(([, w]) => w.high >= 0);
  return new SeqSnapshot(live.map(([s]) => s), live.map(([, w]) => w));
}

test('property: read a little at a time, seqs then windows, while seqs are marked (in order, out of order, timestamp-sized), a snapshot yields the windows as of when it was taken', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 80 }), (before, during) => {
      const windows = new Map(STREAMS.map((s) => [s, new SeqWindow(8)]));
      const mark = (o: Extract<Op, { t: 'mark' }>) => {
        const w = windows.get(STREAMS[o.stream]!)!;
        if (w.verdict(o.seq) === 'new') w.mark(o.seq);
      };
      for (const o of before) if (o.t === 'mark') mark(o);
      // The model: both maps read at once at the moment the snapshot is taken.
      const now = take(windows);
      const expected = JSON.parse(JSON.stringify({ seqs: now.seqs, windows: now.windows })) as unknown;
      const snapshot = take(windows);
      const got = { seqs: {} as Record<string, unknown>, windows: {} as Record<string, unknown> };
      // One reader over both maps in the order the journal writes them.
      const reader = (function* () {
        for (const [k, v] of snapshot.seqs.lazyEntries()) yield ['seqs', k, v] as const;
        for (const [k, v] of snapshot.windows.lazyEntries()) yield ['windows', k, v] as const;
      })();
      let done = false;
      const read = (n: number) => {
        for (let i = 0; i < n && !done; i++) {
          const r = reader.next();
          if (r.done) done = true;
          else got[r.value[0]][r.value[1]] = JSON.parse(JSON.stringify(r.value[2]));
        }
      };
      for (const o of during) {
        if (o.t === 'read') read(o.n);
        // A newer snapshot reads the older one out first, as the stream table does.
        else if (o.t === 'again') {
          snapshot.finish();
          take(windows);
        } else mark(o);
      }
      read(Infinity);
      expect(got).toEqual(expected);
      expect({ seqs: plainMap(snapshot.seqs), windows: plainMap(snapshot.windows) }).toEqual(expected);
    }),
    { numRuns: 500 },
  );
});
