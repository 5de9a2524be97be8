/**
 * `npm run bench:e2e -- [options]`: end-to-end load against a `pkguard serve` process.
 *
 *   --streams N (200) --connections C (20) --rate R msg/s per stream (10) --batch B (20)
 *   --duration S (20) --warmup S (5) --chars N (30) --chat-share F (0.3)
 *   --violation-rate F (0.05) --evasion-rate F (0.3) --seed N
 *   --url ws://host:port --ingest-token T --moderator-token T   target a running server instead
 *   --find-max [--p99-bound MS (20)] [--step-duration S (8)] [--tries N (2)]
 *                                                                ramp the rate ×1.25 until p99 passes the bound (best of N per rate)
 *   --memory N                                                   heap and RSS per stream for N streams
 *   --profile                                                    CPU profile summary of the server
 *   --no-fsync                                                   journal without fsync (tells disk latency from CPU)
 *   --out FILE                                                    result JSON (default bench/results/e2e-<time>.json, plus .html)
 *   --compare A.json B.json                                      two results side by side as ratios
 */
import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IngestSocket } from '../../src/client/ingest-socket.js';
import type { LoadConfig, LoadResult, SecondSample } from './loadgen.js';
import { compare, htmlReport, stepLine, type ResourceSample, type RunResult, type StepResult } from './report.js';
import { BENCH_TOKENS, heapUsed, machineCpu, removeServerDir, sampleProcess, startServerProcess, summarizeProfile, type ServerUnderTest } from './server-process.js';

const CHILD = fileURLToPath(new URL('./loadgen-child.js', import.meta.url));
const RESULTS = fileURLToPath(new URL('../../../bench/results/', import.meta.url));

function parseArgs(argv: string[]) {
  const opts: Record<string, string | boolean> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) rest.push(a);
    else if (['--find-max', '--profile', '--no-fsync'].includes(a)) opts[a.slice(2)] = true;
    else if (a === '--compare') {
      opts.compare = true;
    } else opts[a.slice(2)] = argv[++i] ?? '';
  }
  const num = (k: string, d: number) => (opts[k] === undefined ? d : Number(opts[k]));
  return { opts, rest, num };
}

function runGenerator(cfg: LoadConfig, onSample: (s: SecondSample) => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [JSON.stringify(cfg)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: { type: string; sample?: SecondSample; result?: LoadResult; message?: string }) => {
      if (m.type === 'progress') onSample(m.sample!);
      else if (m.type === 'result') resolve(m.result!);
      else if (m.type === 'failed') reject(new Error(m.message));
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`load generator exited with ${code}`)));
  });
}

async function runStep(server: { url: string; pid?: number }, cfg: LoadConfig, p99Bound: number): Promise<StepResult> {
  const resources: ResourceSample[] = [];
  let prev = server.pid ? sampleProcess(server.pid) : undefined;
  let t = 0;
  const sampler = setInterval(() => {
    if (!server.pid) return;
    const now = sampleProcess(server.pid);
    if (now && prev) resources.push({ t: ++t, cpuPct: (now.cpuSeconds - prev.cpuSeconds) * 100, rssMB: now.rssBytes / 2 ** 20 });
    prev = now;
  }, 1000);
  const cpu0 = machineCpu();
  const load = await runGenerator(cfg, (s) => process.stderr.write(`  t=${String(s.t).padStart(3)}s sent ${s.sent} acked ${s.acked} errors ${s.errors} flags ${s.flags} ack p99 ${s.ackP99} ms\n`));
  clearInterval(sampler);
  const cpu1 = machineCpu();
  const ticks = cpu1.busy + cpu1.idle + cpu1.steal - (cpu0.busy + cpu0.idle + cpu0.steal);
  const stealPct = ticks > 0 ? ((cpu1.steal - cpu0.steal) / ticks) * 100 : 0;
  const measured = resources.slice(cfg.warmupS);
  const offered = cfg.streams * cfg.rate;
  const messagesPerSecond = load.measuredAcked / load.measuredSeconds;
  return {
    offeredPerSecond: offered,
    messagesPerSecond,
    charsPerSecond: load.measuredChars / load.measuredSeconds,
    load,
    resources,
    cpuPctMean: measured.length ? measured.reduce((a, r) => a + r.cpuPct, 0) / measured.length : NaN,
    rssMBMax: resources.length ? Math.max(...resources.map((r) => r.rssMB)) : NaN,
    stealPct,
    held: load.errors === 0 && load.unanswered === 0 && load.ack.p99 <= p99Bound && messagesPerSecond >= 0.95 * offered,
  };
}

/** Heap and RSS per stream: one split phrase per stream leaves per-stream scanner and escalation state. */
async function measureMemory(server: ServerUnderTest, streams: number) {
  const settle = async () => {
    await new Promise((r) => setTimeout(r, 1500));
    let heap = Infinity;
    for (let i = 0; i < 5; i++) {
      heap = Math.min(heap, await heapUsed(server.url));
      await new Promise((r) => setTimeout(r, 300));
    }
    return { heap, rss: sampleProcess(server.pid)!.rssBytes };
  };
  const client = await IngestSocket.connect(server.url, BENCH_TOKENS.ingest[0]!);
  client.send([{ type: 'transcript', stream: 'warm', seq: 1, ts: Date.now(), text: '家人们这是全网最' }]);
  const idle = await settle();
  for (let i = 0; i < streams; i += 500) {
    const batch = [];
    for (let k = i; k < Math.min(streams, i + 500); k++) batch.push({ type: 'transcript', stream: `m${k}`, seq: 1, ts: Date.now(), text: '家人们今天这款是全网最' });
    client.send(batch);
    while (client.outstanding > 2000) await new Promise((r) => setTimeout(r, 5));
  }
  while (client.outstanding > 0) await new Promise((r) => setTimeout(r, 5));
  const loaded = await settle();
  await client.close();
  return { streams, heapPerStreamBytes: (loaded.heap - idle.heap) / streams, rssPerStreamBytes: (loaded.rss - idle.rss) / streams, idleHeapMB: idle.heap / 2 ** 20, idleRssMB: idle.rss / 2 ** 20 };
}

