/**
 * The cheap per-message metrics write the same Prometheus text as prom-client's own for the same
 * observations (so dashboards and alerts cannot tell them apart), bucket edges included.
 */
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { expect, test } from 'vitest';
import { FastCounter, FastHistogram } from '../src/fast-metrics.js';

const buckets = [1e-5, 1e-4, 1e-3, 0.01, 0.1, 1];

test('FastHistogram writes what prom-client\'s Histogram writes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(fc.constantFrom(0, ...buckets, 5), fc.double({ min: 0, max: 10, noNaN: true })), { maxLength: 50 }), async (values) => {
      const a = new Registry();
      const b = new Registry();
      const ours = new FastHistogram({ name: 'x_seconds', help: 'h', buckets, registers: [a] });
      const theirs = new Histogram({ name: 'x_seconds', help: 'h', buckets, registers: [b] });
      for (const v of values) {
        ours.observe(v);
        theirs.observe(v);
      }
      // Sums may differ in the last bits by addition order? No: same order, same doubles.
      expect(await a.metrics()).toBe(await b.metrics());
    }),
    { numRuns: 200 },
  );
});

test('FastCounter writes what prom-client\'s Counter writes, with 0, 1 and 2 labels', async () => {
  const a = new Registry();
  const b = new Registry();
  const plain = [new FastCounter({ name: 'p_total', help: 'h', registers: [a] }), new Counter({ name: 'p_total', help: 'h', registers: [b] })] as const;
  const one = [new FastCounter({ name: 'o_total', help: 'h', labelNames: ['type'] as const, registers: [a] }), new Counter({ name: 'o_total', help: 'h', labelNames: ['type'] as const, registers: [b] })] as const;
  const two = [new FastCounter({ name: 't_total', help: 'h', labelNames: ['category', 'severity'] as const, registers: [a] }), new Counter({ name: 't_total', help: 'h', labelNames: ['category', 'severity'] as const, registers: [b] })] as const;
  expect(await a.metrics()).toBe(await b.metrics());
  for (const c of plain) {
    c.inc();
    c.inc(2.5);
  }
  for (const c of one) {
    c.inc({ type: 'chat' });
    c.inc({ type: 'transcript' }, 3);
    c.inc({ type: 'chat' });
  }
  for (const c of two) {
    c.inc({ category: 'medical', severity: 'high' });
    c.inc({ category: 'extreme', severity: 'high' });
    c.inc({ category: 'medical', severity: 'high' }, 4);
  }
  expect(await a.metrics()).toBe(await b.metrics());
  expect(() => one[0].inc({ type: 'chat' }, -1)).toThrow(/only goes up/);
  // Label order in the call does not make a second series.
  two[0].inc({ severity: 'high', category: 'extreme' });
  expect(await a.metrics()).toMatch(/^t_total\{category="extreme",severity="high"\} 2$/m);
});
