/**
 * The moderator console in a real browser (Debian's chromium via playwright-core) against a real
 * `pkguard serve`, fed by real ingest clients (the test harness's ws client and `pkguard replay`).
 * The tests run in order on one server and one page, as a moderator's shift would.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, MAIN, TOKENS, removeDir, startServer, type ServerProcess } from '../server/harness.js';
import { closeConsolePage, openClients, openConsolePage, type ConsolePage } from './console-page.js';

const MODERATOR = TOKENS.moderator[0]!;
const INGEST = TOKENS.ingest[0]!;
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/console/', import.meta.url));

interface FlagMessage {
  type: 'flag';
  flag: { id: string; stream: string; category: string; severity: string; matched: string; start: number; end: number; carried?: string };
  text: string;
}

const world: Partial<ConsolePage> = {};
let server: ServerProcess;
let browser: Browser;
let page: Page;
let ingest: Client;
let feed: Client;
let dialogs: string[];
let pageErrors: string[];
const seqs = new Map<string, number>();

/** Ingest and feed clients on the (restarted) server; `world` closes these at the end. */
async function openIngest(): Promise<void> {
  const c = await openClients(server);
  world.server = server;
  world.ingest = ingest = c.ingest;
  world.feed = feed = c.feed!;
}

/** Sends a final transcript (or chat) and waits for its ack: it is journaled and its flags are out. */
async function say(stream: string, text: string, opts: { ts?: number; chat?: boolean } = {}): Promise<number> {
  const seq = (seqs.get(stream) ?? 0) + 1;
  seqs.set(stream, seq);
  const ts = opts.ts ?? Date.now();
  ingest.send(opts.chat ? { type: 'chat', stream, seq, ts, user: 'viewer', text } : { type: 'transcript', stream, seq, ts, text, final: true });
  await ingest.ack(stream, seq);
  return seq;
}

/** The flag the server raised for (stream, seq), as a feed client received it. */
async function flagOf(stream: string, seq: number, category?: string): Promise<FlagMessage> {
  return (await feed.next((m) => {
    const f = (m as unknown as FlagMessage).flag;
    return m.type === 'flag' && f.stream === stream && (f as { seq?: number }).seq === seq && (category === undefined || f.category === category);
  })) as unknown as FlagMessage;
}

const row = (id: string) => page.locator(`.flag-row[data-flag-id="${id}"]:not([hidden])`);
const card = (stream: string) => page.locator(`.card[data-stream="${stream}"]`);
const shownCount = async () => Number(((await page.locator('#count').textContent()) ?? '').match(/\d+/)?.[0] ?? -1);

beforeAll(async () => {
  ({ server, browser, page, ingest, feed, dialogs, pageErrors } = await openConsolePage({}, world));
}, 60_000);

afterAll(() => closeConsolePage(world));

