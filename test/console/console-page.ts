/**
 * What every console browser test starts from: a real `pkguard serve`, Debian's chromium with the
 * console open and live, an ingest client and (unless not wanted) a moderator feed client. Dialogs
 * are recorded and dismissed (the page must never open one: markup in stream text would) and page
 * errors recorded, so a test can assert there were none.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../bench/browser.js';
import { Client, TOKENS, removeDir, startServer, type ServerProcess } from '../server/harness.js';

export interface ConsolePage {
  server: ServerProcess;
  browser: Browser;
  page: Page;
  ingest: Client;
  /** A moderator `/feed` client (undefined with `feed: false`). */
  feed: Client;
  dialogs: string[];
  pageErrors: string[];
}

export interface ConsolePageOptions {
  /** The server's config file contents. */
  config?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /** Open a moderator feed client too (default true). */
  feed?: boolean;
}

/** The console's URL on `server`, signed in as the first moderator token. */
export const consoleUrl = (server: ServerProcess): string => `http://127.0.0.1:${server.port}/?token=${TOKENS.moderator[0]}`;

/**
 * Opens it all, filling `into` as it goes, so `closeConsolePage(into)` in `afterAll` closes what
 * got open even when a step failed.
 */
export async function openConsolePage(opts: ConsolePageOptions = {}, into: Partial<ConsolePage> = {}): Promise<ConsolePage> {
  const c = into;
  c.dialogs = [];
  c.pageErrors = [];
  c.server = await startServer(opts.config ? { config: opts.config } : {});
  c.browser = await launchChromium();
  const page = (c.page = await c.browser.newPage({ viewport: opts.viewport ?? { width: 1400, height: 900 } }));
  page.on('dialog', (d) => {
    c.dialogs!.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => c.pageErrors!.push(e.message));
  await page.goto(consoleUrl(c.server));
  await page.waitForSelector('#status[data-status="live"]');
  Object.assign(c, await openClients(c.server, opts.feed ?? true));
  return c as ConsolePage;
}

/** An ingest client and (with `feed`) a moderator feed client on `server` (again, after a restart). */
export async function openClients(server: ServerProcess, feed = true): Promise<{ ingest: Client; feed: Client | undefined }> {
  const ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  return { ingest, feed: feed ? await Client.open(server.url('/feed', TOKENS.moderator[0])) : undefined };
}

/** Closes what `openConsolePage` opened (whatever of it got open) and removes the server's directory and `dirs`. */
export async function closeConsolePage(c: Partial<ConsolePage> | undefined, dirs: readonly string[] = []): Promise<void> {
  c?.ingest?.close();
  c?.feed?.close();
  await c?.browser?.close();
  await c?.server?.stop();
  if (c?.server) removeDir(c.server.dir);
  for (const d of dirs) removeDir(d);
}
