/**
 * The per-second timeline: the load generator's latency for each wall-clock second beside the
 * server's runtime second (CPU, run-queue wait, steal, event-loop delay, GC, fsync, pool), each
 * second judged, and the spike seconds compared with the calm ones, so what lines up with the
 * spikes is read off the run instead of guessed.
 *
 * Verdicts, for a second whose ack p99 is over the bound:
 * - `saturated`: the event loop's thread was busy ≥ 85% of the second: there was more work than one core;
 * - `stalled`: it was not, yet messages waited; the `why` names the cause the numbers point at
 *   (waiting for a CPU, steal, a GC pause, fsync, the thread pool, one long task, or the backlog of
 *   an earlier second still draining).
 */
import type { SecondSample } from './loadgen.js';
import type { ServerSecond } from './server-stats.js';

export interface JoinedSecond {
  second: number;
  t: number;
  load: SecondSample;
  server: ServerSecond | undefined;
  verdict: 'ok' | 'stalled' | 'saturated' | 'unknown';
  why: string;
}

export const SATURATED_MAIN_PCT = 85;

export function judge(load: SecondSample, server: ServerSecond | undefined, boundMs: number, previous: JoinedSecond | undefined): Pick<JoinedSecond, 'verdict' | 'why'> {
  // A second in which messages were due but none was answered is no calm second.
  const silent = load.acked === 0 && load.sent > 0;
  if (load.ackP99 <= boundMs && !silent) return { verdict: 'ok', why: '' };
  if (!server) return { verdict: 'unknown', why: 'no server sample' };
  if (server.mainCpuPct >= SATURATED_MAIN_PCT) return { verdict: 'saturated', why: `event-loop thread ${server.mainCpuPct}% busy` };
  // An ack waits for the event loop (to read, process and answer) and for its batch's write and
  // fsync: whichever of the two held things longest this second is the stall; then why it did.
  const journalMs = Math.max(server.journalSyncMaxMs, server.journalWriteMaxMs);
  const waited = `waited for a CPU ${server.mainWaitPct}% of the second, machine busy ${server.machineBusyPct}%, steal ${server.stealPct}%`;
  if (server.loopDelayMaxMs >= journalMs && server.loopDelayMaxMs >= boundMs / 2) {
    // Older servers report no snapshot figure (undefined): read as none.
    if ((server.snapshotHeldMaxMs ?? 0) >= server.loopDelayMaxMs / 2) return { verdict: 'stalled', why: `loop held ${server.loopDelayMaxMs} ms, a journal rotation's snapshot held it ${server.snapshotHeldMaxMs} ms` };
    if (server.gcMaxMs >= server.loopDelayMaxMs / 2) return { verdict: 'stalled', why: `loop held ${server.loopDelayMaxMs} ms, GC pause ${server.gcMaxMs} ms (${waited})` };
    if (server.stealPct >= 5) return { verdict: 'stalled', why: `loop held ${server.loopDelayMaxMs} ms: steal ${server.stealPct}%` };
    if (server.mainWaitPct >= 5) return { verdict: 'stalled', why: `loop held ${server.loopDelayMaxMs} ms while the loop thread ${waited}` };
    return { verdict: 'stalled', why: `one task held the loop ${server.loopDelayMaxMs} ms` };
  }
  if (journalMs >= boundMs / 2) {
    // The no-op pool round trip is what any fs call paid for queueing and dispatch; fsync's excess over it is the disk.
    return { verdict: 'stalled', why: `journal write+fsync up to ${journalMs} ms (a no-op thread-pool call: ${server.poolRoundTripMaxMs} ms; ${waited})` };
  }
  if (previous && previous.verdict !== 'ok') return { verdict: 'stalled', why: 'backlog of the second before' };
  return { verdict: 'stalled', why: `no single long hold (loop max ${server.loopDelayMaxMs} ms, journal ${journalMs} ms; ${waited})` };
}

export function joinSeconds(samples: readonly SecondSample[], server: ReadonlyMap<number, ServerSecond>, boundMs: number): JoinedSecond[] {
  const out: JoinedSecond[] = [];
  const all = [...server.values()].sort((a, b) => a.second - b.second);
  for (const load of samples) {
    // The server's window for this second, or the longer one (a stall) that covers it.
    const s = server.get(load.second) ?? all.find((x) => x.second >= load.second && x.second - (x.windowS ?? 1) <= load.second - 0.5);
    out.push({ second: load.second, t: load.t, load, server: s, ...judge(load, s, boundMs, out.at(-1)) });
  }
  return out;
}

