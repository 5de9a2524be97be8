/**
 * The moderator console's static files, from `src/console/` (served as files: the page is plain
 * HTML, CSS and a browser ES module, not compiled). Only files listed here are served; the CSP keeps
 * the page to its own origin, and the page renders stream text with `textContent`.
 */
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

const CONSOLE_DIR = fileURLToPath(new URL(import.meta.url.includes('/dist/') ? '../../../src/console/' : '../console/', import.meta.url));

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

const cache = new Map<string, Buffer>();

/** Serves a console file for `pathname`; false when the path is not one. */
export function serveConsole(pathname: string, res: ServerResponse): boolean {
  const entry = FILES[pathname];
  if (!entry) return false;
  let body = cache.get(entry.file);
  if (!body) {
    try {
      body = readFileSync(CONSOLE_DIR + entry.file);
    } catch {
      return false;
    }
    cache.set(entry.file, body);
  }
  res.writeHead(200, { 'content-type': entry.type, ...SECURITY_HEADERS });
  res.end(body);
  return true;
}
