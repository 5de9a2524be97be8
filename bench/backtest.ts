/**
 * `npm run bench:backtest -- [--messages N] [--streams N] [--journal DIR] [--keep] [--report FILE.html] [--screenshot FILE.png]`
 *
 * Backtest throughput on a journal a real server wrote: a generated live-commerce session (host
 * transcripts, viewer chat, a few partial hypotheses; 1M messages by default) is sent with
 * `pkguard replay --speed max` to a `pkguard serve` process, then the journal is backtested against a
 * candidate lexicon (the bundled one with one file removed and a few terms added). `--journal DIR`
 * reuses a journal from an earlier `--keep` run. Figures are reported, never asserted.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBacktest } from '../src/backtest/backtest.js';
import { backtestHtml } from '../src/backtest/report-html.js';
import { backtestSummary } from '../src/backtest/report-text.js';
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
  const cpu = process.cpuUsage();
  const result = await runBacktest({ journalDir: recorded.dir, candidate: scanner });
  const cpuS = (() => {
    const d = process.cpuUsage(cpu);
    return (d.user + d.system) / 1e6;
  })();
  console.log(backtestSummary(result, 10));
  const m = result.messages;
  console.log(
    `\njournal ${(bytes / 1e6).toFixed(0)} MB; candidate compile ${compileS.toFixed(2)} s (not counted); ` +
      `backtest ${result.seconds.toFixed(2)} s: ${Math.round(m.read / result.seconds)} messages/s read, ${Math.round(m.rescanned / result.seconds)} rescanned/s; ` +
      `${cpuS.toFixed(2)} CPU s: ${Math.round(m.read / cpuS)} messages per CPU second (the wall-clock rate on a busy machine understates it)`,
  );
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
