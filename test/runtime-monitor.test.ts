/**
 * The runtime monitor sees what it claims to: a task that holds the event loop shows as loop delay
 * in the second it happened, CPU burnt on the main thread shows as main-thread CPU, and every
 * figure reaches `/metrics` text (where the e2e bench reads it).
 */
import { afterEach, expect, test } from 'vitest';
import { Metrics } from '../src/metrics.js';
import { RuntimeMonitor } from '../src/runtime-monitor.js';

let monitor: RuntimeMonitor | undefined;
afterEach(() => monitor?.stop());

const nextSecond = () => new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 60));

test('a 150 ms task on the loop is the second\'s loop-delay max; the loop thread ran or waited to run; the stats reach /metrics', { timeout: 15_000 }, async () => {
  const metrics = new Metrics();
  monitor = new RuntimeMonitor(metrics);
  await nextSecond(); // the first window is partial
  // Hold the loop in the first half of a second, so the whole task falls in one window.
  await new Promise((r) => setTimeout(r, 100));
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < 150) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
  await nextSecond();
  const s = monitor.last!;
  expect(s).toBeDefined();
  expect(s.loopDelayMaxMs).toBeGreaterThanOrEqual(140);
  expect(s.loopDelayMaxMs).toBeLessThan(1000);
  // For those 150 ms the loop thread was always runnable: running (CPU, in 10 ms clock ticks) or
  // waiting for a CPU (run queue) on a crowded machine; together at least ~150 ms of the second.
  expect(s.mainCpuPct + s.mainWaitPct).toBeGreaterThanOrEqual(12);
  expect(s.mainWaitPct).toBeGreaterThanOrEqual(0);
  expect(s.cpuPct).toBeGreaterThanOrEqual(s.mainCpuPct - 10);
  expect(s.poolRoundTripMaxMs).toBeGreaterThan(0);
  expect(Math.abs(s.second - Date.now() / 1000)).toBeLessThan(2);
  const text = await metrics.registry.metrics();
  expect(text).toMatch(/^pkguard_runtime_last_second\{stat="loopDelayMaxMs"\} (\d+)/m);
  expect(Number(/^pkguard_runtime_last_second\{stat="loopDelayMaxMs"\} (\S+)/m.exec(text)![1])).toBe(s.loopDelayMaxMs);
  expect(text).toMatch(/^pkguard_event_loop_delay_seconds_bucket\{le="0.2"\} [1-9]/m);
  expect(text).toMatch(/^pkguard_main_thread_cpu_seconds_total [0-9.e-]+$/m);
  expect(text).toMatch(/^pkguard_threadpool_roundtrip_seconds_count [1-9]/m);
});

test('journal timings noted by the journal reach the histograms and the second\'s maxima', { timeout: 10_000 }, async () => {
  const metrics = new Metrics();
  monitor = new RuntimeMonitor(metrics);
  await nextSecond();
  monitor.noteJournal(0.001, 0.0042, 0.002);
  monitor.noteJournal(0.0005, 0.0011, 0.0001);
  monitor.noteSnapshot(0.0123);
  monitor.noteSnapshot(0.004);
  await nextSecond();
  const s = monitor.last!;
  expect(s.snapshotHeldMaxMs).toBe(12.3);
  expect(s.journalSyncMaxMs).toBe(4.2);
  expect(s.journalWriteMaxMs).toBe(1);
  expect(s.journalWaitMaxMs).toBe(2);
  const text = await metrics.registry.metrics();
  expect(text).toMatch(/^pkguard_journal_fsync_seconds_count 2$/m);
  expect(text).toMatch(/^pkguard_journal_batch_wait_seconds_count 2$/m);
  expect(text).toMatch(/^pkguard_journal_snapshot_held_seconds_count 2$/m);
  // The next second had no rotation.
  await nextSecond();
  expect(monitor.last!.snapshotHeldMaxMs).toBe(0);
});
