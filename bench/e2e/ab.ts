/**
 * `bench:e2e -- --ab BASELINE_DIST`: server CPU per message, baseline build against this one, on
 * the same machine at the same time. Both servers run side by side (each its own process, journal
 * and port); the load generator drives them in turn, round by round and in alternating order, at
 * the same offered rate, so a noisy neighbour or a burst of steal falls on both. The figure to
 * read is the ratio of CPU µs per acked message (server CPU from /proc over the measured seconds);
 * ack latency is shown too, but on a shared machine only the CPU ratio is steady.
 */
import { readFileSync } from 'node:fs';
import type { LoadConfig, LoadResult } from './loadgen.js';
import { removeServerDir, sampleTree, startServerProcess, type ServerUnderTest } from './server-process.js';

export interface AbRound {
  side: 'A' | 'B';
  cpuUsPerMessage: number;
  /** The event-loop thread alone (its schedstat run time): the thread that bounds one process's rate; with owner processes, the busiest process. */
  loopUsPerMessage: number;
  acked: number;
  ackP99: number;
  ackP50: number;
  /** `processes` > 1: CPU µs per acked message of each owner process (the primary's is in `cpuUsPerMessage` only). */
  perProcessUs?: number[];
}

/** Waits (up to 30 s) until a server uses under 5% of a core over half a second. */
async function idle(s: ServerUnderTest): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    const c0 = sampleTree(s.pid)?.cpuSeconds ?? 0;
    await new Promise((r) => setTimeout(r, 500));
    if ((sampleTree(s.pid)?.cpuSeconds ?? 0) - c0 < 0.025) return;
  }
}

/** CPU seconds of a process's main (event-loop) thread, from its schedstat (ns); NaN when unreadable. */
function loopThreadSeconds(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
  } catch {
    return NaN;
  }
}

export async function runAb(baselineMain: string, cfg: LoadConfig, rounds: number, config: Record<string, unknown>, runGenerator: (cfg: LoadConfig) => Promise<LoadResult>, niceB?: number, configB: Record<string, unknown> = {}, hint = true): Promise<{ rounds: AbRound[]; medianA: number; medianB: number; ratio: number; ratios: number[]; loopRatios: number[]; loopRatio: number }> {
  const a = await startServerProcess({ main: baselineMain, config });
  const b = await startServerProcess({ config: { ...config, ...configB }, ...(niceB !== undefined ? { nice: niceB } : {}) });
  const out: AbRound[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      const order: ['A' | 'B', ServerUnderTest][] = r % 2 === 0 ? [['A', a], ['B', b]] : [['B', b], ['A', a]];
      for (const [side, server] of order) {
        // The whole run's CPU over every message it acked (the servers live across rounds, so JIT
        // warm-up falls in round 1 of each; the idle monitor's timers cost both the same).
        // The other side must be idle first (a backlog it still works on would run during this side's turn).
        await idle(server === a ? b : a);
        const t0 = sampleTree(server.pid);
        const cpu0 = t0?.cpuSeconds;
        const loop0 = loopThreadSeconds(server.pid);
        // Owner processes: the generator groups each connection's streams by owner and names them (`?streams=`), unless told not to; a build without the routing ignores the hint.
        const processes = Number((server === a ? config : { ...config, ...configB }).processes ?? 1);
        const load = await runGenerator({ ...cfg, url: server.url, ...(processes > 1 && hint ? { owners: processes } : {}) });
        const t1 = sampleTree(server.pid);
        const cpu1 = t1?.cpuSeconds;
        const loop1 = loopThreadSeconds(server.pid);
        const cpu = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : NaN;
        const n = Math.max(1, load.acked);
        const owners = t0 && t1 ? [...t1.perProcess].filter(([pid]) => pid !== server.pid).map(([pid, c]) => ((c - (t0.perProcess.get(pid) ?? c)) / n) * 1e6) : [];
        // Several owner processes: the busiest one (all its threads) bounds the rate, as the event-loop thread does for one process.
        const row: AbRound = { side, cpuUsPerMessage: (cpu / n) * 1e6, loopUsPerMessage: owners.length > 0 ? Math.max(...owners) : ((loop1 - loop0) / n) * 1e6, acked: load.acked, ackP99: load.ack.p99, ackP50: load.ack.p50, ...(owners.length > 0 ? { perProcessUs: owners } : {}) };
        out.push(row);
        const loop = owners.length > 0 ? `owner processes ${owners.map((x) => x.toFixed(1)).join(' + ')}` : `event-loop thread ${row.loopUsPerMessage.toFixed(1)}`;
        process.stderr.write(`  round ${r + 1} ${side}: ${row.cpuUsPerMessage.toFixed(1)} µs CPU per message (${loop}), ${row.acked} acked (${(row.acked / (cfg.durationS + cfg.warmupS)).toFixed(0)}/s over warm-up + run), ack p50 ${row.ackP50} p99 ${row.ackP99} ms, p99.9 ${load.ack.p999} ms\n`);
      }
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    removeServerDir(a);
    removeServerDir(b);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  const ratios: number[] = [];
  const loopRatios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [bRow, aRow] = [out[2 * r + (r % 2 === 0 ? 1 : 0)]!, out[2 * r + (r % 2 === 0 ? 0 : 1)]!];
    ratios.push(bRow.cpuUsPerMessage / aRow.cpuUsPerMessage);
    loopRatios.push(bRow.loopUsPerMessage / aRow.loopUsPerMessage);
  }
  const medianA = med(out.filter((x) => x.side === 'A').map((x) => x.cpuUsPerMessage));
  const medianB = med(out.filter((x) => x.side === 'B').map((x) => x.cpuUsPerMessage));
  return { rounds: out, medianA, medianB, ratio: med(ratios), ratios, loopRatios, loopRatio: med(loopRatios) };
}
