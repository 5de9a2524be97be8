/**
 * `npm run bench:backtest -- [--messages N] [--streams N] [--journal DIR] [--candidate DIR] [--keep] [--workers N] [--ab] [--rounds N] [--report FILE.html] [--screenshot FILE.png]`
 *
 * Backtest throughput on a journal a real server wrote: a generated live-commerce session (host
 * transcripts, viewer chat, a few partial hypotheses; 1M messages by default) is sent with
 * `pkguard replay --speed max` to a `pkguard serve` process, then the journal is backtested against a
 * candidate lexicon (the bundled one with one file removed and a few terms added). `--journal DIR`
 * reuses a journal from an earlier `--keep` run (which also keeps the candidate folder; `--candidate DIR`
 * reuses it). `--ab` runs, in this one process on the same journal, `--rounds` times (default 3), the
 * pre-session-9 read loop (bench/backtest-baseline.ts), then the new one in 1 thread and in `--workers N`
 * threads (default 2), each with wall and CPU rates and the load average, then min/median per
 * configuration. The candidate is loaded as the CLI loads it (its artifact when fresh) and not timed
 * here: for the figure a user sees, time the CLI (README "CLI: pkguard backtest"). Figures are
 * reported, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBacktest } from '../src/backtest/backtest.js';
import { backtestHtml } from '../src/backtest/report-html.js';
import { backtestSummary } from '../src/backtest/report-text.js';
import type { BacktestResult } from '../src/backtest/tally.js';
import { baselineBacktest } from './backtest-baseline.js';
import { Scanner } from '../src/detect/scanner.js';
import { FlagIdAllocator } from '../src/flag.js';
import { openCompiledLexicon } from '../src/lexicon/artifact-store.js';
import { BUNDLED_LEXICON_DIR } from '../src/lexicon/load.js';
import { launchChromium } from './browser.js';
import { prng } from './corpus.js';
import { BENCH_TOKENS, startServerProcess } from './e2e/server-process.js';
import { TextPool } from './e2e/text.js';

const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.indexOf(name);
  return i < 0 ? undefined : argv[i + 1];
};
const MESSAGES = Number(opt('--messages') ?? 1_000_000);
const STREAMS = Number(opt('--streams') ?? 2_000);

/** The session as replay input: per stream, mostly final transcript chunks and chat, some partials. */
function writeSession(file: string): void {
  const pool = new TextPool({ chars: 40, violationRate: 0.08, evasionRate: 0.3, seed: 7 });
  const rnd = prng(11);
  const seqs = new Array<number>(STREAMS).fill(0);
  const t0 = 1_765_000_000_000;
  let lines: string[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const s = i % STREAMS;
    const stream = `room-${s}`;
    const ts = t0 + i * 5;
    const r = rnd();
    let msg: object;
    if (r < 0.5) msg = { type: 'chat', stream, seq: ++seqs[s]!, ts, user: `u${Math.floor(rnd() * 1e6)}`, text: pool.nextChat() };
    else if (r < 0.55) {
      // A partial hypothesis, then its final with the same seq.
      const text = pool.nextTranscript();
      const seq = ++seqs[s]!;
      lines.push(JSON.stringify({ type: 'transcript', stream, seq, ts, final: false, text: text.slice(0, Math.ceil(text.length / 2)) }));
      i++;
      msg = { type: 'transcript', stream, seq, ts: ts + 1, text };
    } else msg = { type: 'transcript', stream, seq: ++seqs[s]!, ts, text: pool.nextTranscript() };
    lines.push(JSON.stringify(msg));
    if (lines.length >= 10_000) {
      appendFileSync(file, lines.join('\n') + '\n');
      lines = [];
    }
  }
  if (lines.length > 0) appendFileSync(file, lines.join('\n') + '\n');
}

