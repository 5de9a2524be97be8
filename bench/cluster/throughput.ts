/**
 * One cluster node against the single process, on this machine, same load, back to back: issue 18's
 * "one cluster node carries >= 0.7 of the single-process rate at p99 ack <= 50 ms".
 *
 * Starts a fresh `nats-server -js`, one `pkguard serve` in cluster mode on it (all 64 partitions,
 * default leases) and one embedded `pkguard serve` (file journal with fsync), both unpaced. Then
 * ramps the offered rate (x1.25 a step) with the e2e bench's load generator (bench/e2e/loadgen.ts),
 * each step run on both sides one after the other (the order alternating step by step, so both see
 * the same machine state), until neither side holds: p99 ack <= the bound, no errors, >= 95 % of
 * the offered rate acked. Reports each side's highest held rate and their ratio, per round.
 *
 *   node dist/bench/cluster/throughput.js [--streams 1000] [--rate 2] [--step 8] [--warmup 3]
 *        [--p99 50] [--rounds 1] [--tries 2] [--profile] [--max-steps 20] [--partitions 64[,8...]]
 *        [--base /work/base]
 * Build first (npm run build). `--profile` writes the cluster node's CPU profile summary at the end.
 * Each cluster step also prints the node's commit timeline (queued, fence, send, stored) and the CPU
 * the server and nats-server used per 1,000 acked messages. `--partitions 64,8` adds a cluster side
 * per further value: a node of its own cluster (its own prefix) with that many partitions; `--base
 * DIR` a cluster side running DIR's build (A/B in one ramp).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LoadConfig, LoadResult } from '../e2e/loadgen.js';
import { BENCH_TOKENS, freePort, profilePath, removeServerDir, startServerProcess, summarizeProfile, type ServerUnderTest } from '../e2e/server-process.js';

const CHILD = fileURLToPath(new URL('../e2e/loadgen-child.js', import.meta.url));

const { values: o } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '2' },
    step: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '3' },
    p99: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '1' },
    tries: { type: 'string', default: '2' },
    'max-steps': { type: 'string', default: '20' },
    profile: { type: 'boolean', default: false },
    /** One cluster side per value, each a node of its own cluster (own prefix) on the same nats-server. */
    partitions: { type: 'string', default: '64' },
    /** A checkout of another build (e.g. /work/base): adds a cluster side running its server (64 partitions). */
    base: { type: 'string' },
  },
});
const streams = Number(o.streams);
const bound = Number(o.p99);

