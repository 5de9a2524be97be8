/**
 * A RiskSnapshot (src/escalate/risk-snapshot.ts) is read over many turns while the escalation goes
 * on changing: whatever happens between its reads, what it yields is every stream's risk as of the
 * moment it was taken, exactly what reading it all at once then gave.
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { Escalation } from '../../src/escalate/escalation.js';
import { DEFAULT_ESCALATION } from '../../src/escalate/risk.js';

const T = 1_796_000_000_000;
const STREAMS = ['a', 'b', 'c', 'd', 'e'];
const TERMS = ['全网最低价', '第一', '加微信', '根治'];
const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

type Op =
  | { t: 'msg'; stream: number; dt: number; terms: number[]; severity: number; final: boolean; chat: boolean }
  | { t: 'tick'; stream: number; dt: number }
  | { t: 'dismiss'; pick: number }
  | { t: 'retract'; pick: number }
  | { t: 'end'; stream: number }
  | { t: 'restore'; stream: number }
  | { t: 'shut'; stream: number }
  | { t: 'pk'; stream: number; on: boolean }
  | { t: 'read'; n: number }
  | { t: 'again' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant('msg' as const), stream: fc.nat(4), dt: fc.oneof(fc.constant(0), fc.nat(90_000)), terms: fc.array(fc.nat(3), { minLength: 1, maxLength: 3 }), severity: fc.nat(3), final: fc.boolean(), chat: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('tick' as const), stream: fc.nat(4), dt: fc.nat(600_000) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('dismiss' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('retract' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('end' as const), stream: fc.nat(4) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restore' as const), stream: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('shut' as const), stream: fc.nat(4) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pk' as const), stream: fc.nat(4), on: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('read' as const), n: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'again' as const }) },
);

test('property: read a little at a time while messages, dismissals, retractions, ends and restores go on, a snapshot yields the state as of when it was taken', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), fc.array(op, { maxLength: 80 }), (before, during) => {
      const e = new Escalation(DEFAULT_ESCALATION);
      let ts = T;
      let seq = 0;
      let flagNo = 0;
      const flags: { stream: string; id: string; seq: number }[] = [];
      const apply = (o: Op) => {
        switch (o.t) {
          case 'msg': {
            ts += o.dt;
            const stream = STREAMS[o.stream]!;
            const facts = o.terms.map((t) => ({ id: `f${++flagNo}`, term: TERMS[t]!, severity: SEVERITIES[o.severity]!, evasion: false }));
            seq++;
            for (const f of facts) flags.push({ stream, id: f.id, seq });
            e.onMessage(stream, { seq, kind: o.chat ? 'chat' : 'transcript', final: o.final }, facts, ts);
            break;
          }
          case 'tick':
            ts += o.dt;
            e.onTick(STREAMS[o.stream]!, ts);
            break;
          case 'dismiss':
          case 'retract': {
            if (flags.length === 0) break;
            const f = flags.splice(o.pick % flags.length, 1)[0]!;
            if (o.t === 'dismiss') e.dismiss(f.stream, f.id, ts);
            else e.retract(f.stream, f.seq, f.id, ts);
            break;
          }
          case 'end':
            e.end(STREAMS[o.stream]!);
            break;
          case 'restore':
            e.restore(STREAMS[o.stream]!, ts);
            break;
          case 'shut':
            e.shutdown(STREAMS[o.stream]!, 'a moderator shut it down', ts);
            break;
          case 'pk':
            e.onPk(STREAMS[o.stream]!, o.on ? 'start' : 'end', ts);
            break;
          default:
            break;
        }
      };
      for (const o of before) apply(o);
      // The model: the whole state, read at once at the moment the snapshot is taken.
      const expected = JSON.parse(JSON.stringify(e.risks())) as unknown;
      const snapshot = e.risks();
      const reader = snapshot.lazyEntries()[Symbol.iterator]();
      const got: Record<string, unknown> = {};
      let done = false;
      const read = (n: number) => {
        for (let i = 0; i < n && !done; i++) {
          const r = reader.next();
          if (r.done) done = true;
          else got[r.value[0]] = JSON.parse(JSON.stringify(r.value[1]));
        }
      };
      const later: ReturnType<Escalation['risks']>[] = [];
      for (const o of during) {
        if (o.t === 'read') read(o.n);
        // A newer snapshot reads the older one to its end first (escalation.ts), so one watches at a time.
        else if (o.t === 'again') later.push(e.risks());
        else apply(o);
      }
      read(Infinity);
      expect(got).toEqual(expected);
      // Read again, whole: the same.
      expect(JSON.parse(JSON.stringify(snapshot))).toEqual(expected);
    }),
    { numRuns: 600 },
  );
});

test('a snapshot that was never read to its end does not hold a later one back: the later one reads it out first', () => {
  const e = new Escalation(DEFAULT_ESCALATION);
  e.onMessage('a', { seq: 1, kind: 'transcript', final: true }, [{ id: 'f1', term: '第一', severity: 'high', evasion: false }], T);
  const first = e.risks();
  const asTaken = JSON.parse(JSON.stringify(e.risks().toJSON())) as unknown;
  // `first` was read out when the second was taken: changes now do not reach it.
  e.onMessage('a', { seq: 2, kind: 'transcript', final: true }, [{ id: 'f2', term: '根治', severity: 'high', evasion: false }], T + 1000);
  expect(JSON.parse(JSON.stringify(first))).toEqual(asTaken);
});