async function recordJournal(): Promise<{ dir: string; cleanup: () => void }> {
  const server = await startServerProcess({ config: { journal: { fsync: true } } });
  const session = join(server.dir, 'session.ndjson');
  writeSession(session);
  const started = performance.now();
  execFileSync(process.execPath, [MAIN, 'replay', session, '--speed', 'max', '--batch', '200', '--url', server.url, '--token', BENCH_TOKENS.ingest[0]!], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 1 << 30 });
  process.stderr.write(`recorded ${MESSAGES} messages through the server in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  await server.stop();
  rmSync(session);
  return { dir: join(server.dir, 'journal'), cleanup: () => rmSync(server.dir, { recursive: true, force: true }) };
}

/** The bundled lexicons with the exclusivity file removed and three extreme terms added. */
function candidateLexicons(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-bench-cand-'));
  cpSync(BUNDLED_LEXICON_DIR, dir, { recursive: true });
  const exclusive = readdirSync(dir).find((f) => f.startsWith('exclusive') && f.endsWith('.tsv'));
  if (exclusive) rmSync(join(dir, exclusive));
  writeFileSync(join(dir, 'extreme.candidate.tsv'), '很划算\tlow\n特别显白\tlow\n库存不多\tmedium\n');
  return dir;
}

const given = opt('--journal');
const recorded = given ? { dir: given, cleanup: () => undefined } : await recordJournal();
const givenCandidate = opt('--candidate');
const candidate = givenCandidate ?? candidateLexicons();
const keep = argv.includes('--keep');
try {
  const bytes = readdirSync(recorded.dir).reduce((n, f) => n + statSync(join(recorded.dir, f)).size, 0);
  // As the CLI does: the candidate's artifact when fresh, else compiled (and the artifact written).
  const compileStart = performance.now();
  const opened = await openCompiledLexicon({ lexiconDir: candidate });
  const compileS = (performance.now() - compileStart) / 1000;
  const source = opened.file !== undefined ? { dir: candidate, artifact: opened.file } : undefined;
  const workers = Number(opt('--workers') ?? 2);
  const rounds = Number(opt('--rounds') ?? 3);
  // Each run gets its own scanner, made before its clock starts (stream state is left behind in a scanner).
  const fresh = () => new Scanner(opened.lexicon, new FlagIdAllocator(1));
  const configs: [string, (scanner: Scanner) => Promise<BacktestResult>][] = argv.includes('--ab')
    ? [
        ['baseline (old loop)', (sc) => baselineBacktest(recorded.dir, sc)],
        ['new, 1 thread', (sc) => runBacktest({ journalDir: recorded.dir, candidate: sc, workers: 1 })],
        [`new, ${workers} threads`, (sc) => runBacktest({ journalDir: recorded.dir, candidate: sc, workers, ...(source ? { lexiconSource: source } : {}) })],
      ]
    : [[`${workers} threads`, (sc) => runBacktest({ journalDir: recorded.dir, candidate: sc, workers, ...(source ? { lexiconSource: source } : {}) })]];
  let result!: BacktestResult;
  const lines: string[] = [];
  const rates = new Map<string, number[]>();
  for (let round = 0; round < (argv.includes('--ab') ? rounds : 1); round++) {
    for (const [name, run] of configs) {
      const scanner = fresh();
      const load = loadavg()[0]!;
      const cpu = process.cpuUsage();
      // Worker threads' CPU is the process's: process.cpuUsage() covers every thread.
      result = await run(scanner);
      const d = process.cpuUsage(cpu);
      const cpuS = (d.user + d.system) / 1e6;
      const m = result.messages;
      const rate = Math.round(m.read / result.seconds);
      rates.set(name, [...(rates.get(name) ?? []), rate]);
      lines.push(
        `round ${round + 1} ${name.padEnd(20)} ${result.seconds.toFixed(2).padStart(6)} s: ${String(rate).padStart(7)} messages/s wall, ` +
          `${cpuS.toFixed(2).padStart(6)} CPU s: ${String(Math.round(m.read / cpuS)).padStart(7)} messages per CPU second` +
          (result.threadCpu ? `, per thread ${result.threadCpu.map((x) => x.toFixed(2)).join(' + ')} s` : '') +
          ` (load average ${load.toFixed(1)} at start, ${loadavg()[0]!.toFixed(1)} at end)`,
      );
    }
  }
  console.log(backtestSummary(result, 10));
  const m = result.messages;
  console.log(`\njournal ${(bytes / 1e6).toFixed(0)} MB, ${m.read} messages (${m.rescanned} rescanned); candidate ${opened.from === 'artifact' ? 'loaded from its artifact' : 'compiled'} in ${compileS.toFixed(2)} s (not counted: the rates below are of runBacktest in this process; time the CLI for a user's figure); ${cpus().length} cores`);
  for (const l of lines) console.log(l);
  const sorted = (xs: number[]) => xs.slice().sort((a, b) => a - b);
  for (const [name, xs] of rates) if (xs.length > 1) console.log(`${name.padEnd(20)} messages/s wall: min ${sorted(xs)[0]}, median ${sorted(xs)[Math.floor(xs.length / 2)]}, max ${sorted(xs).at(-1)}`);
  const report = opt('--report');
  if (report) writeFileSync(report, backtestHtml(result, `pkguard backtest (bench): ${m.read} messages`));
  const shot = opt('--screenshot');
  if (report && shot) {
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1150, height: 1000 } });
    await page.goto(`file://${resolve(report)}`);
    await page.screenshot({ path: shot, fullPage: false });
    await browser.close();
  }
} finally {
  if (keep) console.log(`journal kept in ${recorded.dir}` + (givenCandidate ? '' : `\ncandidate lexicons kept in ${candidate}`));
  else {
    if (!givenCandidate) rmSync(candidate, { recursive: true, force: true });
    recorded.cleanup();
  }
}
