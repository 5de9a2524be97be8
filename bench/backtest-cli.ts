/**
 * `node dist/bench/backtest-cli.js --journal DIR --candidate DIR [--rounds N] [--workers N|auto] [--a ROOT] [--b ROOT] [--report FILE.html [--screenshot FILE.png]]`
 *
 * The backtest figure a user sees, A/B: the `pkguard backtest` command of build A (default: this
 * build) and of build B (another checkout's root, e.g. main's, built), run alternately `--rounds`
 * times (default 3; the order swaps every round) on the same journal and candidate. Per run: the
 * wall clock measured here around the whole process (node start to exit), the rate the command
 * reports (messages read over its own wall clock from the process start to the summary, for a
 * build that says "from process start"), its per-thread CPU and the load average; then min/median
 * per build. Each run's summary, its first line (timings) aside, must be the same for A and B:
 * a difference is printed and the exit code is 1. Each build keeps its candidate artifact in a cache
 * folder of its own (an artifact is keyed by the build, so two builds sharing the cache file would
 * each recompile the candidate on every run) and runs once untimed first, so every timed run loads it. `--report` has A's last run write its HTML report
 * there, and `--screenshot` takes a picture of it in Debian chromium (bench/browser.ts). Figures are
 * reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './browser.js';

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const journal = opt('--journal');
const candidate = opt('--candidate');
if (!journal || !candidate) {
  process.stderr.write('usage: backtest-cli --journal DIR --candidate DIR [--rounds N] [--workers N|auto] [--a ROOT] [--b ROOT]\n');
  process.exit(2);
}
const rounds = Number(opt('--rounds') ?? 3);
const workers = opt('--workers') ?? 'auto';
const thisRoot = fileURLToPath(new URL('../..', import.meta.url));
const builds: [string, string][] = [['A', resolve(opt('--a') ?? thisRoot)]];
const report = opt('--report');
const screenshot = opt('--screenshot');
const b = opt('--b');
if (b) builds.push(['B', resolve(b)]);

interface Run {
  wall: number;
  outsideRate: number;
  reportedRate: number;
  /** CPU seconds of all threads on their shards, as reported (less sensitive to the other processes than wall clock). */
  cpu: number;
}
const runs = new Map<string, Run[]>(builds.map(([n]) => [n, []]));
const cacheEnv = (name: string) => ({ ...process.env, PKGUARD_CACHE_DIR: join(tmpdir(), `pkguard-bench-backtest-${process.pid}-${name}`) });
const command = (root: string, extra: string[]) => [resolve(root, 'dist/src/cli/main.js'), 'backtest', '--journal', journal, '--lexicons', candidate, '--workers', workers, '--no-progress', ...extra];
for (const [name, root] of builds) {
  // Untimed: writes this build's artifact of the candidate into its own cache folder.
  const r = spawnSync('node', command(root, []), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: cacheEnv(name) });
  if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
  console.log(`warm-up ${name}: ${r.stdout.split('\n')[0]}`);
}
const bodies = new Map<string, string>();
let differs = false;
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? builds : [...builds].reverse();
  for (const [name, root] of order) {
    const load = loadavg()[0]!.toFixed(1);
    const t0 = performance.now();
    // A's report from its last run (one run per build per round); writing it is after the summary, so untimed.
    const extra = report && name === 'A' && round === rounds - 1 ? ['--report', report] : [];
    const r = spawnSync('node', command(root, extra), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: cacheEnv(name) });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${name}: exit ${r.status}: ${r.stderr}`);
    const [first = '', ...rest] = r.stdout.split('\n');
    const read = Number(/(\d+) messages read/.exec(first)?.[1] ?? 0);
    const reported = Number(/\((\d+) messages\/s\)/.exec(first)?.[1] ?? 0);
    const cpu = /\(CPU ([\d.+ ]+) s\)/.exec(first)?.[1]?.split('+').reduce((n, x) => n + Number(x), 0) ?? 0;
    runs.get(name)!.push({ wall, outsideRate: Math.round(read / wall), reportedRate: reported, cpu: Math.round(cpu * 10) / 10 });
    console.log(`round ${round + 1} ${name}: ${wall.toFixed(2)} s wall process = ${Math.round(read / wall)} messages/s | reported: ${first.replace(/^backtest: /, '')} | load ${load} -> ${loadavg()[0]!.toFixed(1)}`);
    const body = rest.join('\n');
    const before = bodies.get('any');
    if (before === undefined) bodies.set('any', body);
    else if (before !== body) {
      differs = true;
      console.log(`  ${name}'s summary differs from the first run's:\n${body}`);
    }
  }
}
const sorted = (xs: number[]) => [...xs].sort((x, y) => x - y);
for (const [name, root] of builds) {
  const xs = runs.get(name)!;
  const stat = (f: (r: Run) => number) => {
    const s = sorted(xs.map(f));
    return `min ${s[0]}, median ${s[Math.floor(s.length / 2)]}, max ${s.at(-1)}`;
  };
  console.log(`${name} (${root}): messages/s over the process wall clock: ${stat((r) => r.outsideRate)}; as reported: ${stat((r) => r.reportedRate)}; CPU s (threads summed): ${stat((r) => r.cpu)}`);
}
if (report && screenshot) {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1150, height: 1000 } });
  await page.goto(`file://${resolve(report)}`);
  await page.screenshot({ path: screenshot, fullPage: false });
  await browser.close();
  console.log(`report ${report} (A's last run), screenshot ${screenshot}`);
}
console.log(differs ? 'summaries DIFFER (first line aside)' : 'summaries identical (first line aside)');
process.exitCode = differs ? 1 : 0;
