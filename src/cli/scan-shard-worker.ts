/**
 * A worker thread of the sharded `pkguard scan` (scan-shards.ts): opens its own scanner on the same
 * lexicon and answers batches of lines with the same per-line code as the single-threaded loop
 * (scanLine), so its output is that loop's output up to flag ids, which the main thread renumbers.
 *
 * In: `{ seq, lines }`, lines joined by `\n` (none blank). Out: `{ seq, out, flagged }`, `out` the
 * answers each ending in `\n`, `flagged` triples (line index in the batch, first flag id number the
 * line's scan allocated, how many it allocated) for the lines that allocated any.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FlagIdAllocator } from '../flag.js';
import { openScanScanner, scanLine } from './scan.js';

export interface ShardBatch {
  seq: number;
  lines: string;
}
export interface ShardAnswer {
  seq: number;
  out: string;
  flagged: Int32Array;
}
export interface ShardWorkerData {
  lexiconDir: string | undefined;
  artifact: string | undefined;
}

const port = parentPort!;
const data = workerData as ShardWorkerData;
const ids = new FlagIdAllocator(1);
// The main thread opened (and if needed refreshed) the artifact first, so this load is the fast one;
// its warnings were already reported there.
const scanner = await openScanScanner(data.lexiconDir, data.artifact, () => {}, ids);
let flagged = new Int32Array(3 * 256);

port.on('message', (batch: ShardBatch) => {
  let out = '';
  let n = 0;
  let index = 0;
  const lines = batch.lines;
  // Split on `\n` only: the main thread already dropped each line's CR, a CR left in a line is its own.
  for (let at = 0, nl = 0; at < lines.length; at = nl + 1, index++) {
    nl = lines.indexOf('\n', at);
    if (nl < 0) nl = lines.length;
    const line = lines.slice(at, nl);
    const first = ids.peek();
    out += scanLine(scanner, line) + '\n';
    const count = ids.peek() - first;
    if (count === 0) continue;
    if (n + 3 > flagged.length) {
      const grown = new Int32Array(flagged.length * 2);
      grown.set(flagged);
      flagged = grown;
    }
    flagged[n++] = index;
    flagged[n++] = first;
    flagged[n++] = count;
  }
  port.postMessage({ seq: batch.seq, out, flagged: flagged.slice(0, n) } satisfies ShardAnswer);
});
port.postMessage('ready');