async function main(): Promise<number> {
  const { opts, rest, num } = parseArgs(process.argv.slice(2));
  if (opts.compare) {
    const [a, b] = rest;
    if (!a || !b) throw new Error('--compare needs two result files');
    process.stdout.write(compare(JSON.parse(readFileSync(a, 'utf8')) as RunResult, JSON.parse(readFileSync(b, 'utf8')) as RunResult) + '\n');
    return 0;
  }
  const own = opts.url === undefined;
  // --no-fsync: journal writes without fsync, to tell disk latency apart from CPU.
  const journal = opts['no-fsync'] === true ? { journal: { fsync: false } } : {};
  const server: ServerUnderTest | undefined = own ? await startServerProcess({ profile: opts.profile === true, config: journal }) : undefined;
  const target = { url: (opts.url as string | undefined) ?? server!.url, pid: server?.pid };
  const base: LoadConfig = {
    url: target.url,
    ingestToken: (opts['ingest-token'] as string | undefined) ?? BENCH_TOKENS.ingest[0]!,
    moderatorToken: (opts['moderator-token'] as string | undefined) ?? BENCH_TOKENS.moderator[0]!,
    streams: num('streams', 200),
    connections: num('connections', 20),
    rate: num('rate', 10),
    batch: num('batch', 20),
    durationS: num('duration', 20),
    warmupS: num('warmup', 5),
    chatShare: num('chat-share', 0.3),
    chars: num('chars', 30),
    violationRate: num('violation-rate', 0.05),
    evasionRate: num('evasion-rate', 0.3),
    seed: num('seed', 1),
  };
  const p99Bound = num('p99-bound', 20);
  const result: RunResult = {
    kind: 'pkguard-bench-e2e',
    startedAt: new Date().toISOString(),
    machine: { cpus: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version },
    options: { ...base, ingestToken: undefined, moderatorToken: undefined, p99Bound, findMax: opts['find-max'] === true },
    steps: [],
  };
  try {
    if (opts.memory !== undefined) {
      if (!server) throw new Error('--memory needs the bench to start its own server (no --url)');
      result.memory = await measureMemory(server, num('memory', 10_000));
      process.stdout.write(`memory: ${result.memory.streams} streams → ${Math.round(result.memory.heapPerStreamBytes)} B heap, ${Math.round(result.memory.rssPerStreamBytes)} B RSS per stream (idle heap ${result.memory.idleHeapMB.toFixed(1)} MB, RSS ${result.memory.idleRssMB.toFixed(1)} MB)\n`);
    } else if (opts['find-max']) {
      let rate = base.rate;
      const stepS = num('step-duration', 8);
      const tries = num('tries', 2);
      for (;;) {
        process.stderr.write(`find-max: offering ${Math.round(rate * base.streams)} msg/s\n`);
        // Best of `--tries` per rate: a p99 bound is at the mercy of a noisy VM, and one stall
        // should not end the ramp; every try is kept in the result.
        let step: StepResult | undefined;
        for (let t = 0; t < tries && !step?.held; t++) {
          step = await runStep(target, { ...base, rate, durationS: stepS, warmupS: result.steps.length === 0 ? base.warmupS : 2 }, p99Bound);
          result.steps.push(step);
          process.stdout.write(`${step.held ? 'held' : 'FAILED'}: ${stepLine(step)}\n`);
        }
        if (!step!.held) break;
        result.maxHeldRate = step!.messagesPerSecond;
        rate *= 1.25;
      }
      process.stdout.write(`highest rate that held (p99 ack ≤ ${p99Bound} ms, no errors): ${Math.round(result.maxHeldRate ?? 0)} msg/s\n`);
    } else {
      const step = await runStep(target, base, p99Bound);
      result.steps.push(step);
      process.stdout.write(`${stepLine(step)}\n`);
    }
  } finally {
    await server?.stop();
  }
  if (server?.profileDir) {
    result.profile = summarizeProfile(server.profileDir);
    const byFile = summarizeProfile(server.profileDir, 15, true);
    process.stdout.write(`server CPU profile, self time:\n${result.profile.map((p) => `  ${String(p.selfPct).padStart(5)}%  ${p.fn}`).join('\n')}\n`);
    process.stdout.write(`by file:\n${byFile.map((p) => `  ${String(p.selfPct).padStart(5)}%  ${p.fn}`).join('\n')}\n`);
  }
  if (server) removeServerDir(server);
  const out = (opts.out as string | undefined) ?? join(RESULTS, `e2e-${result.startedAt.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 1));
  writeFileSync(out.replace(/\.json$/, '') + '.html', htmlReport(result));
  process.stdout.write(`results: ${out} (+ .html)\n`);
  const failed = result.steps.some((s) => s.load.errors > 0) && !opts['find-max'];
  return failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    process.stderr.write(`bench:e2e: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70;
  },
);
