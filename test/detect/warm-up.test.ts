/**
 * The scanner warm-up (src/detect/warm-up.ts) runs before the server listens and leaves no trace:
 * its flags use their own ids, its streams are not the server's, nothing of it is journaled.
 * Real servers over the bundled lexicons.
 */
import { afterEach, expect, test } from 'vitest';
import { warmUp } from '../../src/detect/warm-up.js';
import { Scanner } from '../../src/detect/scanner.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { Client, removeDir, startServer, TOKENS, type ServerProcess } from '../server/harness.js';
import { compileDir } from '../../src/lexicon/artifact-store.js';
import { BUNDLED_LEXICON_DIR } from '../../src/lexicon/bundled.js';

const T0 = 1_790_000_000_000;
let servers: ServerProcess[] = [];
afterEach(async () => {
  for (const s of servers) {
    await s.stop('SIGKILL');
    removeDir(s.dir);
  }
  servers = [];
});

test('warmUp scans for about its budget and does not touch another scanner over the same lexicon', { timeout: 60_000 }, async () => {
  const live = new Scanner(await compileDir(BUNDLED_LEXICON_DIR), new FlagIdAllocator(1));
  const before = live.scan('全网最低价，加我微信');
  const spent = warmUp(live.lexicon, 30);
  expect(spent).toBeGreaterThanOrEqual(30);
  const after = new Scanner(live.lexicon, new FlagIdAllocator(1)).scan('全网最低价，加我微信');
  expect(after.map((f) => [f.id, f.term, f.start, f.end])).toEqual(before.map((f) => [f.id, f.term, f.start, f.end]));
});

test('a server warms up before it listens; its first flag is f1, its streams and journal hold only real traffic', { timeout: 60_000 }, async () => {
  const server = await startServer();
  servers.push(server);
  const events = server.logs.map((l) => l.event);
  expect(events).toContain('scanner_warmed');
  expect(events.indexOf('scanner_warmed')).toBeLessThan(events.indexOf('listening'));

  const ingest = await Client.open(server.url('/ingest?flags=1', TOKENS.ingest[0]));
  ingest.send({ type: 'transcript', stream: 'real', seq: 1, ts: T0, text: '这个是全网最低价' });
  await ingest.ack('real', 1);
  const flag = (await ingest.next((m) => m.type === 'flag')).flag as { id: string; stream: string };
  expect(flag).toMatchObject({ id: 'f1', stream: 'real' });
  ingest.close();

  // Restarted on the same journal: what it replays is the real stream only.
  await server.stop('SIGTERM');
  const again = await startServer({ dir: server.dir });
  servers.push(again);
  const feed = await Client.open(again.url('/feed', TOKENS.moderator[0]));
  feed.send({ type: 'subscribe' });
  const summary = await feed.next((m) => m.type === 'streams' && m.done === true);
  expect(feed.of('streams').flatMap((m) => m.streams as { stream: string }[]).map((s) => s.stream)).toEqual(['real']);
  expect(summary.lastFlag).toBe('f1');
  feed.close();
});

test('warmUpMs 0 skips the warm-up', { timeout: 60_000 }, async () => {
  const server = await startServer({ config: { warmUpMs: 0 } });
  servers.push(server);
  expect(server.logs.map((l) => l.event)).not.toContain('scanner_warmed');
});
