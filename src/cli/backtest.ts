/**
 * `pkguard backtest --journal DIR --lexicons NEWDIR [--report FILE.html] [--json FILE] [--workers N]`: what a
 * candidate lexicon would have flagged on the messages a server recorded, before it goes live.
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { runBacktest, type BacktestProgress } from '../backtest/backtest.js';
import { backtestHtml } from '../backtest/report-html.js';
import { backtestSummary } from '../backtest/report-text.js';
import { LexiconError, PkguardError } from '../errors.js';
import { createScanner } from '../index.js';

export interface BacktestArgs {
  journal: string;
  lexicons: string;
  report: string | undefined;
  json: string | undefined;
  examples: number;
  progress: boolean;
  /** Worker threads streams are sharded across (default: the cores, at most 4). */
  workers: number;
}

/** The options, or a usage message. */
export function parseBacktestArgs(args: readonly string[], stderrIsTTY: boolean): BacktestArgs | string {
  const out: Partial<BacktestArgs> = { examples: 3, progress: stderrIsTTY, workers: Math.min(4, availableParallelism()) };
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
        const n = Number(value());
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
  let candidate;
  try {
    candidate = createScanner({ lexiconDir: args.lexicons });
  } catch (err) {
    if (err instanceof LexiconError) {
      stderr.write(`pkguard backtest: candidate lexicons refused: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const bar = args.progress ? progressBar(stderr) : undefined;
  let result;
  try {
    result = await runBacktest({ journalDir: args.journal, candidate, examplesPerTerm: args.examples, workers: args.workers, ...(bar ? { onProgress: bar.update } : {}) });
  } catch (err) {
    bar?.done();
    if (err instanceof PkguardError || (err as NodeJS.ErrnoException).code !== undefined) {
      stderr.write(`pkguard backtest: ${(err as Error).message}\n`);
      return 1;
    }
    throw err;
  }
  bar?.done();
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
