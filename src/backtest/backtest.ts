/**
 * `runBacktest`: replays a journal's recorded messages through a candidate lexicon's scanner, each
 * stream's final transcript chunks in order with their cross-chunk carry (as the server scans them),
 * chat on its own, and tallies what the candidate would have flagged differently.
 *
 * Scanning is most of the cost (a CPU profile: about two thirds of a 1M-message run is the
 * scanner), so with `workers` > 1 the streams are sharded across threads: this one and worker
 * threads (backtest-worker.ts). Each reads the journal and takes only its streams (a stream's
 * messages stay in order, with their carry, in one thread), and the shards' tallies are merged.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Scanner } from '../detect/scanner.js';
import type { Flag } from '../flag.js';
import type { Shard } from './record-bytes.js';
import { threadCpuSeconds } from './thread-cpu.js';
import { BacktestTally, mergeResults, type BacktestResult } from './tally.js';
import { dismissedFlags, journalSegments, readJournal, type JournalSegment } from './journal-messages.js';

export interface BacktestProgress {
  bytes: number;
  totalBytes: number;
  messages: number;
}

/**
 * Where worker threads take the candidate lexicon from: its compiled artifact (artifact-store.ts),
 * decoded in each worker in parallel; without `artifact`, the folder's own cached one (compiled
 * there, read only, when it is missing or stale).
 */
export interface LexiconSource {
  dir: string;
  artifact?: string;
}

export interface BacktestOptions {
  /** The journal directory (`journal.dir` of the server that wrote it). Read only. */
  journalDir: string;
  /**
   * A scanner over the candidate lexicon; its stream state is used and left behind. Or a function
   * that makes one: with a `lexiconSource`, worker threads are then started before it is called, so
   * their start and lexicon decode overlap this thread's (if it throws, they are stopped).
   */
  candidate: Scanner | (() => Scanner | Promise<Scanner>);
  /** The candidate's artifact, for workers; without one they get a structured clone of `candidate.lexicon` (slower to start). */
  lexiconSource?: LexiconSource;
  /** Examples kept per term and direction. Default 3. */
  examplesPerTerm?: number;
  /** Called every `progressEvery` messages and once at the end. */
  onProgress?: (p: BacktestProgress) => void;
  progressEvery?: number;
  /**
   * Threads the streams are sharded across: this one plus `workers - 1` worker threads. 1 (the
   * default) scans in this thread only; `'auto'` takes the cores (at most 4) for a journal of at
   * least `AUTO_WORKERS_MIN_BYTES`, else 1 (see `autoWorkers`).
   */
  workers?: number | 'auto';
}

/**
 * Below this journal size `'auto'` scans in one thread: a worker costs a thread start, its own
 * artifact decode and its own JIT warm-up, measured at 0.7-1.1 CPU s on the loaded 2-core machine,
 * and on a 16 MB journal (90k messages) 1 and 2 threads took the same time; at 32 MB (about 180k
 * messages) half the scan is worth more than the worker costs.
 */
export const AUTO_WORKERS_MIN_BYTES = 32 * 1024 * 1024;

/** How many threads `'auto'` uses for a journal of `bytes` on `cores` cores. */
export function autoWorkers(bytes: number, cores: number): number {
  return bytes < AUTO_WORKERS_MIN_BYTES ? 1 : Math.max(1, Math.min(4, cores));
}

