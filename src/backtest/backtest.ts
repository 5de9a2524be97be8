/**
 * `runBacktest`: replays a journal's recorded messages through a candidate lexicon's scanner, each
 * stream's final transcript chunks in order with their cross-chunk carry (as the server scans them),
 * chat on its own, and tallies what the candidate would have flagged differently.
 *
 * Scanning is most of the cost, so with `workers` > 1 the streams are sharded across worker threads
 * (backtest-worker.ts): each reads the journal and takes only its streams (a stream's messages stay
 * in order, with their carry, in one worker), and the shards' tallies are merged.
 */
import { Worker } from 'node:worker_threads';
import type { Scanner } from '../detect/scanner.js';
import type { Flag } from '../flag.js';
import type { Shard } from './record-bytes.js';
import { BacktestTally, mergeResults, type BacktestResult } from './tally.js';
import { dismissedFlags, journalSegments, readJournal, type JournalSegment } from './journal-messages.js';

export interface BacktestProgress {
  bytes: number;
  totalBytes: number;
  messages: number;
}

export interface BacktestOptions {
  /** The journal directory (`journal.dir` of the server that wrote it). Read only. */
  journalDir: string;
  /** A scanner over the candidate lexicon; its stream state is used and left behind (workers get a copy of its lexicon). */
  candidate: Scanner;
  /** Examples kept per term and direction. Default 3. */
  examplesPerTerm?: number;
  /** Called every `progressEvery` messages and once at the end. */
  onProgress?: (p: BacktestProgress) => void;
  progressEvery?: number;
  /** Worker threads the streams are sharded across; 1 (the default) scans in this thread. */
  workers?: number;
}

export async function runBacktest(opts: BacktestOptions): Promise<BacktestResult> {
  const started = performance.now();
  const segments = journalSegments(opts.journalDir);
  const totalBytes = segments.reduce((n, s) => n + s.bytes, 0);
  const dismissed = dismissedFlags(segments);
  const examples = opts.examplesPerTerm ?? 3;
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const progress = { bytes: 0, totalBytes, messages: 0 };
  let result: BacktestResult;
  if (workers === 1) {
    result = backtestShard({ segments, candidate: opts.candidate, dismissed, examples, every: opts.progressEvery ?? 20_000, shard: { of: 1, mine: 0 } }, (bytes, messages) => {
      progress.bytes = bytes;
      progress.messages = messages;
      opts.onProgress?.(progress);
    });
  } else {
    result = await inWorkers(workers, segments, opts, dismissed, examples, progress);
  }
  opts.onProgress?.({ ...progress, bytes: totalBytes, messages: result.messages.read });
  return { ...result, seconds: (performance.now() - started) / 1000 };
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
          counted.withoutText++;
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
        tally.compare(msg, text, flags, msg.kind === 'transcript' ? takePartialFlags(partialFlags, msg.stream, msg.seq) : undefined);
      },
    },
    (b) => (bytes += b),
    job.shard,
  );
  return tally.result(0);
}

/** What a backtest worker posts: progress now and then, then its result (or why it failed). */
export type WorkerReply = { t: 'progress'; bytes: number; messages: number } | { t: 'done'; result: BacktestResult } | { t: 'failed'; message: string };

async function inWorkers(n: number, segments: readonly JournalSegment[], opts: BacktestOptions, dismissed: Map<string, string | undefined>, examples: number, progress: BacktestProgress): Promise<BacktestResult> {
  const shards = Array.from({ length: n }, () => ({ bytes: 0, messages: 0 }));
  const every = opts.progressEvery ?? 20_000;
  const running = shards.map(
    (state, mine) =>
      new Promise<BacktestResult>((resolve, reject) => {
        const worker = new Worker(new URL('./backtest-worker.js', import.meta.url), {
          workerData: { segments, lexicon: opts.candidate.lexicon, dismissed: [...dismissed], examples, every: Math.max(1, Math.floor(every / n)), shard: { of: n, mine } },
        });
        worker.on('message', (m: WorkerReply) => {
          if (m.t === 'progress') {
            state.bytes = m.bytes;
            state.messages = m.messages;
            // Every worker reads every byte: the journal is as far read as the average worker.
            progress.bytes = Math.round(shards.reduce((s, x) => s + x.bytes, 0) / n);
            progress.messages = shards.reduce((s, x) => s + x.messages, 0);
            opts.onProgress?.(progress);
          } else if (m.t === 'done') resolve(m.result);
          else reject(new Error(`backtest worker ${mine}: ${m.message}`));
        });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`backtest worker ${mine} exited with code ${code}`)));
      }),
  );
  return mergeResults(await Promise.all(running), examples);
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
