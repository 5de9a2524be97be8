/**
 * The two logs under test behind one small interface: the real file `Journal` (dist/src/journal),
 * and a SQLite log whose writer is a worker thread (sqlite-worker.ts), fed the way the Journal is
 * fed: every append of one event-loop turn is one batch, one batch in flight, the next batch is
 * what piled up meanwhile (group commit), and each append resolves when its batch is durable.
 *
 * Each contender also reads a filled store back in order (recovery) and answers "the 20 records of
 * stream X around log position Y" (the console's drill-down): SQLite by its index, the Journal by
 * scanning its segments (all of them, or, as a Journal could with a per-segment position table,
 * only from the segment holding Y).
 */
import { readdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Journal } from '../../src/journal/journal.js';
import { readLines } from '../../src/journal/lines.js';
import type { SnapshotState } from '../../src/stream/log.js';
import { checkRecord } from '../../src/stream/record-schema.js';
import type { StreamRecord } from '../../src/stream/records.js';
import type { BatchMessage, WorkerConfig, WorkerReply } from './sqlite-worker.js';
import type { Database, DatabaseConstructor } from './sqlite.js';

/** An open log taking appends. `commits` collects each durable batch's write+fsync (commit) time. */
export interface OpenLog {
  append(records: readonly StreamRecord[]): Promise<void>;
  close(): Promise<void>;
  readonly commits: { count: number; records: number; ms: number[] };
}

export interface Contender {
  readonly name: string;
  /** A fresh, empty log at `path` (a directory or a database file). */
  open(path: string): Promise<OpenLog>;
  /** Files the log at `path` occupies (for size and page-cache eviction). */
  files(path: string): string[];
  /** Reads every record back in order, as a restart does; returns the count. `validate`: JSON.parse + checkRecord, as a replay must; otherwise JSON.parse only. */
  readAll(path: string, validate: boolean): Promise<number>;
  /** A reader for drill-down queries on a filled log (opened once, as a server would keep it). */
  reader(path: string): Promise<AroundReader>;
}

export interface AroundReader {
  /** Bodies of the `half` records of `stream` at or before log position `pos` and the `half` after it, in order. */
  around(stream: string, pos: number, half: number): Promise<string[]>;
  close(): void;
  /**
   * The same answer found another way: the Journal from a sparse in-memory index of byte offsets (a
   * patch it does not have today), SQLite by a rowid window `NOT INDEXED` (what it could do without
   * the stream index and its write cost).
   */
  readonly sparse?: AroundReader;
}

const SNAPSHOT: SnapshotState = { nextFlag: 1, shutdown: [], epochs: {}, seqs: {} };
const segmentFiles = (dir: string) => readdirSync(dir).filter((n) => /^segment-\d{12}\.ndjson$/.test(n)).sort().map((n) => join(dir, n));

export const journalContender: Contender = {
  name: 'journal (files, fdatasync)',
  async open(dir) {
    const commits = { count: 0, records: 0, ms: [] as number[] };
    const journal = await Journal.open({
      dir,
      fsync: true,
      snapshot: () => SNAPSHOT,
      warn: (event, detail) => console.error(`journal warning: ${event} ${JSON.stringify(detail)}`),
      onWrite: (records, _bytes, seconds) => {
        commits.count++;
        commits.records += records;
        commits.ms.push(seconds * 1000);
      },
    });
    for await (const _ of journal.replay());
    return { append: (r) => journal.append(r), close: () => journal.close(), commits };
  },
  files: segmentFiles,
  async readAll(dir, validate) {
    let n = 0;
    if (validate) {
      const journal = await Journal.open({ dir, snapshot: () => SNAPSHOT, warn: (e) => console.error(`journal warning: ${e}`) });
      for await (const r of journal.replay()) if (r.t !== 'snapshot') n++;
      await journal.close();
      return n;
    }
    for (const path of segmentFiles(dir))
      for await (const line of readLines(path)) {
        const v = JSON.parse(line) as { t: string };
        if (v.t !== 'snapshot') n++;
      }
    return n;
  },
  async reader(dir) {
    return journalReader(segmentFiles(dir), await sparseIndex(segmentFiles(dir)));
  },
};

/** Every `SPARSE`th record's place: which segment, at which byte. What a Journal could note as it replays and appends (~1,000 entries per million records). */
const SPARSE = 1024;
interface Mark {
  seg: number;
  offset: number;
  /** Log position of the record starting at `offset` (1-based, snapshots not counted). */
  pos: number;
}

