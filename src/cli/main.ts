#!/usr/bin/env node
/**
 * `pkguard <command>`: argv dispatch. Exit codes: 0 ok, 1 the input or lexicon was refused,
 * 2 usage error. Help asked for (`--help`, `-h`, `help [COMMAND]`, `COMMAND --help`) goes to
 * stdout with exit 0; usage after a mistake goes to stderr with exit 2.
 */
import { LexiconError } from '../errors.js';
import { BUNDLED_LEXICON_DIR } from '../lexicon/bundled.js';
import { openInput, openScanScanner, runScan, scanWorkers } from './scan.js';
import { commandHelp, USAGE, wantsHelp } from './usage.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
}

async function main(argv: string[]): Promise<number> {
  const args = argv.slice();
  const command = args.shift();
  const help = helpFor(command, args);
  if (help !== undefined) {
    if (help.page === undefined) return usageError(`unknown command: ${help.topic}`);
    process.stdout.write(help.page + '\n');
    return 0;
  }
  if (command === 'scan') {
    const lexiconDir = option(args, '--lexicons');
    const artifact = option(args, '--artifact');
    const workers = scanWorkers(option(args, '--workers'));
    if (typeof workers === 'string') return usageError(workers);
    const onError = (m: string) => process.stderr.write(m + '\n');
    if (workers > 0) {
      // The first worker opens (and if needed refreshes) the lexicon: a scanner opened here too
      // would be a third artifact decode that scans nothing (~0.3 CPU s).
      const { runScanSharded } = await import('./scan-shards.js');
      return runScanSharded(openInput(args[0]), process.stdout, onError, { workers, lexiconDir, artifact });
    }
    let scanner;
    try {
      scanner = await openScanScanner(lexiconDir, artifact, onError);
    } catch (err) {
      if (err instanceof LexiconError) {
        process.stderr.write(`pkguard scan: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    return runScan(scanner, openInput(args[0]), process.stdout, onError);
  }
  if (command === 'serve') {
    const config = option(args, '--config');
    if (args.length > 0) {
      return usageError(`pkguard serve: unexpected argument ${args[0]}`);
    }
    const { runServe } = await import('./serve.js'); // the scan CLI does not pay for the server's imports
    return runServe(config);
  }
  if (command === 'replay') {
    const { parseReplayArgs, runReplay } = await import('./replay.js');
    const opts = parseReplayArgs(args);
    if (typeof opts === 'string') {
      process.stderr.write(`pkguard replay: ${opts}\n`);
      return 2;
    }
    return runReplay(opts, (line) => process.stdout.write(line + '\n'));
  }
  if (command === 'lexicon' && args[0] === 'compile') {
    const lexiconDir = option(args, '--lexicons');
    const out = option(args, '--out');
    if (args.length > 1) return usageError(`pkguard lexicon compile: unexpected argument ${args[1]}`);
    const { runLexiconCompile } = await import('./lexicon-compile.js');
    return runLexiconCompile({ lexiconDir, out }, (l) => process.stdout.write(l + '\n'), (l) => process.stderr.write(l + '\n'));
  }
  if (command === 'backtest') {
    const { parseBacktestArgs, runBacktestCli } = await import('./backtest.js');
    const opts = parseBacktestArgs(args, process.stderr.isTTY === true);
    if (typeof opts === 'string') return usageError(`pkguard backtest: ${opts}`);
    return runBacktestCli(opts, (text) => process.stdout.write(text + '\n'), process.stderr);
  }
  if (command === 'ingest') {
    const { parseIngestArgs, runIngest } = await import('./ingest.js');
    const opts = parseIngestArgs(args);
    if (typeof opts === 'string') {
      process.stderr.write(`pkguard ingest: ${opts}\n`);
      return 2;
    }
    return runIngest(opts, (line) => process.stdout.write(line + '\n'));
  }
  if (command === 'lexicon' && args[0] === 'check') {
    const { checkLexicons, formatReport } = await import('./lexicon-check.js'); // the scan CLI does not pay for the checker's imports
    const json = args.includes('--json');
    const dir = args.slice(1).find((a) => !a.startsWith('--')) ?? BUNDLED_LEXICON_DIR;
    const report = checkLexicons(dir);
    process.stdout.write((json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
    return report.errors.length > 0 ? 1 : 0;
  }
  return usageError(command ? `unknown command: ${[command, ...args].join(' ')}` : undefined);
}

/** The help asked for, if any: `page` undefined means help on a command that does not exist. */
function helpFor(command: string | undefined, args: string[]): { topic: string; page: string | undefined } | undefined {
  if (command === '--help' || command === '-h' || command === 'help') {
    const topic = args.find((a) => !a.startsWith('-'));
    return topic === undefined ? { topic: 'help', page: USAGE } : { topic, page: commandHelp(topic) };
  }
  if (command !== undefined && wantsHelp(args)) return { topic: command, page: commandHelp(command) };
  return undefined;
}

function usageError(message: string | undefined): number {
  process.stderr.write(`${message ? `${message}\n` : ''}${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`pkguard: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 70; // EX_SOFTWARE: a bug, not bad input
  },
);
