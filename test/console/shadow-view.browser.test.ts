/**
 * The console's shadow panel (src/console/shadow-view.ts) in real chromium against a real server
 * scanning a shadow lexicon: hidden without shadow frames, then the gained/lost counts per
 * category and the latest changes (stream text as text, never markup), and `promote` asks for
 * confirmation and shows the server's refusal.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Client } from '../server/harness.js';
import { closeConsolePage, openConsolePage, type ConsolePage } from './console-page.js';
import { SMALL_LEXICON } from '../stream/embedded.js';

function lexiconDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-shadow-lex-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const world: Partial<ConsolePage> = {};
let page: Page;
let ingest: Client;
let dialogs: string[];
const dirs: string[] = [];

beforeAll(async () => {
  const live = lexiconDir({ ...SMALL_LEXICON, 'extreme.test.tsv': SMALL_LEXICON['extreme.test.tsv']!.replace('全网最低价\thigh\n', '') });
  const { 'contact.test.tsv': _c, ...shadowFiles } = SMALL_LEXICON;
  const shadow = lexiconDir(shadowFiles);
  dirs.push(live, shadow);
  ({ page, ingest, dialogs } = await openConsolePage({ config: { lexicons: { live, shadow } }, feed: false }, world));
}, 60_000);

afterAll(() => closeConsolePage(world, dirs));

test('shows what the shadow lexicon gains and loses against live, escaped, and promote asks first then shows the refusal', { timeout: 60_000 }, async () => {
  expect(await page.locator('.shadow-view').isHidden()).toBe(true);
  const ts = Date.now();
  ingest.send({ type: 'transcript', stream: 's1', seq: 1, ts, text: '<img src=x onerror=alert(1)>全网最低价' });
  ingest.send({ type: 'chat', stream: 's1', seq: 2, ts, user: 'v', text: '私聊加微信' });
  ingest.send({ type: 'transcript', stream: 's2', seq: 1, ts, text: '今天全网最低价' });
  await ingest.ack('s2', 1);
  await page.locator('.shadow-view').waitFor();
  await page.locator('.shadow-list li').nth(2).waitFor();
  const rows = await page.locator('.shadow-counts tr').allTextContents();
  expect(rows).toContain('contact0+0−1');
  expect(rows).toContain('extreme2+2−0');
  const list = await page.locator('.shadow-list').textContent();
  expect(list).toContain('<img src=x onerror=alert(1)>');
  expect(await page.locator('.shadow-view img').count()).toBe(0);
  expect(await page.locator('.shadow-list li.shadow-lost').textContent()).toContain('contact “加微信” · s1 #2');

  const promote = page.locator('button.shadow-promote');
  await promote.click();
  expect(await promote.textContent()).toMatch(/Confirm/);
  await promote.click();
  await page.locator('.shadow-answer', { hasText: 'refused' }).waitFor();
  expect(await page.locator('.shadow-answer').textContent()).toMatch(/contact\.test\.tsv/);
  expect(dialogs).toEqual([]);
  await page.screenshot({ path: join(tmpdir(), 'pkguard-shadow-view.png') });
});