async function sparseIndex(segs: string[]): Promise<Mark[]> {
  const marks: Mark[] = [];
  let pos = 0;
  for (let seg = 0; seg < segs.length; seg++)
    for await (const { line, offset } of linesFrom(segs[seg]!, 0)) {
      if (isSnapshot(line)) continue;
      if (pos % SPARSE === 0) marks.push({ seg, offset, pos: pos + 1 });
      pos++;
    }
  return marks;
}

/**
 * Complete lines of a segment from byte `start` (a line start), undecoded, each with the byte
 * offset it starts at. A line's bytes are valid until the next one is asked for.
 */
async function* linesFrom(path: string, start: number): AsyncGenerator<{ line: Buffer; offset: number }> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(256 * 1024);
    let carry = Buffer.alloc(0);
    let offset = start; // file offset of carry[0]
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset + carry.length);
      if (bytesRead === 0) return;
      const data = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let from = 0;
      for (let nl = data.indexOf(10); nl !== -1; nl = data.indexOf(10, from)) {
        if (nl > from) yield { line: data.subarray(from, nl), offset: offset + from };
        from = nl + 1;
      }
      carry = Buffer.from(data.subarray(from));
      offset += from;
    }
  } finally {
    await fh.close();
  }
}

const SNAPSHOT_PREFIX = Buffer.from('{"t":"snapshot"');
const isSnapshot = (line: Buffer) => line.length >= SNAPSHOT_PREFIX.length && SNAPSHOT_PREFIX.equals(line.subarray(0, SNAPSHOT_PREFIX.length));

/**
 * `around` scans the segments from the first, as the Journal's own readers do today.
 * `sparse.around` starts a window of records before `pos` (from the sparse index), doubling it
 * until it holds `half` records of the stream.
 */
function journalReader(segs: string[], marks: Mark[]): AroundReader {
  const scan = async (stream: string, pos: number, half: number, mark: Mark): Promise<string[] | undefined> => {
    const needle = Buffer.from(`"stream":${JSON.stringify(stream)},`);
    const before: string[] = [];
    const after: string[] = [];
    let p = mark.pos - 1;
    for (let seg = mark.seg; seg < segs.length; seg++) {
      for await (const { line } of linesFrom(segs[seg]!, seg === mark.seg ? mark.offset : 0)) {
        if (isSnapshot(line)) continue;
        p++;
        if (line.indexOf(needle) === -1) continue;
        if (p <= pos) {
          before.push(line.toString('utf8'));
          if (before.length > half) before.shift();
        } else {
          after.push(line.toString('utf8'));
          if (after.length === half) break;
        }
      }
      if (after.length === half) break;
    }
    if (before.length < half && mark.pos > 1) return undefined; // window too short: the caller widens it
    return [...before, ...after];
  };
  return {
    around: async (stream, pos, half) => (await scan(stream, pos, half, marks[0]!))!,
    close() {},
    sparse: {
      async around(stream, pos, half) {
        for (let window = 4 * SPARSE; ; window *= 2) {
          const i = Math.max(0, Math.floor((pos - window) / SPARSE));
          const got = await scan(stream, pos, half, marks[i]!);
          if (got) return got;
        }
      },
      close() {},
    },
  };
}

