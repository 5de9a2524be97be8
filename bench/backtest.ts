/**
 * `npm run bench:backtest -- [--messages N] [--streams N] [--journal DIR] [--keep] [--workers N] [--ab] [--report FILE.html] [--screenshot FILE.png]`
 *
 * Backtest throughput on a journal a real server wrote: a generated live-commerce session (host
 * transcripts, viewer chat, a few partial hypotheses; 1M messages by default) is sent with
 * `pkguard replay --speed max` to a `pkguard serve` process, then the journal is backtested against a
 * candidate lexicon (the bundled one with one file removed and a few terms added). `--journal DIR`
 * reuses a journal from an earlier `--keep` run. `--ab` runs, in this one process on the same journal,
 * the pre-session-9 read loop (bench/backtest-baseline.ts), then the new one with 1 worker and with
 * `--workers N` (default 2), each with wall and CPU rates and the load average. Figures are reported,
 * never asserted.
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
import { createScanner } from '../src/index.js';
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
const candidate = candidateLexicons();
try {
  const bytes = readdirSync(recorded.dir).reduce((n, f) => n + statSync(join(recorded.dir, f)).size, 0);
  const compileStart = performance.now();
  const scanner = createScanner({ lexiconDir: candidate });
  const compileS = (performance.now() - compileStart) / 1000;
  const workers = Number(opt('--workers') ?? 2);
  // Each run gets a scanner compiled before its clock starts (stream state is left behind in a scanner).
  const fresh = () => createScanner({ lexiconDir: candidate });
  const ab = argv.includes('--ab') ? [fresh(), fresh()] : [];
  const runs: [string, () => Promise<BacktestResult>][] = argv.includes('--ab')
    ? [
        ['baseline (old loop)', () => baselineBacktest(recorded.dir, ab[0]!)],
        ['new, 1 thread', () => runBacktest({ journalDir: recorded.dir, candidate: ab[1]!, workers: 1 })],
        [`new, ${workers} workers`, () => runBacktest({ journalDir: recorded.dir, candidate: scanner, workers })],
      ]
    : [[`${workers} workers`, () => runBacktest({ journalDir: recorded.dir, candidate: scanner, workers })]];
  let result!: BacktestResult;
  const lines: string[] = [];
  for (const [name, run] of runs) {
    const load = loadavg()[0]!;
    const cpu = process.cpuUsage();
    // Worker threads' CPU is the process's: process.cpuUsage() covers every thread.
    result = await run();
    const d = process.cpuUsage(cpu);
    const cpuS = (d.user + d.system) / 1e6;
    const m = result.messages;
    lines.push(
      `${name.padEnd(22)} ${result.seconds.toFixed(2).padStart(6)} s: ${String(Math.round(m.read / result.seconds)).padStart(7)} messages/s wall, ` +
        `${cpuS.toFixed(2).padStart(6)} CPU s: ${String(Math.round(m.read / cpuS)).padStart(7)} messages per CPU second (load average ${load.toFixed(1)} at start)`,
    );
  }
  console.log(backtestSummary(result, 10));
  const m = result.messages;
  console.log(`\njournal ${(bytes / 1e6).toFixed(0)} MB, ${m.read} messages (${m.rescanned} rescanned); candidate compile ${compileS.toFixed(2)} s (not counted); ${cpus().length} cores`);
  for (const l of lines) console.log(l);
  const report = opt('--report');
  if (report) writeFileSync(report, backtestHtml(result, `pkguard backtest (bench): ${m.read} messages`));
  const shot = opt('--screenshot');
  if (report && shot) {
    const browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
    await page.goto(`file://${resolve(report)}`);
    await page.screenshot({ path: shot, fullPage: false });
    await browser.close();
  }
} finally {
  rmSync(candidate, { recursive: true, force: true });
  if (argv.includes('--keep')) console.log(`journal kept in ${recorded.dir}`);
  else recorded.cleanup();
}
