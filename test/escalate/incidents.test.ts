/** IncidentBook (src/escalate/incidents.ts) against a plain list of incidents: lookups by seq, whatever order the seqs come in. */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { IncidentBook } from '../../src/escalate/incidents.js';
import { DEFAULT_ESCALATION } from '../../src/escalate/risk.js';

test('property: get(seq) finds exactly the incidents added or restored, for seqs rising, falling, timestamp-sized or repeated', () => {
  const seq = fc.oneof(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1_796_000_000_000, max: 1_796_000_000_050 }));
  const op = fc.oneof(
    fc.record({ t: fc.constant('add' as const), seq, term: fc.constantFrom('最低价', '第一', '加微信') }),
    fc.record({ t: fc.constant('restore' as const), seq }),
    fc.record({ t: fc.constant('get' as const), seq }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
      const book = new IncidentBook();
      const model = new Map<number, number>(); // seq -> order added, oldest evicted past 64 (MAX_INCIDENTS)
      let n = 0;
      for (const o of ops) {
        if (o.t === 'get') {
          expect(book.get(o.seq) !== undefined).toBe(model.has(o.seq));
          continue;
        }
        if (o.t === 'add') book.add(DEFAULT_ESCALATION, o.seq, 1_000, `f${n}`, { weight: 1, term: o.term, critical: false });
        else book.restore([{ seq: o.seq, ts: 1_000, weight: 1, terms: ['第一'] }]);
        if (!model.has(o.seq)) {
          model.set(o.seq, n);
          if (o.t === 'add' && model.size > 64) model.delete(model.keys().next().value!);
        }
        n++;
      }
      for (const s of model.keys()) expect(book.get(s)?.seq).toBe(s);
    }),
    { numRuns: 300 },
  );
});
