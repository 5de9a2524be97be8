/**
 * `pkguard ingest` against a real server: every line's fate on stdout (refused lines by number), a
 * progress line on stderr, the exit status saying whether everything was acked; a server killed
 * and restarted mid-input costs nothing (the client reconnects and re-sends); a refused token exits 3.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { freePort, T0 } from '../client/harness.js';
import { MAIN, removeDir, sleep, startServer, TOKENS, type ServerProcess } from '../server/harness.js';

const tmp = mkdtempSync(join(tmpdir(), 'pkguard-ingest-'));
const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) {
    await s.stop();
    removeDir(s.dir);
  }
  rmSync(tmp, { recursive: true, force: true });
});

const line = (stream: string, seq: number, text = '大家好') => JSON.stringify({ type: 'transcript', stream, seq, ts: T0 + seq * 100, text });

function ingest(args: string[], token = TOKENS.ingest[0]!) {
  const p = spawn(process.execPath, [MAIN, 'ingest', ...args, '--token', token], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; out: Record<string, unknown>[]; stderr: string }>((resolve) =>
    p.on('close', (code) => resolve({ code, out: stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr })),
  );
  return { p, done };
}

test('a file with a bad line and a refused message: those lines reported by number, the rest acked, exit 1; all good: exit 0', { timeout: 60_000 }, async () => {
  const server = await startServer();
  servers.push(server);
  const url = `ws://127.0.0.1:${server.port}`;
  const lines = Array.from({ length: 300 }, (_, i) => line(`f${i % 7}`, Math.floor(i / 7) + 1, i === 10 ? '全网最低价' : '大家好'));
  lines.splice(20, 0, '{"type":"transcript",', JSON.stringify({ type: 'transcript', stream: 'f0', seq: 'x', ts: T0, text: 'a' }));
  writeFileSync(join(tmp, 'mixed.ndjson'), lines.join('\n') + '\n');
  const mixed = await ingest([join(tmp, 'mixed.ndjson'), '--url', url]).done;
  expect(mixed.code).toBe(1);
  expect(mixed.out.filter((o) => o.type === 'refused')).toEqual([
    expect.objectContaining({ line: 21, code: 'invalid_json' }),
    expect.objectContaining({ line: 22, code: 'invalid_message', stream: 'f0', error: expect.stringContaining('seq') }),
  ]);
  expect(mixed.out.at(-1)).toMatchObject({ type: 'summary', sent: 300, acked: 300, refused: 2, unanswered: 0 });
  expect(mixed.stderr).toMatch(/ingest: sent 300 acked 300 .*\/s avg/);

  writeFileSync(join(tmp, 'good.ndjson'), lines.filter((_, i) => i !== 20 && i !== 21).map((l) => l.replace(/"stream":"f/, '"stream":"g')).join('\n'));
  const good = await ingest([join(tmp, 'good.ndjson'), '--url', url, '--quiet']).done;
  expect(good.code).toBe(0);
  expect(good.stderr).toBe('');
  expect(good.out.at(-1)).toMatchObject({ type: 'summary', sent: 300, acked: 300, duplicates: 0, refused: 0, unanswered: 0 });

  const refused = await ingest([join(tmp, 'good.ndjson'), '--url', url], 'wrong-token-0123456789abcdef').done;
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(/HTTP 401/);
});

test('stdin, with the server SIGKILLed and restarted mid-input: every line acked, exit 0', { timeout: 90_000 }, async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-ingest-srv-'));
  let server = await startServer({ dir, config: { port } });
  const run = ingest(['-', '--url', `ws://127.0.0.1:${port}`]);
  const total = 4000;
  for (let i = 0; i < total / 2; i++) run.p.stdin.write(line(`k${i % 20}`, Math.floor(i / 20) + 1) + '\n');
  // Killed once the CLI is connected and its first messages are in (all 20 streams seen).
  for (let i = 0; i < 300; i++) {
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { streams: number };
    if (health.streams >= 20) break;
    await sleep(100);
  }
  server.proc.kill('SIGKILL');
  await server.exited;
  for (let i = total / 2; i < total; i++) run.p.stdin.write(line(`k${i % 20}`, Math.floor(i / 20) + 1) + '\n');
  run.p.stdin.end();
  server = await startServer({ dir, config: { port } });
  servers.push(server);
  const r = await run.done;
  expect(r.out.at(-1)).toMatchObject({ type: 'summary', sent: total, acked: total, refused: 0, unanswered: 0 });
  expect((r.out.at(-1)!.reconnects as number)).toBeGreaterThanOrEqual(1);
  expect(r.code).toBe(0);
});

test('help: listed in pkguard --help, its own page with the exit codes; a bad option exits 2', { timeout: 60_000 }, async () => {
  const { runCli } = await import('./run-cli.js');
  const all = await runCli(['--help']);
  expect(all.stdout).toContain('pkguard ingest [FILE] [--url ws://HOST:PORT] [--token TOKEN] [--window N] [--batch N] [--timeout S] [--quiet]');
  const page = await runCli(['ingest', '--help']);
  expect(page.code).toBe(0);
  expect(page.stdout).toMatch(/^usage: pkguard ingest \[FILE\]/);
  expect(page.stdout).toMatch(/3 no connection/);
  const bad = await runCli(['ingest', '--frobnicate', 'x', '--token', 'x'.repeat(20)]);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/unknown option --frobnicate/);
});
