/**
 * The SQLite log's writer thread: owns the one read-write connection, commits each batch it is sent
 * as one transaction (WAL, `synchronous` as configured: FULL syncs the WAL at every commit, NORMAL
 * only at checkpoints), and replies once the commit has returned, so the main thread's event loop
 * never waits on SQLite's CPU or its fsync.
 *
 * Messages in: `{ type: 'batch', id, streams, kinds, bodies }` (parallel arrays, one row each),
 * `{ type: 'close' }`. Out: `{ type: 'ready' }`, `{ type: 'done', id, lastSeq, commitMs }`,
 * `{ type: 'error', id, message }`, `{ type: 'closed' }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadSqlite } from './sqlite.js';

export interface WorkerConfig {
  sqliteDir: string;
  path: string;
  synchronous: 'FULL' | 'NORMAL';
  /** The index on `stream` (for drill-down reads); off only for the reference row that prices it. */
  index: boolean;
}

export interface BatchMessage {
  type: 'batch';
  id: number;
  streams: (string | null)[];
  kinds: string[];
  bodies: string[];
}

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'done'; id: number; lastSeq: number; commitMs: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'closed' }
  | { type: 'fatal'; message: string };

export const TABLE = `
CREATE TABLE IF NOT EXISTS log (
  seq    INTEGER PRIMARY KEY,
  stream TEXT,
  kind   TEXT NOT NULL,
  body   TEXT NOT NULL
)`;
export const INDEX = 'CREATE INDEX IF NOT EXISTS log_stream ON log(stream)';

const port = parentPort!;
const cfg = workerData as WorkerConfig;
try {
  const Database = await loadSqlite(cfg.sqliteDir);
  const db = new Database(cfg.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${cfg.synchronous}`);
  db.exec(TABLE);
  if (cfg.index) db.exec(INDEX);
  const insert = db.prepare('INSERT INTO log (stream, kind, body) VALUES (?, ?, ?)');
  let lastSeq = 0;
  const commit = db.transaction((m: BatchMessage) => {
    for (let i = 0; i < m.bodies.length; i++) lastSeq = Number(insert.run(m.streams[i], m.kinds[i], m.bodies[i]).lastInsertRowid);
  });
  port.on('message', (m: BatchMessage | { type: 'close' }) => {
    if (m.type === 'close') {
      db.close(); // checkpoints the WAL into the database file and removes it
      port.postMessage({ type: 'closed' } satisfies WorkerReply);
      port.close();
      return;
    }
    const t0 = performance.now();
    try {
      commit(m);
      port.postMessage({ type: 'done', id: m.id, lastSeq, commitMs: performance.now() - t0 } satisfies WorkerReply);
    } catch (err) {
      port.postMessage({ type: 'error', id: m.id, message: (err as Error).message } satisfies WorkerReply);
    }
  });
  port.postMessage({ type: 'ready' } satisfies WorkerReply);
} catch (err) {
  port.postMessage({ type: 'fatal', message: (err as Error).message } satisfies WorkerReply);
}
