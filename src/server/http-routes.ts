/**
 * The plain HTTP routes: `/healthz` (readiness, no filesystem paths), `/metrics` (Prometheus text,
 * optionally behind a token), `/api/stream` (a stream's drill-down from the journal, moderators
 * only) and the console page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import type { Role } from '../config.js';
import { wireError } from '../protocol/codes.js';
import { MAX_ID_LENGTH } from '../protocol/ingest.js';
import type { StreamService } from '../stream/contracts.js';
import { bearerMatches, tokenOf } from './auth.js';
import { serveConsole } from './static.js';
import { readStreamContext } from './stream-context.js';

export interface RouteDeps {
  core: StreamService;
  metrics: Metrics;
  started: number;
  /** Patterns in the lexicon serving now. */
  patterns: () => number;
  draining: () => boolean;
  /** SHA-256 digests of the tokens `/metrics` accepts; empty: open. */
  metricsTokens: readonly Buffer[];
  /** The role of a token (the feed's tokens): `/api/*` answers moderators only. */
  roleOf?: (token: string | undefined) => Role | undefined;
  /** The journal's directory, where `/api/stream` reads a stream's context (absent: no journal here). */
  /** Where a stream's journal is (a function of the stream when the node runs several owner processes, each with its own). */
  journalDir?: string | ((stream: string) => string);
}

/** Flagged messages and chunks of context either side that `/api/stream` sends at most. */
const API_STREAM_LIMITS = { limit: 200, around: 10 };

export function httpRoutes(d: RouteDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://pkguard');
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(res, 405, 'method not allowed\n');
    if (url.pathname === '/healthz') {
      const core = d.core.health();
      const draining = d.draining();
      const ready = !draining && core.ready;
      const body = {
        status: ready ? 'ok' : 'unavailable',
        ready,
        draining,
        journal: { writable: core.writable, pending: core.pending },
        lexicon: { patterns: d.patterns() },
        streams: core.streams,
        uptimeSeconds: Math.round((Date.now() - d.started) / 1000),
        ...(core.cluster ? { cluster: core.cluster } : {}),
      };
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      return res.end(JSON.stringify(body));
    }
    if (url.pathname === '/metrics' || url.pathname === '/metrics/runtime') {
      if (d.metricsTokens.length > 0 && !bearerMatches(tokenOf(req, url), d.metricsTokens)) {
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
        return res.end('unauthorized: /metrics needs Authorization: Bearer <metrics token>\n');
      }
      if (url.pathname === '/metrics/runtime') {
        // The last two minutes, second by second (src/runtime-monitor.ts): what a stall went through.
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        return res.end(JSON.stringify({ seconds: d.metrics.recentSeconds }));
      }
      const core = d.core.health();
      d.metrics.journalPending.set(core.pending);
      d.metrics.journalWritable.set(core.writable ? 1 : 0);
      d.metrics.streams.set(core.streams);
      d.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': d.metrics.registry.contentType });
          res.end(text);
        },
        (err: unknown) => plain(res, 500, `metrics failed: ${(err as Error).message}\n`),
      );
      return;
    }
    if (url.pathname === '/api/stream') return apiStream(d, req, url, res);
    if (serveConsole(url.pathname, res)) return;
    plain(res, 404, 'not found\n');
  };
}

/**
 * `GET /api/stream?stream=ID[&limit=N][&around=K]`: the stream's last N flagged messages with K
 * chunks of context before and after each, its level history and PK sessions (stream-context.ts).
 * Stream text is in it: moderators only, `Authorization: Bearer` or `?token=` as on `/feed`.
 */
function apiStream(d: RouteDeps, req: IncomingMessage, url: URL, res: ServerResponse): void {
  const role = d.roleOf?.(tokenOf(req, url));
  if (!role) {
    res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer' });
    res.end('unauthorized: /api/stream needs a moderator token\n');
    return;
  }
  if (role !== 'moderator') return json(res, 403, wireError('forbidden', `/api/stream is for moderators; this token is ${role}`));
  const stream = url.searchParams.get('stream');
  if (!stream || stream.length > MAX_ID_LENGTH) return json(res, 400, wireError('invalid_message', `stream: one stream id of 1 to ${MAX_ID_LENGTH} characters`));
  const count = (name: string, max: number, fallback: number) => {
    const v = url.searchParams.get(name);
    const n = v === null ? fallback : Number(v);
    return Number.isInteger(n) && n >= 0 && n <= max ? n : undefined;
  };
  const limit = count('limit', API_STREAM_LIMITS.limit, 50);
  const around = count('around', API_STREAM_LIMITS.around, 2);
  if (limit === undefined || around === undefined) return json(res, 400, wireError('invalid_message', `limit: 0 to ${API_STREAM_LIMITS.limit}; around: 0 to ${API_STREAM_LIMITS.around}`));
  if (!d.journalDir) return json(res, 404, wireError('unknown_stream', 'this server keeps no journal to read a stream from'));
  readStreamContext(typeof d.journalDir === 'function' ? d.journalDir(stream) : d.journalDir, stream, { limit, around }).then(
    (ctx) => json(res, 200, ctx),
    (err: unknown) => json(res, 500, wireError('internal', `reading the journal failed: ${(err as Error).message}`)),
  );
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