const f = (v: number | undefined, d = 0) => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

export function secondLine(j: JoinedSecond): string {
  const l = j.load;
  const s = j.server;
  return (
    `t=${String(j.t).padStart(3)}s acked ${String(l.acked).padStart(6)} ack p99 ${f(l.ackP99, 1).padStart(6)} max ${f(l.ackMax, 0).padStart(5)} ms` +
    ` | cpu ${f(s?.cpuPct).padStart(3)}% loop-thread ${f(s?.mainCpuPct).padStart(3)}% cpu-wait ${f(s?.mainWaitPct).padStart(2)}% steal ${f(s?.stealPct)}%` +
    ` | loop delay p99 ${f(s?.loopDelayP99Ms, 1)} max ${f(s?.loopDelayMaxMs, 0)} ms gc ${f(s?.gcMs, 0)} ms (max ${f(s?.gcMaxMs, 1)}) fsync max ${f(s?.journalSyncMaxMs, 1)} pool max ${f(s?.poolRoundTripMaxMs, 1)} ms` +
    (j.verdict === 'ok' ? '' : ` | ${j.verdict.toUpperCase()}: ${j.why}`)
  );
}

export interface Correlation {
  spikeSeconds: number;
  calmSeconds: number;
  /** Per candidate cause: mean over the spike seconds, mean over the calm ones. */
  rows: { name: string; spike: number; calm: number }[];
  verdicts: Record<string, number>;
}

/** Spike seconds (ack p99 over the bound) against calm ones, mean of each candidate cause. */
export function correlate(seconds: readonly JoinedSecond[]): Correlation {
  const withServer = seconds.filter((j) => j.server);
  const spikes = withServer.filter((j) => j.verdict !== 'ok');
  const calm = withServer.filter((j) => j.verdict === 'ok');
  const mean = (xs: JoinedSecond[], get: (s: ServerSecond) => number) => {
    const v = xs.map((j) => get(j.server!)).filter(Number.isFinite);
    return v.length ? Math.round((v.reduce((a, b) => a + b, 0) / v.length) * 100) / 100 : NaN;
  };
  const cands: [string, (s: ServerSecond) => number][] = [
    ['event-loop thread CPU %', (s) => s.mainCpuPct],
    ['process CPU %', (s) => s.cpuPct],
    ['loop thread waiting for a CPU %', (s) => s.mainWaitPct],
    ['machine busy %', (s) => s.machineBusyPct],
    ['steal %', (s) => s.stealPct],
    ['event-loop delay max ms', (s) => s.loopDelayMaxMs],
    ['GC ms per second', (s) => s.gcMs],
    ['longest GC pause ms', (s) => s.gcMaxMs],
    ['longest fsync ms', (s) => s.journalSyncMaxMs],
    ['longest journal write ms', (s) => s.journalWriteMaxMs],
    ['rotation snapshot held the loop ms', (s) => s.snapshotHeldMaxMs ?? 0],
    ['thread-pool round trip max ms', (s) => s.poolRoundTripMaxMs],
  ];
  const verdicts: Record<string, number> = {};
  for (const j of seconds) verdicts[j.verdict] = (verdicts[j.verdict] ?? 0) + 1;
  return { spikeSeconds: spikes.length, calmSeconds: calm.length, rows: cands.map(([name, get]) => ({ name, spike: mean(spikes, get), calm: mean(calm, get) })), verdicts };
}

export function correlationText(c: Correlation): string {
  const w = Math.max(...c.rows.map((r) => r.name.length));
  return [
    `seconds: ${Object.entries(c.verdicts).map(([k, v]) => `${v} ${k}`).join(', ')}`,
    `what lines up with the spikes (mean over ${c.spikeSeconds} spike seconds vs ${c.calmSeconds} calm ones):`,
    ...c.rows.map((r) => `  ${r.name.padEnd(w)}  spike ${f(r.spike, 1).padStart(7)}  calm ${f(r.calm, 1).padStart(7)}`),
  ].join('\n');
}
