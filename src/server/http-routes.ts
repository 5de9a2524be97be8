/**
 * The plain HTTP routes: `/healthz` (readiness, no filesystem paths), `/metrics` (Prometheus text,
 * optionally behind a token) and the console page.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import type { StreamService } from '../stream/contracts.js';
import { bearerMatches, tokenOf } from './auth.js';
import { serveConsole } from './static.js';

export interface RouteDeps {
  core: StreamService;
  metrics: Metrics;
  started: number;
  /** Patterns in the lexicon serving now. */
  patterns: () => number;
  draining: () => boolean;
  /** SHA-256 digests of the tokens `/metrics` accepts; empty: open. */
  metricsTokens: readonly Buffer[];
}

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
    if (serveConsole(url.pathname, res)) return;
    plain(res, 404, 'not found\n');
  };
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
