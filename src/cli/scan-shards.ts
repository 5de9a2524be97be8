/**
 * `pkguard scan` on several cores: the main thread reads and splits the input, worker threads
 * (scan-shard-worker.ts) scan, the main thread writes their answers back in input order.
 *
 * What keeps the output byte-identical to the single-threaded loop:
 * - a stream's transcript lines all go to one worker, in input order (the stream's carry lives in
 *   that worker's scanner); the worker is chosen when the stream is first seen and kept;
 * - a line that touches no stream state (chat, no `stream`, an error line) may go to any worker;
 * - flag ids: each worker numbers its flags from f1; the main thread knows, per line, the first id its
 *   worker allocated and how many, and renumbers to what one scanner in input order would have given.
 * Why: the scanner is most of the CLI's time (57% of a profile, issue 16), so a second core is the
 * way past it. Opt-in (`--workers N`): measured on a shared 2-core machine, two workers spent ~1.9×
 * the CPU of one thread (a lexicon load and a JIT warm-up each) and were not faster there. The
 * main thread opens no scanner of its own: the first worker opens the lexicon (refreshing the
 * artifact when it must, its warnings and errors printed here) and the others start once it is ready.
 */
import { Worker } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import { ndjsonByteBlocks, type ByteSource } from './ndjson-lines.js';
import { blank, MAX_LINE_UNITS } from './scan.js';
import { KIND_CHAT, readRequest, RequestFields } from './scan-request.js';
import type { ShardAnswer, ShardBatch, ShardNotice, ShardWorkerData } from './scan-shard-worker.js';

export interface ShardOptions {
  workers: number;
  lexiconDir: string | undefined;
  artifact: string | undefined;
}

/** Batches in flight before the reader waits for the oldest to be written (bounds memory). */
const IN_FLIGHT = 4;
/** Free lines (no stream) stay with one worker for runs of about this many lines: fewer, longer copies. */
const RUN = 64;

interface Pending {
  seq: number;
  /** Worker of each non-blank line, in input order. */
  route: Uint8Array;
  lines: number;
  answers: (ShardAnswer | undefined)[];
  /** Workers yet to answer. */
  missing: number;
}

export async function runScanSharded(input: ByteSource, output: Writable, onError: (msg: string) => void, opts: ShardOptions): Promise<number> {
  const n = Math.max(1, Math.min(opts.workers, 255));
  const pending = new Map<number, Pending>();
  /** Batches sent, oldest first; the head is written as soon as all its answers are in. */
  const queue: Pending[] = [];
  let nextId = 1;
  let failure: Error | undefined;
  let closing = false;
  let blocked = false; // the output asked to wait for `drain`
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  /** Writes every answered batch at the head of the queue (a pipe gets its answers without waiting for more input). */
  const pump = () => {
    while (queue.length > 0 && queue[0]!.missing === 0 && !failure) {
      const p = queue.shift()!;
      pending.delete(p.seq);
      const merged = merge(p, nextId);
      nextId = merged.nextId;
      if (merged.out.length > 0 && !output.write(merged.out) && !blocked) {
        blocked = true;
        output.once('drain', () => {
          blocked = false;
          notify();
        });
      }
    }
    notify();
  };
  const fail = (err: Error) => {
    failure ??= err;
    notify();
  };
  /** The first worker's lexicon: undefined while it opens, true when ready, else the LexiconError's message. */
  let lexicon: true | string | undefined;
  const start = (w: number) => {
    const worker = new Worker(new URL('./scan-shard-worker.js', import.meta.url), {
      workerData: { lexiconDir: opts.lexiconDir, artifact: opts.artifact } satisfies ShardWorkerData,
    });
    worker.on('message', (a: ShardAnswer | ShardNotice) => {
      if (!('seq' in a)) {
        if ('warn' in a) onError(a.warn);
        else if (w === 0) (lexicon = 'ready' in a ? true : a.lexiconError), notify();
        return;
      }
      const p = pending.get(a.seq);
      if (!p) return;
      p.answers[w] = a;
      if (--p.missing === 0 && p === queue[0]) pump();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new Error(`scan worker ${w} exited (code ${code})`));
    });
    return worker;
  };
  /** Resolves once `ready()` holds (checked after each answer, drain or failure). */
  const until = async (ready: () => boolean) => {
    while (!ready() && !failure) await new Promise<void>((r) => (wake = r));
    if (failure) throw failure;
  };
  // The first worker opens the lexicon, refreshing the artifact if it must (and reports why); the
  // others start when it is ready and load the fresh artifact.
  const workers = [start(0)];
  try {
    await until(() => lexicon !== undefined);
  } catch (err) {
    if (lexicon === undefined) {
      closing = true;
      await workers[0]!.terminate();
      throw err;
    }
  }
  if (lexicon !== true) {
    closing = true;
    await workers[0]!.terminate();
    onError(`pkguard scan: ${lexicon}`);
    return 1;
  }
  for (let w = 1; w < n; w++) workers.push(start(w));

  const router = new Router(n);
  let seq = 0;
  let code = 0;
  try {
    try {
      for await (const bytes of ndjsonByteBlocks(input)) {
        if (failure) throw failure;
        const p = router.route(bytes, seq++);
        if (p.lines === 0) continue;
        pending.set(p.seq, p);
        queue.push(p);
        for (let w = 0; w < n; w++) {
          const batch = router.shard(w);
          if (batch !== undefined) workers[w]!.postMessage({ seq: p.seq, bytes: batch } satisfies ShardBatch, [batch.buffer as ArrayBuffer]);
        }
        await until(() => queue.length < IN_FLIGHT && !blocked);
      }
    } catch (err) {
      if (failure) throw failure;
      code = 1;
      onError(`pkguard scan: cannot read input: ${(err as Error).message}`);
    }
    // What was read is answered, as the single-threaded loop does before it reports a read error.
    await until(() => queue.length === 0 && !blocked);
  } finally {
    closing = true;
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return code;
}