describe('moderator console', () => {
  test('takes the token from the URL and removes it from the address bar', async () => {
    expect(page.url()).not.toContain('token=');
    expect(await page.locator('#login').isHidden()).toBe(true);
  });

  test('without a token the page asks for one; a refused token says so; a good one connects', async () => {
    const p = await browser.newPage();
    try {
      await p.goto(`http://127.0.0.1:${server.port}/`);
      await p.locator('#login').waitFor({ state: 'visible' });
      await p.locator('#token').fill('not-a-token');
      await p.locator('#login button[type="submit"]').click();
      await p.waitForSelector('#status[data-status="unauthorized"]', { timeout: 15_000 });
      await p.locator('#login').waitFor({ state: 'visible' });
      expect(await p.locator('#login-reason').textContent()).toContain('refused');
      await p.locator('#token').fill(MODERATOR);
      await p.locator('#login button[type="submit"]').click();
      await p.waitForSelector('#status[data-status="live"]');
      expect(await p.locator('#login').isHidden()).toBe(true);
    } finally {
      await p.close();
    }
  });

  test('a flag appears with its matched span highlighted, and a seam-crossing one with the earlier chunk', async () => {
    const text = '这个真的是销量第一，大家放心买';
    const seq = await say('room-1', text);
    const { flag } = await flagOf('room-1', seq);
    const r = row(flag.id);
    await r.waitFor();
    expect(await r.locator('mark.match').textContent()).toBe(flag.matched);
    expect(text.slice(flag.start, flag.end)).toBe(flag.matched);
    const [before, after] = await Promise.all([r.locator('.before').textContent(), r.locator('.after').textContent()]);
    expect(`${before}${flag.matched}${after}`).toBe(text);
    expect(await r.getAttribute('data-category')).toBe(flag.category);
    expect(await r.locator('.stream').textContent()).toBe('room-1');
    expect(await r.locator('.prev').isHidden()).toBe(true);
    expect(await r.getAttribute('title')).toBe(text); // the whole message on hover

    await say('room-1', '今天这一款的价格是全网最');
    const seq2 = await say('room-1', '低价，库存不多了');
    const split = await flagOf('room-1', seq2);
    expect(split.flag.carried).toBeTruthy();
    const r2 = row(split.flag.id);
    await r2.waitFor();
    expect(await r2.locator('.prev').isVisible()).toBe(true);
    expect(await r2.locator('mark.carried').textContent()).toBe(split.flag.carried);
    expect(await r2.locator('.prev-before').textContent()).toContain('今天这一款的价格是');
    expect(await r2.locator('mark.match').textContent()).toBe(split.flag.matched);
  });

  test('a category filter hides the other categories and maps to subscribe', async () => {
    const contactSeq = await say('room-2', '想要的大家加微信');
    const contact = await flagOf('room-2', contactSeq, 'contact');
    for (const c of ['extreme', 'exclusive', 'medical']) await page.locator(`#categories input[value="${c}"]`).uncheck();
    await row(contact.flag.id).waitFor();
    const categories = await page.locator('.flag-row:not([hidden])').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.category));
    expect(categories.length).toBeGreaterThan(0);
    expect(new Set(categories)).toEqual(new Set(['contact']));

    // New flags of a hidden category are not even sent: a later contact flag arrives, the extreme one never does.
    const extremeSeq = await say('room-2', '这是全网最低价');
    const extreme = await flagOf('room-2', extremeSeq);
    const laterSeq = await say('room-2', '私聊加我微信');
    const later = await flagOf('room-2', laterSeq, 'contact');
    await row(later.flag.id).waitFor();
    expect(await page.locator(`.flag-row[data-flag-id="${extreme.flag.id}"]`).count()).toBe(0);

    // Widening the filter fetches what was hidden.
    for (const c of ['extreme', 'exclusive', 'medical']) await page.locator(`#categories input[value="${c}"]`).check();
    await row(extreme.flag.id).waitFor();
  });

  test('dismissing a flag lowers the stream gauge', async () => {
    const ts = Date.now();
    const a = await flagOf('room-3', await say('room-3', '这个真的是销量第一', { ts }));
    await flagOf('room-3', await say('room-3', '全网最低价', { ts }));
    const gauge = card('room-3').locator('.gauge');
    await page.waitForFunction(() => document.querySelector('.card[data-stream="room-3"] .gauge')?.getAttribute('data-level') === 'alert');
    const before = Number(await gauge.getAttribute('data-risk'));
    // The fill is scaled, not sized (a transform moves without relayout).
    const scale = (e: Element) => new DOMMatrix((e as HTMLElement).style.transform).a;
    const width = await gauge.locator('.fill').evaluate(scale);
    await row(a.flag.id).locator('button.dismiss').click();
    await page.waitForFunction(() => document.querySelector('.card[data-stream="room-3"] .gauge')?.getAttribute('data-level') === 'watch');
    expect(Number(await gauge.getAttribute('data-risk'))).toBeLessThan(before);
    expect(await gauge.locator('.fill').evaluate(scale)).toBeLessThan(width);
    await expect.poll(() => row(a.flag.id).locator('.note').textContent()).toBe('done: dismissed');
    expect(await row(a.flag.id).getAttribute('class')).toContain('dismissed');
  });

  test('a shutdown shows the red banner; a manual one needs a confirm step; restore clears it', async () => {
    await page.locator('h1').click(); // browsers play sound only after a gesture on the page
    await say('room-4', '喝了能治癌');
    const banner = card('room-4').locator('.banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.textContent()).toMatch(/^SHUT DOWN: /);
    await expect.poll(() => page.locator('#alarm').textContent()).toContain('room-4 SHUT DOWN');
    expect(await page.locator('#alarm').getAttribute('data-sounded')).toBe('1'); // the alarm tone played

    const room2 = card('room-2');
    await room2.locator('button.shutdown').click();
    expect(await room2.locator('button.shutdown').textContent()).toBe('Confirm shutdown');
    await page.waitForTimeout(300);
    expect(await room2.locator('.banner').isHidden()).toBe(true); // armed, not sent
    expect(feed.received.some((m) => m.type === 'shutdown' && m.stream === 'room-2')).toBe(false);
    await room2.locator('button.shutdown').click();
    await room2.locator('.banner').waitFor({ state: 'visible' });
    await expect.poll(() => room2.locator('.note').textContent()).toBe('done: shut down');
    const signal = await feed.next((m) => m.type === 'shutdown' && m.stream === 'room-2');
    expect(signal.manual).toBe(true);

    await room2.locator('button.restore').click();
    await room2.locator('.banner').waitFor({ state: 'hidden' });
    await expect.poll(() => room2.locator('.note').textContent()).toBe('done: restored');
  });

  test('stream text is shown as text: markup in a transcript, a stream id or a PK opponent never runs', async () => {
    const attack = '<img src=x onerror=alert(1)>';
    const stream = 'xss-<b>room</b>';
    seqs.set(stream, 0);
    const pkSeq = 1;
    seqs.set(stream, pkSeq);
    ingest.send({ type: 'pk', stream, seq: pkSeq, ts: Date.now(), state: 'start', opponent: '<svg onload=alert(3)>' });
    await ingest.ack(stream, pkSeq);
    const seq = await say(stream, `${attack} 全网最低价`);
    const { flag } = await flagOf(stream, seq);
    const r = row(flag.id);
    await r.waitFor();
    expect(await r.locator('.flag-text').textContent()).toContain(attack);
    expect(await r.locator('.stream').textContent()).toBe(stream);
    await expect.poll(() => card(stream).locator('.pk').textContent()).toBe('PK vs <svg onload=alert(3)>');
    await page.waitForTimeout(300);
    expect(await page.locator('img, b, svg[onload]').count()).toBe(0);
    expect(await page.evaluate(() => document.body.innerHTML.includes('<img'))).toBe(false);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  test('a message with many flags: its text comes once and every row shows it, as text', async () => {
    const text = `<b>bold</b> ${'全网最低价，'.repeat(20)}`;
    const seq = await say('room-7', text, { chat: true });
    const ofMessage = () => feed.of('flag').filter((m) => (m as unknown as FlagMessage).flag.stream === 'room-7' && (m.flag as { seq: number }).seq === seq);
    await feed.next(() => ofMessage().length >= 20);
    const frames = ofMessage();
    expect(frames.filter((m) => m.text !== undefined)).toHaveLength(1); // the rest carry textOf
    const newest = frames.slice(-3).map((m) => (m as unknown as FlagMessage).flag);
    for (const f of newest) {
      const r = row(f.id);
      await r.waitFor();
      expect(await r.getAttribute('title')).toBe(text);
      expect(await r.locator('mark.match').textContent()).toBe(f.matched);
      expect(await r.locator('.flag-text').textContent()).toContain(text.slice(Math.max(0, f.start - 10), f.start));
    }
    expect(await page.locator('.flag-row b, .flag-row img').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  test('a replayed PK session (screenshot saved to test-results/console/)', async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    const replay = spawn(process.execPath, [MAIN, 'replay', fileURLToPath(new URL('../fixtures/session.ndjson', import.meta.url)), '--speed', '4', '--url', `ws://127.0.0.1:${server.port}`, '--token', INGEST], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    replay.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => replay.once('exit', resolve));
    // Mid-session: the PK is on and room-a has flags, but it is not shut down yet.
    await expect.poll(() => page.locator('.flag-row[data-flag-id] .stream', { hasText: 'room-a' }).count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    await page.screenshot({ path: `${SCREENSHOTS}replay-during.png` });
    expect(await exited).toBe(0);
    expect(out).toContain('"unanswered":0');
    await card('room-a').locator('.banner').waitFor({ state: 'visible' });
    await expect.poll(() => card('room-a').locator('.pk').textContent()).toBe('PK vs room-b');
    await page.screenshot({ path: `${SCREENSHOTS}replay-shutdown.png` });
  });

  test('after the server is killed and restarted on the same journal, the page reconnects without losing a flag', async () => {
    const lastSeq = await say('room-5', '这款是全网第一');
    const last = await flagOf('room-5', lastSeq);
    await row(last.flag.id).waitFor();
    ingest.close();
    feed.close();
    const port = server.port;
    await server.stop('SIGKILL');
    await page.waitForSelector('#status[data-status="reconnecting"]');
    server = await startServer({ dir: server.dir, config: { port } });
    await openIngest();
    // Raised while the page may still be backing off: it must arrive through `since`.
    const afterSeq = await say('room-5', '加我微信聊');
    const after = await flagOf('room-5', afterSeq, 'contact');
    await page.waitForSelector('#status[data-status="live"]', { timeout: 15_000 });
    await row(after.flag.id).waitFor();

    // Every flag the server has is on the page exactly once.
    const all = await Client.open(server.url('/feed', MODERATOR));
    all.send({ type: 'subscribe', history: 100_000 });
    const streams = await all.next((m) => m.type === 'streams');
    await all.next((m) => m.type === 'flag' && (m as unknown as FlagMessage).flag.id === streams.lastFlag);
    const total = all.of('flag').length;
    all.close();
    await expect.poll(shownCount).toBe(total);
    expect(Number(after.flag.id.slice(1))).toBeGreaterThan(Number(last.flag.id.slice(1)));
  });

  test('10,000 flags: the list keeps a bounded number of rows in the DOM and scrolls to any of them', async () => {
    const start = await shownCount();
    const N = 10_000;
    const batch = 500;
    for (let b = 0; b < N / batch; b++) {
      const frame = [];
      for (let i = 0; i < batch; i++) {
        const stream = `bulk-${(b * batch + i) % 40}`;
        const seq = (seqs.get(stream) ?? 0) + 1;
        seqs.set(stream, seq);
        frame.push({ type: 'chat', stream, seq, ts: Date.now(), user: 'viewer', text: `第${i}号：全网最低价` });
      }
      ingest.send(frame);
      const lastStream = frame[frame.length - 1]!;
      await ingest.ack(lastStream.stream, lastStream.seq, 30_000);
    }
    await expect.poll(shownCount, { timeout: 60_000 }).toBeGreaterThanOrEqual(start + N);
    expect(await page.locator('.flag-row').count()).toBeLessThan(80);

    // Scroll to the middle: the rows there are the flags at that position, newest first.
    const timing = await page.evaluate(async () => {
      const feedEl = document.getElementById('feed')!;
      const t0 = performance.now();
      feedEl.scrollTop = 5000 * 58;
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      return performance.now() - t0;
    });
    const ids = await page.locator('.flag-row:not([hidden])').evaluateAll((rows) =>
      rows.map((r) => ({ id: Number((r as HTMLElement).dataset.flagId!.slice(1)), top: new DOMMatrix(getComputedStyle(r).transform).m42 })).sort((a, b) => a.top - b.top),
    );
    const top = ids.find((r) => r.top >= 5000 * 58)!;
    const newest = ids[0]!.id + Math.round(ids[0]!.top / 58); // rows are one flag id apart in this run
    expect(top.id).toBe(newest - 5000);
    console.log(`[console] 10k flags: ${await page.locator('.flag-row').count()} row elements; scroll to the middle rendered in ${timing.toFixed(1)} ms (two frames)`);

    // New flags while scrolled down: the row being read stays put and a pill counts what came in above.
    const reading = await page.evaluate(() => {
      const feedEl = document.getElementById('feed')!;
      const rows = [...document.querySelectorAll<HTMLElement>('.flag-row:not([hidden])')];
      const top = rows.find((r) => new DOMMatrix(getComputedStyle(r).transform).m42 >= feedEl.scrollTop)!;
      return { id: top.dataset.flagId!, offset: new DOMMatrix(getComputedStyle(top).transform).m42 - feedEl.scrollTop };
    });
    for (let i = 0; i < 3; i++) await say('room-6', `第${i}次说全网最低价`);
    await expect.poll(() => page.locator('#new-flags').textContent()).toBe('↑ 3 new');
    const still = await page.evaluate((id) => {
      const feedEl = document.getElementById('feed')!;
      const r = document.querySelector<HTMLElement>(`.flag-row[data-flag-id="${id}"]`)!;
      return new DOMMatrix(getComputedStyle(r).transform).m42 - feedEl.scrollTop;
    }, reading.id);
    expect(still).toBe(reading.offset);
    await page.locator('#new-flags').click();
    await expect.poll(() => page.evaluate(() => document.getElementById('feed')!.scrollTop)).toBe(0);
    await expect.poll(() => page.locator('#new-flags').isHidden()).toBe(true);
    // The top row (rows keep their flag as the list moves, so DOM order is not list order).
    const topRow = await page.locator('.flag-row:not([hidden])').evaluateAll((rows) => rows.map((r) => ({ top: new DOMMatrix(getComputedStyle(r).transform).m42, stream: r.querySelector('.stream')!.textContent })).sort((a, b) => a.top - b.top)[0]!.stream);
    expect(topRow).toBe('room-6');
    expect(pageErrors).toEqual([]);
  });
});
