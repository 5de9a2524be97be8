/**
 * What the process went through, second by second, so a latency spike can be matched to its cause:
 * event-loop delay, GC pauses, CPU (process, main thread), time the main thread waited in the run
 * queue for a CPU (schedstat: other processes on the machine), the hypervisor's steal, the libuv
 * thread pool's round trip, journal write and fsync times, and memory outside the JS heap.
 *
 * Cumulative figures go to Prometheus histograms and counters; each completed wall-clock second
 * is also kept as `last` (and as `pkguard_runtime_last_second{stat}` gauges), which is what the
 * e2e bench scrapes for its per-second timeline. Seconds are aligned to the wall clock, so the
 * bench's own per-second latency samples line up with the server's.
 *
 * Cost: a 5 ms interval timer (about 200 µs of CPU per second), one `fstat` on the thread pool
 * every 50 ms, and a few small /proc reads per second.
 */
import { fstat, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { devNull } from 'node:os';
import { createHistogram, PerformanceObserver, type RecordableHistogram } from 'node:perf_hooks';
import { RECENT_SECONDS, type Metrics, type RuntimeSecond } from './metrics.js';

export type { RuntimeSecond } from './metrics.js';

const TICK_MS = 5;
const PROBE_MS = 50;
const CLK_TCK = 100;

interface CpuTimes {
  busy: number;
  total: number;
  steal: number;
}

function machineTimes(): CpuTimes | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const busy = user + nice + system + irq + softirq;
    return { busy, total: busy + idle + iowait + steal, steal };
  } catch {
    return undefined;
  }
}

/** Main thread: CPU seconds from its stat, run-queue wait seconds from its schedstat. */
function mainThread(): { cpu: number; wait: number } | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(f[11]) + Number(f[12])) / CLK_TCK;
    const sched = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ');
    return { cpu, wait: Number(sched[1]) / 1e9 };
  } catch {
    return undefined;
  }
}

/** Run-queue wait of every thread of the process, seconds. */
function allThreadsWait(): number {
  try {
    let sum = 0;
    for (const tid of readdirSync('/proc/self/task')) sum += Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
    return sum;
  } catch {
    return 0;
  }
}

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;

