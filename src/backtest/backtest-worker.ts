/**
 * One shard of a backtest in a worker thread (see backtest.ts): its streams scanned, its tally
 * posted back. It may start before the thread that started it knows the dismissed flags: it loads
 * its lexicon meanwhile and waits for them (one message) before scanning.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Scanner } from '../detect/scanner.js';
import { FlagIdAllocator } from '../flag.js';
import { openCompiledLexicon } from '../lexicon/artifact-store.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import { reviveCompiled } from '../lexicon/compile-async.js';
import { backtestShard, PROGRESS_SLOTS, type LexiconSource, type WorkerReply } from './backtest.js';
import type { JournalSegment } from './journal-messages.js';
import type { Shard } from './record-bytes.js';
import { threadCpuSeconds } from './thread-cpu.js';

interface Job {
  segments: JournalSegment[];
  /** The candidate's artifact (decoded here, with its fold tables), or failing that the compiled lexicon itself. */
  source?: LexiconSource;
  lexicon?: CompiledLexicon;
  examples: number;
  every: number;
  shard: Shard;
  /** Shared with the thread that started this one: [bytes, messages] per shard. */
  progress: Float64Array;
}

const job = workerData as Job;
const post = (m: WorkerReply) => parentPort!.postMessage(m);
try {
  // readOnly: a stale artifact (the folder changed since) is compiled here, never rewritten by a backtest.
  const dismissedPosted = new Promise<[string, string | undefined][]>((resolve) => parentPort!.once('message', resolve));
  const lexicon = job.source ? (await openCompiledLexicon({ lexiconDir: job.source.dir, ...(job.source.artifact !== undefined ? { artifact: job.source.artifact } : {}), readOnly: true })).lexicon : reviveCompiled(job.lexicon!);
  const candidate = new Scanner(lexicon, new FlagIdAllocator(1));
  const dismissed = new Map(await dismissedPosted);
  const cpu0 = threadCpuSeconds();
  const slot = PROGRESS_SLOTS * job.shard.mine;
  const result = backtestShard({ segments: job.segments, candidate, dismissed, examples: job.examples, every: job.every, shard: job.shard }, (bytes, messages) => {
    job.progress[slot] = bytes;
    job.progress[slot + 1] = messages;
  });
  // This thread's CPU from its start (module load and lexicon decode included: it is the worker's cost).
  const cpu = threadCpuSeconds();
  if (cpu !== undefined && cpu0 !== undefined) result.threadCpu = [cpu];
  post({ t: 'done', result });
} catch (err) {
  post({ t: 'failed', message: (err as Error).message });
}
