/**
 * The risk board under a shift's load, in Debian's chromium against a real `pkguard serve`: 1,000
 * live streams and 50 flags/s. The board stays sorted by level, risk and recent flags; only the top
 * cards are drawn and the rest counted; the filters (level, PK, id search) hold; a card under the
 * pointer keeps its place; hostile stream ids, viewer names and texts stay text. Saves a
 * screenshot of the board to test-results/console/board.png.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BoardLoad, HOSTILE, orderBreaks, readBoard, type LoadMessage } from '../../bench/console-load.js';
import type { Client } from '../server/harness.js';
import { closeConsolePage, openConsolePage, type ConsolePage } from './console-page.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));
const STREAMS = 1000;
const RATE = 50;
const MAX_CARDS = 48;

const world: Partial<ConsolePage> = {};
let page: Page;
let ingest: Client;
let dialogs: string[];
let pageErrors: string[];
const load = new BoardLoad(STREAMS);

/** Sends messages in frames of 250 and waits for the last ack of each frame. */
async function send(msgs: readonly LoadMessage[]): Promise<void> {
  for (let i = 0; i < msgs.length; i += 250) {
    const frame = msgs.slice(i, i + 250);
    ingest.send(frame);
    const last = frame[frame.length - 1]!;
    await ingest.ack(last.stream, last.seq, 30_000);
  }
}

/** Flags at RATE per second for `ms`, calling `check` about once a second. */
async function steady(ms: number, check: () => Promise<void>): Promise<void> {
  const end = Date.now() + ms;
  let nextCheck = Date.now() + 1000;
  while (Date.now() < end) {
    const tick = Date.now();
    await send(load.next(RATE / 10));
    if (Date.now() >= nextCheck) {
      await check();
      nextCheck = Date.now() + 1000;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
  }
}

const board = () => page.evaluate(readBoard);

beforeAll(async () => {
  ({ page, ingest, dialogs, pageErrors } = await openConsolePage({ viewport: { width: 1600, height: 1000 }, feed: false }, world));
  await send(load.seed());
  await page.waitForFunction((n) => /^(\d+) streams/.exec(document.getElementById('board-count')!.textContent ?? '')?.[1] === String(n), STREAMS, { timeout: 30_000 });
}, 120_000);

afterAll(() => closeConsolePage(world));

describe('risk board, 1,000 streams at 50 flags/s', () => {
  test('stays sorted by level, risk and recent flags; draws the top cards and counts the rest', { timeout: 120_000 }, async () => {
    let checks = 0;
    await page.mouse.move(5, 5); // nothing pinned
    await steady(12_000, async () => {
      const cards = await board();
      expect(cards.length).toBe(MAX_CARDS);
      expect(orderBreaks(cards)).toEqual([]);
      checks++;
    });
    expect(checks).toBeGreaterThanOrEqual(8);
    const cards = await board();
    // The load spreads levels: the top of the board is the worst of it.
    expect(cards[0]!.level).toBe('shutdown');
    expect(new Set(cards.map((c) => c.level)).size).toBeGreaterThan(1);
    expect(await page.locator('#more-cards').textContent()).toBe(`+${STREAMS - MAX_CARDS} more streams not drawn (narrow with the board filters)`);
    expect(await page.locator('#cards .card').count()).toBe(MAX_CARDS);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}board.png` });
  });

  test('filters by level, PK and stream id; the count says how many match', { timeout: 60_000 }, async () => {
    await page.locator('#levels input[value="normal"]').uncheck();
    await page.locator('#levels input[value="watch"]').uncheck();
    await page.waitForFunction(() => [...document.querySelectorAll('#cards .card')].every((c) => ['alert', 'shutdown'].includes((c as HTMLElement).dataset.level!)));
    expect(orderBreaks(await board())).toEqual([]);
    for (const l of ['normal', 'watch']) await page.locator(`#levels input[value="${l}"]`).check();

    await page.locator('#pk-only').check();
    await page.waitForFunction(() => document.querySelectorAll('#cards .card').length > 0 && [...document.querySelectorAll('#cards .card .pk')].every((p) => !(p as HTMLElement).hidden));
    // Every 25th stream is in PK: 40 of 1,000, all drawn.
    expect((await board()).length).toBe(STREAMS / 25);
    await page.locator('#pk-only').uncheck();

    await page.locator('#board-search').fill('ROOM-09');
    await page.waitForFunction(() => document.querySelectorAll('#cards .card').length === 10);
    expect((await board()).map((c) => c.stream).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `room-09${i}`));
    expect(await page.locator('#board-count').textContent()).toContain('10 match the board filters');
    await page.locator('#board-search').fill('');
    await page.waitForFunction((n) => document.querySelectorAll('#cards .card').length === n, MAX_CARDS);
  });

  test('a card under the pointer keeps its place while its stream climbs; it moves once let go', { timeout: 60_000 }, async () => {
    const before = await board();
    const i = before.findIndex((c, k) => k > 5 && c.level !== 'shutdown');
    const target = before[i]!.stream;
    await page.locator(`#cards .card[data-stream="${target}"] .gauge`).hover();
    // A critical claim shuts it down: unpinned it would jump to the top group.
    const seq = 10_000;
    ingest.send({ type: 'transcript', stream: target, seq, ts: Date.now(), text: '喝了能治癌' });
    await ingest.ack(target, seq);
    await page.waitForFunction((s) => document.querySelector(`#cards .card[data-stream="${s}"]`)?.getAttribute('data-level') === 'shutdown', target);
    await steady(1500, async () => undefined);
    const held = await board();
    expect(held[i]!.stream).toBe(target);
    expect(orderBreaks(held, target)).toEqual([]);
    await page.mouse.move(5, 5);
    await page.waitForFunction(({ s, i }) => Number((document.querySelector(`#cards .card[data-stream="${s}"]`) as HTMLElement | null)?.dataset.rank ?? Infinity) < i, { s: target, i });
    expect(orderBreaks(await board())).toEqual([]);
  });

  test('hostile stream ids, viewer names and texts are text, never markup', { timeout: 60_000 }, async () => {
    for (const id of HOSTILE.streams) {
      await page.locator('#board-search').fill(id.slice(0, 6));
      const card = page.locator('#cards .card').filter({ has: page.locator('.card-title', { hasText: id }) });
      await card.first().waitFor();
      expect(await card.first().locator('.card-title').textContent()).toBe(id);
    }
    await page.locator('#board-search').fill('');
    expect(await page.locator('#cards img, #feed img, #cards script, #feed script, #cards b, #feed b').count()).toBe(0);
    // A new line from a hostile viewer comes in at the top of the feed.
    const stream = HOSTILE.streams[0]!;
    ingest.send({ type: 'chat', stream, seq: 20_000, ts: Date.now(), user: HOSTILE.user, text: HOSTILE.text });
    await ingest.ack(stream, 20_000);
    const top = page.locator('.flag-row:not([hidden])', { has: page.locator('.stream', { hasText: stream }) }).first();
    await top.waitFor();
    expect(await top.locator('.who').textContent()).toBe(`@${HOSTILE.user}`);
    expect(await top.getAttribute('title')).toBe(HOSTILE.text);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
