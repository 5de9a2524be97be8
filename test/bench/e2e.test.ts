/**
 * The e2e bench's tools work end to end on a tiny load (figures are measured by `npm run bench:e2e`,
 * never asserted here): a run writes a JSON result and an HTML report with plots, compare prints
 * ratios, and the text generator's violation rate is what the server then flags.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { TextPool } from '../../bench/e2e/text.js';
import { createScanner } from '../../src/index.js';

const MAIN = fileURLToPath(new URL('../../dist/bench/e2e/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pkguard-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a short run against its own server: every message acked, JSON and HTML written, compare prints ratios', { timeout: 120_000 }, () => {
  const out = join(dir, 'run.json');
  const r = spawnSync(process.execPath, [MAIN, '--streams', '20', '--connections', '4', '--rate', '20', '--duration', '2', '--warmup', '1', '--out', out], { encoding: 'utf8', timeout: 100_000 });
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(readFileSync(out, 'utf8')) as { steps: { load: { sent: number; acked: number; errors: number; unanswered: number; ack: { count: number; p50: number; p99: number } }; resources: unknown[] }[] };
  const step = result.steps[0]!;
  expect(step.load.errors).toBe(0);
  expect(step.load.unanswered).toBe(0);
  expect(step.load.acked).toBe(step.load.sent);
  expect(step.load.sent).toBeGreaterThan(1000);
  expect(step.load.ack.count).toBeGreaterThan(0);
  expect(step.load.ack.p99).toBeGreaterThanOrEqual(step.load.ack.p50);
  expect(step.resources.length).toBeGreaterThan(0);
  // The server's side of each second and of the window: CPU per message, loop delay, typed arrays.
  const server = (result.steps[0] as unknown as { server: { cpuUsPerMessage: number; loopDelay: { max: number }; memory: { arrayBuffersMB: number } } }).server;
  expect(server.cpuUsPerMessage).toBeGreaterThan(0);
  expect(server.loopDelay.max).toBeGreaterThanOrEqual(0);
  expect(server.memory.arrayBuffersMB).toBeGreaterThan(0);
  expect(r.stdout).toMatch(/event-loop delay p99 [\d.–]+ p99\.9 [\d.–]+ max [\d.–]+ ms/);
  expect(r.stdout).toMatch(/server per message: [\d.]+ µs CPU/);
  expect(r.stderr).toMatch(/loop-thread +\d+% cpu-wait +\d+%/);
  const html = readFileSync(out.replace(/\.json$/, '.html'), 'utf8');
  expect(html).toMatch(/<svg[^>]*>.*<polyline/s);
  const cmp = spawnSync(process.execPath, [MAIN, '--compare', out, out], { encoding: 'utf8' });
  expect(cmp.status).toBe(0);
  expect(cmp.stdout).toMatch(/^messages\/s\s+[\d.]+\s+[\d.]+\s+1\.00×$/m);
  expect(existsSync(out)).toBe(true);
});

test('the generated text violates at about the configured rate, as pkguard itself counts it', () => {
  const scanner = createScanner();
  const rate = (violationRate: number) => {
    const pool = new TextPool({ chars: 30, violationRate, evasionRate: 0.3, seed: 7 }, 2000);
    return pool.transcripts.filter((t) => scanner.scan(t).length > 0).length / pool.transcripts.length;
  };
  expect(rate(0)).toBeLessThan(0.03);
  expect(rate(0.2)).toBeGreaterThan(0.15);
  expect(rate(0.2)).toBeLessThan(0.3);
});
