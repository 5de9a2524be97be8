/**
 * `pkguard scan --workers N` (scan-shards.ts): the built CLI on worker threads writes the same bytes
 * as the per-line JSON.parse road run in one scanner here (DESIGN "CLI: pkguard scan"), on a few MB of
 * generated lines: interleaved streams whose claims are split across lines (and across read chunks
 * and worker batches), chat lines naming a stream, escapes, an escaped `stream` key, surrogates, odd
 * whitespace, CRLF, blank lines, invalid JSON and invalid requests. Flag ids must come out numbered
 * as one scanner in input order numbers them, though each worker counts its own.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Scanner } from '../../src/detect/scanner.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { compileLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { blank, scanLineParsed } from '../../src/cli/scan.js';
import { CLI, lexiconDir, ROOT, runCli } from './run-cli.js';
import { prng } from '../../bench/corpus.js';

const LONG = 180_000;
let dir: string;
let work: string;
let input: string;
let want: string;

const FILLER = ['今天', '家人们', '这款', '真的', 'hello', ' ', '，', '😀', 'é', '\u2028', '宝宝', '看一下', '１２３'];

/** `count` lines (LF or CRLF ended) of the kinds described at the top. */
function generate(count: number, seed: number): string {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const words = (n: number) => Array.from({ length: n }, () => pick(FILLER)).join('');
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `m${i}`;
    const stream = `s${Math.floor(rnd() * 23)}`;
    const r = rnd();
    let line: string;
    if (r < 0.3) {
      // A claim split across two consecutive lines of one stream: found only with the carry.
      // The first half sometimes names its stream with an escaped key: it must still join that stream.
      const text = words(3) + '全网最';
      out.push(rnd() < 0.3 ? `{"id":"${id}","text":${JSON.stringify(text)},"str\\u0065am":"${stream}"}` : JSON.stringify({ id, text, kind: 'transcript', stream }));
      line = JSON.stringify({ id: `${id}b`, text: '低价' + words(2), stream });
    } else if (r < 0.45) line = JSON.stringify({ id, text: words(4) + (rnd() < 0.5 ? '加微信' : ''), kind: 'chat', stream });
    else if (r < 0.6) line = JSON.stringify({ id, text: words(5) + (rnd() < 0.3 ? '降血压' : ''), kind: pick(['chat', 'transcript'] as const) });
    else if (r < 0.65) line = `{"id":"${id}","text":"\\u5168\\u7f51\\u6700\\u4f4e\\u4ef7 \\"q\\" \\ud83d\\ude00","str\\u0065am":"${stream}"}`;
    else if (r < 0.68) line = `{"id":"${id}","text":"低价 lone \\ud800","stream":"${stream}"}`;
    else if (r < 0.71) line = `  {  "id" : "${id}" ,\t"text" : "${words(3)}全网最低价" , "stream" : "${stream}" }  `;
    else if (r < 0.73) line = pick(['', '   ', '\t', '\u2028', '\ufeff']);
    else if (r < 0.76) line = pick([`{"id":"${id}","text":"x"`, `{"id":"${id}","text":5}`, `{"id":${i},"text":"x"}`, `{"id":"${id}","text":"x","kind":"speech"}`, 'not json', `{"id":"${id}","text":"x","stream":7}`]);
    else if (r < 0.78) line = JSON.stringify({ id, text: words(2) + '全网最低价', stream, kind: 'transcript', user: `u${i % 7}`, n: [1, { a: null }] });
    else line = JSON.stringify({ id, text: words(3 + Math.floor(rnd() * 6)) + (rnd() < 0.2 ? '全网最低价' : ''), stream, kind: 'transcript' });
    out.push(line);
  }
  return out.map((l, i) => l + (i % 11 === 5 ? '\r\n' : '\n')).join('');
}

