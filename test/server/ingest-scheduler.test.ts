/**
 * The scheduler's order, with lanes that really spend CPU (a busy loop) so turns are bounded by
 * real time: a light lane that wakes is served before any flooding lane gets a second slice, even
 * when it once cost far more than a slice (a cold first message), and every lane is served.
 */
import { expect, test } from 'vitest';
import { IngestScheduler, type IngestLane } from '../../src/server/ingest-scheduler.js';

function spin(ms: number): number {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
  return performance.now() - t0;
}

class Lane implements IngestLane {
  constructor(
    readonly name: string,
    public slices: number,
    readonly sliceMs: number,
    readonly log: string[],
  ) {}
  get pending(): boolean {
    return this.slices > 0;
  }
  /**
   * Spends its slice for real (turns are bounded by the clock) but reports the nominal cost: on a
   * busy machine a preempted spin measures long, and the fairness below would test the machine.
   */
  runSlice(): number {
    this.slices--;
    this.log.push(this.name);
    spin(this.sliceMs);
    return this.sliceMs;
  }
}

const turns = (n: number) => new Promise<void>((r) => {
  let left = n;
  const next = () => (--left <= 0 ? r() : setImmediate(next));
  setImmediate(next);
});

test('a light lane that wakes among four flooding ones is served before any of them gets two more slices', async () => {
  const scheduler = new IngestScheduler(5);
  const log: string[] = [];
  const heavy = [0, 1, 2, 3].map((i) => new Lane(`h${i}`, 200, 3, log));
  for (const h of heavy) scheduler.wake(h);
  await turns(20);
  for (let round = 0; round < 5; round++) {
    const light = new Lane('light', 1, 0.1, log);
    // A cold first message: it once cost 500 ms, a hundred slices' worth.
    scheduler.account(light, 500);
    const from = log.length;
    scheduler.wake(light);
    while (light.pending) await turns(1);
    const before = log.slice(from, log.indexOf('light', from));
    for (const h of heavy) expect(before.filter((n) => n === h.name).length).toBeLessThanOrEqual(1);
    scheduler.forget(light);
  }
  // Every flooding lane kept being served, about equally.
  const counts = heavy.map((h) => log.filter((n) => n === h.name).length);
  expect(Math.min(...counts)).toBeGreaterThan(0);
  expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(2);
  for (const h of heavy) scheduler.forget(h);
});

test('a turn stops after about sliceMs and yields; a lone lane runs turn after turn until done', async () => {
  const scheduler = new IngestScheduler(5);
  const log: string[] = [];
  const lone = new Lane('lone', 30, 2, log);
  scheduler.wake(lone);
  let turnsSeen = 0;
  while (lone.pending) {
    const before = log.length;
    await turns(1);
    turnsSeen++;
    // 2 ms slices in a 5 ms turn: three at most (the one that crosses the budget included).
    expect(log.length - before).toBeLessThanOrEqual(3);
  }
  expect(log.length).toBe(30);
  expect(turnsSeen).toBeGreaterThanOrEqual(10);
  expect(scheduler.waiting).toBe(0);
});

test('a lane that stops being runnable (over its CPU budget) keeps its queue unserved until it is woken again', async () => {
  const scheduler = new IngestScheduler(5);
  const log: string[] = [];
  class Held extends Lane {
    held = false;
    override get pending(): boolean {
      return !this.held && this.slices > 0;
    }
  }
  const flooder = new Held('flooder', 50, 1, log);
  const other = new Lane('other', 50, 1, log);
  scheduler.wake(flooder);
  scheduler.wake(other);
  await turns(3);
  expect(log).toContain('flooder');
  flooder.held = true;
  const from = log.length;
  await turns(10);
  // Its queue is still there, but no slice of it ran while it was held.
  expect(flooder.slices).toBeGreaterThan(0);
  expect(log.slice(from)).not.toContain('flooder');
  expect(log.slice(from)).toContain('other');
  flooder.held = false;
  scheduler.wake(flooder);
  while (flooder.pending) await turns(1);
  expect(flooder.slices).toBe(0);
  scheduler.forget(flooder);
  scheduler.forget(other);
});
