/**
 * What a moderator sees survives a reload: every card's level, risk, shut-down reason and PK state,
 * and ended streams, are the same before and after the page is reloaded (real chromium, real
 * server). The cases are the ones that differed: a shut-down stream that kept being flagged (its
 * risk grew on the server without a `level` event), a stream that ended (its escalation state was
 * released), a stream between level changes, one restored, one in PK. Ended streams say so
 * (the feed's `end`), sort below the live ones of their level, a shut-down one keeps its banner, one
 * in PK keeps its opponent, and one flagged again after its end is live (its older flags, replayed
 * after the reload, do not make it live). Times from another day
 * carry their date.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { orderBreaks, readBoard } from '../../bench/console-load.js';
import type { Client } from '../server/harness.js';
import { closeConsolePage, openConsolePage, type ConsolePage } from './console-page.js';

const world: Partial<ConsolePage> = {};
let page: Page;
let ingest: Client;
let feed: Client;
const seqs = new Map<string, number>();

beforeAll(async () => {
  ({ page, ingest, feed } = await openConsolePage({}, world));
}, 60_000);

afterAll(() => closeConsolePage(world));

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
  const drawn = await p.evaluate(readBoard);
  const cards = drawn.map((c) => ({ stream: c.stream, level: c.level, label: c.label, banner: c.banner, pk: c.pk, ended: c.ended }));
  cards.sort((a, b) => (a.stream < b.stream ? -1 : 1));
  const pk = await p.locator('#cards .card .pk:not([hidden])').allTextContents();
  const endedTags = await p.locator('#cards .card .ended-tag:not([hidden])').allTextContents();
  return { cards, pk: pk.sort(), endedTags: endedTags.sort(), alarm: await p.locator('#alarm').textContent(), orderBreaks: orderBreaks(drawn), counts: await p.locator('#board-count').textContent() };
}

test('risk, level, shut-down reason, PK and ended streams are the same after a reload', { timeout: 90_000 }, async () => {
  // Shut down by a critical claim, then flagged again and again: escalation's risk grows on.
  await say('down-1', '喝了能治癌');
  for (const t of ['这款全网最低价', '销量第一的产品', '史上最强的效果', '私聊加我微信']) await say('down-1', t);
  // Raised to a level, then ended: its escalation state is released on the server.
  for (const t of ['这款全网最低价', '销量第一的产品', '史上最强的效果']) await say('ended-1', t);
  await send({ type: 'end', stream: 'ended-1' });
  // The same level, live: ended-1 sorts below it.
  for (const t of ['这款全网最低价', '销量第一的产品', '史上最强的效果']) await say('live-1', t);
  // Shut down, then ended: the banner stays.
  await say('down-end-1', '喝了能治癌');
  await send({ type: 'end', stream: 'down-end-1' });
  // In PK, then ended: the card keeps who it was up against.
  await send({ type: 'pk', stream: 'pk-end-1', state: 'start', opponent: 'pk-1' });
  await say('pk-end-1', '这款全网最低价');
  await send({ type: 'end', stream: 'pk-end-1' });
  // Ended, then flagged again: live.
  await say('resumed-1', '这款全网最低价');
  await send({ type: 'end', stream: 'resumed-1' });
  await say('resumed-1', '销量第一的产品');
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

  const streams = ['down-1', 'ended-1', 'live-1', 'down-end-1', 'pk-end-1', 'resumed-1', 'between-1', 'restored-1', 'pk-1', 'old-1'];
  const ended = ['down-end-1', 'ended-1', 'pk-end-1'];
  await page.waitForFunction((n) => document.querySelectorAll('#cards .card').length === n, streams.length);
  // Wait for the last signal of each to be drawn: restored-1's restore, pk-1's PK badge.
  await page.waitForFunction(() => document.querySelector('#cards .card[data-stream="restored-1"]')?.getAttribute('data-level') === 'normal');
  await page.waitForFunction(() => !(document.querySelector('#cards .card[data-stream="pk-1"] .pk') as HTMLElement | null)?.hidden);
  await page.waitForFunction((n) => document.querySelectorAll('#cards .card[data-ended="true"]').length === n, ended.length);
  const before = await seen(page);
  const card = (s: string) => before.cards.find((c) => c.stream === s)!;
  expect(card('down-1').level).toBe('shutdown');
  expect(card('ended-1').level).not.toBe('normal');
  expect(before.cards.filter((c) => c.ended).map((c) => c.stream)).toEqual(ended);
  expect(card('ended-1').label).toMatch(/^ended · /);
  expect(before.endedTags).toHaveLength(ended.length);
  expect(card('down-end-1').banner).toMatch(/^SHUT DOWN: /);
  expect(card('down-end-1').level).toBe('shutdown');
  expect(card('pk-end-1').pk).toBe(true);
  expect(card('live-1').level).toBe(card('ended-1').level);
  const drawn = (await page.evaluate(readBoard)).map((c) => c.stream);
  expect(drawn.indexOf('ended-1')).toBeGreaterThan(drawn.indexOf('live-1'));
  expect(before.orderBreaks).toEqual([]);
  expect(before.counts).toContain(`${ended.length} ended`);
  expect(before.pk).toEqual(['PK vs <img src=x onerror=alert(1)>', 'PK vs pk-1']);
  const dateRe = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;
  expect(await page.locator(`.flag-row[data-flag-id="${oldFlag.id}"] .time`).textContent()).toMatch(dateRe);

  await page.reload();
  await page.waitForSelector('#status[data-status="live"]');
  await page.waitForFunction((n) => document.querySelectorAll('#cards .card').length === n, streams.length);
  await page.locator(`.flag-row[data-flag-id="${oldFlag.id}"]`).waitFor();
  await page.waitForFunction((n) => document.querySelectorAll('#cards .card[data-ended="true"]').length === n, ended.length);
  const after = await seen(page);
  expect(after).toEqual(before);
  // The stream view says it too.
  await page.locator('#cards .card[data-stream="ended-1"] .card-title').click();
  await expect.poll(() => page.locator('#stream-view .sv-state').textContent()).toMatch(/^ENDED \d\d:\d\d:\d\d · /);
  await page.keyboard.press('Escape');
  expect(await page.locator(`.flag-row[data-flag-id="${oldFlag.id}"] .time`).textContent()).toMatch(dateRe);
  expect(await page.locator('#cards img').count()).toBe(0);
});
