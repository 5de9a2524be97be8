/**
 * `npm run bench:cli`: the scan CLI's start-up and throughput, and the server's start, as real
 * processes, in interleaved rounds (min and median; read ratios on a shared machine).
 *
 *   npm run bench:cli -- [--lines 200000] [--rounds 5] [--baseline /path/to/other/dist] [--workers 2] [--skip-serve] [--startup-only]
 *
 * A/B: `--baseline DIST` runs another build's CLI (say the commit before a change, built with
 * `git archive REV | tar -x -C DIR && ln -s $PWD/node_modules DIR && (cd DIR && npx tsc -p .)`, then
 * `--baseline DIR/dist`) in the same interleaved rounds as this build's, on the same files.
 *
 * Rows:
 * - start-up: `node -e 0` (the floor), `echo '{"id":"1","text":"x","kind":"chat"}' | pkguard scan`
 *   with a fresh artifact, the same with a line that raises two flags (start + first flagged line:
 *   nothing the first flag needs may hide in a lazy path), and with no artifact (compile at every
 *   start); wall and the child's CPU (user + sys);
 * - throughput: `pkguard scan FILE > /dev/null` on generated NDJSON of 30–60 unit lines
 *   (ndjson-corpus.ts), without and with streams, on the main thread (`--workers 0`) and on worker
 *   threads (`--workers N`, default 2); lines/s over the whole run, and over the run minus the median
 *   start-up (steady state); each run's CPU seconds (user + sys, from /proc of the child) beside it;
 * - in one process: the scanner alone on pre-parsed requests vs the CLI's line path (hand-read road)
 *   vs the JSON.parse road, as lines/s and as time ratios to the scanner alone;
 * - serve: spawn to `listening` in the log, with a fresh artifact and without one.
 * With `--baseline DIST`, that build's CLI runs the same start-up, throughput and serve (fresh
 * artifact) rows. `--startup-only`: the start-up and serve rows with a fresh artifact alone (A/B of
 * start-up: `--startup-only --rounds 10 --baseline DIST`).
 * Results: bench/results/cli-<date>.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openScanScanner, scanLine, scanLineParsed } from '../../src/cli/scan.js';
import { ndjsonCorpus } from './ndjson-corpus.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/src/cli/main.js');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const LINES = Number(arg('--lines') ?? 200_000);
const ROUNDS = Number(arg('--rounds') ?? 5);
const BASELINE = arg('--baseline');
const SKIP_SERVE = process.argv.includes('--skip-serve');
const STARTUP_ONLY = process.argv.includes('--startup-only');
const WORKERS = Number(arg('--workers') ?? 2);

const work = mkdtempSync(join(tmpdir(), 'pkguard-bench-cli-'));
const cache = join(work, 'cache');
const noCache = join(work, 'no-cache');
const envWith = (dir: string) => ({ ...process.env, PKGUARD_CACHE_DIR: dir });

/** CPU ms (user + sys) of each timed run, by row name: filled by timeRun when given a row. */
const cpu: Record<string, number[]> = {};

/**
 * Wall ms of one run of `node args`, stdin from `input`, stdout discarded. With `row`, the child's
 * CPU time is recorded too (the shell's `times` after the child exits: children's user and sys).
 */
