/**
 * `pkguard --help` and its spellings print the usage of every command on stdout with exit 0;
 * `pkguard COMMAND --help` prints that command's page; a mistake still exits 2 with the usage on
 * stderr. Runs the built CLI.
 */
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { CLI, runCli } from './run-cli.js';

const LONG = 30_000;
const COMMANDS = ['pkguard scan [FILE] [--lexicons DIR]', 'pkguard serve [--config FILE]', 'pkguard lexicon check [DIR] [--json]', 'pkguard replay FILE [--speed N|max] [--url ws://HOST:PORT] [--token TOKEN] [--batch N]'];

describe('pkguard --help', () => {
  test('the built CLI is executable, as `npx pkguard` runs it (by its shebang, not through node)', { timeout: LONG }, () => {
    const bin = CLI;
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    expect(execFileSync(bin, ['--help'], { encoding: 'utf8' })).toMatch(/^usage: pkguard <command>/);
  });

  test('every command is listed, ingest and backtest too', { timeout: LONG }, async () => {
    const r = await runCli(['--help']);
    for (const c of ['pkguard ingest [FILE]', 'pkguard backtest --journal DIR --lexicons DIR', 'pkguard lexicon compile']) expect(r.stdout).toContain(c);
  });

  for (const args of [['--help'], ['-h'], ['help']]) {
    test(`pkguard ${args.join(' ')} lists every command with its flags, exit 0`, { timeout: LONG }, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      for (const line of COMMANDS) expect(r.stdout).toContain(line);
    });
  }

  const pages: [string[], RegExp[]][] = [
    [['scan', '--help'], [/^usage: pkguard scan \[FILE\] \[--lexicons DIR\]/, /exactly one line per input line/]],
    [['scan', '-h'], [/^usage: pkguard scan /]],
    [['serve', '--help'], [/^usage: pkguard serve \[--config FILE\]/, /PKGUARD_PORT/, /69 port unavailable/]],
    [['lexicon', 'check', '--help'], [/^usage: pkguard lexicon check \[DIR\] \[--json\]/]],
    [['lexicon', '--help'], [/^usage: pkguard lexicon check /]],
    [['replay', '--help'], [/^usage: pkguard replay FILE/, /--url URL/, /--token TOKEN/, /PKGUARD_TOKEN/, /tokens\.json/]],
    [['help', 'replay'], [/^usage: pkguard replay FILE/]],
  ];
  for (const [args, patterns] of pages) {
    test(`pkguard ${args.join(' ')} prints that command's page, exit 0`, { timeout: LONG }, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe('');
      for (const p of patterns) expect(r.stdout).toMatch(p);
    });
  }

  test('scan --help does not scan (stdin ignored, no NDJSON out)', { timeout: LONG }, async () => {
    const r = await runCli(['scan', '--help'], '{"id":"a","text":"全网最低价"}\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: pkguard scan/);
    expect(r.stdout).not.toContain('"matched"');
  });
});

describe('usage errors exit 2 with the usage on stderr', () => {
  for (const args of [['frobnicate'], [], ['lexicon'], ['help', 'frobnicate'], ['frobnicate', '--help'], ['serve', 'extra']]) {
    test(`pkguard ${args.join(' ')}`, { timeout: LONG }, async () => {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      for (const line of COMMANDS) expect(r.stderr).toContain(line);
    });
  }
  test('the unknown command is named', { timeout: LONG }, async () => {
    expect((await runCli(['frobnicate', 'x'])).stderr).toMatch(/^unknown command: frobnicate x\n/);
  });
});
