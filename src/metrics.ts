/**
 * Prometheus metrics on `GET /metrics`, in a registry of their own (not prom-client's global one),
 * so two servers in one process never share counters.
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';

/** Runtime seconds kept for `GET /metrics/runtime` (the e2e bench reads them; a stall must not lose its own seconds). */
export const RECENT_SECONDS = 120;

/** One completed second of the process's life. */
export interface RuntimeSecond {
  /** Epoch second the window ended in (it covers about the second before: `windowS` long). */
  second: number;
  /** The window's length in seconds: about 1, longer when the process itself was stalled past a second. */
  windowS: number;
  loopDelayP50Ms: number;
  loopDelayP99Ms: number;
  loopDelayP999Ms: number;
  loopDelayMaxMs: number;
  gcMs: number;
  gcMaxMs: number;
  /** Process CPU (all threads) as a share of one core, %. */
  cpuPct: number;
  /** The main thread's (the event loop's) CPU, % of one core. */
  mainCpuPct: number;
  /** Time the main thread was runnable but waited for a CPU (run queue), % of the second. */
  mainWaitPct: number;
  /** Machine-wide CPU steal, % of all CPU time (the hypervisor gave it to another guest). */
  stealPct: number;
  /** Machine-wide busy share (all processes), %. */
  machineBusyPct: number;
  /** Round trip of a no-op `fstat` through the libuv thread pool (queueing + dispatch), max ms. */
  poolRoundTripMaxMs: number;
  /** Journal batches: longest write(2), fdatasync, and wait from first append to the write, ms. */
  journalWriteMaxMs: number;
  journalSyncMaxMs: number;
  journalWaitMaxMs: number;
  /** A journal rotation's snapshot: the longest it held the event loop at once (taking the state, or a slice of its text), ms; 0 without one. */
  snapshotHeldMaxMs: number;
  arrayBuffersMB: number;
  externalMB: number;
  heapUsedMB: number;
  rssMB: number;
}

/** The metrics of another thread of this process, as `Registry.getMetricsAsJSON` gives them. */
export type RemoteMetrics = () => Promise<MetricObjectWithValues<MetricValue<string>>[]>;

/**
 * A registry whose text also sums in another thread's metrics of the same names (the stream core's
 * thread, `coreThread`): one `/metrics` for the process, as prom-client's cluster aggregation does.
 */
