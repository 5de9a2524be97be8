/**
 * The artifact in a real `pkguard serve`: the first start compiles and writes it, the next loads
 * it, a hot reload (SIGHUP, compiled in the worker) finds it stale, recompiles and refreshes it, so
 * the start after that loads the edited lexicon; a damaged one is logged, not used, and rewritten.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Client, removeDir, sleep, startServer, tempDir, TOKENS, type ServerProcess } from '../server/harness.js';

const T0 = 1_790_000_000_000;
const servers: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop('SIGKILL');
  for (const d of dirs.splice(0)) removeDir(d);
});

async function waitForLog(s: ServerProcess, event: string, after = 0): Promise<Record<string, unknown>> {
  for (let i = 0; i < 600; i++) {
    const hit = s.logs.slice(after).find((l) => l.event === event);
    if (hit) return hit;
    await sleep(50);
  }
  throw new Error(`no ${event} log; got ${s.logs.map((l) => l.event).join(', ')}`);
}

let seq = 0;
async function termsFlagged(s: ServerProcess, text: string): Promise<string[]> {
  const ingest = await Client.open(s.url('/ingest?flags=1', TOKENS.ingest[0]));
  const n = ++seq; // a new seq each time: a repeated (stream, seq) is a duplicate, acked but not scanned
  ingest.send({ type: 'chat', stream: 'a', seq: n, ts: T0 + n, text });
  await ingest.ack('a', n);
  await sleep(50);
  const terms = ingest.of('flag').map((m) => (m.flag as { term: string }).term);
  ingest.close();
  return terms;
}

test('serve: compile and write, then load; SIGHUP refreshes the artifact; a damaged one is rewritten', { timeout: 180_000 }, async () => {
  const dir = tempDir();
  dirs.push(dir);
  const lex = join(dir, 'lexicons');
  mkdirSync(lex);
  writeFileSync(join(lex, 'extreme.tsv'), '宇宙第一\thigh\n');
  const artifact = join(dir, 'cache', 'lexicon.pkgl');
  const start = async () => {
    const s = await startServer({ dir, config: { lexicons: lex, lexiconArtifact: artifact } });
    servers.push(s);
    return s;
  };
  const stop = async (s: ServerProcess) => {
    await s.stop('SIGTERM');
    servers.splice(servers.indexOf(s), 1);
  };

  let s = await start();
  expect(s.logs.find((l) => l.event === 'lexicon_loaded')).toMatchObject({ from: 'compile' });
  expect(s.logs.find((l) => l.event === 'artifact_written')).toMatchObject({ file: artifact });
  await stop(s);

  s = await start();
  expect(s.logs.find((l) => l.event === 'artifact_loaded')).toMatchObject({ file: artifact });
  expect(s.logs.find((l) => l.event === 'lexicon_loaded')).toMatchObject({ from: 'artifact' });
  expect(await termsFlagged(s, '我们是宇宙第一')).toEqual(['宇宙第一']);

  const mark = s.logs.length;
  appendFileSync(join(lex, 'extreme.tsv'), '银河无敌\thigh\n');
  s.proc.kill('SIGHUP');
  await waitForLog(s, 'lexicon_reloaded', mark);
  expect(s.logs.slice(mark).find((l) => l.event === 'artifact_rejected')).toMatchObject({ code: 'PKG_ERR_ARTIFACT_STALE', reason: 'lexicon' });
  expect(s.logs.slice(mark).find((l) => l.event === 'artifact_written')).toMatchObject({ file: artifact });
  expect(await termsFlagged(s, '银河无敌')).toEqual(['银河无敌']);
  await stop(s);

  s = await start();
  expect(s.logs.find((l) => l.event === 'lexicon_loaded')).toMatchObject({ from: 'artifact' });
  expect(await termsFlagged(s, '银河无敌')).toEqual(['银河无敌']);
  await stop(s);

  const bytes = readFileSync(artifact);
  bytes[bytes.length - 3]! ^= 1;
  writeFileSync(artifact, bytes);
  s = await start();
  expect(s.logs.find((l) => l.event === 'artifact_rejected')).toMatchObject({ code: 'PKG_ERR_ARTIFACT_INVALID', reason: 'checksum' });
  expect(s.logs.find((l) => l.event === 'lexicon_loaded')).toMatchObject({ from: 'compile' });
  expect(s.logs.find((l) => l.event === 'artifact_written')).toMatchObject({ file: artifact });
  expect(await termsFlagged(s, '银河无敌，宇宙第一')).toEqual(['银河无敌', '宇宙第一']);
});
