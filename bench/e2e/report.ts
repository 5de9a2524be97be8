/**
 * The e2e bench's outputs: a console table, a self-contained HTML report with SVG plots
 * (throughput and ack latency over time, server CPU and RSS), and the compare mode that lays two
 * result files side by side as ratios.
 */
import type { HistogramSummary, LoadResult } from './loadgen.js';
import { correlationText, type Correlation, type JoinedSecond } from './seconds.js';

export interface ResourceSample {
  t: number;
  cpuPct: number;
  rssMB: number;
}

export interface RunResult {
  kind: 'pkguard-bench-e2e';
  startedAt: string;
  machine: { cpus: string; cores: number; node: string };
  options: Record<string, unknown>;
  /** One entry per load level (one for a plain run, several for --find-max). */
  steps: StepResult[];
  maxHeldRate?: number;
  memory?: { streams: number; chunks?: number; heapPerStreamBytes: number; arraysPerStreamBytes?: number; totalPerStreamBytes?: number; rssPerStreamBytes: number; idleHeapMB: number; idleRssMB: number; loadedRssMB?: number };
  profile?: { fn: string; selfPct: number }[];
  profileStages?: { fn: string; selfPct: number }[];
}

export interface StepResult {
  offeredPerSecond: number;
  messagesPerSecond: number;
  charsPerSecond: number;
  load: LoadResult;
  resources: ResourceSample[];
  cpuPctMean: number;
  rssMBMax: number;
  /** Share of the machine's CPU time stolen by the hypervisor during the step (noise, not pkguard). */
  stealPct: number;
  held: boolean;
  /** Per second after warm-up: the generator's latency beside the server's runtime second, judged. */
  seconds: JoinedSecond[];
  correlation: Correlation;
  /** From the server's /metrics over the measured window. */
  server: {
    loopThreadPctMean: number;
    cpuWaitPctMean: number;
    loopDelay: { p99: number; p999: number; max: number };
    fsync: { p50: number; p99: number; max: number };
    /** GC pauses as a share of wall time, %. */
    gcShare: number;
    /** Server CPU (all threads) per acked message, and the event-loop thread's alone. */
    cpuUsPerMessage: number;
    loopThreadUsPerMessage: number;
    /** The busiest threads of the server, CPU µs per message (bench:e2e --core-thread: main vs the core thread). */
    threads?: { thread: string; usPerMessage: number }[];
    memory: { heapUsedMB: number; arrayBuffersMB: number; externalMB: number; rssMB: number } | undefined;
  };
}

const fmt = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '–');

export function stepLine(s: StepResult): string {
  const a = s.load.ack;
  const f = s.load.flag;
  return [
    `offered ${Math.round(s.offeredPerSecond)}/s → ${Math.round(s.messagesPerSecond)} msg/s, ${fmt(s.charsPerSecond / 1e6, 2)} Mchars/s`,
    `ack p50 ${a.p50} p90 ${a.p90} p99 ${a.p99} p99.9 ${a.p999} max ${a.max} ms`,
    `flag-on-feed p50 ${f.p50} p99 ${f.p99} max ${f.max} ms (${f.count})`,
    `errors ${s.load.errors} unanswered ${s.load.unanswered} · server CPU ${fmt(s.cpuPctMean, 0)}% RSS ≤ ${fmt(s.rssMBMax, 0)} MB · generator lag ${s.load.generatorLagMs} ms · CPU steal ${fmt(s.stealPct, 1)}%`,
    ...(s.server ? serverLines(s) : []),
  ].join('\n  ');
}

function serverLines(s: StepResult): string[] {
  const v = s.server;
  const m = v.memory;
  return [
    `server per message: ${fmt(v.cpuUsPerMessage, 1)} µs CPU (event-loop thread ${fmt(v.loopThreadUsPerMessage, 1)} µs) · event-loop thread busy ${fmt(v.loopThreadPctMean, 0)}%, waiting for a CPU ${fmt(v.cpuWaitPctMean, 0)}% · GC pauses ${fmt(v.gcShare, 1)}% of the time`,
    ...(v.threads && v.threads.length > 0 ? [`busiest threads, µs CPU per message: ${v.threads.map((t) => `${t.thread} ${fmt(t.usPerMessage, 1)}`).join(' · ')}`] : []),
    `event-loop delay p99 ${fmt(v.loopDelay.p99, 1)} p99.9 ${fmt(v.loopDelay.p999, 1)} max ${fmt(v.loopDelay.max, 1)} ms · fsync p50 ${fmt(v.fsync.p50, 2)} p99 ${fmt(v.fsync.p99, 2)} max ${fmt(v.fsync.max, 1)} ms` +
      (m ? ` · memory: heap ${fmt(m.heapUsedMB)} MB, typed arrays ${fmt(m.arrayBuffersMB)} MB, external ${fmt(m.externalMB)} MB, RSS ${fmt(m.rssMB)} MB` : ''),
    ...correlationText(s.correlation).split('\n'),
  ];
}