export async function runBacktest(opts: BacktestOptions): Promise<BacktestResult> {
  const started = performance.now();
  const segments = journalSegments(opts.journalDir);
  const totalBytes = segments.reduce((n, s) => n + s.bytes, 0);
  const examples = opts.examplesPerTerm ?? 3;
  const workers = opts.workers === 'auto' ? autoWorkers(totalBytes, availableParallelism()) : Math.max(1, Math.floor(opts.workers ?? 1));
  const every = opts.progressEvery ?? 20_000;
  const progress = { bytes: 0, totalBytes, messages: 0 };
  const make = opts.candidate;
  // Workers first when they can load the candidate themselves: their start overlaps everything below.
  const early = workers > 1 && opts.lexiconSource !== undefined ? startWorkers(workers, segments, { source: opts.lexiconSource }, examples, every) : undefined;
  let candidate: Scanner;
  let dismissed: Map<string, string | undefined>;
  try {
    candidate = typeof make === 'function' ? await make() : make;
    dismissed = dismissedFlags(segments);
  } catch (err) {
    early?.stop();
    throw err;
  }
  let result: BacktestResult;
  const cpu0 = threadCpuSeconds();
  if (workers === 1) {
    result = backtestShard({ segments, candidate, dismissed, examples, every, shard: { of: 1, mine: 0 } }, (bytes, messages) => {
      progress.bytes = bytes;
      progress.messages = messages;
      opts.onProgress?.(progress);
    });
    const cpu1 = threadCpuSeconds();
    if (cpu0 !== undefined && cpu1 !== undefined) result.threadCpu = [cpu1 - cpu0];
  } else {
    const pool = early ?? startWorkers(workers, segments, { lexicon: candidate.lexicon }, examples, every);
    result = await sharded(pool, segments, candidate, opts, dismissed, examples, every, progress);
  }
  opts.onProgress?.({ ...progress, bytes: totalBytes, messages: result.messages.read });
  return { ...result, workers, seconds: (performance.now() - started) / 1000 };
}

export interface ShardJob {
  segments: readonly JournalSegment[];
  candidate: Scanner;
  dismissed: ReadonlyMap<string, string | undefined>;
  examples: number;
  every: number;
  shard: Shard;
}

/** One shard's backtest, synchronously (the whole journal when `shard.of` is 1). `onProgress(bytes, messages)` every `every` messages. */
export function backtestShard(job: ShardJob, onProgress: (bytes: number, messages: number) => void): BacktestResult {
  const tally = new BacktestTally(job.dismissed, job.examples);
  const scanner = job.candidate;
  // A replay pushes many chunks per stream: carries stay live in each stream's lanes (same flags, no pack/unpack per chunk).
  scanner.liveCarries = true;
  const counted = tally.messages;
  let bytes = 0;
  // Flags raised on partial hypotheses, per stream and seq, until the final chunk of that seq.
  const partialFlags = new Map<string, Map<number, Flag[]>>();
  // One meta object per kind for every scan: the scanner copies what it keeps into the flags it makes.
  const meta: { kind: 'transcript'; seq: number } = { kind: 'transcript', seq: 0 };
  const chatMeta: { kind: 'chat'; seq: number; stream: string } = { kind: 'chat', seq: 0, stream: '' };
  readJournal(
    job.segments,
    {
      bad() {
        counted.bad++;
      },
      end(stream) {
        scanner.endStream(stream);
        partialFlags.delete(stream);
      },
      msg(msg) {
        if (++counted.read % job.every === 0) onProgress(bytes, counted.read);
        if (!msg.final) {
          // A hypothesis the final chunk replaced: the final's text is what gets compared.
          counted.partials++;
          if (msg.flags.length > 0) keepPartialFlags(partialFlags, msg.stream, msg.seq, msg.flags);
          return;
        }
        const text = msg.text;
        if (text === undefined) {
          // The journal kept no text: unflagged chat (journal.keepChatText off), counted apart.
          counted.withoutText++;
          if (msg.kind === 'chat') counted.chatWithoutText++;
          return;
        }
        let flags;
        if (msg.kind === 'chat') {
          // Chat is scanned on its own, as the server does (a stream scanner leaves its carry alone for chat).
          chatMeta.seq = msg.seq;
          chatMeta.stream = msg.stream;
          flags = scanner.scan(text, chatMeta);
        } else {
          meta.seq = msg.seq;
          flags = scanner.stream(msg.stream).push(text, meta);
        }
        tally.compare(msg, text, flags, msg.kind === 'transcript' && partialFlags.size > 0 ? takePartialFlags(partialFlags, msg.stream, msg.seq) : undefined);
      },
    },
    (b) => (bytes += b),
    job.shard,
  );
  return tally.result(0);
}

/** What a backtest worker posts: its result (or why it failed). Progress goes through shared counters. */
export type WorkerReply = { t: 'done'; result: BacktestResult } | { t: 'failed'; message: string };

/** Per worker in the shared progress array: bytes read, messages read. */
export const PROGRESS_SLOTS = 2;

