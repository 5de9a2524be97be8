/**
 * A pipeline through `IngestClient` while the real server process (`pkguard serve`, file journal)
 * is killed and restarted at random moments: SIGKILL mostly, one SIGTERM (a drain: `shutting_down`
 * refusals, then a 1001 close). From the caller's view every message is acked exactly once (one
 * settled promise each, none rejected, none given up), and the journal holds exactly the model's
 * flags: each expected flag once, none missing, none repeated (a re-send the server processed
 * twice would repeat its flags); every shut-down stream's signal reached the caller once.
 *
 * CLIENT_FAULT_SEED=<n> replays a run's kill moments; CLIENT_FAULT_MESSAGES / _KILLS scale it.
 */
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { prng } from '../../bench/corpus.js';
import { IngestClient } from '../../src/index.js';
import { Client, removeDir, sleep, startServer, tempDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { smallLexiconDir } from '../stream/embedded.js';
import { freePort, journaledFlags, modelFlags, multisetDiff, pipeline, UNPACED, workload } from './harness.js';

const SEED = Number(process.env.CLIENT_FAULT_SEED ?? Date.now() % 1_000_000);
const MESSAGES = Number(process.env.CLIENT_FAULT_MESSAGES ?? 100_000);
const KILLS = Number(process.env.CLIENT_FAULT_KILLS ?? 5);
const STREAMS = 400;

const lexicons = smallLexiconDir();
const dir = tempDir();
afterAll(() => {
  rmSync(lexicons, { recursive: true, force: true });
  removeDir(dir);
});

test(`${MESSAGES} messages over ${STREAMS} streams while the server is killed ${KILLS} times: each acked once, each expected flag journaled once (seed ${SEED})`, { timeout: 300_000 }, async () => {
  const rand = prng(SEED);
  const msgs = workload(MESSAGES, STREAMS, SEED);
  const model = modelFlags(msgs, lexicons);
  const port = await freePort();
  const start = () => startServer({ dir, config: { port, lexicons, limits: UNPACED } });
  let server: ServerProcess = await start();
  const client = await IngestClient.connect(`ws://127.0.0.1:${port}`, TOKENS.ingest[0]!, { reconnect: { initialMs: 50, maxMs: 500 } });
  const states: string[] = [];
  client.on('state', (s) => states.push(s));
  const shutdowns: string[] = [];
  client.on('shutdown', (s) => shutdowns.push(`${s.stream}#${s.epoch}`));

  // Kill moments: random points of the run (by acks), each after a random extra delay.
  const at = Array.from({ length: KILLS }, () => Math.floor((0.05 + 0.85 * rand()) * MESSAGES)).sort((a, b) => a - b);
  const restarts: { signal: string; acked: number; unacked: number }[] = [];
  const faults = (async () => {
    for (let i = 0; i < at.length; i++) {
      // Each kill hits a connected client: two kill points close together would otherwise both land
      // while it is still reconnecting, and it would come back once for two restarts.
      while ((client.stats.acked < at[i]! || client.stats.reconnects < i) && client.stats.acked + client.stats.refused < MESSAGES) await sleep(5);
      if (client.stats.acked >= MESSAGES) break;
      await sleep(Math.floor(rand() * 100));
      const signal = i === 1 ? 'SIGTERM' : 'SIGKILL';
      restarts.push({ signal, acked: client.stats.acked, unacked: client.stats.unacked });
      server.proc.kill(signal);
      await server.exited;
      await sleep(Math.floor(rand() * 300));
      server = await start();
    }
  })();

  const started = performance.now();
  const outcome = await pipeline(client, msgs);
  const seconds = (performance.now() - started) / 1000;
  await faults;
  const closed = await client.close({ timeoutMs: 5000 });

  // The caller's view: each message acked exactly once, nothing refused or given up.
  expect(outcome.wrong).toEqual([]);
  expect(outcome.failures.slice(0, 5)).toEqual([]);
  expect(outcome.unsettled).toBe(0);
  expect(outcome.acks).toBe(MESSAGES);
  expect(closed).toMatchObject({ drained: true, unacked: [], stats: { acked: MESSAGES, refused: 0, givenUp: 0 } });
  // The faults really happened mid-stream, and the client came back after each.
  expect(restarts.length).toBe(KILLS);
  expect(restarts.every((r) => r.unacked > 0)).toBe(true);
  expect(closed.stats.reconnects).toBeGreaterThanOrEqual(KILLS);
  // A shutdown signal reaches the caller at most once per stream and epoch.
  expect(shutdowns.length - new Set(shutdowns).size).toBe(0);

  // The server's record: exactly the model's flags, each once.
  const got = await journaledFlags(server, model.length);
  const diff = multisetDiff(got, model);
  expect({ extra: diff.extra.slice(0, 5), missing: diff.missing.slice(0, 5), counts: [got.length, model.length] }).toEqual({ extra: [], missing: [], counts: [model.length, model.length] });
  // And at least once: every stream the server holds shut down reached the caller as a signal, also
  // one whose signal a kill cut off after it was journaled (told again when its message was re-sent).
  const control = await Client.open(server.url('/feed', TOKENS.control[0]));
  control.send({ type: 'subscribe' });
  await sleep(1000);
  const standing = control.of('shutdown').map((m) => m.stream as string).sort();
  control.close();
  expect(standing.length).toBeGreaterThan(0);
  expect([...new Set(shutdowns.map((s) => s.slice(0, s.lastIndexOf('#'))))].sort()).toEqual(standing);
  await server.stop();

  const figures = { seed: SEED, messages: MESSAGES, streams: STREAMS, restarts, acked: closed.stats.acked, duplicates: closed.stats.duplicates, resent: closed.stats.resent, retried: closed.stats.retried, reconnects: closed.stats.reconnects, flags: model.length, shutdownSignals: shutdowns.length, seconds: +seconds.toFixed(1) };
  console.log(`client fault run: ${JSON.stringify(figures)}`);
});
