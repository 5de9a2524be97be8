/**
 * What a moderator sees survives a reload: every card's level, risk, shut-down reason and PK state,
 * and ended streams, are the same before and after the page is reloaded (real chromium, real
 * server). The cases are the ones that differed: a shut-down stream that kept being flagged (its
 * risk grew on the server without a `level` event), a stream that ended (its escalation state was
 * released), a stream between level changes, one restored, one in PK. Times from another day
 * carry their date.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../../bench/browser.js';
import { readBoard } from '../../bench/console-load.js';
import { Client, TOKENS, removeDir, startServer, type ServerProcess } from '../server/harness.js';

let server: ServerProcess;
let browser: Browser;
let page: Page;
let ingest: Client;
let feed: Client;
const seqs = new Map<string, number>();

beforeAll(async () => {
  server = await startServer();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${server.port}/?token=${TOKENS.moderator[0]}`);
  await page.waitForSelector('#status[data-status="live"]');
  ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
  feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
}, 60_000);

afterAll(async () => {
  ingest?.close();
  feed?.close();
  await browser?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
});

async function send(msg: Record<string, unknown> & { stream: string }, ts = Date.now()): Promise<number> {
  const seq = (seqs.get(msg.stream) ?? 0) + 1;
  seqs.set(msg.stream, seq);
  ingest.send({ ts, ...msg, seq });
  await ingest.ack(msg.stream, seq);
  return seq;
}
const say = (stream: string, text: string, ts?: number) => send({ type: 'transcript', stream, text }, ts);

/** The board and the banner as the moderator reads them, by stream. */
async function seen(p: Page) {
  const cards = (await p.evaluate(readBoard)).map((c) => ({ stream: c.stream, level: c.level, label: c.label, banner: c.banner, pk: c.pk }));
  cards.sort((a, b) => (a.stream < b.stream ? -1 : 1));
  const pk = await p.locator('#cards .card .pk:not([hidden])').allTextContents();
  return { cards, pk: pk.sort(), alarm: await p.locator('#alarm').textContent() };
}

test('risk, level, shut-down reason, PK and ended streams are the same after a reload', { timeout: 90_000 }, async () => {
  // Shut down by a critical claim, then flagged again and again: escalation's risk grows on.
  await say('down-1', '喝了能治癌');
  for (const t of ['这款全网最低价', '销量第一的产品', '史上最强的效果', '私聊加我微信']) await say('down-1', t);
  // Raised to a level, then ended: its escalation state is released on the server.
  for (const t of ['这款全网最低价', '销量第一的产品', '史上最强的效果']) await say('ended-1', t);
  await send({ type: 'end', stream: 'ended-1' });
  // Between level changes: flags that do not move the level still move the server's risk.
  for (const t of ['这款全网最低价', '全网最低价再说一次']) await say('between-1', t);
  // Shut down and restored by a moderator.
  await say('restored-1', '喝了能治癌');
  await feed.next((m) => m.type === 'shutdown' && m.stream === 'restored-1');
  feed.send({ type: 'restore', stream: 'restored-1' });
  await feed.next((m) => m.type === 'ok' && m.command === 'restore' && m.stream === 'restored-1');
  // In PK, with an opponent whose name is markup.
  await send({ type: 'pk', stream: 'pk-1', state: 'start', opponent: '<img src=x onerror=alert(1)>' });
  await say('pk-1', '这款全网最低价');
  // A flag from yesterday.
  const yesterday = Date.now() - 26 * 3600_000;
  const oldSeq = await say('old-1', '这款全网最低价', yesterday);
  const oldFlag = (await feed.next((m) => m.type === 'flag' && (m.flag as { stream: string; seq: number }).stream === 'old-1' && (m.flag as { seq: number }).seq === oldSeq)).flag as { id: string };

  const streams = ['down-1', 'ended-1', 'between-1', 'restored-1', 'pk-1', 'old-1'];
  await page.waitForFunction((n) => document.querySelectorAll('#cards .card').length === n, streams.length);
  // Wait for the last signal of each to be drawn: restored-1's restore, pk-1's PK badge.
  await page.waitForFunction(() => document.querySelector('#cards .card[data-stream="restored-1"]')?.getAttribute('data-level') === 'normal');
  await page.waitForFunction(() => !(document.querySelector('#cards .card[data-stream="pk-1"] .pk') as HTMLElement | null)?.hidden);
  const before = await seen(page);
  expect(before.cards.find((c) => c.stream === 'down-1')!.level).toBe('shutdown');
  expect(before.cards.find((c) => c.stream === 'ended-1')!.level).not.toBe('normal');
  expect(before.pk).toEqual(['PK vs <img src=x onerror=alert(1)>']);
  const dateRe = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
  expect(await page.locator(`.flag-row[data-flag-id="${oldFlag.id}"] .time`).textContent()).toMatch(dateRe);

  await page.reload();
  await page.waitForSelector('#status[data-status="live"]');
  await page.waitForFunction((n) => document.querySelectorAll('#cards .card').length === n, streams.length);
  await page.locator(`.flag-row[data-flag-id="${oldFlag.id}"]`).waitFor();
  const after = await seen(page);
  expect(after).toEqual(before);
  expect(await page.locator(`.flag-row[data-flag-id="${oldFlag.id}"] .time`).textContent()).toMatch(dateRe);
  expect(await page.locator('#cards img').count()).toBe(0);
});
