/**
 * `checkLexicons` / `pkguard lexicon check DIR`: errors refuse the lexicon (exit 1), warnings point
 * at entries that load but will not behave as their author expects (exit 0).
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkLexicons, type CheckReport } from '../../src/cli/lexicon-check.js';
import { runCli } from '../cli/run-cli.js';
import { tempLexiconDirs } from './temp-dirs.js';

const LONG = 60_000;
const dirOf = tempLexiconDirs();

const where = (dir: string, items: CheckReport['warnings']) => items.map((w) => `${w.file.slice(dir.length + 1)}:${w.line}`);

describe('checkLexicons', () => {
  test('a clean directory: counts, no errors, no warnings', () => {
    const dir = dirOf({
      'extreme.tsv': '# comment\n全网最低价\thigh\nlowest price  medium\n',
      'medical.tsv': '降血压\thigh\n',
      'allow.tsv': '最近\t*\n第一次\textreme\n',
    });
    const r = checkLexicons(dir);
    expect(r).toMatchObject({ dir, terms: 3, allow: 2, errors: [], warnings: [] });
  });

  test('an exact duplicate is reported at the second line, pointing at the first', () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\n销量第一\tmedium\n全网最低价\tmedium\n' });
    const r = checkLexicons(dir);
    expect(r.errors).toEqual([]);
    expect(where(dir, r.warnings)).toEqual(['extreme.tsv:3']);
    expect(r.warnings[0]!.entry).toBe('全网最低价');
    expect(r.warnings[0]!.reason).toContain(`duplicate of ${join(dir, 'extreme.tsv')}:1`);
  });

  test('a duplicate in another file of the same category is found', () => {
    // files are read in name order: contact.a.tsv first
    const dir = dirOf({ 'contact.b.tsv': '\n加微信\tmedium\n', 'contact.a.tsv': '加微信\thigh\n' });
    const r = checkLexicons(dir);
    expect(where(dir, r.warnings)).toEqual(['contact.b.tsv:2']);
    expect(r.warnings[0]!.reason).toContain(`${join(dir, 'contact.a.tsv')}:1`);
  });

  test('traditional and simplified forms of one phrase normalize to the same form', () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\n全網最低價\thigh\n' });
    const r = checkLexicons(dir);
    expect(r.errors).toEqual([]);
    expect(where(dir, r.warnings)).toEqual(['extreme.tsv:2']);
    expect(r.warnings[0]!.entry).toBe('全網最低價');
    expect(r.warnings[0]!.reason).toMatch(/normalizes to/);
    expect(r.warnings[0]!.reason).toContain('全网最低价');
  });

  test('full-width and ASCII forms normalize to the same form', () => {
    const dir = dirOf({ 'contact.tsv': 'vx\tmedium\nＶＸ\tmedium\n' });
    const r = checkLexicons(dir);
    expect(where(dir, r.warnings)).toEqual(['contact.tsv:2']);
    expect(r.warnings[0]!.reason).toMatch(/normalizes to "vx"/);
  });

  test('a single-character term is warned about', () => {
    const dir = dirOf({ 'contact.tsv': '加微信\thigh\n薇\tlow\n' });
    const r = checkLexicons(dir);
    expect(where(dir, r.warnings)).toEqual(['contact.tsv:2']);
    expect(r.warnings[0]!.reason).toMatch(/single character/);
  });

  test('an allow phrase that shadows a banned term is warned about; one for another category is not', () => {
    const dir = dirOf({
      'extreme.tsv': '销量第一\thigh\n',
      'medical.tsv': '根治\thigh\n',
      'allow.tsv': '销量第一\textreme\n根治\textreme\n最近\t*\n',
    });
    const r = checkLexicons(dir);
    expect(r.errors).toEqual([]);
    expect(where(dir, r.warnings)).toEqual(['allow.tsv:1']);
    expect(r.warnings[0]!.reason).toMatch(/shadows/);
    expect(r.warnings[0]!.reason).toContain(`${join(dir, 'extreme.tsv')}:1`);
  });

  test('an allow-all (*) phrase shadows a banned term through normalization', () => {
    const dir = dirOf({ 'medical.tsv': '降血压\thigh\n', 'allow.tsv': '降 血 压\n' });
    const r = checkLexicons(dir);
    expect(where(dir, r.warnings)).toEqual(['allow.tsv:1']);
    expect(r.warnings[0]!.reason).toMatch(/shadows banned term "降血压"/);
  });

  test('load errors become report errors with file and line, across files', () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\tmax\n', 'medical.tsv': '降血压\thigh\tquiet\n' });
    const r = checkLexicons(dir);
    expect(where(dir, r.errors).sort()).toEqual(['extreme.tsv:1', 'medical.tsv:1']);
  });

  test('a phrase that normalizes to nothing is an error with its file:line', () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\n！！！\tlow\n' });
    const r = checkLexicons(dir);
    expect(where(dir, r.errors)).toEqual(['extreme.tsv:2']);
    expect(r.errors[0]!.reason).toMatch(/normalizes to nothing/);
  });
});

describe('pkguard lexicon check DIR', () => {
  test('errors → exit 1, each with file:line in the output', { timeout: LONG }, async () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\n史上最强\tultra\n', 'contact.tsv': '加微信\n' });
    const r = await runCli(['lexicon', 'check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${join(dir, 'extreme.tsv')}:2`);
    expect(r.stdout).toContain(`${join(dir, 'contact.tsv')}:1`);
    expect(r.stdout).toMatch(/severity/);
    expect(r.stdout).toMatch(/2 error\(s\)/);
  });

  test('warnings only → exit 0, warnings listed with file:line', { timeout: LONG }, async () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\n全網最低價\thigh\n', 'contact.tsv': '加微信\thigh\n' });
    const r = await runCli(['lexicon', 'check', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`warning .*${escape(join(dir, 'extreme.tsv'))}:2`));
    expect(r.stdout).toMatch(/ok: 3 terms, 0 allow phrases/);
    expect(r.stdout).toMatch(/1 warning/);
  });

  test('a clean directory → exit 0', { timeout: LONG }, async () => {
    const dir = dirOf({ 'medical.tsv': '降血压\thigh\n', 'allow.tsv': '最近\t*\n' });
    const r = await runCli(['lexicon', 'check', dir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ok: 1 terms, 1 allow phrases/);
  });

  test('--json output parses and carries the report (errors)', { timeout: LONG }, async () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\tloud\n' });
    const r = await runCli(['lexicon', 'check', dir, '--json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.dir).toBe(dir);
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ file: join(dir, 'extreme.tsv'), line: 1 });
    expect(report.errors[0]!.reason).toMatch(/option/);
  });

  test('--json before DIR works too and carries warnings', { timeout: LONG }, async () => {
    const dir = dirOf({ 'contact.tsv': 'vx\tmedium\nＶＸ\tmedium\n' });
    const r = await runCli(['lexicon', 'check', '--json', dir]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report).toMatchObject({ dir, terms: 2, allow: 0, errors: [] });
    expect(report.warnings.map((w) => [w.file, w.line])).toEqual([[join(dir, 'contact.tsv'), 2]]);
  });

  test('a missing directory → exit 1 naming the directory', { timeout: LONG }, async () => {
    const parent = dirOf({});
    const r = await runCli(['lexicon', 'check', join(parent, 'nope')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(join(parent, 'nope'));
  });

  test('with no DIR the bundled lexicons are checked and pass without errors', { timeout: LONG }, async () => {
    const r = await runCli(['lexicon', 'check', '--json']);
    const report = JSON.parse(r.stdout) as CheckReport;
    expect(report.dir).toMatch(/lexicons$/);
    expect(report.errors).toEqual([]);
    expect(report.terms).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