function timeRun(args: string[], input: string | undefined, env: NodeJS.ProcessEnv, row?: string): number {
  const t0 = performance.now();
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = row
    ? spawnSync('/bin/sh', ['-c', `${quoted} >/dev/null; s=$?; times >&2; exit $s`], { input, env, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 30 })
    : spawnSync(process.execPath, args, { input, env, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 1 << 30 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr?.toString()}`);
  if (row) {
    // `times` prints the shell's own user/sys, then its children's: "0m1.234s 0m0.056s".
    const lines = r.stderr.toString().trim().split('\n');
    const secs = (lines[lines.length - 1] ?? '').split(/\s+/).map((t) => {
      const m = /^(\d+)m([\d.]+)s$/.exec(t);
      return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
    });
    (cpu[row] ??= []).push((secs[0]! + (secs[1] ?? 0)) * 1000);
  }
  return ms;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[s.length >> 1]! };
};

function rounds(rows: Record<string, () => number>): Record<string, { min: number; median: number }> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(rows).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(rows)) times[k]!.push(fn());
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
}

/** Spawns `serve` on port 0 and resolves with the ms until its log says `listening`; then stops it. */
function serveStart(env: NodeJS.ProcessEnv, cli = CLI): Promise<number> {
  const dir = mkdtempSync(join(work, 'serve-'));
  const config = join(dir, 'config.json');
  const tok = (r: string) => [`${r}-token-0123456789abcdef`];
  writeFileSync(config, JSON.stringify({ port: 0, host: '127.0.0.1', journal: { dir: join(dir, 'journal') }, tokens: { ingest: tok('i'), moderator: tok('m'), control: tok('c') }, watchLexicons: false }));
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cli, 'serve', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (!done && out.includes('"event":"listening"')) {
        done = true;
        resolvePromise(performance.now() - t0);
        child.kill('SIGTERM');
      }
    });
    child.on('exit', (code) => {
      if (!done) reject(new Error(`serve exited ${code} before listening: ${out.slice(-500)}`));
    });
  });
}

async function main(): Promise<void> {
  const plain = join(work, 'plain.ndjson');
  const streams = join(work, 'streams.ndjson');
  writeFileSync(plain, ndjsonCorpus({ lines: LINES, streams: 0, hits: 0.2, seed: 7 }));
  writeFileSync(streams, ndjsonCorpus({ lines: LINES, streams: 64, hits: 0.2, seed: 11 }));
  mkdirSync(noCache);
  // A fresh artifact for the rows that use one.
  const compiled = spawnSync(process.execPath, [CLI, 'lexicon', 'compile'], { env: envWith(cache), encoding: 'utf8' });
  if (compiled.status !== 0) throw new Error(compiled.stderr);
  const one = '{"id":"1","text":"x","kind":"chat"}\n';
  // Two lexicon terms (an extreme claim and a contact phrase): the start plus a first flagged line.
  const flagged = '{"id":"1","text":"最低价 加微信","kind":"chat"}\n';
  const freshNoCache = () => {
    rmSync(noCache, { recursive: true, force: true });
    return envWith(noCache);
  };
  const baselineCli = BASELINE ? join(resolve(BASELINE), 'src/cli/main.js') : undefined;
  // The baseline build keys its artifact by its own code: its own cache folder, compiled once here.
  const baselineEnv = envWith(join(work, 'baseline-cache'));
  if (baselineCli) spawnSync(process.execPath, [baselineCli, 'scan'], { input: one, env: baselineEnv });

  console.log(`start-up, ${ROUNDS} interleaved rounds (wall ms; CPU ms of the child, user + sys)`);
  const startupRows: Record<string, () => number> = {
    'node -e 0': () => timeRun(['-e', '0'], undefined, process.env, 'node -e 0'),
    'scan, fresh artifact': () => timeRun([CLI, 'scan'], one, envWith(cache), 'scan, fresh artifact'),
    'scan, fresh artifact, flagged': () => timeRun([CLI, 'scan'], flagged, envWith(cache), 'scan, fresh artifact, flagged'),
    ...(STARTUP_ONLY ? {} : { 'scan, no artifact': () => timeRun([CLI, 'scan'], one, freshNoCache(), 'scan, no artifact') }),
    ...(baselineCli
      ? {
          'scan, baseline build': () => timeRun([baselineCli, 'scan'], one, baselineEnv, 'scan, baseline build'),
          'scan, baseline, flagged': () => timeRun([baselineCli, 'scan'], flagged, baselineEnv, 'scan, baseline, flagged'),
        }
      : {}),
  };
  const startupWall = rounds(startupRows);
  const startup = Object.fromEntries(Object.entries(startupWall).map(([k, v]) => [k, { ...v, cpuMs: stats(cpu[k] ?? [0]) }]));
  for (const [k, v] of Object.entries(startup))
    console.log(`  ${k.padEnd(30)} min ${v.min.toFixed(0).padStart(6)}  median ${v.median.toFixed(0).padStart(6)}   cpu min ${v.cpuMs.min.toFixed(0).padStart(5)}  median ${v.cpuMs.median.toFixed(0).padStart(5)}`);

  let tput: Record<string, unknown> = {};
  const inProcess: Record<string, unknown> = {};
  if (!STARTUP_ONLY) {
    console.log(`throughput, ${LINES} lines of 30-60 units, ${ROUNDS} interleaved rounds (lines/s; steady = minus the median start-up)`);
    const runs: Record<string, () => number> = {};
    for (const [name, file] of [['plain', plain], ['streams', streams]] as const) {
      runs[name] = () => timeRun([CLI, 'scan', file, '--workers', '0'], undefined, envWith(cache), name);
      if (WORKERS > 0) runs[`${name}, ${WORKERS} workers`] = () => timeRun([CLI, 'scan', file, '--workers', String(WORKERS)], undefined, envWith(cache), `${name}, ${WORKERS} workers`);
      if (baselineCli) runs[`${name}, baseline`] = () => timeRun([baselineCli, 'scan', file], undefined, baselineEnv, `${name}, baseline`);
    }
    const throughput = rounds(runs);
    const start = (k: string) => (k.includes('baseline') ? startup['scan, baseline build']!.median : startup['scan, fresh artifact']!.median);
    const rows = Object.fromEntries(
      Object.entries(throughput).map(([k, v]) => [
        k,
        { wall: v, linesPerSec: { best: (LINES / v.min) * 1000, median: (LINES / v.median) * 1000 }, steadyLinesPerSec: (LINES / Math.max(1, v.median - start(k))) * 1000, cpuMs: stats(cpu[k] ?? [0]) },
      ]),
    );
    tput = rows;
    for (const [k, v] of Object.entries(rows))
      console.log(
        `  ${k.padEnd(24)} best ${v.linesPerSec.best.toFixed(0).padStart(8)}  median ${v.linesPerSec.median.toFixed(0).padStart(8)}  steady ${v.steadyLinesPerSec.toFixed(0).padStart(8)}  cpu s min ${(v.cpuMs.min / 1000).toFixed(2)} median ${(v.cpuMs.median / 1000).toFixed(2)}`,
      );

    console.log('in one process: scanner alone vs the CLI line paths (median ms, lines/s, time / scanner alone)');
    process.env.PKGUARD_CACHE_DIR = cache;
    const scanner = await openScanScanner(undefined, undefined, (m) => console.error(m));
    for (const [name, file] of [['plain', plain], ['streams', streams]] as const) {
      const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
      const reqs = lines.map((l) => JSON.parse(l) as { id: string; text: string; kind?: 'chat' | 'transcript'; stream?: string });
      let sink = 0;
      const time = (fn: () => void) => () => {
        const t0 = performance.now();
        fn();
        return performance.now() - t0;
      };
      const r = rounds({
        'scanner alone': time(() => {
          for (const q of reqs) sink += (q.stream !== undefined && q.kind !== 'chat' ? scanner.stream(q.stream).push(q.text, q.kind ? { kind: q.kind } : {}) : scanner.scan(q.text, q.kind ? { kind: q.kind } : {})).length;
        }),
        'line, hand-read road': time(() => {
          for (const l of lines) sink += scanLine(scanner, l).length;
        }),
        'line, JSON.parse road': time(() => {
          for (const l of lines) sink += scanLineParsed(scanner, l).length;
        }),
      });
      const base = r['scanner alone']!.median;
      inProcess[name] = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, { ...v, linesPerSec: (lines.length / v.median) * 1000, ratio: v.median / base }]));
      for (const [k, v] of Object.entries(r)) console.log(`  ${name.padEnd(8)} ${k.padEnd(22)} ${v.median.toFixed(0).padStart(6)} ms ${((lines.length / v.median) * 1000).toFixed(0).padStart(8)} lines/s  ×${(v.median / base).toFixed(2)}`);
      if (sink < 0) console.log(sink);
    }
  }

  let serve: Record<string, unknown> = {};
  if (!SKIP_SERVE) {
    console.log(`serve: spawn to "listening" (ms), ${ROUNDS} rounds`);
    const times: Record<string, number[]> = { 'fresh artifact': [], ...(STARTUP_ONLY ? {} : { 'no artifact': [] }), ...(baselineCli ? { 'baseline, fresh artifact': [] } : {}) };
    for (let i = 0; i < ROUNDS; i++) {
      times['fresh artifact']!.push(await serveStart(envWith(cache)));
      if (!STARTUP_ONLY) times['no artifact']!.push(await serveStart(freshNoCache()));
      if (baselineCli) times['baseline, fresh artifact']!.push(await serveStart(baselineEnv, baselineCli));
    }
    serve = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, stats(v)]));
    for (const [k, v] of Object.entries(serve) as [string, { min: number; median: number }][]) console.log(`  ${k.padEnd(24)} min ${v.min.toFixed(0).padStart(6)}  median ${v.median.toFixed(0).padStart(6)}`);
  }

  const loadavg = (await import('node:os')).loadavg();
  const results = { date: new Date().toISOString(), node: process.version, loadavg, lines: LINES, rounds: ROUNDS, startup, throughput: tput, inProcess, serve };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  const out = join(ROOT, `bench/results/cli-${results.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(results, null, 2));
  console.log(`load average ${loadavg.map((x) => x.toFixed(1)).join(' ')}; results: ${out}`);
  rmSync(work, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  rmSync(work, { recursive: true, force: true });
  process.exitCode = 1;
});
