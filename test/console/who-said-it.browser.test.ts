/**
 * The console's flag row says who said it (the chat viewer, a guest or the PK opponent) as text,
 * never markup, and crosses out a flag the ASR's final retracted. Real chromium, real server.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Client } from '../server/harness.js';
import { closeConsolePage, openConsolePage, type ConsolePage } from './console-page.js';

const world: Partial<ConsolePage> = {};
let page: Page;
let ingest: Client;
let feed: Client;
let dialogs: string[];

beforeAll(async () => {
  ({ page, ingest, feed, dialogs } = await openConsolePage({}, world));
}, 60_000);

afterAll(() => closeConsolePage(world));

const row = (id: string) => page.locator(`.flag-row[data-flag-id="${id}"]:not([hidden])`);

async function flagId(stream: string, seq: number): Promise<string> {
  const m = await feed.next((x) => x.type === 'flag' && (x.flag as { stream: string; seq: number }).stream === stream && (x.flag as { seq: number }).seq === seq);
  return (m.flag as { id: string }).id;
}

test('a viewer’s name and a speaker show in the row as text; a hostile name is not markup', { timeout: 60_000 }, async () => {
  const hostile = '<img src=x onerror=alert(1)>';
  const ts = Date.now();
  ingest.send({ type: 'chat', stream: 'w1', seq: 1, ts, user: hostile, text: '想要便宜的加我微信私聊' });
  ingest.send({ type: 'transcript', stream: 'w1', seq: 2, ts, text: '这个面霜效果史上最强', speaker: 'guest' });
  ingest.send({ type: 'transcript', stream: 'w1', seq: 3, ts, text: '这款吹风机销量第一', speaker: 'opponent' });
  ingest.send({ type: 'transcript', stream: 'w1', seq: 4, ts, text: '这件是店里卖得最好的' });
  await ingest.ack('w1', 4);
  const [chat, guest, opponent, host] = [await flagId('w1', 1), await flagId('w1', 2), await flagId('w1', 3), await flagId('w1', 4)];
  await row(host).waitFor();
  expect(await row(chat).locator('.who').textContent()).toBe(`@${hostile}`);
  expect(await row(chat).locator('img').count()).toBe(0);
  expect(await row(guest).locator('.who').textContent()).toBe('guest');
  expect(await row(opponent).locator('.who').textContent()).toBe('opponent');
  expect(await row(host).locator('.who').textContent()).toBe('');
  expect(dialogs).toEqual([]);
});

test('a flag the final retracts is crossed out and can no longer be dismissed', { timeout: 60_000 }, async () => {
  const ts = Date.now();
  ingest.send({ type: 'transcript', stream: 'w2', seq: 1, ts, text: '吃了这个能抗癌', final: false });
  await ingest.ack('w2', 1);
  const id = await flagId('w2', 1);
  await row(id).waitFor();
  expect(await row(id).locator('.tags').textContent()).toContain('partial');
  ingest.send({ type: 'transcript', stream: 'w2', seq: 1, ts: ts + 500, text: '吃了这个能抗寒', final: true });
  await ingest.ack('w2', 1);
  await page.locator(`.flag-row.retracted[data-flag-id="${id}"]`).waitFor();
  expect(await row(id).locator('.tags').textContent()).toContain('retracted');
  expect(await row(id).locator('button.dismiss').isDisabled()).toBe(true);
});