export class RuntimeMonitor {
  readonly #metrics: Metrics;
  /** The last completed second (undefined in the first second). */
  last: RuntimeSecond | undefined;
  readonly #loop: RecordableHistogram = createHistogram();
  #lastTick = performance.now();
  #gcMs = 0;
  #gcMax = 0;
  #poolMax = 0;
  #jWrite = 0;
  #jSync = 0;
  #jWait = 0;
  #snapshotHeld = 0;
  #cpu = process.cpuUsage();
  #main = mainThread();
  #threadsWait = allThreadsWait();
  #machine = machineTimes();
  #windowStart = performance.now();
  readonly #ticker: NodeJS.Timeout;
  readonly #prober: NodeJS.Timeout;
  #secondTimer: NodeJS.Timeout | undefined;
  readonly #gc: PerformanceObserver;
  readonly #probeFd: number;
  #probing = false;
  #stopped = false;

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
    this.#ticker = setInterval(() => this.#tick(), TICK_MS).unref();
    // Any open file will do: fstat of it is the cheapest call that still goes through the pool.
    this.#probeFd = openSync(devNull, 'r');
    this.#prober = setInterval(() => this.#probe(), PROBE_MS).unref();
    this.#gc = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        this.#gcMs += e.duration;
        if (e.duration > this.#gcMax) this.#gcMax = e.duration;
        metrics.gcPauseSeconds.inc(e.duration / 1000);
      }
    });
    this.#gc.observe({ entryTypes: ['gc'] });
    this.#scheduleSecond();
  }

  /** A journal batch became durable: how long its write and fsync took, and how long it waited to be written. */
  noteJournal(writeSeconds: number, syncSeconds: number, waitSeconds: number): void {
    const m = this.#metrics;
    m.journalWriteSyscallSeconds.observe(writeSeconds);
    if (syncSeconds > 0) m.journalFsyncSeconds.observe(syncSeconds);
    m.journalBatchWaitSeconds.observe(waitSeconds);
    if (writeSeconds > this.#jWrite) this.#jWrite = writeSeconds;
    if (syncSeconds > this.#jSync) this.#jSync = syncSeconds;
    if (waitSeconds > this.#jWait) this.#jWait = waitSeconds;
  }

  /** A journal rotation took its snapshot: the longest it held the event loop at once (taking it, or one slice of its text). */
  noteSnapshot(heldSeconds: number): void {
    this.#metrics.journalSnapshotHeldSeconds.observe(heldSeconds);
    if (heldSeconds > this.#snapshotHeld) this.#snapshotHeld = heldSeconds;
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#ticker);
    clearInterval(this.#prober);
    clearTimeout(this.#secondTimer);
    this.#gc.disconnect();
    try {
      closeSync(this.#probeFd);
    } catch {
      /* already closed */
    }
  }

  #tick(): void {
    const now = performance.now();
    const delay = Math.max(0, now - this.#lastTick - TICK_MS);
    this.#lastTick = now;
    this.#loop.record(Math.max(1, Math.round(delay * 1e6)));
    this.#metrics.loopDelaySeconds.observe(delay / 1000);
  }

  #probe(): void {
    if (this.#probing) return; // one in flight: a stuck pool shows as one long round trip, not a pile of them
    this.#probing = true;
    const t0 = performance.now();
    fstat(this.#probeFd, () => {
      this.#probing = false;
      const rtt = performance.now() - t0;
      if (rtt > this.#poolMax) this.#poolMax = rtt;
      this.#metrics.poolRoundTripSeconds.observe(rtt / 1000);
    });
  }

  #scheduleSecond(): void {
    if (this.#stopped) return;
    this.#secondTimer = setTimeout(() => this.#second(), 1000 - (Date.now() % 1000) + 1).unref();
  }

  #second(): void {
    const now = performance.now();
    const wall = (now - this.#windowStart) / 1000;
    this.#windowStart = now;
    const cpu = process.cpuUsage();
    const cpuS = (cpu.user - this.#cpu.user + cpu.system - this.#cpu.system) / 1e6;
    this.#cpu = cpu;
    const main = mainThread();
    const threadsWait = allThreadsWait();
    const machine = machineTimes();
    const m = this.#metrics;
    let mainCpu = NaN;
    let mainWait = NaN;
    if (main && this.#main) {
      mainCpu = main.cpu - this.#main.cpu;
      mainWait = main.wait - this.#main.wait;
      m.mainThreadCpuSeconds.inc(Math.max(0, mainCpu));
      m.mainThreadWaitSeconds.inc(Math.max(0, mainWait));
    }
    m.cpuWaitSeconds.inc(Math.max(0, threadsWait - this.#threadsWait));
    this.#main = main;
    this.#threadsWait = threadsWait;
    let steal = NaN;
    let busy = NaN;
    if (machine && this.#machine && machine.total > this.#machine.total) {
      const total = machine.total - this.#machine.total;
      steal = ((machine.steal - this.#machine.steal) / total) * 100;
      busy = ((machine.busy - this.#machine.busy) / total) * 100;
      m.stealSeconds.inc((machine.steal - this.#machine.steal) / CLK_TCK);
    }
    this.#machine = machine;
    const mem = process.memoryUsage();
    m.arrayBuffersBytes.set(mem.arrayBuffers);
    const h = this.#loop;
    const s: RuntimeSecond = {
      second: Math.floor(Date.now() / 1000),
      windowS: round(wall),
      loopDelayP50Ms: ms(h.percentile(50)),
      loopDelayP99Ms: ms(h.percentile(99)),
      loopDelayP999Ms: ms(h.percentile(99.9)),
      loopDelayMaxMs: ms(h.max),
      gcMs: round(this.#gcMs),
      gcMaxMs: round(this.#gcMax),
      cpuPct: round((cpuS / wall) * 100),
      mainCpuPct: round((mainCpu / wall) * 100),
      mainWaitPct: round((mainWait / wall) * 100),
      stealPct: round(steal),
      machineBusyPct: round(busy),
      poolRoundTripMaxMs: round(this.#poolMax),
      journalWriteMaxMs: round(this.#jWrite * 1000),
      journalSyncMaxMs: round(this.#jSync * 1000),
      journalWaitMaxMs: round(this.#jWait * 1000),
      snapshotHeldMaxMs: round(this.#snapshotHeld * 1000),
      arrayBuffersMB: round(mem.arrayBuffers / 2 ** 20),
      externalMB: round(mem.external / 2 ** 20),
      heapUsedMB: round(mem.heapUsed / 2 ** 20),
      rssMB: round(mem.rss / 2 ** 20),
    };
    h.reset();
    this.#gcMs = this.#gcMax = this.#poolMax = this.#jWrite = this.#jSync = this.#jWait = this.#snapshotHeld = 0;
    this.last = s;
    m.recentSeconds.push(s);
    if (m.recentSeconds.length > RECENT_SECONDS) m.recentSeconds.shift();
    for (const [stat, v] of Object.entries(s)) if (Number.isFinite(v)) m.lastSecond.set({ stat }, v);
    this.#scheduleSecond();
  }
}

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : NaN);
