/**
 * The server under test, as its own process: started on a free loopback port with a temp journal,
 * sampled from /proc (CPU and RSS, as `ps` would), and stopped with SIGTERM so a CPU profile, if
 * asked for, is written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import WebSocket from 'ws';
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const BENCH_TOKENS = { ingest: ['bench-ingest-token-0123456789'], moderator: ['bench-moderator-token-0123456789'], control: ['bench-control-token-0123456789'] };

export interface ServerUnderTest {
  url: string;
  pid: number;
  proc: ChildProcess;
  dir: string;
  stop(): Promise<void>;
  /** Path of the CPU profile written at stop, when started with `profile`. */
  profileDir: string | undefined;
  /** Started with `inspect`: a full garbage collection in the server, through the inspector protocol. */
  collectGarbage(): Promise<void>;
  /** Started with `inspect`: writes a V8 heap snapshot of the server to `path`. */
  heapSnapshot(path: string): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** `main`: another build's dist/src/cli/main.js (the A side of `--ab`). */
/** `inspect`: open the inspector on a loopback port, so the bench can force a GC (memory mode only). */
export async function startServerProcess(opts: { profile?: boolean; config?: Record<string, unknown>; main?: string; nice?: number; inspect?: boolean } = {}): Promise<ServerUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-bench-'));
  const port = await freePort();
  const config = {
    port,
    host: '127.0.0.1',
    tokens: BENCH_TOKENS,
    journal: { dir: join(dir, 'journal'), ...((opts.config?.journal as object | undefined) ?? {}) },
    watchLexicons: false,
    // Flags are logged at info, one line each; the bench measures the scan path, not the log.
    logLevel: 'warn',
    // Unpaced (the bench measures throughput), and no drain notice at stop.
    limits: { ratePerSecond: 1_000_000, rateBurst: 1_000_000, tokenRatePerSecond: 1_000_000, globalRatePerSecond: 1_000_000, drainNoticeMs: 0 },
    ...opts.config,
  };
  config.journal = { dir: join(dir, 'journal'), ...((opts.config?.journal as object | undefined) ?? {}) };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const profileDir = opts.profile ? join(dir, 'profile') : undefined;
  const args = [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(opts.inspect ? ['--inspect=127.0.0.1:0'] : []), opts.main ?? MAIN, 'serve', '--config', join(dir, 'config.json')];
  // `nice` execs node, so the pid is the server's; a negative niceness needs root (CAP_SYS_NICE).
  const proc = opts.nice !== undefined ? spawn('nice', ['-n', String(opts.nice), process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `ws://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: proc.pid!,
    proc,
    dir,
    profileDir,
    async collectGarbage() {
      await inspectorCall(stderr, 'HeapProfiler.collectGarbage');
    },
    async heapSnapshot(path: string) {
      const out = createWriteStream(path);
      await inspectorCall(stderr, 'HeapProfiler.takeHeapSnapshot', (m) => m.method === 'HeapProfiler.addHeapSnapshotChunk' && out.write((m.params as { chunk: string }).chunk));
      await new Promise((r) => out.end(r));
    },
    async stop() {
      if (proc.exitCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}

/** One inspector protocol call on the server's inspector (found in its stderr); `onEvent` sees the notifications before the answer. */
async function inspectorCall(stderr: string, method: string, onEvent?: (m: { method?: string; params?: unknown }) => unknown): Promise<void> {
  const inspector = /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
  if (!inspector) throw new Error('server not started with inspect');
  const ws = new WebSocket(inspector, { maxPayload: 2 ** 30 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await new Promise<void>((resolve) => {
    ws.on('message', (d: Buffer) => {
      const m = JSON.parse(d.toString()) as { id?: number; method?: string; params?: unknown };
      if (m.id === 1) resolve();
      else onEvent?.(m);
    });
    ws.send(JSON.stringify({ id: 1, method }));
  });
  ws.close();
}

export function removeServerDir(s: ServerUnderTest): void {
  rmSync(s.dir, { recursive: true, force: true });
}

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
export function sampleProcess(pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
  } catch {
    return undefined;
  }
}

/**
 * A process and its children, by pid: a node with `processes` > 1 is a primary and its owner
 * processes, and its CPU is theirs together. From /proc/<pid>/stat's ppid (this kernel has no
 * /proc/<pid>/task/<tid>/children).
 */
export function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

/** `sampleProcess` over the process and its children, with each one's CPU seconds (the first is `pid`). */
export function sampleTree(pid: number): { cpuSeconds: number; rssBytes: number; perProcess: Map<number, number> } | undefined {
  const perProcess = new Map<number, number>();
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const p of processTree(pid)) {
    const s = sampleProcess(p);
    if (!s) continue;
    perProcess.set(p, s.cpuSeconds);
    cpuSeconds += s.cpuSeconds;
    rssBytes += s.rssBytes;
  }
  return perProcess.has(pid) ? { cpuSeconds, rssBytes, perProcess } : undefined;
}

/** CPU seconds of each thread of a process and its children, by thread id (a process's main thread's id is its pid: `main`). */
export function sampleThreads(pid: number): Map<number, { name: string; cpuSeconds: number; main: boolean }> {
  const out = new Map<number, { name: string; cpuSeconds: number; main: boolean }>();
  for (const proc of processTree(pid)) {
    try {
      for (const tid of readdirSync(`/proc/${proc}/task`)) {
        try {
          const stat = readFileSync(`/proc/${proc}/task/${tid}/stat`, 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          out.set(Number(tid), { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpuSeconds: (Number(f[11]) + Number(f[12])) / 100, main: Number(tid) === proc });
        } catch {
          // the thread ended meanwhile
        }
      }
    } catch {
      // the process is gone
    }
  }
  return out;
}

/**
 * The threads that worked in a window, busiest first, in CPU µs per message: what bounds the rate
 * on a quiet machine is the busiest thread (each can have at most one core) and the sum (two cores).
 */
export function threadCosts(pid: number, before: ReturnType<typeof sampleThreads>, after: ReturnType<typeof sampleThreads>, messages: number): { thread: string; usPerMessage: number }[] {
  const rows: { thread: string; usPerMessage: number }[] = [];
  for (const [tid, a] of after) {
    const d = a.cpuSeconds - (before.get(tid)?.cpuSeconds ?? 0);
    // `main:<pid>`: the event-loop thread of an owner process (`processes` > 1).
    if (d > 0) rows.push({ thread: tid === pid ? 'main' : a.main ? `main:${tid}` : `${a.name}:${tid}`, usPerMessage: (d / Math.max(1, messages)) * 1e6 });
  }
  return rows.sort((x, y) => y.usPerMessage - x.usPerMessage).slice(0, 4);
}

/** Where a profile node's self time belongs, by the stage of the ingest path its code serves. */
const STAGES: [RegExp, string][] = [
  [/^\(garbage collector\)/, 'GC'],
  [/^\(idle\)/, 'idle'],
  [/^\(program\)/, 'V8/native (program)'],
  [/detect\/|match\/|normalize\//, 'scan (normalize, match, detect)'],
  [/escalate\//, 'escalation'],
  [/src\/node\//, 'owner processes: forward, links, merge (src/node)'],
  [/journal\/|^fdatasync |^fsync |^(write|writeBuffer) node:internal\/fs|node:internal\/fs\//, 'journal (serialize, write, fsync)'],
  [/stream\//, 'stream core (processor, step, records)'],
  [/protocol\/|ingest-decode|zod\//, 'frame parse + validation'],
  [/ws\/lib\/|^(writev|writeBuffer|writeUtf8String) |node:net|stream_base_commons|node:internal\/streams|node:stream|node:buffer/, 'WebSocket framing + socket I/O'],
  [/server\//, 'transport (connections, feed, outbox)'],
  [/prom-client|metrics|runtime-monitor/, 'metrics'],
  [/pino|sonic-boom/, 'logging'],
];

/** Top self-time functions (or, `by: 'file'`, files; `by: 'stage'`, stages of the ingest path) of the CPU profile written at stop. */
export function summarizeProfile(dir: string, top = 15, by: 'function' | 'file' | 'stage' | boolean = 'function'): { fn: string; selfPct: number }[] {
  const mode = by === true ? 'file' : by === false ? 'function' : by;
  const file = profilePath(dir);
  if (!file) return [];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }[];
  };
  const self = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const hits = n.hitCount ?? 0;
    total += hits;
    const where = n.callFrame.url.replace(/^.*\/(dist|node_modules)\//, '$1/');
    const fn = `${n.callFrame.functionName || '(anonymous)'} ${where}${where ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    const key = mode === 'file' ? where || n.callFrame.functionName : mode === 'stage' ? (STAGES.find(([re]) => re.test(fn))?.[1] ?? 'other') : fn;
    self.set(key, (self.get(key) ?? 0) + hits);
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, hits]) => ({ fn, selfPct: Math.round((hits / Math.max(1, total)) * 1000) / 10 }));
}

/** The profile file itself, for DevTools: the largest (with owner processes, one owner's rather than the idle primary's). */
export function profilePath(dir: string): string | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0];
}

/** Whole-machine CPU counters from /proc/stat: steal is time the hypervisor gave to someone else. */
export function machineCpu(): { busy: number; idle: number; steal: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    return { busy: user + nice + system + irq + softirq, idle: idle + iowait, steal };
  } catch {
    return { busy: 0, idle: 0, steal: 0 };
  }
}
