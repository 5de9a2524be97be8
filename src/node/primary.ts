/**
 * The primary of a node with several owner processes (config `processes` > 1). It owns no stream:
 * it forks the owners (Node's `cluster`), listens on the node's port and hands each TCP connection
 * to an owner (socket-handoff.ts: the owner its `?streams=` hint names, else round-robin; the owner
 * does the HTTP upgrade, auth and WebSocket framing), restarts
 * one that dies (it replays its own journal; meanwhile its streams get `unavailable` from the
 * others), and passes SIGTERM/SIGINT (drain), SIGHUP and SIGUSR2 (lexicon reload) on to them.
 */
import cluster, { type Worker } from 'node:cluster';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { checkOwnerLayout } from './owner-layout.js';
import { listenAndHandOff } from './socket-handoff.js';

/** Exit codes of an owner that could not start (serve.ts): the node does not start either. */
const START_FAILURES = new Set([1, 2, 69, 74]);

export interface OwnerReady {
  t: 'owner_ready';
  owner: number;
}

export function runPrimary(config: ServerConfig, log: Logger, onListening: (port: number) => void): Promise<number> {
  checkOwnerLayout(config.journal.dir, config.processes);
  const sockets = mkdtempSync(join(tmpdir(), 'pkguard-owners-'));
  const workers: (Worker | undefined)[] = [];
  let stopping = false;
  let started = false;
  let exitCode = 0;
  let resolveDone: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const ready = new Set<number>();
  const { server, counts } = listenAndHandOff(config.processes, {
    up: () => [...ready].sort((a, b) => a - b),
    send: (owner, message, socket) => {
      const w = workers[owner];
      if (!w || !w.isConnected()) return false;
      w.send(message, socket, (err) => err && socket.destroy());
      return true;
    },
  });
  const listen = () =>
    server.once('error', (err: NodeJS.ErrnoException) => {
      log.fatal({ event: 'listen_failed', err: err.message, code: err.code }, `the node cannot listen on ${config.host}:${config.port}`);
      exitCode = err.code === 'EADDRINUSE' || err.code === 'EACCES' ? 69 : 70;
      stopAll('SIGTERM');
    }).listen(config.port, config.host, () => {
      const a = server.address();
      onListening(typeof a === 'object' && a ? a.port : config.port);
    });

  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const w of workers) w?.process.kill(signal);
  };
  const fork = (owner: number) => {
    const w = cluster.fork({ PKGUARD_OWNER: String(owner), PKGUARD_OWNER_SOCKETS: sockets, PKGUARD_PROCESSES: String(config.processes) });
    workers[owner] = w;
    w.on('message', (m: OwnerReady) => {
      if (m?.t !== 'owner_ready') return;
      log.info({ event: 'owner_ready', owner, pid: w.process.pid }, `owner ${owner} ready`);
      ready.add(owner);
      if (!started && ready.size === config.processes) {
        started = true;
        listen();
      }
    });
    w.on('exit', (code, signal) => {
      workers[owner] = undefined;
      ready.delete(owner);
      if (!started && !stopping && code !== null && START_FAILURES.has(code)) {
        log.fatal({ event: 'owner_start_failed', owner, code }, `owner ${owner} could not start; stopping`);
        exitCode = code;
        stopAll('SIGTERM');
      } else if (!stopping) {
        log.error({ event: 'owner_died', owner, code, signal }, `owner ${owner} died; restarting it`);
        setTimeout(() => !stopping && fork(owner), 100);
      }
      if (workers.every((x) => x === undefined) && stopping) {
        log.info({ event: 'handoffs', hinted: counts.hinted, roundRobin: counts.roundRobin }, 'connections handed to owners');
        server.close();
        rmSync(sockets, { recursive: true, force: true });
        resolveDone(exitCode);
      }
    });
  };
  for (let i = 0; i < config.processes; i++) fork(i);
  const stop = (signal: NodeJS.Signals) => {
    log.info({ event: 'signal', signal }, 'draining every owner');
    stopAll(signal);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => workers.forEach((w) => w?.process.kill('SIGHUP')));
  process.on('SIGUSR2', () => workers.forEach((w) => w?.process.kill('SIGUSR2')));
  return done;
}