function polyline(points: [number, number][], w: number, h: number, yMax: number, xMax: number, color: string): string {
  if (points.length === 0) return '';
  const pts = points.map(([x, y]) => `${((x / Math.max(1, xMax)) * w).toFixed(1)},${(h - (Math.min(y, yMax) / Math.max(1e-9, yMax)) * h).toFixed(1)}`).join(' ');
  return `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts}"/>`;
}

function chart(title: string, series: { name: string; color: string; points: [number, number][] }[], unit: string): string {
  const w = 640;
  const h = 180;
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const yMax = Math.max(1e-9, ...series.flatMap((s) => s.points.map((p) => p[1]))) * 1.1;
  const legend = series.map((s, i) => `<text x="${8 + i * 160}" y="14" fill="${s.color}" font-size="12">${escapeXml(s.name)}</text>`).join('');
  return `<figure><figcaption>${escapeXml(title)} (max ${fmt(yMax / 1.1, 1)} ${escapeXml(unit)}, x: seconds)</figcaption><svg viewBox="0 -20 ${w} ${h + 20}" width="${w}" height="${h + 20}" role="img"><rect x="0" y="0" width="${w}" height="${h}" fill="#fafafa" stroke="#ddd"/>${legend}${series.map((s) => polyline(s.points, w, h, yMax, xMax, s.color)).join('')}</svg></figure>`;
}

const escapeXml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function histRow(name: string, h: HistogramSummary): string {
  return `<tr><td>${name}</td><td>${h.count}</td><td>${h.p50}</td><td>${h.p90}</td><td>${h.p99}</td><td>${h.p999}</td><td>${h.max}</td></tr>`;
}

function srv(s: StepResult, get: (x: NonNullable<JoinedSecond['server']>) => number): [number, number][] {
  return s.seconds.filter((j) => j.server && Number.isFinite(get(j.server))).map((j) => [j.t, get(j.server!)]);
}

