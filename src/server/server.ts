/**
 * `pkguard serve`: one HTTP port for WebSocket `/ingest` and `/feed`, the console page at `/`,
 * `GET /healthz` and `GET /metrics`. Authenticates every upgrade before `handleUpgrade`; wires
 * connections to the pipeline and the feed hub; runs the heartbeat, the idle sweep and lexicon
 * hot reload; drains on close.
 */
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { Scanner } from '../detect/scanner.js';
import { Escalation, type LevelEvent, type RestoreEvent, type ShutdownEvent } from '../escalate/escalation.js';
import { FlagIdAllocator, type Flag } from '../flag.js';
import { compileInWorker } from '../lexicon/compile-async.js';
import { compileLexicon } from '../lexicon/compile.js';
import { BUNDLED_LEXICON_DIR, loadLexiconDir } from '../lexicon/load.js';
import { Journal } from '../journal/journal.js';
import { wireError } from '../protocol/codes.js';
import { FEED_SCHEMAS } from '../protocol/feed.js';
import { decodeMessage, splitFrame } from '../protocol/frame.js';
import { TokenAuth, tokenOf } from './auth.js';
import type { Role, ServerConfig, Tokens } from './config.js';
import { FeedClient, FeedHub, CLOSE_SLOW_CONSUMER, type FeedSource } from './feed-hub.js';
import { IngestConnection } from './ingest-connection.js';
import { Metrics } from './metrics.js';
import { Pipeline, type IngestPeer, type Outbox, type PkEvent } from './pipeline.js';
import { recover } from './recover.js';
import { serveConsole } from './static.js';
import { ClusterNode } from '../cluster/node.js';

/** How long a cut-off feed client gets to read its backlog and the close frame. */
const SLOW_CONSUMER_GRACE_MS = 30_000;

const ROUTES: Record<string, readonly Role[]> = { '/ingest': ['ingest'], '/feed': ['moderator', 'control'] };