/** Worker threads running shards 1..n-1, each waiting for the dismissed flags (posted once known) before it scans. */
interface WorkerPool {
  n: number;
  shared: Float64Array;
  results: Promise<BacktestResult[]>;
  dismissed(entries: [string, string | undefined][]): void;
  stop(): void;
}

function startWorkers(n: number, segments: readonly JournalSegment[], lexicon: { source: LexiconSource } | { lexicon: Scanner['lexicon'] }, examples: number, every: number): WorkerPool {
  const shared = new Float64Array(new SharedArrayBuffer(8 * PROGRESS_SLOTS * n));
  const threads: Worker[] = [];
  const running = Array.from({ length: n - 1 }, (_, k) => {
    const mine = k + 1;
    return new Promise<BacktestResult>((resolve, reject) => {
      const worker = new Worker(new URL('./backtest-worker.js', import.meta.url), {
        workerData: { segments, ...lexicon, examples, every: Math.max(1, Math.floor(every / n)), shard: { of: n, mine }, progress: shared },
      });
      threads.push(worker);
      worker.on('message', (m: WorkerReply) => {
        if (m.t === 'done') resolve(m.result);
        else reject(new Error(`backtest worker ${mine}: ${m.message}`));
      });
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`backtest worker ${mine} exited with code ${code}`)));
    });
  });
  // A worker that fails while this thread scans is reported once this shard is done.
  const results = Promise.all(running);
  results.catch(() => undefined);
  return {
    n,
    shared,
    results,
    dismissed: (entries) => {
      for (const w of threads) w.postMessage(entries);
    },
    stop: () => {
      for (const w of threads) void w.terminate();
    },
  };
}

/**
 * Shard 0 in this thread, shards 1..n-1 in the pool's worker threads. This thread is busy with its
 * shard, so workers report progress through a shared array it reads when it reports its own, and
 * their results are taken when it is done.
 */
async function sharded(pool: WorkerPool, segments: readonly JournalSegment[], candidate: Scanner, opts: BacktestOptions, dismissed: Map<string, string | undefined>, examples: number, every: number, progress: BacktestProgress): Promise<BacktestResult> {
  const { n, shared } = pool;
  pool.dismissed([...dismissed]);
  const cpu0 = threadCpuSeconds();
  let mine: BacktestResult;
  try {
    mine = backtestShard({ segments, candidate, dismissed, examples, every: Math.max(1, Math.floor(every / n)), shard: { of: n, mine: 0 } }, (bytes, messages) => {
      shared[0] = bytes;
      shared[1] = messages;
      let b = 0;
      let m = 0;
      for (let i = 0; i < n; i++) {
        b += shared[PROGRESS_SLOTS * i]!;
        m += shared[PROGRESS_SLOTS * i + 1]!;
      }
      // Every shard reads every byte: the journal is as far read as the average shard.
      progress.bytes = Math.round(b / n);
      progress.messages = m;
      opts.onProgress?.(progress);
    });
  } catch (err) {
    pool.stop();
    throw err;
  }
  const cpu1 = threadCpuSeconds();
  const parts = [mine, ...(await pool.results)];
  const merged = mergeResults(parts, examples);
  const cpus = [cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined, ...parts.slice(1).map((p) => p.threadCpu?.[0])];
  if (cpus.every((c) => c !== undefined)) merged.threadCpu = cpus as number[];
  return merged;
}

/** Seqs remembered per stream: an ASR engine revises only its last few chunks. */
const MAX_PENDING_SEQS = 32;

function keepPartialFlags(pending: Map<string, Map<number, Flag[]>>, stream: string, seq: number, flags: readonly Flag[]): void {
  let seqs = pending.get(stream);
  if (!seqs) pending.set(stream, (seqs = new Map()));
  const list = seqs.get(seq);
  if (list) list.push(...flags);
  else {
    seqs.set(seq, flags.slice());
    if (seqs.size > MAX_PENDING_SEQS) seqs.delete(seqs.keys().next().value!);
  }
}

function takePartialFlags(pending: Map<string, Map<number, Flag[]>>, stream: string, seq: number): Flag[] | undefined {
  const seqs = pending.get(stream);
  if (!seqs) return undefined;
  const flags = seqs.get(seq);
  for (const s of seqs.keys()) if (s <= seq) seqs.delete(s);
  if (seqs.size === 0) pending.delete(stream);
  return flags;
}
