/**
 * The server's own view of itself, read from its `/metrics`: the last completed runtime second
 * (`pkguard_runtime_last_second{stat}`, src/runtime-monitor.ts) for the per-second timeline, and
 * cumulative histograms (event-loop delay, fsync) whose bucket deltas over the measured window
 * give its overall percentiles.
 */
import type { RuntimeSecond } from '../../src/runtime-monitor.js';

export type ServerSecond = RuntimeSecond;

export interface Scrape {
  second: ServerSecond | undefined;
  /** Histogram name → cumulative bucket counts by upper bound (seconds), plus count and sum. */
  histograms: Map<string, { le: number[]; counts: number[]; sum: number; count: number }>;
  counters: Map<string, number>;
}

const HISTOGRAMS = ['pkguard_event_loop_delay_seconds', 'pkguard_journal_fsync_seconds', 'pkguard_threadpool_roundtrip_seconds', 'pkguard_journal_batch_wait_seconds'];

export async function scrape(url: string, token?: string): Promise<Scrape | undefined> {
  let text: string;
  try {
    const res = await fetch(url.replace(/^ws/, 'http') + '/metrics', { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    text = await res.text();
  } catch {
    return undefined;
  }
  const stats: Record<string, number> = {};
  const histograms: Scrape['histograms'] = new Map();
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const sp = line.lastIndexOf(' ');
    const key = line.slice(0, sp);
    const value = Number(line.slice(sp + 1));
    const stat = /^pkguard_runtime_last_second\{stat="(\w+)"\}$/.exec(key);
    if (stat) {
      stats[stat[1]!] = value;
      continue;
    }
    const bucket = /^(\w+)_bucket\{le="([^"]+)"\}$/.exec(key);
    if (bucket && HISTOGRAMS.includes(bucket[1]!)) {
      const h = histogram(histograms, bucket[1]!);
      if (bucket[2] !== '+Inf') {
        h.le.push(Number(bucket[2]));
        h.counts.push(value);
      }
      continue;
    }
    const tail = /^(\w+)_(sum|count)$/.exec(key);
    if (tail && HISTOGRAMS.includes(tail[1]!)) {
      histogram(histograms, tail[1]!)[tail[2] as 'sum' | 'count'] = value;
      continue;
    }
    if (/^pkguard_\w+_total$/.test(key) || /^pkguard_process_cpu_seconds_total$/.test(key)) counters.set(key, value);
  }
  return { second: stats.second !== undefined ? (stats as unknown as ServerSecond) : undefined, histograms, counters };
}

function histogram(map: Scrape['histograms'], name: string) {
  let h = map.get(name);
  if (!h) map.set(name, (h = { le: [], counts: [], sum: 0, count: 0 }));
  return h;
}

/** The server's recent runtime seconds (`GET /metrics/runtime`), or [] when it does not answer in time. */
export async function recentSeconds(url: string, token?: string): Promise<ServerSecond[]> {
  try {
    const res = await fetch(url.replace(/^ws/, 'http') + '/metrics/runtime', { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(10_000) });
    return res.ok ? ((await res.json()) as { seconds: ServerSecond[] }).seconds : [];
  } catch {
    return [];
  }
}

/**
 * A quantile (ms) of what a histogram recorded between two scrapes, interpolated within its bucket
 * (so as fine as the buckets: read "p99 ≈ 7 ms" as "between 5 and 10"). NaN without samples.
 */
export function windowQuantileMs(a: Scrape | undefined, b: Scrape | undefined, name: string, q: number): number {
  const ha = a?.histograms.get(name);
  const hb = b?.histograms.get(name);
  if (!hb) return NaN;
  const total = hb.count - (ha?.count ?? 0);
  if (total <= 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (let i = 0; i < hb.le.length; i++) {
    const c = hb.counts[i]! - (ha?.counts[i] ?? 0);
    if (c >= rank) {
      const inBucket = c - prevCount;
      const f = inBucket > 0 ? (rank - prevCount) / inBucket : 1;
      return Math.round((prevLe + f * (hb.le[i]! - prevLe)) * 1e5) / 100;
    }
    prevLe = hb.le[i]!;
    prevCount = c;
  }
  return Infinity; // beyond the last bucket
}

/** Counter delta between two scrapes. */
export function counterDelta(a: Scrape | undefined, b: Scrape | undefined, name: string): number {
  return (b?.counters.get(name) ?? NaN) - (a?.counters.get(name) ?? 0);
}
