/**
 * `pkguard lexicon compile` and the artifact as real CLI processes use it: a scan that loads the
 * artifact prints exactly what a scan that compiles prints (the fold tables come from the artifact
 * in the former, from opencc-js and pinyin-pro in the latter); a damaged artifact is reported on
 * stderr with its code, not used, and rewritten.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lexiconDir, runCli } from './run-cli.js';

const LONG = 180_000;
let work: string;
let small: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'pkguard-cli-artifact-'));
  small = lexiconDir({ 'extreme.tsv': '全网最低价\thigh\n全网 … 最低\tmedium\n', 'contact.tsv': '加微信\thigh\nQQ号\thigh\n', 'allow.tsv': '最近\t*\n' });
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(small, { recursive: true, force: true });
});

/** Request lines built from phrase-like pieces with the evasions the normalizer undoes (not corpus text). */
function requests(): string {
  const pieces = ['全网最低价', '全網最低價', '全 网 最 低', '加 微.信', 'jia wei xin', '加V', 'QQ号', 'qq hao', '降血压', '根治', '独家', '销量第一', '最近', '138 0013 8000', '①③⑧', 'vx', '扣扣', 'lowest price', 'cures arthritis'];
  const lines: string[] = [];
  for (let i = 0; i < 400; i++) {
    const a = pieces[i % pieces.length]!;
    const b = pieces[(i * 7 + 3) % pieces.length]!;
    const req: Record<string, string> = { id: `r${i}`, text: `家人们${a}今天${b}，好物推荐` };
    if (i % 3 === 0) req.kind = 'chat';
    else if (i % 3 === 1) Object.assign(req, { kind: 'transcript', stream: `s${i % 5}` });
    lines.push(JSON.stringify(req));
  }
  return lines.join('\n') + '\n';
}

describe('pkguard lexicon compile and the artifact in scan', () => {
  test('compile writes the artifact; scan loads it and prints what a compiling scan prints', { timeout: LONG }, async () => {
    const file = join(work, 'small.pkgl');
    const c = await runCli(['lexicon', 'compile', '--lexicons', small, '--out', file]);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.stdout)).toMatchObject({ artifact: file, lexicons: small });
    expect(existsSync(file)).toBe(true);
    const input = requests();
    const loaded = await runCli(['scan', '--lexicons', small, '--artifact', file], input);
    const compiled = await runCli(['scan', '--lexicons', small, '--artifact', join(work, 'other.pkgl')], input);
    expect(loaded.stderr).toBe('');
    expect(compiled.stderr).toBe('');
    expect(loaded.stdout).toBe(compiled.stdout);
    expect(loaded.stdout).toContain('"category"');
  });

  test('a damaged artifact: reported with its code on stderr, not used, rewritten; output unchanged', { timeout: LONG }, async () => {
    const file = join(work, 'damaged.pkgl');
    await runCli(['lexicon', 'compile', '--lexicons', small, '--out', file]);
    const input = requests();
    const good = await runCli(['scan', '--lexicons', small, '--artifact', file], input);
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1]! ^= 0x40;
    writeFileSync(file, bytes);
    const damaged = await runCli(['scan', '--lexicons', small, '--artifact', file], input);
    expect(damaged.code).toBe(0);
    expect(damaged.stderr).toMatch(/PKG_ERR_ARTIFACT_INVALID/);
    expect(damaged.stderr).toMatch(/checksum/);
    expect(damaged.stdout).toBe(good.stdout);
    const again = await runCli(['scan', '--lexicons', small, '--artifact', file], input);
    expect(again.stderr).toBe('');
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
    const truncated = await runCli(['scan', '--lexicons', small, '--artifact', file], input);
    expect(truncated.stderr).toMatch(/truncated/);
    expect(truncated.stderr).toMatch(/PKG_ERR_ARTIFACT_INVALID/);
    expect(truncated.stdout).toBe(good.stdout);
  });

  test('the bundled lexicons through the default cache folder: second scan loads, same bytes out', { timeout: LONG }, async () => {
    const env = { PKGUARD_CACHE_DIR: join(work, 'cache') };
    const input = requests();
    const first = await runCli(['scan'], input, env);
    const second = await runCli(['scan'], input, env);
    expect(first.stderr).toBe('');
    expect(second.stderr).toBe('');
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout.split('\n').filter((l) => l.includes('"category"')).length).toBeGreaterThan(100);
  });

  test('a broken lexicon folder: compile exits 1 naming file:line and writes nothing', { timeout: LONG }, async () => {
    const broken = lexiconDir({ 'extreme.tsv': '全网最低价\tsevere\n' });
    try {
      const file = join(work, 'broken.pkgl');
      const r = await runCli(['lexicon', 'compile', '--lexicons', broken, '--out', file]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/extreme\.tsv:1/);
      expect(existsSync(file)).toBe(false);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