class MergingRegistry extends Registry {
  remote: RemoteMetrics | undefined;
  override async metrics(): Promise<string> {
    if (!this.remote) return super.metrics();
    const [own, other] = await Promise.all([this.getMetricsAsJSON(), this.remote()]);
    return AggregatorRegistry.aggregate([own, other] as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
  }
}

export class Metrics {
  readonly registry: Registry & { remote: RemoteMetrics | undefined } = new MergingRegistry();
  // Per message or per frame: the cheap kind (fast-metrics.ts).
  readonly messages = new FastCounter({ name: 'pkguard_messages_total', help: 'Ingest messages processed, by type (partial = final:false transcript)', labelNames: ['type'] as const, registers: [this.registry] });
  readonly forwarded = new FastCounter({ name: 'pkguard_owner_forwarded_messages_total', help: 'Ingest messages this owner process forwarded to the process owning their stream (processes > 1; a connection hinted with ?streams= to its owner forwards none)', registers: [this.registry] });
  readonly flags = new FastCounter({ name: 'pkguard_flags_total', help: 'Flags raised, by category and severity', labelNames: ['category', 'severity'] as const, registers: [this.registry] });
  readonly scanSeconds = new FastHistogram({
    name: 'pkguard_scan_seconds',
    help: 'Time to scan one message (normalize, match, detect)',
    buckets: [5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2, 0.1],
    registers: [this.registry],
  });
  readonly connections = new Gauge({ name: 'pkguard_connections', help: 'Open WebSocket connections, by role', labelNames: ['role'] as const, registers: [this.registry] });
  readonly shutdowns = new Counter({ name: 'pkguard_shutdowns_total', help: 'Emergency shutdown signals emitted', labelNames: ['manual'] as const, registers: [this.registry] });
  readonly dismissals = new Counter({ name: 'pkguard_dismissals_total', help: 'Flags dismissed by moderators as false positives', registers: [this.registry] });
  readonly errors = new FastCounter({ name: 'pkguard_wire_errors_total', help: 'Error messages sent to clients, by code', labelNames: ['code'] as const, registers: [this.registry] });
  readonly rejectedUpgrades = new Counter({ name: 'pkguard_rejected_upgrades_total', help: 'WebSocket upgrades refused, by HTTP status', labelNames: ['status'] as const, registers: [this.registry] });
  readonly disconnects = new Counter({ name: 'pkguard_forced_disconnects_total', help: 'Connections cut off by the server, by reason', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly pauses = new Counter({ name: 'pkguard_ingest_pauses_total', help: 'Times an ingest socket was paused for flow control, by reason (in_flight, rate, cpu)', labelNames: ['reason'] as const, registers: [this.registry] });
  readonly journalPending = new Gauge({ name: 'pkguard_journal_pending_records', help: 'Journal records appended but not yet durable (journal lag)', registers: [this.registry] });
  readonly journalCommitSeconds = new FastHistogram({
    name: 'pkguard_journal_commit_seconds',
    help: 'From a message arriving to its records being durable',
    buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly journalWriteSeconds = new Histogram({
    name: 'pkguard_journal_write_seconds',
    help: 'One group-commit batch: write plus fsync',
    buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly journalBatchRecords = new Histogram({ name: 'pkguard_journal_batch_records', help: 'Records per group-commit batch', buckets: [1, 10, 100, 1000, 10_000], registers: [this.registry] });
  readonly journalFailures = new Counter({ name: 'pkguard_journal_failures_total', help: 'Journal writes that failed (disk full, I/O error): the batch was answered internal and state rebuilt from the journal', registers: [this.registry] });
  readonly journalWritable = new Gauge({ name: 'pkguard_journal_writable', help: '1 while the journal takes writes, 0 after a failed write until a probe write succeeds', registers: [this.registry] });
  readonly droppedFlags = new Counter({ name: 'pkguard_dropped_flags_total', help: 'Flags found beyond the per-message cap (limits.maxFlagsPerMessage) and not raised', registers: [this.registry] });
  readonly badRecords = new Gauge({ name: 'pkguard_journal_bad_records', help: 'Journal records skipped on replay as damaged or invalid', registers: [this.registry] });
  readonly streams = new Gauge({ name: 'pkguard_streams', help: 'Streams with state in memory', registers: [this.registry] });
  readonly lexiconReloads = new Counter({ name: 'pkguard_lexicon_reloads_total', help: 'Lexicon reloads, by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });

  // What explains a latency spike (runtime-monitor.ts): is the event loop late, and why.
  readonly loopDelaySeconds = new FastHistogram({
    name: 'pkguard_event_loop_delay_seconds',
    help: 'How late a 5 ms timer fired: time the event loop could not take new work (all causes)',
    buckets: [5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2, 0.5, 1, 2],
    registers: [this.registry],
  });
  readonly gcPauseSeconds = new Counter({ name: 'pkguard_gc_pause_seconds_total', help: 'Time the main thread spent in garbage-collection pauses', registers: [this.registry] });
  readonly mainThreadCpuSeconds = new Counter({ name: 'pkguard_main_thread_cpu_seconds_total', help: 'CPU time of the main (event-loop) thread alone', registers: [this.registry] });
  readonly mainThreadWaitSeconds = new Counter({ name: 'pkguard_main_thread_cpu_wait_seconds_total', help: 'Time the main thread was runnable but waited for a CPU (run queue; other processes or steal)', registers: [this.registry] });
  readonly cpuWaitSeconds = new Counter({ name: 'pkguard_cpu_wait_seconds_total', help: 'Run-queue wait of all threads of the process', registers: [this.registry] });
  readonly stealSeconds = new Counter({ name: 'pkguard_machine_steal_seconds_total', help: 'Machine-wide CPU steal (the hypervisor ran another guest), summed over CPUs', registers: [this.registry] });
  readonly poolRoundTripSeconds = new Histogram({
    name: 'pkguard_threadpool_roundtrip_seconds',
    help: 'A no-op fstat through the libuv thread pool, submit to callback: pool queueing plus event-loop dispatch',
    buckets: [1e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly journalFsyncSeconds = new Histogram({ name: 'pkguard_journal_fsync_seconds', help: 'fdatasync of one group-commit batch', buckets: [1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1], registers: [this.registry] });
  readonly journalWriteSyscallSeconds = new Histogram({ name: 'pkguard_journal_write_syscall_seconds', help: 'write(2) of one group-commit batch (submit to callback)', buckets: [1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1], registers: [this.registry] });
  readonly journalSnapshotHeldSeconds = new Histogram({ name: 'pkguard_journal_snapshot_held_seconds', help: 'A journal rotation: the longest its snapshot held the event loop at once (taking the state, or one slice of its text)', buckets: [1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1], registers: [this.registry] });
  readonly journalBatchWaitSeconds = new Histogram({ name: 'pkguard_journal_batch_wait_seconds', help: 'From the first append of a batch to its write starting (the previous batch and the event loop)', buckets: [1e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.5, 1], registers: [this.registry] });
  readonly arrayBuffersBytes = new Gauge({ name: 'pkguard_array_buffers_bytes', help: 'Memory of ArrayBuffers and typed arrays (outside the JS heap)', registers: [this.registry] });
  /** The last RECENT_SECONDS runtime seconds, oldest first (runtime-monitor.ts appends). */
  readonly recentSeconds: RuntimeSecond[] = [];
  readonly lastSecond = new Gauge({ name: 'pkguard_runtime_last_second', help: 'The last completed wall-clock second (runtime-monitor.ts RuntimeSecond; stat=second is its epoch second)', labelNames: ['stat'] as const, registers: [this.registry] });

  /** `defaults: false` in the core thread: process metrics are the main thread's to report (once). */
  constructor(opts: { defaults?: boolean } = {}) {
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: 'pkguard_' });
  }
}