export interface RunningServer {
  readonly port: number;
  readonly metrics: Metrics;
  /** Rebuilds the lexicon in a worker and swaps it in; a failure keeps the current one. */
  reload(reason: string): Promise<boolean>;
  /** Graceful stop: refuse new work, finish in-flight messages, flush the journal, close sockets with 1001. */
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, tokens: Tokens, log: Logger): Promise<RunningServer> {
  const metrics = new Metrics();
  const escalation = new Escalation(config.escalation);
  let pipeline: Pipeline | undefined;
  const journal = await Journal.open({
    ...config.journal,
    snapshot: () => pipeline!.snapshot(),
    warn: (event, detail) => log.warn({ event, ...detail }, event.replaceAll('_', ' ')),
    onWrite: (records, _bytes, seconds) => {
      metrics.journalWriteSeconds.observe(seconds);
      metrics.journalBatchRecords.observe(records);
    },
  });
  const recovered = await recover(journal, escalation);
  log.info({ event: 'journal_replayed', dir: journal.dir, records: recovered.records, flags: recovered.flags, nextFlag: `f${recovered.nextFlag}`, shutDown: recovered.shutDown }, 'journal replayed');

  const started = Date.now();
  const scanner = new Scanner(compileLexicon(loadLexiconDir(config.lexicons)), new FlagIdAllocator(recovered.nextFlag));
  log.info({ event: 'lexicon_loaded', dir: config.lexicons ?? BUNDLED_LEXICON_DIR, patterns: scanner.lexicon.automaton.patternCount, ms: Date.now() - started }, 'lexicon loaded');

  const ingestConns = new Set<IngestConnection>();
  const hub = new FeedHub({
    maxBufferedBytes: config.limits.maxBufferedBytes,
    onSlowConsumer: (c) => {
      metrics.disconnects.inc({ reason: 'slow_consumer' });
      log.warn({ event: 'feed_slow_consumer', role: c.role, lastFlag: c.lastFlag }, 'feed client fell behind; disconnected');
      // Nothing more is queued for it, so memory stays bounded while it reads the backlog, the
      // error and the close frame; one that never reads is terminated after the grace period.
      c.ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
      setTimeout(() => c.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
    },
  });
  const outbox: Outbox = {
    flags(flags: readonly Flag[], text: string, conns: Iterable<IngestPeer>, prev?: string) {
      hub.flags(flags, text, prev);
      for (const peer of conns) {
        const conn = peer as IngestConnection;
        if (conn.wantsFlags) for (const flag of flags) conn.sendRaw(JSON.stringify({ type: 'flag', flag }));
      }
    },
    pk(e: PkEvent) {
      hub.pk(e);
    },
    event(e: LevelEvent | RestoreEvent) {
      if (e.type === 'level') hub.level(e);
      else hub.restore(e);
    },
    shutdown(e: ShutdownEvent, conns: Iterable<IngestPeer>) {
      const json = JSON.stringify({ type: 'shutdown', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts, epoch: e.epoch, manual: e.manual });
      for (const peer of conns) (peer as IngestConnection).sendRaw(json);
      hub.shutdown(json, e.stream);
    },
  };
  // --- cluster hook: with a `cluster` section, streams are owned and processed across nodes -------
  let cluster: ClusterNode | undefined;
  if (config.cluster) {
    try {
      cluster = await ClusterNode.start({ config: config.cluster, scanner, escalation: config.escalation, outbox, metrics, log, idleStreamMs: config.limits.idleStreamMs });
    } catch (err) {
      await journal.close();
      throw err;
    }
  }
  // --- end cluster hook ---
  pipeline = new Pipeline({
    ...(cluster ? { delegate: cluster } : {}), // cluster hook
    scanner,
    escalation,
    journal,
    outbox,
    metrics,
    recovered,
    log: {
      flag: (f) => log.info({ event: 'flag', id: f.id, stream: f.stream, seq: f.seq, category: f.category, term: f.term, severity: f.severity, evasion: f.evasion }, 'flag'),
      shutdown: (e) => log.warn({ event: 'shutdown', stream: e.stream, epoch: e.epoch, manual: e.manual, reason: e.reason, flagIds: e.flagIds }, 'stream shutdown signal'),
      level: (e) => log.info({ event: 'level', stream: e.stream, level: e.level, risk: e.risk }, 'stream level changed'),
    },
  });
  const pipe = pipeline;

  // --- HTTP routes -------------------------------------------------------------------------
  let draining = false;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://pkguard');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed\n');
    if (url.pathname === '/healthz') {
      const journalOk = journal.failure === undefined;
      const clusterHealth = cluster?.health(); // cluster hook
      const ready = !draining && journalOk && (clusterHealth?.connected ?? true);
      const body = { status: ready ? 'ok' : 'unavailable', ready, draining, journal: { dir: journal.dir, writable: journalOk, pending: journal.pending }, lexicon: { patterns: scanner.lexicon.automaton.patternCount }, streams: clusterHealth?.streams ?? pipe.streamCount, uptimeSeconds: Math.round((Date.now() - started) / 1000), ...(clusterHealth ? { cluster: clusterHealth } : {}) };
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(body));
    }
    if (url.pathname === '/metrics') {
      metrics.journalPending.set(journal.pending);
      metrics.streams.set(pipe.streamCount);
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => plain(res, 500, `metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    if (serveConsole(url.pathname, res)) return;
    plain(res, 404, 'not found\n');
  };
  const http: Server = createServer(onRequest);

  // --- WebSocket upgrade: authenticate first, then route by role -------------------------------
  const auth = new TokenAuth(tokens);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxPayloadBytes, perMessageDeflate: false });
  let nextConnId = 1;
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://pkguard');
    const roles = ROUTES[url.pathname];
    const refuse = (status: number, text: string) => {
      metrics.rejectedUpgrades.inc({ status: String(status) });
      log.info({ event: 'upgrade_refused', status, path: url.pathname, ip: req.socket.remoteAddress }, text);
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
    };
    if (!roles) return refuse(404, 'Not Found');
    if (draining) return refuse(503, 'Service Unavailable');
    const role = auth.roleOf(tokenOf(req, url));
    if (!role) return refuse(401, 'Unauthorized');
    if (!roles.includes(role)) return refuse(403, 'Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, role, url, req));
  });

  const alive = new WeakSet<WebSocket>();
  const onConnection = (ws: WebSocket, role: Role, url: URL, req: IncomingMessage) => {
    const id = nextConnId++;
    const ip = req.socket.remoteAddress;
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    metrics.connections.inc({ role });
    log.info({ event: 'connection_open', conn: id, role, ip }, 'connection opened');
    ws.on('error', (err) => log.info({ event: 'connection_error', conn: id, role, err: err.message }, 'connection error'));
    if (role === 'ingest') {
      const conn = new IngestConnection(id, ws, url.searchParams.get('flags') === '1', {
        pipeline: pipe,
        limits: config.limits,
        metrics,
        onCutOff: (reason) => {
          metrics.disconnects.inc({ reason });
          log.warn({ event: 'connection_cut_off', conn: id, role, reason }, 'ingest client cut off');
        },
      });
      ingestConns.add(conn);
      ws.on('message', (data: Buffer, isBinary) => conn.onFrame(data, isBinary));
      ws.on('close', (code) => {
        ingestConns.delete(conn);
        conn.closed();
        metrics.connections.dec({ role });
        log.info({ event: 'connection_close', conn: id, role, code }, 'connection closed');
      });
      return;
    }
    const client = new FeedClient(ws, role);
    hub.add(client);
    ws.on('message', (data: Buffer, isBinary) => onFeedFrame(client, data, isBinary));
    ws.on('close', (code) => {
      hub.remove(client);
      metrics.connections.dec({ role });
      log.info({ event: 'connection_close', conn: id, role, code }, 'connection closed');
    });
  };

  const feedSource: FeedSource = {
    history: cluster ?? journal, // cluster hook: in cluster mode flags come from the events stream
    lastFlagNumber: () => (cluster ? cluster.lastFlagNumber() : pipe.lastFlagNumber),
    summaries: () => pipe.summaries(),
    thresholds: config.escalation.thresholds,
  };
  const onFeedFrame = (client: FeedClient, data: Buffer, isBinary: boolean) => {
    const reply = (m: object) => {
      if ((m as { type: string }).type === 'error') metrics.errors.inc({ code: (m as { code: string }).code });
      hub.reply(client, m);
    };
    if (isBinary) return reply(wireError('binary_frame', 'binary frames are not accepted; send JSON text frames'));
    const frame = splitFrame(data.toString('utf8'), config.limits.maxBatch);
    if ('type' in frame) return reply(frame);
    frame.items.forEach((raw, i) => {
      const index = frame.batch ? i : undefined;
      const decoded = decodeMessage(raw, FEED_SCHEMAS, index);
      if (!decoded.ok) return reply(decoded.error);
      const cmd = decoded.message;
      if (cmd.type === 'subscribe') {
        // cluster hook: in cluster mode `since` reads the events stream
        hub.subscribe(client, cmd, feedSource).catch((err: unknown) => reply(wireError('internal', `replay failed: ${(err as Error).message}`)));
        return;
      }
      if (client.role !== 'moderator') return reply(wireError('forbidden', `type: ${cmd.type} is a moderator command; a control connection only subscribes`, { index }));
      const run = cmd.type === 'dismiss' ? pipe.dismiss(cmd) : cmd.type === 'shutdown' ? pipe.shutdown(cmd) : pipe.restore(cmd);
      run.then(reply, (err: unknown) => reply(wireError('internal', `${cmd.type} failed: ${(err as Error).message}`, { index, command: cmd.type, ...('stream' in cmd ? { stream: cmd.stream } : { flagId: cmd.flagId }) })));
    });
  };

  // --- listen (before any timer or watcher, so a failure leaves nothing running) ---------------
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(config.port, config.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await cluster?.close(); // cluster hook
    await journal.close();
    throw err;
  }
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  // --- heartbeat, idle sweep ---------------------------------------------------------------------
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        metrics.disconnects.inc({ reason: 'heartbeat' });
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, config.limits.heartbeatMs);
  const sweep = setInterval(() => {
    const released = pipe.sweepIdle(config.limits.idleStreamMs);
    if (released > 0) log.debug({ event: 'idle_streams_released', count: released }, 'idle streams released');
  }, Math.max(1000, Math.floor(config.limits.idleStreamMs / 4)));

  // --- lexicon hot reload --------------------------------------------------------------------------
  let reloading: Promise<boolean> | undefined;
  let reloadAgain = false;
  const reload = async (reason: string): Promise<boolean> => {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      const t0 = Date.now();
      try {
        const compiled = await compileInWorker(config.lexicons);
        scanner.swapLexicon(compiled);
        metrics.lexiconReloads.inc({ outcome: 'ok' });
        log.info({ event: 'lexicon_reloaded', reason, patterns: compiled.automaton.patternCount, ms: Date.now() - t0 }, 'lexicon reloaded');
        return true;
      } catch (err) {
        metrics.lexiconReloads.inc({ outcome: 'failed' });
        log.error({ event: 'lexicon_reload_failed', reason, err: (err as Error).message }, 'lexicon reload failed; keeping the current lexicon');
        return false;
      } finally {
        reloading = undefined;
        if (reloadAgain) {
          reloadAgain = false;
          void reload('changed during reload');
        }
      }
    })();
    return reloading;
  };
  let watcher: FSWatcher | undefined;
  if (config.watchLexicons) {
    let debounce: NodeJS.Timeout | undefined;
    try {
      watcher = watch(config.lexicons ?? BUNDLED_LEXICON_DIR, () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload('file changed'), 300);
      });
      watcher.on('error', (err) => log.warn({ event: 'lexicon_watch_error', err: err.message }, 'lexicon watch failed; SIGHUP still reloads'));
    } catch (err) {
      log.warn({ event: 'lexicon_watch_error', err: (err as Error).message }, 'lexicon watch failed; SIGHUP still reloads');
    }
  }

  log.info({ event: 'listening', port, host: config.host }, `listening on ${config.host}:${port}`);

  const close = async (): Promise<void> => {
    if (draining) return;
    draining = true;
    pipe.drain();
    watcher?.close();
    clearInterval(heartbeat);
    clearInterval(sweep);
    http.close();
    const deadline = Date.now() + config.limits.drainMs;
    while (pipe.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await cluster?.close(); // cluster hook: give partitions back so the other nodes take over at once
    await journal.close();
    for (const ws of wss.clients) ws.close(1001, 'server shutting down');
    const closing = Date.now() + 1000;
    while (wss.clients.size > 0 && Date.now() < closing) await new Promise((r) => setTimeout(r, 10));
    for (const ws of wss.clients) ws.terminate();
    http.closeAllConnections();
    log.info({ event: 'stopped', inFlightLeft: pipe.inFlight }, 'server stopped');
  };

  return { port, metrics, reload, close };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
