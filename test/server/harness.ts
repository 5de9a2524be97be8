/**
 * Runs the built server (`dist/src/cli/main.js serve`) as a child process on a free port with a
 * temp journal, and connects real `ws` clients to it. `npm test` builds first, so dist is current.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import WebSocket from 'ws';

export const MAIN = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

export const TOKENS = {
  ingest: ['ingest-token-0123456789abcdef'],
  moderator: ['moderator-token-0123456789abcdef'],
  control: ['control-token-0123456789abcdef'],
};

export interface ServerProcess {
  port: number;
  dir: string;
  proc: ChildProcess;
  /** Parsed pino lines so far. */
  logs: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  url(path: string, token?: string): string;
}

/**
 * Servers still running when a test file ends (a test that failed before its `stop()`) are
 * killed, so none outlives its file and holds ports, disk and CPU under the next ones.
 */
const running = new Set<ChildProcess>();
const killRunning = () => {
  for (const proc of running) proc.kill('SIGKILL');
};
afterAll(killRunning);
process.once('exit', killRunning);

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pkguard-server-'));
}

/** Starts a server; `dir` reuses a journal (crash tests), `config` is merged over test defaults. */
export async function startServer(opts: { dir?: string; config?: Record<string, unknown>; env?: Record<string, string> } = {}): Promise<ServerProcess> {
  const dir = opts.dir ?? tempDir();
  const config = {
    port: 0,
    host: '127.0.0.1',
    tokens: TOKENS,
    journal: { dir: join(dir, 'journal') },
    watchLexicons: false,
    logLevel: 'info',
    ...opts.config,
    // Tests stop many servers: no drain notice unless a test asks for one.
    limits: { drainNoticeMs: 0, ...(opts.config?.limits as object | undefined) },
  };
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const proc = spawn(process.execPath, [MAIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  const logs: Record<string, unknown>[] = [];
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let buffered = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (rec.event === 'listening') {
            clearTimeout(timer);
            resolve(rec.port as number);
          }
        } catch {
          /* not a log line */
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${err}`));
    });
  });
  return {
    port,
    dir,
    proc,
    logs,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    url: (path, token) => `ws://127.0.0.1:${port}${path}${token ? `${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}` : ''}`,
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A ws client that queues what it receives, so tests can wait for a message by shape. */
export class Client {
  readonly ws: WebSocket;
  readonly received: Record<string, unknown>[] = [];
  #waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  closed: Promise<{ code: number; reason: string }>;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      // The server answers a batch frame with one array frame; flatten it.
      const parsed = JSON.parse(data.toString()) as Record<string, unknown> | Record<string, unknown>[];
      for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
        this.received.push(m);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.match(m)) return true;
          w.resolve(m);
          return false;
        });
      }
    });
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, perMessageDeflate: false });
      const client = new Client(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first received message (past or future) matching `match`. */
  next(match: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const seen = this.received.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; received: ${JSON.stringify(this.received.slice(-5))}`)), timeoutMs);
      this.#waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  ack(stream: string, seq: number, timeoutMs?: number) {
    return this.next((m) => m.type === 'ack' && m.stream === stream && m.seq === seq, timeoutMs);
  }

  of(type: string): Record<string, unknown>[] {
    return this.received.filter((m) => m.type === type);
  }

  close(): void {
    this.ws.close();
  }
}

/** The HTTP status a refused upgrade gets. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err);
    });
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