/** The SQLite log (writer in a worker thread, `synchronous` FULL or NORMAL). */
export function sqliteContender(Database: DatabaseConstructor, sqliteDir: string, synchronous: 'FULL' | 'NORMAL', index = true): Contender {
  return {
    name: `sqlite WAL, synchronous=${synchronous}${index ? '' : ', no stream index'}`,
    open: (path) => SqliteLog.open({ sqliteDir, path, synchronous, index }),
    files: (path) => [path, `${path}-wal`, `${path}-shm`].filter((p) => statSync(p, { throwIfNoEntry: false })),
    async readAll(path, validate) {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      let n = 0;
      try {
        for (const body of db.prepare('SELECT body FROM log ORDER BY seq').pluck().iterate()) {
          const v = JSON.parse(body as string) as unknown;
          if (validate && !checkRecord(v).ok) throw new Error('invalid record');
          n++;
        }
      } finally {
        db.close();
      }
      return n;
    },
    async reader(path) {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      const before = db.prepare('SELECT body FROM log WHERE stream = ? AND seq <= ? ORDER BY seq DESC LIMIT ?').pluck();
      const after = db.prepare('SELECT body FROM log WHERE stream = ? AND seq > ? ORDER BY seq ASC LIMIT ?').pluck();
      // Without the index: rowid ranges, the window before `pos` doubling until it holds `half` rows.
      const beforeW = db.prepare('SELECT body FROM log NOT INDEXED WHERE seq > ? AND seq <= ? AND stream = ? ORDER BY seq DESC LIMIT ?').pluck();
      const afterW = db.prepare('SELECT body FROM log NOT INDEXED WHERE seq > ? AND stream = ? ORDER BY seq ASC LIMIT ?').pluck();
      return {
        around: async (stream, pos, half) => [...(before.all(stream, pos, half) as string[]).reverse(), ...(after.all(stream, pos, half) as string[])],
        close: () => db.close(),
        sparse: {
          async around(stream, pos, half) {
            let rows: string[] = [];
            for (let window = 4096; ; window *= 2) {
              rows = beforeW.all(Math.max(0, pos - window), pos, stream, half) as string[];
              if (rows.length === half || pos - window <= 0) break;
            }
            return [...rows.reverse(), ...(afterW.all(pos, stream, half) as string[])];
          },
          close() {},
        },
      };
    },
  };
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Main-thread side of the SQLite log: group commit as the Journal does it, the commit in the worker. */
class SqliteLog implements OpenLog {
  readonly commits = { count: 0, records: 0, ms: [] as number[] };
  readonly #worker: Worker;
  #batch: BatchMessage;
  #waiters: Waiter[] = [];
  #inFlight: Waiter[] | undefined;
  #inFlightRecords = 0;
  #scheduled = false;
  #nextId = 1;
  #closed: (() => void) | undefined;
  #failure: Error | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    this.#batch = this.#empty();
    worker.on('message', (m: WorkerReply) => this.#reply(m));
    worker.on('error', (err) => this.#fail(err));
  }

  static async open(cfg: WorkerConfig): Promise<SqliteLog> {
    const worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: cfg });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (m: WorkerReply) => (m.type === 'ready' ? resolve() : reject(new Error(m.type === 'fatal' ? m.message : `unexpected ${m.type}`))));
      worker.once('error', reject);
    });
    return new SqliteLog(worker);
  }

  append(records: readonly StreamRecord[]): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    const b = this.#batch;
    for (const r of records) {
      b.bodies.push(JSON.stringify(r));
      b.kinds.push(r.t);
      b.streams.push('stream' in r ? r.stream : null);
    }
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#inFlight && !this.#scheduled) {
      this.#scheduled = true;
      // As the Journal: everything appended in this turn of the event loop goes in one batch.
      setImmediate(() => {
        this.#scheduled = false;
        this.#send();
      });
    }
    return done;
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = () => {
        this.#closed = resolve;
        this.#worker.postMessage({ type: 'close' });
      };
      if (!this.#inFlight && this.#waiters.length === 0) finish();
      else this.#waiters.push({ resolve: finish, reject: finish });
      if (!this.#inFlight && !this.#scheduled) this.#send();
    });
  }

  #empty(): BatchMessage {
    return { type: 'batch', id: 0, streams: [], kinds: [], bodies: [] };
  }

  #send(): void {
    if (this.#inFlight || this.#waiters.length === 0) return;
    const batch = this.#batch;
    batch.id = this.#nextId++;
    this.#inFlight = this.#waiters;
    this.#waiters = [];
    this.#batch = this.#empty();
    if (batch.bodies.length === 0) {
      // Only a close waiting: nothing to commit.
      const ws = this.#inFlight;
      this.#inFlight = undefined;
      for (const w of ws) w.resolve();
      return;
    }
    this.#inFlightRecords = batch.bodies.length;
    this.#worker.postMessage(batch);
  }

  #reply(m: WorkerReply): void {
    if (m.type === 'closed') {
      void this.#worker.terminate();
      this.#closed?.();
      return;
    }
    const ws = this.#inFlight ?? [];
    this.#inFlight = undefined;
    if (m.type === 'done') {
      this.commits.count++;
      this.commits.records += this.#inFlightRecords;
      this.commits.ms.push(m.commitMs);
      for (const w of ws) w.resolve();
    } else {
      const err = new Error(m.type === 'error' || m.type === 'fatal' ? m.message : `unexpected ${m.type}`);
      this.#failure ??= err;
      for (const w of [...ws, ...this.#waiters]) w.reject(err);
      this.#waiters = [];
      this.#batch = this.#empty();
    }
    this.#send();
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const w of [...(this.#inFlight ?? []), ...this.#waiters]) w.reject(err);
    this.#inFlight = undefined;
    this.#waiters = [];
  }
}

export type { Database };
