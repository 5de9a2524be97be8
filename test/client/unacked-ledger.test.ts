/**
 * The ledger against a model, under random operation sequences (fast-check): whatever mix of
 * sends, frames, answers, rewinds and reconnects, nothing held is lost, each stream's messages go on
 * the wire in send order (a rewind or reconnect starts its stream over from the oldest held), at
 * most `perStream` of a stream and `window` in all are on the wire, and an answer removes the oldest
 * held message of its stream/seq.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { UnackedLedger, type Pending } from '../../src/client/unacked-ledger.js';
import { backoffDelay } from '../../src/client/backoff.js';

type Op = { kind: 'add'; stream: number } | { kind: 'fill'; max: number } | { kind: 'answer'; stream: number; pick: number } | { kind: 'rewind'; stream: number } | { kind: 'reconnect' } | { kind: 'unblock' };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('add' as const), stream: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('fill' as const), max: fc.integer({ min: 1, max: 7 }) }),
  fc.record({ kind: fc.constant('answer' as const), stream: fc.integer({ min: 0, max: 4 }), pick: fc.nat() }),
  fc.record({ kind: fc.constant('rewind' as const), stream: fc.integer({ min: 0, max: 4 }) }),
  fc.constant({ kind: 'reconnect' as const }),
  fc.constant({ kind: 'unblock' as const }),
);

test('held messages are never lost, each stream goes out in order, caps hold', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), (ops, perStream, window) => {
      const ledger = new UnackedLedger(perStream);
      const held = new Map<string, number[]>(); // model: stream → seqs held, in send order
      const onWire = new Map<string, number>(); // model: stream → how many of its oldest are on the wire
      const blocked = new Set<string>();
      const nextSeq = new Map<string, number>();
      const answered: number[] = [];
      let now = 0;
      for (const o of ops) {
        if (o.kind === 'add') {
          const stream = `s${o.stream}`;
          const seq = (nextSeq.get(stream) ?? 0) + 1;
          nextSeq.set(stream, seq);
          const p: Pending = { stream, seq, json: JSON.stringify({ stream, seq }), bytes: 10, tries: 0, resolve: () => answered.push(seq), reject: () => {} };
          ledger.add(p);
          held.set(stream, [...(held.get(stream) ?? []), seq]);
        } else if (o.kind === 'fill') {
          const out: string[] = [];
          ledger.fill(out, o.max, 1e9, window);
          expect(out.length).toBeLessThanOrEqual(o.max);
          for (const json of out) {
            const { stream, seq } = JSON.parse(json) as { stream: string; seq: number };
            const sent = onWire.get(stream) ?? 0;
            expect(blocked.has(stream)).toBe(false);
            expect(seq).toBe(held.get(stream)![sent]); // the oldest not yet on the wire: send order
            onWire.set(stream, sent + 1);
            expect(sent + 1).toBeLessThanOrEqual(perStream);
          }
        } else if (o.kind === 'answer') {
          const stream = `s${o.stream}`;
          const seqs = held.get(stream) ?? [];
          if (seqs.length === 0) continue;
          const i = o.pick % seqs.length;
          const p = ledger.take(stream, seqs[i]!);
          expect(p?.seq).toBe(seqs[i]);
          if (i < (onWire.get(stream) ?? 0)) onWire.set(stream, onWire.get(stream)! - 1);
          seqs.splice(i, 1);
        } else if (o.kind === 'rewind') {
          const stream = `s${o.stream}`;
          if (!(held.get(stream)?.length)) continue;
          ledger.rewind(stream, now, () => 10);
          onWire.set(stream, 0);
          blocked.add(stream);
        } else if (o.kind === 'reconnect') {
          ledger.rewindAll();
          onWire.clear();
          blocked.clear();
        } else {
          now += 10;
          ledger.unblock(now);
          blocked.clear();
        }
        const total = [...held.values()].reduce((n, s) => n + s.length, 0);
        const wire = [...onWire.values()].reduce((n, s) => n + s, 0);
        expect(ledger.size).toBe(total);
        expect(ledger.inFlight).toBe(wire);
        expect(ledger.inFlight).toBeLessThanOrEqual(window);
      }
      // Everything still held comes out on a new connection, in order per stream, nothing else.
      ledger.rewindAll();
      const out: string[] = [];
      while (ledger.hasSendable) {
        const before = out.length;
        ledger.fill(out, 1000, 1e9, 1e9);
        if (out.length === before) break;
        // Answer what went out, so capped streams can send the rest.
        for (const json of out.slice(before)) {
          const { stream, seq } = JSON.parse(json) as { stream: string; seq: number };
          ledger.take(stream, seq);
        }
      }
      const got = new Map<string, number[]>();
      for (const json of out) {
        const { stream, seq } = JSON.parse(json) as { stream: string; seq: number };
        got.set(stream, [...(got.get(stream) ?? []), seq]);
      }
      for (const [stream, seqs] of held) if (seqs.length > 0) expect(got.get(stream)).toEqual(seqs);
      expect(ledger.size).toBe(0);
    }),
    { numRuns: 300 },
  );
});

test('backoff: jittered between half and all of the capped exponential', () => {
  expect(backoffDelay(1, { initialMs: 100, maxMs: 5000 }, () => 0)).toBe(50);
  expect(backoffDelay(1, { initialMs: 100, maxMs: 5000 }, () => 1)).toBe(100);
  expect(backoffDelay(4, { initialMs: 100, maxMs: 5000 }, () => 0.5)).toBe(600);
  expect(backoffDelay(40, { initialMs: 100, maxMs: 5000 }, () => 1)).toBe(5000);
  const spread = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
  expect(spread.size).toBeGreaterThan(10); // really jittered
});
