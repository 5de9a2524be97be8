/**
 * `pkguard replay` against a real server: every recorded message is acked, the shutdown signal is
 * printed, and usage errors are refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Client, MAIN, removeDir, startServer, TOKENS, type ServerProcess } from '../server/harness.js';

const SESSION = fileURLToPath(new URL('../fixtures/session.ndjson', import.meta.url));
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer();
}, 60_000);

afterAll(async () => {
  await server?.stop();
  if (server) removeDir(server.dir);
});

function replay(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [MAIN, 'replay', ...args], { env: { ...process.env, PKGUARD_TOKEN: TOKENS.ingest[0] } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a recorded PK session is replayed at 20× speed: all acked, flags on the feed, one shutdown printed', { timeout: 60_000 }, async () => {
  const feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  const r = await replay([SESSION, '--speed', '20', '--url', `ws://127.0.0.1:${server.port}`]);
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(lines.at(-1)).toMatchObject({ type: 'summary', sent: 18, acked: 18, refused: 0, unanswered: 0, shutdowns: 1 });
  expect(lines.filter((l) => l.type === 'shutdown')).toEqual([expect.objectContaining({ stream: 'room-a', epoch: 1 })]);
  await feed.next((m) => m.type === 'shutdown' && m.stream === 'room-a');
  const terms = feed.of('flag').map((m) => (m.flag as { term: string }).term);
  expect(terms).toContain('全网最低价');
  expect(terms.some((t) => /微信|薇信/.test(t))).toBe(true);
  feed.close();
  // Replaying again: every message is a duplicate, nothing is processed twice; no new shutdown, and
  // this new connection is told the standing one (same epoch) for the stream it sends for.
  const again = await replay([SESSION, '--speed', 'max', '--batch', '5', '--url', `ws://127.0.0.1:${server.port}`]);
  const againLines = again.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(againLines.at(-1)).toMatchObject({ acked: 18, duplicates: 18, shutdowns: 1 });
  expect(againLines.filter((l) => l.type === 'shutdown')).toEqual([expect.objectContaining({ stream: 'room-a', epoch: 1 })]);
});

test('usage errors exit 2 with a reason', () => {
  const r = spawnSync(process.execPath, [MAIN, 'replay', SESSION, '--speed', 'fast'], { encoding: 'utf8', env: { ...process.env, PKGUARD_TOKEN: 'x'.repeat(20) } });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--speed: expected a positive number/);
});
