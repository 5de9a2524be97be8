/** One shard of a backtest in a worker thread (see backtest.ts): its streams scanned, its tally posted back. */
import { parentPort, workerData } from 'node:worker_threads';
import { Scanner } from '../detect/scanner.js';
import { FlagIdAllocator } from '../flag.js';
import type { CompiledLexicon } from '../lexicon/compile.js';
import { reviveCompiled } from '../lexicon/compile-async.js';
import { backtestShard, type WorkerReply } from './backtest.js';
import type { JournalSegment } from './journal-messages.js';
import type { Shard } from './record-bytes.js';

interface Job {
  segments: JournalSegment[];
  lexicon: CompiledLexicon;
  dismissed: [string, string | undefined][];
  examples: number;
  every: number;
  shard: Shard;
}

const job = workerData as Job;
const post = (m: WorkerReply) => parentPort!.postMessage(m);
try {
  const candidate = new Scanner(reviveCompiled(job.lexicon), new FlagIdAllocator(1));
  const result = backtestShard({ segments: job.segments, candidate, dismissed: new Map(job.dismissed), examples: job.examples, every: job.every, shard: job.shard }, (bytes, messages) => post({ t: 'progress', bytes, messages }));
  post({ t: 'done', result });
} catch (err) {
  post({ t: 'failed', message: (err as Error).message });
}
