/**
 * The e2e bench's per-second verdicts: a second over the bound is saturated when the loop thread
 * was busy, else stalled with the cause that held acks longest; a second with messages due and
 * none answered is never calm; a stall of several seconds (one long server window) covers each.
 */
import { expect, test } from 'vitest';
import type { SecondSample } from '../../bench/e2e/loadgen.js';
import { correlate, joinSeconds, judge } from '../../bench/e2e/seconds.js';
import type { ServerSecond } from '../../bench/e2e/server-stats.js';

const load = (o: Partial<SecondSample> = {}): SecondSample => ({ t: 1, second: 100, sent: 1000, acked: 1000, errors: 0, flags: 0, ackP99: 5, ackP999: 6, ackMax: 7, ...o });
const server = (o: Partial<ServerSecond> = {}): ServerSecond => ({
  second: 100, windowS: 1, loopDelayP50Ms: 0.1, loopDelayP99Ms: 1, loopDelayP999Ms: 2, loopDelayMaxMs: 3, gcMs: 5, gcMaxMs: 1, cpuPct: 30, mainCpuPct: 25, mainWaitPct: 1, stealPct: 0, machineBusyPct: 40,
  poolRoundTripMaxMs: 0.5, journalWriteMaxMs: 0.3, journalSyncMaxMs: 0.8, journalWaitMaxMs: 1, snapshotHeldMaxMs: 0, arrayBuffersMB: 1, externalMB: 2, heapUsedMB: 50, rssMB: 120, ...o,
});

test('verdicts', () => {
  expect(judge(load(), server(), 20, undefined).verdict).toBe('ok');
  expect(judge(load({ ackP99: 80 }), server({ mainCpuPct: 97 }), 20, undefined)).toMatchObject({ verdict: 'saturated' });
  expect(judge(load({ ackP99: 300 }), server({ loopDelayMaxMs: 250, mainWaitPct: 60 }), 20, undefined)).toMatchObject({ verdict: 'stalled', why: expect.stringMatching(/loop held 250 ms while the loop thread waited for a CPU 60%/) });
  expect(judge(load({ ackP99: 300 }), server({ loopDelayMaxMs: 250, gcMaxMs: 200 }), 20, undefined).why).toMatch(/GC pause 200 ms/);
  expect(judge(load({ ackP99: 300 }), server({ loopDelayMaxMs: 250, stealPct: 30 }), 20, undefined).why).toMatch(/steal 30%/);
  expect(judge(load({ ackP99: 300 }), server({ loopDelayMaxMs: 250 }), 20, undefined).why).toMatch(/one task held the loop 250 ms/);
  expect(judge(load({ ackP99: 60 }), server({ loopDelayMaxMs: 45, snapshotHeldMaxMs: 41 }), 20, undefined).why).toMatch(/journal rotation's snapshot held it 41 ms/);
  expect(judge(load({ ackP99: 120 }), server({ journalSyncMaxMs: 100, poolRoundTripMaxMs: 9 }), 20, undefined).why).toMatch(/journal write\+fsync up to 100 ms \(a no-op thread-pool call: 9 ms/);
  // Nothing answered while messages were due: not a calm second, whatever its (empty) p99 says.
  expect(judge(load({ acked: 0, ackP99: 0 }), server(), 20, undefined).verdict).toBe('stalled');
  expect(judge(load({ ackP99: 80 }), undefined, 20, undefined).verdict).toBe('unknown');
});

test('a three-second server window covers the generator seconds inside it; spike and calm seconds are compared', () => {
  const servers = new Map<number, ServerSecond>([
    [100, server({ second: 100 })],
    [103, server({ second: 103, windowS: 3, loopDelayMaxMs: 2900, mainWaitPct: 90 })],
    [104, server({ second: 104 })],
  ]);
  const joined = joinSeconds([100, 101, 102, 103, 104].map((s) => load({ second: s, ackP99: s >= 101 && s <= 103 ? 2500 : 5 })), servers, 20);
  expect(joined.map((j) => j.server?.second)).toEqual([100, 103, 103, 103, 104]);
  expect(joined.map((j) => j.verdict)).toEqual(['ok', 'stalled', 'stalled', 'stalled', 'ok']);
  const c = correlate(joined);
  expect(c.spikeSeconds).toBe(3);
  expect(c.calmSeconds).toBe(2);
  expect(c.rows.find((r) => r.name === 'loop thread waiting for a CPU %')).toMatchObject({ spike: 90, calm: 1 });
});
