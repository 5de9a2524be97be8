/**
 * Journal store: the hand-written NDJSON segment files (src/journal/journal.ts) against SQLite in
 * WAL mode (better-sqlite3, writer in a worker thread), on the same records, machine and run.
 *
 *   npm run build && node dist/bench/journal-store.js --sqlite-dir /tmp/sqlite [options]
 *
 * better-sqlite3 is not a dependency of pkguard: install it apart with
 * `npm install --prefix /tmp/sqlite better-sqlite3@12` (see bench/README.md, "Journal store").
 *
 * Phases (each repeated `--rounds` times, contenders interleaved, order alternating per round):
 *  - throughput: `--conns` connections each keep one frame (1-8 records) in flight; acked records/s.
 *  - latency: an open-model offered rate (`--rates`), append latency from each frame's due time.
 *  - recovery: a log of `--records` records read back in order: cold page cache (evicted with
 *    posix_fadvise) with JSON.parse + checkRecord as a replay does; warm with JSON.parse only.
 *  - lookup: "the 20 records of stream X around log position Y" for flagged records.
 *
 * Options: --rounds N (5) --seconds S (5, per run) --warmup S (1) --conns N (256)
 * --rates 5000,20000 --records N (1000000) --lookups N (200) --scan-lookups N (3)
 * --phases throughput,latency,recovery,lookup --dir DIR (os.tmpdir()) --quick --out FILE
 * --no-index-row (skip the "SQLite without the stream index" reference row) --no-cold (no eviction)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { StreamRecord } from '../src/stream/records.js';
import { journalContender, sqliteContender, type AroundReader, type Contender } from './journal-store/contenders.js';
import { installHint, loadSqlite } from './journal-store/sqlite.js';
import { Workload } from './journal-store/workload.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : dflt;
};
const quick = args.includes('--quick');
const sqliteDir = opt('--sqlite-dir', process.env.PKGUARD_SQLITE_DIR ?? '');
const rounds = Number(opt('--rounds', quick ? '3' : '5'));
const seconds = Number(opt('--seconds', quick ? '3' : '5'));
const warmup = Number(opt('--warmup', '1'));
const conns = Number(opt('--conns', '256'));
const rates = opt('--rates', '5000,20000').split(',').map(Number);
const totalRecords = Number(opt('--records', quick ? '200000' : '1000000'));
const lookups = Number(opt('--lookups', '200'));
const scanLookups = Number(opt('--scan-lookups', '3'));
const phases = new Set(opt('--phases', 'throughput,latency,recovery,lookup').split(','));
const SEED = 20260501;

if (!sqliteDir) {
  console.error(`pass --sqlite-dir DIR (or PKGUARD_SQLITE_DIR): where better-sqlite3 is installed.\n\n${installHint('/tmp/sqlite')}`);
  process.exit(2);
}
let Database;
try {
  Database = await loadSqlite(sqliteDir);
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}

// The logs under test live here; removed on any exit, a failed run included.
const base = mkdtempSync(join(opt('--dir', tmpdir()), 'pkguard-journal-store-'));
process.on('exit', () => rmSync(base, { recursive: true, force: true }));

const journal = journalContender;
const sqliteFull = sqliteContender(Database, sqliteDir, 'FULL');
const sqliteNormal = sqliteContender(Database, sqliteDir, 'NORMAL');
const sqliteNoIndex = sqliteContender(Database, sqliteDir, 'FULL', false);
const writers: Contender[] = [journal, sqliteFull, sqliteNormal, ...(args.includes('--no-index-row') ? [] : [sqliteNoIndex])];
const readers: Contender[] = [journal, sqliteFull];

// ---------- helpers ----------

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const quantile = (xs: readonly number[], q: number) => {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: readonly number[]) => {
  const s = sorted(xs);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const num = (x: number, digits = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–');
const sig = (x: number) => (!Number.isFinite(x) ? '–' : Math.abs(x) >= 100 ? num(x) : Math.abs(x) >= 10 ? num(x, 1) : Math.abs(x) >= 1 ? num(x, 2) : num(x, 3));
/** `median [min–max]` of one measure over the rounds. */
const spread = (xs: readonly number[], f = sig) => (xs.length === 0 ? '–' : xs.length === 1 ? f(xs[0]!) : `${f(median(xs))} [${f(Math.min(...xs))}–${f(Math.max(...xs))}]`);
const ratio = (xs: readonly number[]) => spread(xs, (x) => `${x.toFixed(2)}×`);
let dirCount = 0;
const freshPath = (c: Contender) => (c === journal ? join(base, `j${++dirCount}`) : join(base, `s${++dirCount}.db`));
const remove = (c: Contender, path: string) => {
  for (const f of c === journal ? [path] : [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { recursive: true, force: true });
};
const bytesOf = (c: Contender, path: string) => c.files(path).reduce((n, f) => n + statSync(f).size, 0);

/** CPU time of the whole machine from /proc/stat: busy and steal shares between two readings. */
function procStat(): number[] {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}
function machineShare(a: number[], b: number[]): { busy: number; steal: number } {
  if (a.length < 8 || b.length < 8) return { busy: NaN, steal: NaN };
  const d = b.map((v, i) => v - a[i]!);
  const total = d.slice(0, 8).reduce((x, y) => x + y, 0);
  return { busy: (total - d[3]! - d[4]!) / total, steal: d[7]! / total };
}
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;
  }
};

