/**
 * A worker thread of the sharded `pkguard scan` (scan-shards.ts): opens its own scanner on the same
 * lexicon and answers batches of lines with the same per-line code as the single-threaded loop
 * (scanLine), so its output is that loop's output up to flag ids, which the main thread renumbers.
 *
 * In: `{ seq, bytes }`, UTF-8 lines each ending in `\n` (none blank, CRs already dropped).
 * Out: `{ seq, out, flagged }`, `out` the UTF-8 answers each ending in `\n`, `flagged` triples (line
 * index in the batch, first flag id number the line's scan allocated, how many) for the lines that
 * allocated any. Both buffers are transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LexiconError } from '../errors.js';
import { FlagIdAllocator } from '../flag.js';
import { decodePieces } from './ndjson-lines.js';
import { openScanScanner, scanLine } from './scan.js';

export interface ShardBatch {
  seq: number;
  bytes: Uint8Array;
}
export interface ShardAnswer {
  seq: number;
  out: Uint8Array;
  flagged: Int32Array;
}
export interface ShardWorkerData {
  lexiconDir: string | undefined;
  artifact: string | undefined;
}

/** What a worker says besides answers: its lexicon is open, a warning to print, or the lexicon could not be loaded. */
export type ShardNotice = { ready: true } | { warn: string } | { lexiconError: string };

const port = parentPort!;
const data = workerData as ShardWorkerData;
const ids = new FlagIdAllocator(1);
// The first worker opens (and if needed refreshes) the artifact, its warnings printed by the main
// thread; the others start once it is ready, so theirs is the fast load. Batches posted
// meanwhile wait in the port.
let opened: Awaited<ReturnType<typeof openScanScanner>> | undefined;
try {
  opened = await openScanScanner(data.lexiconDir, data.artifact, (m) => port.postMessage({ warn: m } satisfies ShardNotice), ids);
} catch (err) {
  if (!(err instanceof LexiconError)) throw err;
  port.postMessage({ lexiconError: err.message } satisfies ShardNotice);
}
const scanner = opened!;
if (opened) port.postMessage({ ready: true } satisfies ShardNotice);
let flagged = new Int32Array(3 * 256);

if (opened) port.on('message', (batch: ShardBatch) => {
  const bytes = Buffer.from(batch.bytes.buffer, batch.bytes.byteOffset, batch.bytes.byteLength);
  const outs: string[] = [];
  let n = 0;
  let index = 0;
  for (const piece of decodePieces(bytes)) {
    let out = '';
    // Split on `\n` only: a CR left in a line is part of it.
    for (let at = 0, nl = 0; at < piece.length; at = nl + 1, index++) {
      nl = piece.indexOf('\n', at);
      if (nl < 0) nl = piece.length;
      const first = ids.peek();
      out += scanLine(scanner, piece.slice(at, nl)) + '\n';
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
    outs.push(out);
  }
  let size = 0;
  for (const o of outs) size += Buffer.byteLength(o);
  const out = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const o of outs) at += out.write(o, at);
  const triples = flagged.slice(0, n);
  port.postMessage({ seq: batch.seq, out, flagged: triples } satisfies ShardAnswer, [out.buffer as ArrayBuffer, triples.buffer]);
});
