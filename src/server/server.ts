/**
 * The transport: one HTTP port for WebSocket `/ingest` and `/feed`, the console page, `/healthz`
 * and `/metrics`. Authenticates every upgrade before `handleUpgrade`, then hands connections to
 * the stream core it was given (embedded or cluster, it does not know which) and the feed hub.
 */
import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Role, ServerConfig, Tokens } from '../config.js';
import type { Metrics } from '../metrics.js';
import type { StreamService } from '../stream/contracts.js';
import { digest, TokenAuth, tokenOf } from './auth.js';
import { feedFrameHandler } from './feed-connection.js';
import { FeedClient, type FeedHub, type FeedSource } from './feed-hub.js';
import { httpRoutes } from './http-routes.js';
import { IngestBudget } from './ingest-budget.js';
import { IngestConnection } from './ingest-connection.js';
import { IngestScheduler } from './ingest-scheduler.js';
import { takeHandedSockets } from '../node/socket-handoff.js';

const ROUTES: Record<string, readonly Role[]> = { '/ingest': ['ingest'], '/feed': ['moderator', 'control'] };

export interface TransportParts {
  config: ServerConfig;
  tokens: Tokens;
  log: Logger;
  metrics: Metrics;
  core: StreamService;
  hub: FeedHub;
  /** Patterns in the lexicon serving now (for `/healthz`). */
  patterns: () => number;
  /** A stream's journal directory, when it is not `config.journal.dir` (several owner processes, src/node). */
  journalDirOf?: (stream: string) => string;
  /** An owner process (src/node): listen on this Unix socket instead of the port, and serve the TCP connections the primary hands over. */
  ownerHttpPath?: string;
}

export interface Transport {
  readonly port: number;
  /** Drain, step one: `/healthz` answers 503 and new sockets are refused; the listener stays open. */
  refuseNew(): void;
  /** Ingest messages accepted and not yet answered, over every connection (the drain waits for 0). */
  readonly inFlight: number;
  /** Drain, last step: close every socket with 1001 and the listener. */
  close(): Promise<void>;
}

export async function listen(p: TransportParts): Promise<Transport> {
  const { config, log, metrics, core, hub } = p;
  let draining = false;
  const http: Server = createServer(
    httpRoutes({ core, metrics, started: Date.now(), patterns: p.patterns, draining: () => draining, metricsTokens: (p.tokens.metrics ?? []).map(digest), roleOf: (t) => auth.roleOf(t), journalDir: p.journalDirOf ?? config.journal.dir }),
  );
  const auth = new TokenAuth(p.tokens);
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.limits.maxPayloadBytes, perMessageDeflate: false });
  const onFeedFrame = feedFrameHandler({ core, hub, metrics, maxBatch: config.limits.maxBatch });
  const feedSource: FeedSource = { history: core.history, lastFlagNumber: () => core.lastFlagNumber(), summaries: () => core.summaries(), thresholds: config.escalation.thresholds, ...(core.historyStart ? { historyStart: (latest: number, n: number) => core.historyStart!(latest, n) } : {}) };

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
    const token = tokenOf(req, url);
    const role = auth.roleOf(token);
    if (!role) return refuse(401, 'Unauthorized');
    if (!roles.includes(role)) return refuse(403, 'Forbidden');
    const tokenId = digest(token!).toString('hex').slice(0, 16);
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, role, tokenId, url, req));
  });

  const alive = new WeakSet<WebSocket>();
  let nextConnId = 1;
  const budget = new IngestBudget(config.limits);
  const scheduler = new IngestScheduler(config.limits.sliceMs);
  const ingestConnections = new Set<IngestConnection>();
  const onConnection = (ws: WebSocket, role: Role, tokenId: string, url: URL, req: IncomingMessage) => {
    const id = nextConnId++;
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    metrics.connections.inc({ role });
    log.info({ event: 'connection_open', conn: id, role, ip: req.socket.remoteAddress }, 'connection opened');
    ws.on('error', (err) => log.info({ event: 'connection_error', conn: id, role, err: err.message }, 'connection error'));
    const closed = (code: number) => {
      metrics.connections.dec({ role });
      log.info({ event: 'connection_close', conn: id, role, code }, 'connection closed');
    };
    if (role === 'ingest') {
      const conn = new IngestConnection(id, ws, url.searchParams.get('flags') === '1', {
        core,
        limits: config.limits,
        metrics,
        budget,
        scheduler,
        tokenId,
        onCutOff: (reason) => {
          metrics.disconnects.inc({ reason });
          log.warn({ event: 'connection_cut_off', conn: id, role, reason }, 'ingest client cut off');
        },
      });
      ingestConnections.add(conn);
      ws.on('message', (data: Buffer, isBinary) => conn.onFrame(data, isBinary));
      ws.on('close', (code) => {
        ingestConnections.delete(conn);
        conn.closed();
        closed(code);
      });
      return;
    }
    const client = new FeedClient(ws, role);
    hub.add(client, feedSource);
    ws.on('message', (data: Buffer, isBinary) => onFeedFrame(client, data, isBinary));
    ws.on('close', (code) => {
      hub.remove(client);
      closed(code);
    });
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    const listening = () => {
      http.off('error', reject);
      resolve();
    };
    if (p.ownerHttpPath) {
      rmSync(p.ownerHttpPath, { force: true });
      http.listen({ path: p.ownerHttpPath, exclusive: true }, listening);
    } else http.listen(config.port, config.host, listening);
  });
  const stopHandoff = p.ownerHttpPath ? takeHandedSockets(http) : () => undefined;
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  // Ping every peer; one that did not answer the previous ping is gone.
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

  return {
    port,
    refuseNew: () => {
      draining = true;
      for (const conn of ingestConnections) conn.drain();
    },
    get inFlight() {
      let n = 0;
      for (const conn of ingestConnections) n += conn.inFlight;
      return n;
    },
    close: async () => {
      draining = true;
      clearInterval(heartbeat);
      stopHandoff();
      http.close();
      for (const ws of wss.clients) ws.close(1001, 'server shutting down');
      const closing = Date.now() + 1000;
      while (wss.clients.size > 0 && Date.now() < closing) await new Promise((r) => setTimeout(r, 10));
      for (const ws of wss.clients) ws.terminate();
      http.closeAllConnections();
    },
  };
}
