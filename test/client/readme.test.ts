/**
 * The README's pipeline example (the ```ts block under "## Pipeline client: `IngestClient`") is
 * transpiled and run against a real server: its source is a short scripted transcript with one
 * critical claim, so the example must end drained, call `stopStream` for that room (once per room), send
 * nothing to the dead-letter handler, and leave the claims' flags in the server's journal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ROOT } from '../cli/run-cli.js';
import { Client, removeDir, startServer, TOKENS, type ServerProcess } from '../server/harness.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const HEADING = '## Pipeline client: `IngestClient`';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (server) removeDir(server.dir);
});

function example(): string {
  const at = README.indexOf(`\n${HEADING}\n`);
  expect(at, `README has no "${HEADING}" heading`).toBeGreaterThanOrEqual(0);
  const open = README.indexOf('```ts\n', at);
  return README.slice(open + 6, README.indexOf('\n```', open + 6));
}

test('the README pipeline example runs: everything acked, the shutdown heard once, no dead letters', { timeout: 60_000 }, async () => {
  const code = example();
  expect(code).toContain("from 'pkguard'");
  expect(code.split('\n').filter((l) => l.trim() !== '').length).toBeLessThanOrEqual(16); // about a dozen lines
  const script = code
    .replace("from 'pkguard'", `from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/index.js')).href)}`)
    .replace("'ws://127.0.0.1:8080'", JSON.stringify(`ws://127.0.0.1:${server.port}`));
  // What the example leaves to its reader: the source, what to do on a shutdown, the dead letters.
  const prelude = `
    const seen = globalThis.__pipeline = { stopped: [], dead: [] };
    process.env.PKGUARD_TOKEN = ${JSON.stringify(TOKENS.ingest[0])};
    const stopStream = (stream, reason) => seen.stopped.push(stream);
    const deadLetter = (...fields) => seen.dead.push(fields);
    async function* asrResults() {
      for (let i = 0; i < 300; i++) yield { room: 'room-' + (i % 3), text: i === 100 ? '喝了能治癌' : i % 10 === 0 ? '今天全网最低价' : '家人们好' };
    }
  `;
  const js = ts.transpileModule(`${prelude}\n${script}\nseen.result = { drained, unacked };\n`, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-readme-'));
  try {
    writeFileSync(join(dir, 'pipeline.mjs'), js);
    await import(pathToFileURL(join(dir, 'pipeline.mjs')).href);
    const seen = (globalThis as unknown as { __pipeline: { stopped: string[]; dead: unknown[]; result: { drained: boolean; unacked: unknown[] } } }).__pipeline;
    expect(seen.result).toEqual({ drained: true, unacked: [] });
    expect(seen.dead).toEqual([]);
    // Message 100 (critical) went to room-1; repeated "lowest price" claims may shut the others too, each once.
    expect(seen.stopped).toContain('room-1');
    expect(new Set(seen.stopped).size).toBe(seen.stopped.length);
    // The server journaled every claim: 29 "lowest price" lines and the critical one.
    const feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
    feed.send({ type: 'subscribe', history: 1000 });
    await feed.next(() => feed.of('flag').length >= 30);
    feed.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