/** Drops the files' pages from the page cache (posix_fadvise DONTNEED: only ours, nothing global). */
const python = spawnSync('python3', ['-c', 'import os; os.posix_fadvise'], { stdio: 'ignore' }).status === 0;
function evict(files: string[]): boolean {
  if (!python || args.includes('--no-cold')) return false;
  const r = spawnSync('python3', ['-c', 'import os,sys\nfor p in sys.argv[1:]:\n  fd=os.open(p,os.O_RDONLY); os.fdatasync(fd); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)', ...files]);
  return r.status === 0;
}

/** The disk itself: fdatasync after a 4 KiB append (a growing file, as a segment) and after a 4 KiB overwrite (a reused region, as a WAL after a checkpoint). */
async function fsyncBaseline(n = 150): Promise<{ appendP50: number; appendP99: number; overwriteP50: number; overwriteP99: number }> {
  const path = join(base, 'fsync-probe');
  const fh = await open(path, 'w+');
  const buf = Buffer.alloc(4096, 120);
  const appendMs: number[] = [];
  const overwriteMs: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fh.write(buf, 0, buf.length, i * buf.length);
      await fh.datasync();
      appendMs.push(performance.now() - t0);
    }
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await fh.write(buf, 0, buf.length, (i % 16) * buf.length);
      await fh.datasync();
      overwriteMs.push(performance.now() - t0);
    }
  } finally {
    await fh.close();
    rmSync(path, { force: true });
  }
  return { appendP50: quantile(appendMs, 0.5), appendP99: quantile(appendMs, 0.99), overwriteP50: quantile(overwriteMs, 0.5), overwriteP99: quantile(overwriteMs, 0.99) };
}

/** Bytes this process (all its threads) had sent to the block layer so far (/proc/self/io `write_bytes`). */
function writeBytes(): number {
  try {
    return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
  } catch {
    return NaN;
  }
}

