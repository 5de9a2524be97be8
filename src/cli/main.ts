#!/usr/bin/env node
/**
 * `pkguard <command>`: argv dispatch. Exit codes: 0 ok, 1 the input or lexicon was refused,
 * 2 usage error.
 */
import { LexiconError } from '../errors.js';
import { createScanner } from '../index.js';
import { BUNDLED_LEXICON_DIR } from '../lexicon/load.js';
import { checkLexicons, formatReport } from './lexicon-check.js';
import { openInput, runScan } from './scan.js';

const USAGE = `usage:
  pkguard scan [FILE] [--lexicons DIR]     NDJSON {"id","text","kind"?,"stream"?} per line -> {"id","flags"} per line
  pkguard lexicon check [DIR] [--json]     validate lexicons and explain mistakes (default: bundled)
  pkguard serve [--config FILE]            the live server (default port 8080, PKGUARD_PORT overrides)
  pkguard replay FILE [--speed N|max] [--url ws://host:port] [--token T] [--batch N]
                                           send a recorded NDJSON session to a running server`;

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
  if (command === 'scan') {
    const lexiconDir = option(args, '--lexicons');
    let scanner;
    try {
      scanner = createScanner(lexiconDir ? { lexiconDir } : {});
    } catch (err) {
      if (err instanceof LexiconError) {
        process.stderr.write(`pkguard scan: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
    return runScan(scanner, openInput(args[0]), process.stdout, (m) => process.stderr.write(m + '\n'));
  }
  if (command === 'serve') {
    const config = option(args, '--config');
    if (args.length > 0) {
      process.stderr.write(`pkguard serve: unexpected argument ${args[0]}\n${USAGE}\n`);
      return 2;
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
  if (command === 'lexicon' && args[0] === 'check') {
    const json = args.includes('--json');
    const dir = args.slice(1).find((a) => !a.startsWith('--')) ?? BUNDLED_LEXICON_DIR;
    const report = checkLexicons(dir);
    process.stdout.write((json ? JSON.stringify(report, null, 2) : formatReport(report)) + '\n');
    return report.errors.length > 0 ? 1 : 0;
  }
  process.stderr.write(`${command ? `unknown command: ${[command, ...args].join(' ')}\n` : ''}${USAGE}\n`);
  return command === '--help' || command === 'help' ? 0 : 2;
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