/** Splits blocks of lines (bytes) into per-worker batches; remembers which worker holds each stream. */
class Router {
  readonly #n: number;
  readonly #streams = new Map<string, number>();
  /** Lines sent to each worker so far: new streams and runs of free lines go to the least loaded. */
  readonly #load: number[];
  #free = 0;
  #parts: (Buffer | undefined)[];
  #sizes: number[];
  readonly #fields = new RequestFields();
  #route = new Uint8Array(1 << 14);

  constructor(n: number) {
    this.#n = n;
    this.#load = new Array<number>(n).fill(0);
    this.#parts = new Array<Buffer | undefined>(n).fill(undefined);
    this.#sizes = new Array<number>(n).fill(0);
  }

  /** Routes the lines of one block (whole lines, bytes). */
  route(bytes: Buffer, seq: number): Pending {
    const n = this.#n;
    const load = this.#load;
    const sizes = this.#sizes.fill(0);
    // Each worker's batch can hold the whole block; trimmed to size when sent.
    for (let w = 0; w < n; w++) this.#parts[w] = Buffer.allocUnsafeSlow(bytes.length + 1);
    let route = this.#route;
    let lines = 0;
    const end = bytes.length;
    // Lines with neither `"stream"` nor a backslash (an escaped key) cannot name a stream: one search
    // each over the block finds the lines that need a closer look.
    let nextStream = bytes.indexOf('"stream"');
    let nextBackslash = bytes.indexOf(0x5c);
    // A run: consecutive lines going to one worker unchanged, copied together.
    let runStart = 0;
    let runEnd = 0;
    let runWorker = -1;
    for (let at = 0; at < end; ) {
      let nl = bytes.indexOf(0x0a, at);
      if (nl < 0) nl = end;
      const next = nl + 1;
      let stop = nl;
      if (stop > at && bytes[stop - 1] === 0x0d) stop--;
      if (bytes[at] !== 0x7b && blank(bytes.toString('utf8', at, stop))) {
        at = next;
        continue;
      }
      if (nextStream >= 0 && nextStream < at) nextStream = bytes.indexOf('"stream"', at);
      if (nextBackslash >= 0 && nextBackslash < at) nextBackslash = bytes.indexOf(0x5c, at);
      const look = (nextStream >= 0 && nextStream < stop) || (nextBackslash >= 0 && nextBackslash < stop);
      const stream = look ? this.#streamOf(bytes.toString('utf8', at, stop)) : undefined;
      let w: number;
      if (stream !== undefined) {
        let held = this.#streams.get(stream);
        if (held === undefined) this.#streams.set(stream, (held = leastLoaded(load)));
        w = held;
      } else {
        if (load[this.#free]! > load[leastLoaded(load)]! + RUN) this.#free = leastLoaded(load);
        w = this.#free;
      }
      load[w]!++;
      if (lines === route.length) {
        const grown = new Uint8Array(route.length * 2);
        grown.set(route);
        this.#route = route = grown;
      }
      route[lines++] = w;
      // Extend the run when this line follows it unchanged (same worker, nothing dropped between, `\n` kept).
      if (w === runWorker && at === runEnd && stop === nl && nl < end) runEnd = next;
      else {
        if (runWorker >= 0) sizes[runWorker] = this.#copy(bytes, runWorker, runStart, runEnd, sizes[runWorker]!);
        if (stop === nl && nl < end) {
          runWorker = w;
          runStart = at;
          runEnd = next;
        } else {
          // A CR dropped or no final `\n`: copied on its own, with a `\n`.
          sizes[w] = this.#copy(bytes, w, at, stop, sizes[w]!);
          this.#parts[w]![sizes[w]!++] = 0x0a;
          runWorker = -1;
        }
      }
      at = next;
    }
    if (runWorker >= 0) sizes[runWorker] = this.#copy(bytes, runWorker, runStart, runEnd, sizes[runWorker]!);
    let missing = 0;
    for (let w = 0; w < n; w++) if (sizes[w]! > 0) missing++;
    return { seq, route: route.slice(0, lines), lines, answers: new Array(n).fill(undefined), missing };
  }

  #copy(bytes: Buffer, w: number, from: number, to: number, size: number): number {
    return size + bytes.copy(this.#parts[w]!, size, from, to);
  }

  /** The batch for worker `w` from the last `route`, or undefined when it got no line. */
  shard(w: number): Uint8Array | undefined {
    const size = this.#sizes[w]!;
    const part = this.#parts[w]!;
    this.#parts[w] = undefined;
    if (size === 0) return undefined;
    // Transferred whole: a copy when the batch is much smaller than the buffer it was gathered in.
    return size * 2 < part.length ? new Uint8Array(part.subarray(0, size)) : new Uint8Array(part.buffer, 0, size);
  }

  /**
   * The stream whose carried state scanning `line` reads or writes, else undefined: the same
   * condition as scanLine / scanLineParsed (a `stream` string and a kind other than chat).
   */
  #streamOf(line: string): string | undefined {
    if (line.length > MAX_LINE_UNITS) return undefined; // answered with an error, scans nothing
    const f = this.#fields;
    if (readRequest(line, f)) return f.kind !== KIND_CHAT ? f.stream : undefined;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      return undefined;
    }
    if (typeof v !== 'object' || v === null) return undefined;
    const { stream, kind } = v as { stream?: unknown; kind?: unknown };
    return typeof stream === 'string' && kind !== 'chat' ? stream : undefined;
  }
}