/** What a window of a run cost: main-thread event-loop utilisation and delay, process CPU, commits, bytes written to disk. */
class Window {
  readonly #elu = performance.eventLoopUtilization();
  readonly #eld = monitorEventLoopDelay({ resolution: 1 });
  readonly #cpu = process.cpuUsage();
  readonly #stat = procStat();
  readonly #t0 = performance.now();
  readonly #commit0: number;
  readonly #records0: number;
  readonly #written0 = writeBytes();
  constructor(readonly commits: { ms: number[]; records: number }) {
    this.#eld.enable();
    this.#commit0 = commits.ms.length;
    this.#records0 = commits.records;
  }
  end() {
    this.#eld.disable();
    const cpu = process.cpuUsage(this.#cpu);
    const commitMs = this.commits.ms.slice(this.#commit0);
    return {
      seconds: (performance.now() - this.#t0) / 1000,
      elu: performance.eventLoopUtilization(this.#elu).utilization,
      eldP99Ms: this.#eld.percentile(99) / 1e6,
      eldMaxMs: this.#eld.max / 1e6,
      cpuMs: (cpu.user + cpu.system) / 1000,
      commits: commitMs.length,
      /** Records per durable batch (group commit). */
      recordsPerCommit: (this.commits.records - this.#records0) / Math.max(1, commitMs.length),
      /** Bytes sent to the disk during the window (page-cache writeback of earlier writes may land here too). */
      diskBytes: writeBytes() - this.#written0,
      commitP50Ms: quantile(commitMs, 0.5),
      commitP99Ms: quantile(commitMs, 0.99),
      machine: machineShare(this.#stat, procStat()),
    };
  }
}

// ---------- the workload ----------

/** A ring of frames (one processor append each), generated once: every run appends the same records. */
const frames: StreamRecord[][] = [];
{
  const w = new Workload(SEED);
  for (let i = 0; i < 40_000; i++) frames.push(w.frame());
}
const meanFrame = frames.reduce((n, f) => n + f.length, 0) / frames.length;

// ---------- phases ----------

interface ThroughputRun {
  contender: string;
  round: number;
  recordsPerSecond: number;
  recordsPerCommit: number;
  cpuUsPerRecord: number;
  errors: number;
  window: ReturnType<Window['end']>;
}

async function throughputRun(c: Contender, round: number): Promise<ThroughputRun> {
  const path = freshPath(c);
  const log = await c.open(path);
  let i = round * 997;
  let acked = 0;
  let errors = 0;
  let measuring = false;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      const f = frames[i++ % frames.length]!;
      try {
        await log.append(f);
        if (measuring) acked += f.length;
      } catch {
        errors++;
        await sleep(1);
      }
    }
  };
  const loops = Array.from({ length: conns }, loop);
  await sleep(warmup * 1000);
  const win = new Window(log.commits);
  measuring = true;
  await sleep(seconds * 1000);
  measuring = false;
  const window = win.end();
  stop = true;
  await Promise.all(loops);
  await log.close();
  remove(c, path);
  return {
    contender: c.name,
    round,
    recordsPerSecond: acked / window.seconds,
    recordsPerCommit: window.recordsPerCommit,
    cpuUsPerRecord: (window.cpuMs * 1000) / Math.max(1, acked),
    errors,
    window,
  };
}

interface LatencyRun {
  contender: string;
  round: number;
  rate: number;
  ackedPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  window: ReturnType<Window['end']>;
}

/** Open model: frame k is due at `start + (records before it) / rate`; its latency runs from then, so a stall counts in full. */
async function latencyRun(c: Contender, rate: number, round: number): Promise<LatencyRun> {
  const path = freshPath(c);
  const log = await c.open(path);
  const hist = createHistogram();
  let i = round * 997;
  let inFlight = 0;
  let errors = 0;
  let acked = 0;
  const start = performance.now();
  const measureFrom = start + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  let due = start;
  let win: Window | undefined;
  let window: ReturnType<Window['end']> | undefined;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      if (!win && now >= measureFrom) win = new Window(log.commits);
      while (due <= now && due < end) {
        const f = frames[i++ % frames.length]!;
        const d = due;
        inFlight++;
        log.append(f).then(
          () => {
            inFlight--;
            if (d >= measureFrom) {
              hist.record(Math.max(1, Math.round((performance.now() - d) * 1000)));
              acked += f.length;
            }
          },
          () => {
            inFlight--;
            errors++;
          },
        );
        due += (f.length / rate) * 1000;
      }
      if (due < end) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  while (inFlight > 0) await sleep(2);
  window = win!.end();
  await log.close();
  remove(c, path);
  return {
    contender: c.name,
    round,
    rate,
    ackedPerSecond: acked / seconds,
    p50Ms: hist.percentile(50) / 1000,
    p99Ms: hist.percentile(99) / 1000,
    maxMs: hist.max / 1000,
    errors,
    window,
  };
}

interface FillResult {
  contender: string;
  path: string;
  records: number;
  seconds: number;
  bytes: number;
  files: number;
}

/** Writes `totalRecords` records (the same ones for every contender) in appends of ≤ 5,000; notes the positions of flagged messages. */
async function fill(c: Contender, flagged?: { stream: string; pos: number }[]): Promise<FillResult> {
  const path = freshPath(c);
  const log = await c.open(path);
  const w = new Workload(SEED + 1);
  let pos = 0;
  const t0 = performance.now();
  while (pos < totalRecords) {
    const recs = w.records(Math.min(5000, totalRecords - pos)).slice(0, totalRecords - pos);
    if (flagged)
      for (let k = 0; k < recs.length; k++) {
        const r = recs[k]!;
        if (r.t === 'msg' && r.flags.length > 0) flagged.push({ stream: r.stream, pos: pos + k + 1 });
      }
    await log.append(recs);
    pos += recs.length;
  }
  await log.close();
  const secs = (performance.now() - t0) / 1000;
  return { contender: c.name, path, records: pos, seconds: secs, bytes: bytesOf(c, path), files: c.files(path).length };
}

interface RecoveryRun {
  contender: string;
  round: number;
  coldValidatedSeconds: number;
  warmParseSeconds: number;
  cold: boolean;
}

async function recoveryRun(c: Contender, path: string, round: number): Promise<RecoveryRun> {
  const cold = evict(c.files(path));
  let t0 = performance.now();
  const n1 = await c.readAll(path, true);
  const coldValidatedSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const n2 = await c.readAll(path, false);
  const warmParseSeconds = (performance.now() - t0) / 1000;
  if (n1 !== totalRecords || n2 !== totalRecords) throw new Error(`${c.name}: read back ${n1}/${n2} of ${totalRecords} records`);
  return { contender: c.name, round, coldValidatedSeconds, warmParseSeconds, cold };
}

async function timeLookups(reader: AroundReader, targets: { stream: string; pos: number }[]): Promise<number[]> {
  const ms: number[] = [];
  for (const t of targets) {
    const t0 = performance.now();
    const got = await reader.around(t.stream, t.pos, 10);
    ms.push(performance.now() - t0);
    if (got.length !== 20) throw new Error(`lookup ${t.stream}@${t.pos}: ${got.length} records`);
  }
  return ms;
}

// ---------- run ----------

const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  options: { rounds, seconds, warmup, conns, rates, totalRecords, lookups, scanLookups, meanFrame },
  uptimeStart: uptime(),
};
console.log(`journal store bench — Node ${process.version}, ${report.cpu as string}, sqlite from ${sqliteDir}`);
console.log(`uptime at start: ${report.uptimeStart as string}`);
console.log(`workload: ${frames.length} frames, ${meanFrame.toFixed(2)} records per append, ~${Math.round(frames.flat().reduce((n, r) => n + JSON.stringify(r).length * 1.6, 0) / frames.flat().length)} bytes per record (JSON)`);
const fsync = await fsyncBaseline();
report.fsync = fsync;
console.log(`disk fdatasync: 4 KiB append p50 ${sig(fsync.appendP50)} ms p99 ${sig(fsync.appendP99)} ms; 4 KiB overwrite p50 ${sig(fsync.overwriteP50)} ms p99 ${sig(fsync.overwriteP99)} ms\n`);

const orderFor = <T>(cs: T[], round: number): T[] => (round % 2 === 0 ? cs : [...cs].reverse());
const ratiosBy = <R extends { contender: string; round: number }>(runs: R[], c: Contender, value: (r: R) => number) =>
  runs
    .filter((r) => r.contender === c.name)
    .map((r) => {
      const j = runs.find((x) => x.contender === journal.name && x.round === r.round && (!('rate' in x) || (x as { rate?: number }).rate === (r as { rate?: number }).rate));
      return j ? value(r) / value(j) : NaN;
    });
const of = <R extends { contender: string }>(runs: R[], c: Contender) => runs.filter((r) => r.contender === c.name);

if (phases.has('throughput')) {
  const runs: ThroughputRun[] = [];
  const loads: number[][] = [];
  for (let round = 0; round < rounds; round++) {
    loads.push(loadavg());
    for (const c of orderFor(writers, round)) {
      const r = await throughputRun(c, round);
      runs.push(r);
      console.error(`  throughput round ${round + 1}/${rounds} ${c.name}: ${num(r.recordsPerSecond)} rec/s, ${num(r.recordsPerCommit)} rec/commit, machine busy ${(r.window.machine.busy * 100).toFixed(0)}%`);
    }
  }
  report.throughput = { runs, loads };
  console.log(`### Max sustained acked records/s (${conns} connections, each one append of 1-8 records in flight; ${rounds} rounds × ${seconds} s; median [min–max])\n`);
  console.log('| contender | acked records/s | × journal | records/commit | commit p50 / p99 ms | main-thread busy | main-thread µs/record | event-loop delay p99 ms | process CPU µs/record | disk bytes written/record | machine busy / steal |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const c of writers) {
    const rs = of(runs, c);
    console.log(
      `| ${c.name} | ${spread(rs.map((r) => r.recordsPerSecond))} | ${c === journal ? '1' : ratio(ratiosBy(runs, c, (r) => r.recordsPerSecond))} | ${sig(median(rs.map((r) => r.recordsPerCommit)))} | ${sig(median(rs.map((r) => r.window.commitP50Ms)))} / ${sig(median(rs.map((r) => r.window.commitP99Ms)))} | ${(median(rs.map((r) => r.window.elu)) * 100).toFixed(0)}% | ${sig(median(rs.map((r) => (r.window.elu * 1e6) / r.recordsPerSecond)))} | ${sig(median(rs.map((r) => r.window.eldP99Ms)))} | ${sig(median(rs.map((r) => r.cpuUsPerRecord)))} | ${num(median(rs.map((r) => r.window.diskBytes / (r.recordsPerSecond * r.window.seconds))))} | ${(median(rs.map((r) => r.window.machine.busy)) * 100).toFixed(0)}% / ${(median(rs.map((r) => r.window.machine.steal)) * 100).toFixed(1)}% |`,
    );
  }
  console.log();
}

if (phases.has('latency')) {
  const runs: LatencyRun[] = [];
  for (let round = 0; round < rounds; round++)
    for (const rate of rates)
      for (const c of orderFor(writers, round)) {
        const r = await latencyRun(c, rate, round);
        runs.push(r);
        console.error(`  latency ${num(rate)}/s round ${round + 1}/${rounds} ${c.name}: p50 ${sig(r.p50Ms)} ms p99 ${sig(r.p99Ms)} ms max ${sig(r.maxMs)} ms, acked ${num(r.ackedPerSecond)}/s`);
      }
  report.latency = runs;
  for (const rate of rates) {
    const rr = runs.filter((r) => r.rate === rate);
    console.log(`### Append→durable latency at ${num(rate)} records/s offered (open model, from each frame's due time; ${rounds} rounds × ${seconds} s; median [min–max] of the per-round percentiles)\n`);
    console.log('| contender | acked records/s | p50 ms | p99 ms | p99 × journal | max ms | records/commit | main-thread busy | event-loop delay p99 ms | process CPU µs/record | disk bytes written/record |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const c of writers) {
      const rs = of(rr, c);
      console.log(
        `| ${c.name} | ${spread(rs.map((r) => r.ackedPerSecond))} | ${spread(rs.map((r) => r.p50Ms))} | ${spread(rs.map((r) => r.p99Ms))} | ${c === journal ? '1' : ratio(ratiosBy(rr, c, (r) => r.p99Ms))} | ${spread(rs.map((r) => r.maxMs))} | ${sig(median(rs.map((r) => r.window.recordsPerCommit)))} | ${(median(rs.map((r) => r.window.elu)) * 100).toFixed(0)}% | ${sig(median(rs.map((r) => r.window.eldP99Ms)))} | ${sig(median(rs.map((r) => (r.window.cpuMs * 1000) / Math.max(1, r.ackedPerSecond * seconds))))} | ${num(median(rs.map((r) => r.window.diskBytes / Math.max(1, r.ackedPerSecond * seconds))))} |`,
      );
    }
    console.log();
  }
}

if (phases.has('recovery') || phases.has('lookup')) {
  const flagged: { stream: string; pos: number }[] = [];
  const fills: FillResult[] = [];
  for (const c of readers) {
    const f = await fill(c, c === journal ? flagged : undefined);
    fills.push(f);
    console.error(`  filled ${c.name}: ${num(f.records)} records in ${sig(f.seconds)} s, ${num(f.bytes / 1e6, 1)} MB in ${f.files} file(s)`);
  }
  report.fills = fills.map(({ path: _p, ...f }) => f);
  const pathOf = (c: Contender) => fills.find((f) => f.contender === c.name)!.path;

  if (phases.has('recovery')) {
    const runs: RecoveryRun[] = [];
    for (let round = 0; round < rounds; round++)
      for (const c of orderFor(readers, round)) {
        const r = await recoveryRun(c, pathOf(c), round);
        runs.push(r);
        console.error(`  recovery round ${round + 1}/${rounds} ${c.name}: ${r.cold ? 'cold' : 'warm(!)'} replay ${sig(r.coldValidatedSeconds)} s, warm parse ${sig(r.warmParseSeconds)} s`);
      }
    report.recovery = runs;
    const cold = runs.every((r) => r.cold);
    console.log(`### Recovery: read ${num(totalRecords)} records back in order (${rounds} rounds; median [min–max])\n`);
    console.log(`| contender | replay, ${cold ? 'cold cache' : 'WARM cache (no python3 posix_fadvise)'}, JSON.parse + checkRecord, s | × journal | read, warm, JSON.parse only, s | × journal | bytes/record on disk | files | bulk fill (appends of 5,000) records/s |`);
    console.log('|---|---|---|---|---|---|---|---|');
    for (const c of readers) {
      const rs = of(runs, c);
      const f = fills.find((x) => x.contender === c.name)!;
      console.log(
        `| ${c.name.replace(', synchronous=FULL', '')} | ${spread(rs.map((r) => r.coldValidatedSeconds))} | ${c === journal ? '1' : ratio(ratiosBy(runs, c, (r) => r.coldValidatedSeconds))} | ${spread(rs.map((r) => r.warmParseSeconds))} | ${c === journal ? '1' : ratio(ratiosBy(runs, c, (r) => r.warmParseSeconds))} | ${num(f.bytes / f.records)} | ${f.files} | ${num(f.records / f.seconds)} |`,
      );
    }
    console.log();
  }

  if (phases.has('lookup')) {
    // Seeded choice of flagged records to look around.
    let s = SEED;
    // Not in the first or last tenth, so every stream has ten records before and after Y.
    const early = flagged.filter((f) => f.pos >= totalRecords * 0.1 && f.pos <= totalRecords * 0.9);
    const pick = () => early[(s = (Math.imul(s, 1103515245) + 12345) >>> 0) % early.length]!;
    const targets = Array.from({ length: lookups }, pick);
    const jr = await journal.reader(pathOf(journal));
    const sr = await sqliteFull.reader(pathOf(sqliteFull));
    // Same answers from both.
    for (const t of targets.slice(0, scanLookups)) {
      const a = (await jr.around(t.stream, t.pos, 10)).join('\n');
      const b = (await sr.around(t.stream, t.pos, 10)).join('\n');
      const c2 = (await jr.sparse!.around(t.stream, t.pos, 10)).join('\n');
      const d = (await sr.sparse!.around(t.stream, t.pos, 10)).join('\n');
      if (a !== b || a !== c2 || a !== d) {
        const show = (x: string) => x.split('\n').map((l) => (JSON.parse(l) as { seq?: number }).seq).join(',');
        throw new Error(`lookup ${t.stream}@${t.pos}: the readers disagree:\n journal scan   ${show(a)}\n sqlite index   ${show(b)}\n journal sparse ${show(c2)}\n sqlite rowid   ${show(d)}`);
      }
    }
    const readersUnderTest: { key: string; label: string; reader: AroundReader; targets: typeof targets }[] = [
      { key: 'sqliteIndex', label: 'sqlite: two range queries on the stream index', reader: sr, targets },
      { key: 'sqliteRowid', label: 'sqlite: rowid window before Y, `NOT INDEXED` (what it would do without the index)', reader: sr.sparse!, targets },
      { key: 'journalSparse', label: 'journal: window before Y from a sparse index, every 1,024th record\'s byte offset (a patch, not in the Journal today)', reader: jr.sparse!, targets },
      { key: 'journalScan', label: 'journal: scan the segments from the first (what it can do today)', reader: jr, targets: targets.slice(0, scanLookups) },
    ];
    const rows: Record<string, number[][]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const r of orderFor(readersUnderTest, round)) (rows[r.key] ??= []).push(await timeLookups(r.reader, r.targets));
      console.error(`  lookup round ${round + 1}/${rounds}: ${readersUnderTest.map((r) => `${r.key} ${sig(median(rows[r.key]!.at(-1)!))} ms`).join(', ')}`);
    }
    sr.close();
    report.lookup = rows;
    console.log(`### "The 20 records of stream X around log position Y" (Y a flagged message, 200 streams, ${num(totalRecords)} records, warm cache; median per query over each round, then median [min–max] over ${rounds} rounds)\n`);
    console.log('| reader | queries per round | ms per query | × SQLite index |');
    console.log('|---|---|---|---|');
    const per = (k: string) => rows[k]!.map((xs) => median(xs));
    const sq = per('sqliteIndex');
    for (const r of readersUnderTest) console.log(`| ${r.label} | ${r.targets.length} | ${spread(per(r.key))} | ${r.key === 'sqliteIndex' ? '1' : ratio(per(r.key).map((x, i) => x / sq[i]!))} |`);
    console.log();
  }
}

report.uptimeEnd = uptime();
console.log(`uptime at end: ${report.uptimeEnd as string}`);
const out = opt('--out', join(fileURLToPath(new URL('../../bench/results/', import.meta.url)), `journal-store-${new Date().toISOString().replace(/[:.]/g, '-')}.json`));
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 1));
console.log(`results: ${out}`);