beforeAll(() => {
  dir = lexiconDir({
    'extreme.tsv': '# test lexicon\n全网最低价\thigh\nlowest price\tmedium\n',
    'contact.tsv': '加微信\thigh\n',
    'medical.tsv': '降血压\tcritical\n',
    'allow.tsv': '最近\t*\n',
  });
  work = mkdtempSync(join(tmpdir(), 'pkguard-shards-'));
  input = join(work, 'in.ndjson');
  const text = generate(40_000, 5);
  writeFileSync(input, text);
  // The reference: one scanner, every line through JSON.parse + schema + JSON.stringify.
  const scanner = new Scanner(compileLexicon(loadLexiconDir(dir)), new FlagIdAllocator(1));
  const lines = text.split('\n').slice(0, -1).map((l) => l.replace(/\r$/, ''));
  want = lines.filter((l) => !blank(l)).map((l) => scanLineParsed(scanner, l) + '\n').join('');
}, LONG);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('pkguard scan --workers: the same bytes as one scanner', () => {
  test('the reference is not vacuous: carried claims, renumbered ids, errors', () => {
    expect(Buffer.byteLength(want)).toBeGreaterThan(2 << 20); // several 1 MiB reads and worker batches
    expect(want).toContain('"carried":"全网最"');
    expect(want).toContain('"id":"f2000"');
    expect(want).toContain('"error":"invalid JSON');
    expect(want).toContain('"id":null');
  });

  for (const workers of [0, 1, 3]) {
    test(`FILE, --workers ${workers}`, { timeout: LONG }, async () => {
      const r = await runCli(['scan', input, '--lexicons', dir, '--workers', String(workers)], '', { PKGUARD_CACHE_DIR: join(work, 'cache') });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout === want).toBe(true); // not toBe: a diff of megabytes helps nobody
    });
  }

  test('stdin redirected from the file, --workers 2', { timeout: LONG }, () => {
    const fd = openSync(input, 'r');
    try {
      const r = spawnSync(process.execPath, [CLI, 'scan', '--lexicons', dir, '--workers', '2'], { cwd: ROOT, stdio: [fd, 'pipe', 'pipe'], maxBuffer: 1 << 28, env: { ...process.env, PKGUARD_CACHE_DIR: join(work, 'cache') } });
      expect(r.stderr.toString()).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.toString() === want).toBe(true);
    } finally {
      closeSync(fd);
    }
  });

  test('a pipe with --workers 2: a caller that sends a line and waits gets each answer before sending the next', { timeout: LONG }, async () => {
    const child = spawn(process.execPath, [CLI, 'scan', '--lexicons', dir, '--workers', '2'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PKGUARD_CACHE_DIR: join(work, 'cache') } });
    const answers: string[] = [];
    let wakeUp: (() => void) | undefined;
    let buffered = '';
    child.stdout.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      answers.push(...parts);
      wakeUp?.();
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    for (let i = 0; i < 6; i++) {
      const answered = new Promise<void>((r) => (wakeUp = r));
      // Halves of one claim in two lines of one stream: the second answer needs the first line's carry.
      child.stdin.write(JSON.stringify({ id: `q${i}`, text: i % 2 ? '低价' : '全网最', stream: 'live' }) + '\n');
      await answered; // an answer held back for more input would hang here until the test times out
      expect(answers.length).toBe(i + 1);
      expect(JSON.parse(answers[i]!).id).toBe(`q${i}`);
    }
    child.stdin.end();
    expect(await exited).toBe(0);
    expect(answers.filter((a) => a.includes('"carried":"全网最"')).length).toBe(3);
    expect(answers.map((a) => /"id":"(f\d+)"/.exec(a)?.[1]).filter(Boolean)).toEqual(['f1', 'f2', 'f3']);
  });

  // The first worker opens the lexicon (the main thread opens none): its errors and warnings reach stderr as without workers.
  test('--workers 2, a broken lexicon dir: exit 1, file:line on stderr, no stdout', { timeout: LONG }, async () => {
    const broken = lexiconDir({ 'extreme.tsv': '全网最低价\thigh\n销量第一\tenormous\n' });
    try {
      const r = await runCli(['scan', input, '--lexicons', broken, '--workers', '2'], '', { PKGUARD_CACHE_DIR: join(work, 'cache') });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${join(broken, 'extreme.tsv')}:2`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  test('--workers 2, a corrupt artifact: rejected once on stderr, refreshed, the same bytes out', { timeout: LONG }, async () => {
    const file = join(work, 'corrupt.pkgl');
    writeFileSync(file, 'not an artifact');
    const r = await runCli(['scan', input, '--lexicons', dir, '--artifact', file, '--workers', '2'], '');
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pkguard scan: .*PKG_ERR_ARTIFACT_INVALID.*compiling the lexicons instead$/)]);
    expect(r.stdout === want).toBe(true);
    // Refreshed by the first worker: the next run loads it without a word.
    const again = await runCli(['scan', input, '--lexicons', dir, '--artifact', file, '--workers', '2'], '');
    expect(again.stderr).toBe('');
    expect(again.stdout === want).toBe(true);
  });

  test('a bad --workers value is a usage error', { timeout: LONG }, async () => {
    const r = await runCli(['scan', input, '--lexicons', dir, '--workers', 'many'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--workers takes a number/);
  });
});
