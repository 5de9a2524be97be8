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
 * Why: the scan itself is ~75% of the CLI's time once reading and writing are cheap (issue 16).
 */
import { Worker } from 'node:worker_threads';
import type { Writable } from 'node:stream';
import { LineCursor, ndjsonBlocks, type ByteSource } from './ndjson-lines.js';
import { blank, MAX_LINE_UNITS, writeOut } from './scan.js';
import { KIND_CHAT, readRequest, RequestFields } from './scan-request.js';
import type { ShardAnswer, ShardBatch, ShardWorkerData } from './scan-shard-worker.js';

export interface ShardOptions {
  workers: number;
  lexiconDir: string | undefined;
  artifact: string | undefined;
}

/** Blocks in flight before the reader waits for the oldest to be written (bounds memory). */
const IN_FLIGHT = 4;

interface Pending {
  seq: number;
  /** Worker of each non-blank line, in input order. */
  route: Uint8Array;
  lines: number;
  answers: (ShardAnswer | undefined)[];
  missing: number;
  done: Promise<void>;
  resolve: () => void;
}

export async function runScanSharded(input: ByteSource, output: Writable, onError: (msg: string) => void, opts: ShardOptions): Promise<number> {
  const n = Math.max(1, Math.min(opts.workers, 255));
  const pending = new Map<number, Pending>();
  let failure: Error | undefined;
  let closing = false;
  const fail = (err: Error) => {
    failure ??= err;
    for (const p of pending.values()) p.resolve();
  };
  const workers = Array.from({ length: n }, (_, w) => {
    const worker = new Worker(new URL('./scan-shard-worker.js', import.meta.url), {
      workerData: { lexiconDir: opts.lexiconDir, artifact: opts.artifact } satisfies ShardWorkerData,
    });
    worker.on('message', (a: ShardAnswer) => {
      const p = pending.get(a.seq);
      if (!p) return;
      p.answers[w] = a;
      if (--p.missing === 0) p.resolve();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!closing) fail(new Error(`scan worker ${w} exited (code ${code})`));
    });
    return worker;
  });

  const router = new Router(n);
  const cursor = new LineCursor();
  const queue: Pending[] = [];
  let nextId = 1;
  let seq = 0;
  const writeOldest = async () => {
    const p = queue.shift()!;
    await p.done;
    pending.delete(p.seq);
    if (failure) throw failure;
    const merged = merge(p, nextId);
    nextId = merged.nextId;
    await writeOut(output, merged.out);
  };
  let code = 0;
  try {
    try {
      for await (const blocks of ndjsonBlocks(input)) {
        if (failure) throw failure;
        const p = router.route(blocks, cursor, seq++);
        if (p.lines === 0) continue;
        pending.set(p.seq, p);
        queue.push(p);
        for (let w = 0; w < n; w++) {
          const lines = router.shard(w);
          if (lines !== undefined) workers[w]!.postMessage({ seq: p.seq, lines } satisfies ShardBatch);
        }
        if (queue.length >= IN_FLIGHT) await writeOldest();
      }
    } catch (err) {
      if (failure) throw failure;
      code = 1;
      onError(`pkguard scan: cannot read input: ${(err as Error).message}`);
    }
    // What was read is answered, as the single-threaded loop does before it reports a read error.
    while (queue.length > 0) await writeOldest();
  } finally {
    closing = true;
    pending.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return code;
}

/** Splits blocks into per-worker batches; remembers which worker holds each stream. */
class Router {
  readonly #n: number;
  readonly #streams = new Map<string, number>();
  /** Lines sent to each worker so far: new streams and free lines go to the least loaded. */
  readonly #load: number[];
  #parts: string[];
  readonly #fields = new RequestFields();
  #route = new Uint8Array(1 << 14);

  constructor(n: number) {
    this.#n = n;
    this.#load = new Array<number>(n).fill(0);
    this.#parts = new Array<string>(n).fill('');
  }

  /** Routes the lines of one input chunk's blocks. */
  route(blocks: readonly string[], cursor: LineCursor, seq: number): Pending {
    const n = this.#n;
    const load = this.#load;
    const parts = this.#parts.fill('');
    let route = this.#route;
    let lines = 0;
    for (const block of blocks) {
      for (let at = 0; at < block.length; at = cursor.end) {
        const line = cursor.next(block, at);
        if (blank(line)) continue;
        const stream = this.#streamOf(line);
        let w: number;
        if (stream !== undefined) {
          let held = this.#streams.get(stream);
          if (held === undefined) this.#streams.set(stream, (held = leastLoaded(load)));
          w = held;
        } else w = leastLoaded(load);
        load[w]!++;
        parts[w] += line + '\n';
        if (lines === route.length) {
          const grown = new Uint8Array(route.length * 2);
          grown.set(route);
          this.#route = route = grown;
        }
        route[lines++] = w;
      }
    }
    let missing = 0;
    for (let w = 0; w < n; w++) if (parts[w]!.length > 0) missing++;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    return { seq, route: route.slice(0, lines), lines, answers: new Array(n).fill(undefined), missing, done, resolve };
  }

  /** The batch for worker `w` from the last `route`, or undefined when it got no line. */
  shard(w: number): string | undefined {
    const s = this.#parts[w]!;
    return s.length > 0 ? s : undefined;
  }

  /**
   * The stream whose carried state scanning `line` reads or writes, else undefined: the same
   * condition as scanLine / scanLineParsed (a `stream` string and a kind other than chat). A line
   * with neither `"stream"` nor a backslash (an escaped key) in it cannot name one.
   */
  #streamOf(line: string): string | undefined {
    if (line.indexOf('"stream"') < 0 && line.indexOf('\\') < 0) return undefined;
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

/** The block's answers in input order, flag ids renumbered from `nextId`. */
function merge(p: Pending, nextId: number): { out: string; nextId: number } {
  const at = new Array<number>(p.answers.length).fill(0);
  const index = new Array<number>(p.answers.length).fill(0);
  const flaggedAt = new Array<number>(p.answers.length).fill(0);
  let out = '';
  for (let i = 0; i < p.lines; i++) {
    const w = p.route[i]!;
    const a = p.answers[w]!;
    const start = at[w]!;
    const end = a.out.indexOf('\n', start) + 1;
    at[w] = end;
    const k = flaggedAt[w]!;
    if (k < a.flagged.length && a.flagged[k] === index[w]) {
      out += renumber(a.out.slice(start, end), a.flagged[k + 1]!, nextId);
      nextId += a.flagged[k + 2]!;
      flaggedAt[w] = k + 3;
    } else out += a.out.slice(start, end);
    index[w]!++;
  }
  return { out, nextId };
}

const FLAG_START = '{"id":"f';

/**
 * `line` with each flag id `f<k>` (the worker's numbering, from `first`) made `f<next + k - first>`.
 * Inside `"flags":[…]` the text `{"id":"f` only starts a flag: in a JSON string a quote is escaped.
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
