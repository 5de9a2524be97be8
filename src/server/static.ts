/**
 * The moderator console's files: the page and its stylesheet from `src/console/`, the browser
 * modules compiled from `src/console/*.ts` (with the pure modules of src/ they import) into
 * `dist/web/` (`npm run build`), served as `/assets/<path in dist/web>`. Only the page, the
 * stylesheet and files found in the compiled folder are served, by exact path; the CSP keeps
 * the page to its own origin with no inline script, and the page renders stream text with
 * `textContent` only.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

// This file runs as dist/src/server/static.js.
const PAGE_DIR = fileURLToPath(new URL('../../../src/console/', import.meta.url));
const MODULE_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

let routes: Map<string, string> | undefined;

/** URL path → file, built once: the page, its stylesheet, and every compiled module. */
function routeTable(): Map<string, string> {
  if (routes) return routes;
  routes = new Map([
    ['/', PAGE_DIR + 'index.html'],
    ['/index.html', PAGE_DIR + 'index.html'],
    ['/assets/console.css', PAGE_DIR + 'console.css'],
  ]);
  try {
    for (const rel of compiledFiles('')) routes.set(`/assets/${rel}`, MODULE_DIR + rel);
  } catch {
    // Not built: the page loads without its script and says nothing; `npm run build` fixes it.
  }
  return routes;
}

/** The compiled modules and maps under `dist/web/<sub>`, as paths relative to it (lower-case names only). */
function compiledFiles(sub: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(MODULE_DIR + sub, { withFileTypes: true })) {
    if (d.isDirectory() && /^[a-z0-9-]+$/.test(d.name)) out.push(...compiledFiles(`${sub}${d.name}/`));
    else if (d.isFile() && /^[a-z0-9-]+\.js(\.map)?$/.test(d.name)) out.push(sub + d.name);
  }
  return out;
}

const cache = new Map<string, Buffer>();

/** Serves a console file for `pathname`; false when the path is not one. */
export function serveConsole(pathname: string, res: ServerResponse): boolean {
  const file = routeTable().get(pathname);
  if (!file) return false;
  let body = cache.get(file);
  if (!body) {
    try {
      body = readFileSync(file);
    } catch {
      return false;
    }
    cache.set(file, body);
  }
  res.writeHead(200, { 'content-type': TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', ...SECURITY_HEADERS });
  res.end(body);
  return true;
}