function leastLoaded(load: number[]): number {
  let best = 0;
  for (let w = 1; w < load.length; w++) if (load[w]! < load[best]!) best = w;
  return best;
}

/** The batch's answers (bytes) in input order, flag ids renumbered from `nextId`. */
function merge(p: Pending, nextId: number): { out: Buffer; nextId: number } {
  const k = p.answers.length;
  const outs = p.answers.map((a) => (a ? Buffer.from(a.out.buffer, a.out.byteOffset, a.out.byteLength) : undefined));
  // Renumbered ids only grow (the global count is at least a worker's), by at most all their digits.
  let size = 0;
  let flags = 0;
  for (let w = 0; w < k; w++) {
    size += outs[w]?.length ?? 0;
    const t = p.answers[w]?.flagged;
    if (t) for (let j = 2; j < t.length; j += 3) flags += t[j]!;
  }
  const out = Buffer.allocUnsafeSlow(size + flags * String(nextId + flags).length);
  let written = 0;
  const at = new Array<number>(k).fill(0);
  const index = new Array<number>(k).fill(0);
  const flaggedAt = new Array<number>(k).fill(0);
  // A run: consecutive lines from one worker with nothing to renumber, copied together.
  let runWorker = -1;
  let runStart = 0;
  const flush = (w: number) => {
    written += outs[w]!.copy(out, written, runStart, at[w]);
    runWorker = -1;
  };
  for (let i = 0; i < p.lines; i++) {
    const w = p.route[i]!;
    const o = outs[w]!;
    const flagged = p.answers[w]!.flagged;
    const f = flaggedAt[w]!;
    const start = at[w]!;
    const end = o.indexOf(0x0a, start) + 1;
    if (f < flagged.length && flagged[f] === index[w]) {
      if (runWorker >= 0) flush(runWorker);
      written += out.write(renumber(o.toString('latin1', start, end), flagged[f + 1]!, nextId), written, 'latin1');
      nextId += flagged[f + 2]!;
      flaggedAt[w] = f + 3;
    } else if (runWorker !== w) {
      if (runWorker >= 0) flush(runWorker);
      runWorker = w;
      runStart = start;
    }
    at[w] = end;
    index[w]!++;
  }
  if (runWorker >= 0) flush(runWorker);
  return { out: out.subarray(0, written), nextId };
}

const FLAG_START = '{"id":"f';

/**
 * `line` with each flag id `f<k>` (the worker's numbering, from `first`) made `f<next + k - first>`.
 * Inside `"flags":[…]` the text `{"id":"f` only starts a flag: in a JSON string a quote is escaped.
 * `line` may be UTF-8 bytes read as latin1: only ASCII digits change.
 */
export function renumber(line: string, first: number, next: number): string {
  let from = 0;
  let out = '';
  for (let k = line.indexOf(FLAG_START, line.indexOf('"flags":[')); k >= 0; k = line.indexOf(FLAG_START, from)) {
    const digits = k + FLAG_START.length;
    let end = digits;
    while (end < line.length && line.charCodeAt(end) >= 0x30 && line.charCodeAt(end) <= 0x39) end++;
    out += line.slice(from, digits) + String(next + Number(line.slice(digits, end)) - first);
    from = end;
  }
  return out + line.slice(from);
}
