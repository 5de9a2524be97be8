/**
 * A real `nats-server -js` per test file on a free loopback port, and pkguard nodes in cluster mode
 * as separate processes (test/server/harness.ts's `startServer` with a `cluster` section).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { removeDir, startServer, type ServerProcess } from '../server/harness.js';

/** `NATS_SERVER`, or Debian's `/usr/sbin/nats-server` (not on every user's PATH), or `nats-server` on the PATH. */
export const NATS_BIN = process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server');
export const hasNatsServer = spawnSync(NATS_BIN, ['--version'], { stdio: 'ignore' }).status === 0;

export interface NatsProcess {
  url: string;
  port: number;
  dir: string;
  proc: ChildProcess;
  stop(): Promise<void>;
  /** SIGKILLs the server, waits `downMs`, starts it again on the same port and store dir; resolves once it is ready. */
  restart(downMs: number): Promise<void>;
  /** SIGSTOPs the server for `pausedMs`, then SIGCONT. */
  pause(pausedMs: number): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function spawnNats(args: string[]): Promise<ChildProcess> {
  const proc = spawn(NATS_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  return new Promise<ChildProcess>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${log}`)), 15_000);
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        proc.stderr!.off('data', onData);
        proc.stderr!.resume(); // keep draining it
        resolve(proc);
      }
    };
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}: ${log}`)));
  });
}

/**
 * SIGSTOPs a process and resolves once the kernel shows it stopped (`T` in /proc/PID/stat): the
 * signal is asynchronous, and on a loaded VM a thread of the process can still run briefly after
 * kill() returns (a publish sent right after was once answered).
 */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  proc.kill('SIGSTOP');
  for (let t = 0; t < 200; t++) {
    try {
      const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'T') return;
    } catch {
      return; // no /proc (not Linux): the signal is all there is
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`process ${proc.pid} did not stop within 1 s of SIGSTOP`);
}

/** A nats-server -js; `extraArgs` for cluster routes etc. */
export async function startNats(opts: { dir?: string; port?: number; extraArgs?: string[] } = {}): Promise<NatsProcess> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'pkguard-nats-'));
  const port = opts.port ?? (await freePort());
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...(opts.extraArgs ?? [])];
  const nats: NatsProcess = {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    proc: await spawnNats(args),
    async stop() {
      const proc = nats.proc;
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGCONT');
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
    async restart(downMs: number) {
      const proc = nats.proc;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
      await new Promise((r) => setTimeout(r, downMs));
      nats.proc = await spawnNats(args);
    },
    async pause(pausedMs: number) {
      await stopProcess(nats.proc);
      await new Promise((r) => setTimeout(r, pausedMs));
      nats.proc.kill('SIGCONT');
    },
  };
  return nats;
}

export const FAST_LEASES = { partitions: 16, leaseTtlMs: 3000, renewMs: 500, replyTimeoutMs: 8000 };

/** A pkguard node joined to `nats`; `cluster` is merged over fast test leases. */
export function startNode(nats: NatsProcess | string, nodeId: string, cluster: Record<string, unknown> = {}, config: Record<string, unknown> = {}, env: Record<string, string> = {}): Promise<ServerProcess> {
  const servers = typeof nats === 'string' ? nats : nats.url;
  return startServer({ config: { ...config, cluster: { servers, nodeId, ...FAST_LEASES, ...cluster } }, env });
}

export interface Health {
  ready: boolean;
  cluster: { node: string; connected: boolean; nodes: number; partitions: number[]; streams: number };
}

export async function health(node: ServerProcess): Promise<Health> {
  const res = await fetch(`http://127.0.0.1:${node.port}/healthz`);
  return (await res.json()) as Health;
}

/** Waits until the live nodes own all `partitions` between them, each at least one. */
export async function waitBalanced(nodes: ServerProcess[], partitions: number, timeoutMs = 30_000): Promise<Map<number, ServerProcess>> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const hs = await Promise.all(nodes.map(health));
    const owner = new Map<number, ServerProcess>();
    let overlap = false;
    hs.forEach((h, i) => {
      for (const p of h.cluster.partitions) {
        if (owner.has(p)) overlap = true;
        owner.set(p, nodes[i]!);
      }
    });
    last = hs.map((h) => `${h.cluster.node}:${h.cluster.partitions.length}`).join(' ');
    const share = Math.ceil(partitions / nodes.length);
    if (!overlap && owner.size === partitions && hs.every((h) => h.cluster.partitions.length > 0 && h.cluster.partitions.length <= share)) return owner;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`partitions not balanced: ${last}`);
}

/**
 * `n` nats-servers routed into one JetStream cluster on loopback; resolves once JetStream has a
 * meta leader (streams can be created), so R3 streams and KV buckets work.
 */
export async function startNatsCluster(n = 3): Promise<NatsProcess[]> {
  const clientPorts: number[] = [];
  const routePorts: number[] = [];
  for (let i = 0; i < n; i++) {
    clientPorts.push(await freePort());
    routePorts.push(await freePort());
  }
  const routes = routePorts.map((p) => `nats://127.0.0.1:${p}`).join(',');
  const servers = await Promise.all(
    clientPorts.map((port, i) => startNats({ port, extraArgs: ['-n', `s${i + 1}`, '--cluster_name', 'pkguard-test', '--cluster', `nats://127.0.0.1:${routePorts[i]}`, '--routes', routes] })),
  );
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const nc = await connect({ servers: servers.map((s) => s.url) });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2000 });
        await jsm.getAccountInfo();
        return servers;
      } finally {
        await nc.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the NATS cluster has no JetStream leader: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Three cluster nodes (`<prefix>-a`, `-b`, `-c`) on a fresh nats-server for the describe block that
 * calls it: started and balanced before its tests, stopped and their folders removed after.
 * `nodes` is filled in by the block's beforeAll.
 */
export function balancedNodes(prefix: string): { nodes: ServerProcess[] } {
  const cluster = { nodes: [] as ServerProcess[] };
  let nats: NatsProcess | undefined;
  beforeAll(async () => {
    nats = await startNats();
    cluster.nodes.push(...(await Promise.all(['a', 'b', 'c'].map((id) => startNode(nats!, `${prefix}-${id}`)))));
    await waitBalanced(cluster.nodes, FAST_LEASES.partitions);
  }, 90_000);
  afterAll(async () => {
    await Promise.all(cluster.nodes.map((x) => x.stop()));
    for (const x of cluster.nodes) removeDir(x.dir);
    await nats?.stop();
  }, 60_000);
  return cluster;
}
