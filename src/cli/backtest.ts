/**
 * `pkguard backtest --journal DIR --lexicons NEWDIR [--report FILE.html] [--json FILE] [--workers N]`: what a
 * candidate lexicon would have flagged on the messages a server recorded, before it goes live.
 */
import { writeFileSync } from 'node:fs';
import { runBacktest, type BacktestProgress, type LexiconSource } from '../backtest/backtest.js';
import { backtestHtml } from '../backtest/report-html.js';
import { backtestSummary } from '../backtest/report-text.js';
import { LexiconError, PkguardError } from '../errors.js';
import { Scanner } from '../detect/scanner.js';
import { FlagIdAllocator } from '../flag.js';
import { openCompiledLexicon } from '../lexicon/artifact-store.js';

export interface BacktestArgs {
  journal: string;
  lexicons: string;
  report: string | undefined;
  json: string | undefined;
  examples: number;
  progress: boolean;
  /** Threads streams are sharded across; 'auto' (the default): the cores, at most 4, for a journal of 32 MB or more, else 1. */
  workers: number | 'auto';
}

/** The options, or a usage message. */
export function parseBacktestArgs(args: readonly string[], stderrIsTTY: boolean): BacktestArgs | string {
  const out: Partial<BacktestArgs> = { examples: 3, progress: stderrIsTTY, workers: 'auto' };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string | undefined => (i + 1 < args.length ? args[++i] : undefined);
    switch (a) {
      case '--journal':
      case '--lexicons':
      case '--report':
      case '--json': {
        const v = value();
        if (v === undefined) return `${a} needs a value`;
        out[a.slice(2) as 'journal' | 'lexicons' | 'report' | 'json'] = v;
        break;
      }
      case '--examples': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 100) return '--examples needs an integer from 0 to 100';
        out.examples = n;
        break;
      }
      case '--workers': {
        const v = value();
        if (v === 'auto') {
          out.workers = 'auto';
          break;
        }
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 64) return '--workers needs an integer from 1 to 64';
        out.workers = n;
        break;
      }
      case '--progress':
        out.progress = true;
        break;
      case '--no-progress':
        out.progress = false;
        break;
      default:
        return `unexpected argument ${a}`;
    }
  }
  if (!out.journal) return 'missing --journal DIR (the journal.dir of the server that recorded the messages)';
  if (!out.lexicons) return 'missing --lexicons DIR (the candidate lexicon folder)';
  return out as BacktestArgs;
}

export async function runBacktestCli(args: BacktestArgs, stdout: (s: string) => void, stderr: NodeJS.WriteStream): Promise<number> {
  let lexiconTaken: { from: 'artifact' | 'compile'; seconds: number } | undefined;
  // The candidate's compiled artifact when fresh (a second backtest of the same folder skips the
  // compile), else compiled and the artifact written. Worker threads open the folder's artifact
  // themselves (read only), and are started before this thread opens it, so both load at once.
  const candidate = async (): Promise<Scanner> => {
    const t0 = performance.now();
    const opened = await openCompiledLexicon({ lexiconDir: args.lexicons });
    lexiconTaken = { from: opened.from, seconds: (performance.now() - t0) / 1000 };
    return new Scanner(opened.lexicon, new FlagIdAllocator(1));
  };
  const lexiconSource: LexiconSource = { dir: args.lexicons };
  const bar = args.progress ? progressBar(stderr) : undefined;
  let result;
  try {
    result = await runBacktest({ journalDir: args.journal, candidate, examplesPerTerm: args.examples, workers: args.workers, lexiconSource, ...(bar ? { onProgress: bar.update } : {}) });
  } catch (err) {
    bar?.done();
    if (err instanceof LexiconError) {
      stderr.write(`pkguard backtest: candidate lexicons refused: ${err.message}\n`);
      return 1;
    }
    if (err instanceof PkguardError || (err as NodeJS.ErrnoException).code !== undefined) {
      stderr.write(`pkguard backtest: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
  bar?.done();
  if (lexiconTaken) result.lexicon = lexiconTaken;
  // The rate a user sees: messages read over the wall clock from the process start (node start-up,
  // module loading, the candidate lexicon and the workers' start included) to the summary.
  result.seconds = performance.now() / 1000;
  result.timedFrom = 'process start';
  stdout(backtestSummary(result));
  if (args.report) writeFileSync(args.report, backtestHtml(result, `pkguard backtest: ${args.lexicons} on ${args.journal}`));
  if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n');
  return 0;
}

/** A one-line bar redrawn in place at most ten times a second. */
function progressBar(out: NodeJS.WriteStream): { update: (p: BacktestProgress) => void; done: () => void } {
  const started = performance.now();
  let last = 0;
  let drawn = false;
  const draw = (p: BacktestProgress) => {
    const frac = p.totalBytes > 0 ? Math.min(1, p.bytes / p.totalBytes) : 1;
    const width = 30;
    const fill = Math.round(frac * width);
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? Math.round(p.messages / secs) : 0;
    out.write(`\r[${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%  ${p.messages} messages  ${rate}/s `);
    drawn = true;
  };
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100 && p.bytes < p.totalBytes) return;
      last = now;
      draw(p);
    },
    done() {
      if (drawn) out.write('\n');
    },
  };
}