export function htmlReport(r: RunResult): string {
  const parts = r.steps.map((s, i) => {
    const tl = s.load.timeline;
    return `<section><h2>Step ${i + 1}: offered ${Math.round(s.offeredPerSecond)} msg/s ${s.held ? '(held)' : '(did not hold)'}</h2>
<p>${Math.round(s.messagesPerSecond)} msg/s, ${fmt(s.charsPerSecond / 1e6, 2)} Mchars/s, errors ${s.load.errors}, unanswered ${s.load.unanswered}, server CPU ${fmt(s.cpuPctMean, 0)}%, RSS ≤ ${fmt(s.rssMBMax, 0)} MB</p>
<table><tr><th>latency (ms)</th><th>count</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>${histRow('ingest → ack', s.load.ack)}${histRow('ingest → flag on feed', s.load.flag)}</table>
${chart('throughput', [{ name: 'sent/s', color: '#888', points: tl.map((x) => [x.t, x.sent]) }, { name: 'acked/s', color: '#1565c0', points: tl.map((x) => [x.t, x.acked]) }], 'msg/s')}
${chart('ack latency per second', [{ name: 'p99', color: '#c62828', points: tl.map((x) => [x.t, x.ackP99]) }, { name: 'max', color: '#f9a825', points: tl.map((x) => [x.t, x.ackMax]) }], 'ms')}
${chart('server resources', [{ name: 'CPU %', color: '#2e7d32', points: s.resources.map((x) => [x.t, x.cpuPct]) }, { name: 'RSS MB', color: '#6a1b9a', points: s.resources.map((x) => [x.t, x.rssMB]) }], '% / MB')}
${s.seconds?.length ? chart('why: the server per second', [{ name: 'loop thread CPU %', color: '#2e7d32', points: srv(s, (x) => x.mainCpuPct) }, { name: 'waiting for a CPU %', color: '#c62828', points: srv(s, (x) => x.mainWaitPct) }, { name: 'steal %', color: '#888', points: srv(s, (x) => x.stealPct) }], '%') : ''}
${s.seconds?.length ? chart('stalls per second', [{ name: 'loop delay max ms', color: '#1565c0', points: srv(s, (x) => x.loopDelayMaxMs) }, { name: 'longest GC ms', color: '#f9a825', points: srv(s, (x) => x.gcMaxMs) }, { name: 'longest fsync ms', color: '#6a1b9a', points: srv(s, (x) => x.journalSyncMaxMs) }], 'ms') : ''}
</section>`;
  });
  const mem = r.memory ? `<section><h2>Memory per stream</h2><p>${r.memory.streams} streams: ${Math.round(r.memory.heapPerStreamBytes)} B heap and ${Math.round(r.memory.rssPerStreamBytes)} B RSS per stream above the idle process (heap ${fmt(r.memory.idleHeapMB)} MB, RSS ${fmt(r.memory.idleRssMB)} MB idle).</p></section>` : '';
  const prof = r.profile?.length ? `<section><h2>Server CPU profile (self time)</h2><table>${r.profile.map((p) => `<tr><td>${p.selfPct}%</td><td>${escapeXml(p.fn)}</td></tr>`).join('')}</table></section>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>pkguard e2e bench ${escapeXml(r.startedAt)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:right}td:last-child{text-align:left}figure{margin:1rem 0}</style></head><body>
<h1>pkguard e2e bench</h1><p>${escapeXml(r.startedAt)} · ${escapeXml(r.machine.cpus)} × ${r.machine.cores} · Node ${escapeXml(r.machine.node)}</p>
<pre>${escapeXml(JSON.stringify(r.options))}</pre>${r.maxHeldRate !== undefined ? `<p><b>Highest rate that held: ${Math.round(r.maxHeldRate)} msg/s</b></p>` : ''}
${parts.join('\n')}${mem}${prof}</body></html>\n`;
}

/** Two result files side by side: B / A for each figure (for latency, lower is better). */
export function compare(a: RunResult, b: RunResult): string {
  const last = (r: RunResult) => r.steps.filter((s) => s.held).at(-1) ?? r.steps.at(-1)!;
  const sa = last(a);
  const sb = last(b);
  const rows: [string, number, number][] = [
    ['messages/s', sa.messagesPerSecond, sb.messagesPerSecond],
    ['Mchars/s', sa.charsPerSecond / 1e6, sb.charsPerSecond / 1e6],
    ['ack p50 ms', sa.load.ack.p50, sb.load.ack.p50],
    ['ack p99 ms', sa.load.ack.p99, sb.load.ack.p99],
    ['ack p99.9 ms', sa.load.ack.p999, sb.load.ack.p999],
    ['flag p99 ms', sa.load.flag.p99, sb.load.flag.p99],
    ['server CPU %', sa.cpuPctMean, sb.cpuPctMean],
    ['server RSS MB', sa.rssMBMax, sb.rssMBMax],
    ['errors', sa.load.errors, sb.load.errors],
  ];
  if (sa.server && sb.server) {
    rows.push(['server CPU µs/message', sa.server.cpuUsPerMessage, sb.server.cpuUsPerMessage]);
    rows.push(['loop thread µs/message', sa.server.loopThreadUsPerMessage, sb.server.loopThreadUsPerMessage]);
    rows.push(['loop delay p99 ms', sa.server.loopDelay.p99, sb.server.loopDelay.p99]);
    rows.push(['loop delay max ms', sa.server.loopDelay.max, sb.server.loopDelay.max]);
  }
  if (a.maxHeldRate !== undefined && b.maxHeldRate !== undefined) rows.unshift(['max held msg/s', a.maxHeldRate, b.maxHeldRate]);
  if (a.memory && b.memory) rows.push(['heap B/stream', a.memory.heapPerStreamBytes, b.memory.heapPerStreamBytes]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    `${'figure'.padEnd(w)}  ${'A'.padStart(12)}  ${'B'.padStart(12)}  B/A`,
    ...rows.map(([name, x, y]) => `${name.padEnd(w)}  ${fmt(x, 2).padStart(12)}  ${fmt(y, 2).padStart(12)}  ${x === 0 ? '–' : fmt(y / x, 2) + '×'}`),
  ].join('\n');
}