function load(url: string, rate: number, seed: number): Promise<LoadResult> {
  const cfg: LoadConfig = {
    url,
    ingestToken: BENCH_TOKENS.ingest[0]!,
    moderatorToken: BENCH_TOKENS.moderator[0]!,
    streams,
    connections: 20,
    rate,
    batch: 20,
    durationS: Number(o.step),
    warmupS: Number(o.warmup),
    chatShare: 0.3,
    chars: 30,
    violationRate: 0.05,
    evasionRate: 0.3,
    seed,
  };
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(cfg)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.on('message', (m: { type: string; result?: LoadResult; message?: string }) => {
      if (m.type === 'result') resolve(m.result!);
      else if (m.type === 'failed') reject(new Error(m.message));
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
}

interface Step {
  side: string;
  offered: number;
  rate: number;
  p99: number;
  errors: number;
  held: boolean;
}

/** The cluster node's commit histograms (metrics.ts): bucket counts, sums and counts by series. */
type Histograms = Map<string, number>;

async function commitHistograms(url: string): Promise<Histograms> {
  const text = await (await fetch(`${url.replace(/^ws/, 'http')}/metrics`)).text();
  const out: Histograms = new Map();
  for (const line of text.split('\n')) {
    if (!line.startsWith('pkguard_cluster_commit_')) continue;
    const sp = line.lastIndexOf(' ');
    out.set(line.slice(0, sp), Number(line.slice(sp + 1)));
  }
  return out;
}

/**
 * Where one commit's time went during a step (the difference of two scrapes): per phase the mean
 * and the bucket bound below which half and 99 % of the commits fell, in ms; and records per commit.
 */
function commitTimeline(before: Histograms, after: Histograms): Record<string, unknown> {
  const d = (k: string) => (after.get(k) ?? 0) - (before.get(k) ?? 0);
  const quantile = (prefix: string, labels: string, q: number, scale: number): number | string => {
    const count = d(`${prefix}_count${labels ? `{${labels}}` : ''}`);
    const les = [...after.keys()].filter((k) => k.startsWith(`${prefix}_bucket{`) && (!labels || k.includes(labels))).map((k) => ({ k, le: k.match(/le="([^"]+)"/)![1]! }));
    for (const { k, le } of les) if (d(k) >= q * count) return le === '+Inf' ? '>max' : Number(le) * scale;
    return '?';
  };
  const out: Record<string, unknown> = {};
  const commits = d('pkguard_cluster_commit_records_count');
  out.commits = commits;
  out.recordsPerCommit = +(d('pkguard_cluster_commit_records_sum') / Math.max(1, commits)).toFixed(2);
  for (const phase of ['queued', 'fence', 'send', 'stored']) {
    const labels = `phase="${phase}"`;
    const n = d(`pkguard_cluster_commit_phase_seconds_count{${labels}}`);
    out[phase] = { meanMs: +((d(`pkguard_cluster_commit_phase_seconds_sum{${labels}}`) / Math.max(1, n)) * 1000).toFixed(2), p50Ms: quantile('pkguard_cluster_commit_phase_seconds', labels, 0.5, 1000), p99Ms: quantile('pkguard_cluster_commit_phase_seconds', labels, 0.99, 1000) };
  }
  return out;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); undefined elsewhere. */
/** Write and read system calls of a process so far (/proc/PID/io): socket writes are most of a node's. */
function syscalls(pid: number | undefined): { w: number; r: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    return { w: Number(/syscw: (\d+)/.exec(io)![1]), r: Number(/syscr: (\d+)/.exec(io)![1]) };
  } catch {
    return undefined;
  }
}

function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;

async function startNats(dir: string): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn('/usr/sbin/nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'nats')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 800));
  return { url: `nats://127.0.0.1:${port}`, proc };
}

async function clusterReady(server: ServerUnderTest, partitions: number): Promise<void> {
  const http = server.url.replace(/^ws/, 'http');
  for (let i = 0; i < 240; i++) {
    try {
      const h = (await (await fetch(`${http}/healthz`)).json()) as { ready: boolean; cluster: { partitions: number[]; unserved: number[] } };
      if (h.ready && h.cluster.partitions.length === partitions && h.cluster.unserved.length === 0) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the cluster node did not take all ${partitions} partitions`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-cluster-tp-'));
  const nats = await startNats(dir);
  const servers: ServerUnderTest[] = [];
  // Interrupted: leave no server or nats-server behind (they are not in this process group's reach otherwise).
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      for (const s of servers) s.proc.kill('SIGKILL');
      nats.proc.kill('SIGKILL');
      for (const s of servers) removeServerDir(s);
      rmSync(dir, { recursive: true, force: true });
      process.exit(130);
    });
  try {
    const single = await startServerProcess();
    servers.push(single);
    const counts = o.partitions.split(',').map(Number);
    const sides: { name: string; url: string; pid: number }[] = [{ name: 'single', url: single.url, pid: single.pid }];
    for (const [i, partitions] of counts.entries()) {
      const node = await startServerProcess({ profile: o.profile && i === 0, config: { cluster: { servers: nats.url, nodeId: `tp${i + 1}`, partitions, prefix: i === 0 ? 'pkguard' : `pkguard${i}` } } });
      servers.push(node);
      await clusterReady(node, partitions);
      sides.push({ name: i === 0 ? 'cluster' : `cluster-p${partitions}`, url: node.url, pid: node.pid });
    }
    if (o.base) {
      const node = await startServerProcess({ main: join(o.base, 'dist/src/cli/main.js'), config: { cluster: { servers: nats.url, nodeId: 'tpb', prefix: 'pkguardb' } } });
      servers.push(node);
      await clusterReady(node, 64);
      sides.push({ name: 'cluster-base', url: node.url, pid: node.pid });
    }
    const summary: { single: number; cluster: number }[] = [];
    for (let round = 1; round <= Number(o.rounds); round++) {
      const best: Record<string, number> = Object.fromEntries(sides.map((x) => [x.name, 0]));
      const going: Record<string, boolean> = Object.fromEntries(sides.map((x) => [x.name, true]));
      let rate = Number(o.rate);
      for (let s = 0; s < Number(o['max-steps']) && Object.values(going).some(Boolean); s++) {
        // Alternating order, so every side sees the machine's drift the same way; rounds start in
        // turn too, so a one-step A/B (`--max-steps 1 --rounds 2`) runs each side early and late.
        const order = (s + round) % 2 === 1 ? sides : [...sides].reverse();
        for (const side of order) {
          if (!going[side.name]) continue;
          let step: Step | undefined;
          for (let t = 0; t < Number(o.tries) && !step?.held; t++) {
            const before = side.name.startsWith('cluster') ? await commitHistograms(side.url) : undefined;
            const cpu0 = { server: cpuMs(side.pid), nats: cpuMs(nats.proc.pid) };
            const io0 = { server: syscalls(side.pid), nats: syscalls(nats.proc.pid) };
            const r = await load(side.url, rate, round * 1000 + s);
            // CPU per 1,000 messages acked over the whole step (warm-up included): the server's and nats-server's.
            const acked = r.measuredAcked * (1 + Number(o.warmup) / Number(o.step));
            const per1k = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : +(((b - a) / acked) * 1000).toFixed(1));
            const io1 = { server: syscalls(side.pid), nats: syscalls(nats.proc.pid) };
            const cpu = {
              serverMsPer1k: per1k(cpu0.server, cpuMs(side.pid)),
              natsMsPer1k: per1k(cpu0.nats, cpuMs(nats.proc.pid)),
              // System calls per 1,000 acked: the server's writes and reads, nats-server's writes and reads.
              serverWritesPer1k: per1k(io0.server?.w, io1.server?.w),
              serverReadsPer1k: per1k(io0.server?.r, io1.server?.r),
              natsWritesPer1k: per1k(io0.nats?.w, io1.nats?.w),
              natsReadsPer1k: per1k(io0.nats?.r, io1.nats?.r),
            };
            const timeline = before ? commitTimeline(before, await commitHistograms(side.url)) : undefined;
            const got = r.measuredAcked / r.measuredSeconds;
            step = { side: side.name, offered: rate * streams, rate: got, p99: r.ack.p99, errors: r.errors + r.unanswered, held: r.errors === 0 && r.unanswered === 0 && r.ack.p99 <= bound && got >= 0.95 * rate * streams };
            process.stdout.write(`${JSON.stringify({ round, ...step, rate: Math.round(got), p50: r.ack.p50, max: r.ack.max, ...(r.errors > 0 ? { codes: r.errorCodes } : {}), cpu, ...(timeline ? { commit: timeline } : {}) })}\n`);
          }
          if (step!.held) best[side.name] = Math.max(best[side.name]!, step!.rate);
          else going[side.name] = false;
        }
        rate *= 1.25;
      }
      summary.push({ single: best.single!, cluster: best.cluster! });
      const others = sides.slice(2).map((x) => `, ${x.name} ${Math.round(best[x.name]!)} msg/s (ratio ${(best[x.name]! / Math.max(1, best.single!)).toFixed(2)})`).join('');
      process.stdout.write(`round ${round}: highest held rate (p99 ack <= ${bound} ms): single ${Math.round(best.single!)} msg/s, one cluster node ${Math.round(best.cluster!)} msg/s, ratio ${(best.cluster! / Math.max(1, best.single!)).toFixed(2)}${others}\n`);
    }
    const ratios = summary.map((x) => x.cluster / Math.max(1, x.single)).sort((a, b) => a - b);
    process.stdout.write(`ratios ${ratios.map((r) => r.toFixed(2)).join(' ')}; median ${ratios[Math.floor(ratios.length / 2)]!.toFixed(2)}\n`);
  } finally {
    for (const s of servers) await s.stop().catch(() => {});
    const node = servers[1];
    if (node?.profileDir) {
      process.stdout.write(`cluster node CPU profile, self time:\n${summarizeProfile(node.profileDir, 30).map((p) => `  ${String(p.selfPct).padStart(5)}%  ${p.fn}`).join('\n')}\n`);
      const files = summarizeProfile(node.profileDir, 500, 'file');
      process.stdout.write(`by file:\n${files.slice(0, 20).map((p) => `  ${String(p.selfPct).padStart(5)}%  ${p.fn}`).join('\n')}\n`);
      // By layer: where a cluster node's CPU goes besides what the single process also does.
      const layer = (f: string) => (/^\(idle\)/.test(f) ? 'idle' : /@nats-io/.test(f) ? 'nats client' : /dist\/src\/cluster\//.test(f) ? 'pkguard cluster' : /dist\/src\//.test(f) ? 'pkguard core (as single)' : /node_modules/.test(f) ? 'other packages' : 'node internals, GC, I/O');
      const layers = new Map<string, number>();
      for (const f of files) layers.set(layer(f.fn), (layers.get(layer(f.fn)) ?? 0) + f.selfPct);
      process.stdout.write(`by layer:\n${[...layers].sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${v.toFixed(1).padStart(5)}%  ${k}`).join('\n')}\n`);
      const kept = profilePath(node.profileDir);
      if (kept) {
        copyFileSync(kept, join(tmpdir(), 'pkguard-cluster-node.cpuprofile'));
        process.stdout.write(`profile kept: ${join(tmpdir(), 'pkguard-cluster-node.cpuprofile')} (DevTools)\n`);
      }
    }
    for (const s of servers) removeServerDir(s);
    nats.proc.kill('SIGTERM');
    await new Promise((r) => nats.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
