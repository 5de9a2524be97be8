/**
 * The moderator's working tools, in chromium against a real server in `escalation.mode: recommend`:
 * the drill-down (`/api/stream`, authenticated: chunks before and after each flag from the journal,
 * who said each flagged line, level history, the PK opponent as a link), keyboard triage (next and
 * previous flag, dismiss, open, shutdown only after a yes) and the queue of recommended shutdowns
 * (confirm, decline).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TOKENS, type Client, type ServerProcess } from '../server/harness.js';
import { closeConsolePage, openConsolePage, type ConsolePage } from './console-page.js';

const world: Partial<ConsolePage> = {};
let server: ServerProcess;
let page: Page;
let ingest: Client;
let feed: Client;
let dialogs: string[];
const seqs = new Map<string, number>();
const HOSTILE_USER = '<img src=x onerror=alert(1)>';

beforeAll(async () => {
  ({ server, page, ingest, feed, dialogs } = await openConsolePage({ config: { escalation: { mode: 'recommend' } } }, world));
}, 60_000);

afterAll(() => closeConsolePage(world));

async function send(msg: Record<string, unknown> & { stream: string }): Promise<number> {
  const seq = (seqs.get(msg.stream) ?? 0) + 1;
  seqs.set(msg.stream, seq);
  ingest.send({ ts: Date.now(), ...msg, seq });
  await ingest.ack(msg.stream, seq);
  return seq;
}
const say = (stream: string, text: string, speaker?: string) => send({ type: 'transcript', stream, text, ...(speaker ? { speaker } : {}) });
const api = (query: string, token?: string) => fetch(`http://127.0.0.1:${server.port}/api/stream${query}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('drill-down', () => {
  test('/api/stream answers moderators only, and refuses a bad stream id', async () => {
    expect((await api('?stream=x')).status).toBe(401);
    expect((await api('?stream=x', 'not-a-token')).status).toBe(401);
    const ingestRes = await api('?stream=x', TOKENS.ingest[0]);
    expect(ingestRes.status).toBe(403);
    expect(((await ingestRes.json()) as { code: string }).code).toBe('forbidden');
    expect((await api('?stream=x', TOKENS.control[0])).status).toBe(403);
    const bad = await api('', TOKENS.moderator[0]);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { code: string }).code).toBe('invalid_message');
    expect((await api('?stream=x&limit=100000', TOKENS.moderator[0])).status).toBe(400);
    const ok = await api('?stream=nobody', TOKENS.moderator[0]);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ stream: 'nobody', flagged: [], events: [], truncated: false });
  });

  test('a stream view: the chunks around each flag, who said it, level history, the PK opponent as a link', { timeout: 60_000 }, async () => {
    await send({ type: 'pk', stream: 'dd-1', state: 'start', opponent: 'dd-2' });
    await say('dd-1', '大家好，欢迎来到直播间');
    await say('dd-1', '今天给大家介绍一款面霜');
    await say('dd-1', '这款是全网最低价', 'guest');
    await say('dd-1', '我们来看一下细节');
    await say('dd-1', '颜色有三种可以选');
    await send({ type: 'chat', stream: 'dd-1', user: HOSTILE_USER, text: '想要的私聊加我微信' });
    await say('dd-2', '这款销量第一');

    await page.locator('#cards .card[data-stream="dd-1"] .card-title').click();
    const view = page.locator('#stream-view');
    await view.locator('.sv-flagged').first().waitFor();
    expect(await view.locator('.sv-title').textContent()).toBe('dd-1');
    const flagged = view.locator('.sv-flagged[data-seq="4"]'); // seq 1 is the PK start
    expect(await flagged.locator('.sv-line.before .text').allTextContents()).toEqual(['大家好，欢迎来到直播间', '今天给大家介绍一款面霜']);
    expect(await flagged.locator('.sv-line.flagged .who').textContent()).toBe('guest');
    expect(await flagged.locator('.sv-line.flagged mark').textContent()).toBe('全网最低价');
    expect(await flagged.locator('.sv-line.after .text').allTextContents()).toEqual(['我们来看一下细节', '颜色有三种可以选']);
    // The chat line: its viewer, as text.
    const chat = view.locator('.sv-flagged[data-seq="7"]');
    expect(await chat.locator('.sv-line.flagged .who').textContent()).toBe(`@${HOSTILE_USER}`);
    expect(await view.locator('img').count()).toBe(0);
    const history = await view.locator('.sv-history li').allTextContents();
    expect(history.some((h) => h.includes('PK started vs dd-2'))).toBe(true);
    expect(history.some((h) => /level (watch|alert)/.test(h))).toBe(true);
    // The opponent is a link to its own view.
    await view.locator('.sv-opponent').click();
    await page.waitForFunction(() => document.querySelector('#stream-view .sv-title')?.textContent === 'dd-2');
    await view.locator('.sv-flagged').first().waitFor();
    await page.keyboard.press('Escape');
    expect(await view.isHidden()).toBe(true);
    expect(dialogs).toEqual([]);
  });
});

describe('keyboard triage', () => {
  test('j/k move the selection, d dismisses, o opens its stream, s shuts down only after y', { timeout: 60_000 }, async () => {
    await say('kb-1', '这款是全网最低价');
    await say('kb-2', '这个系列销量第一');
    await page.locator('.flag-row .stream', { hasText: 'kb-2' }).first().waitFor();
    await page.locator('#feed').evaluate((e) => (e.scrollTop = 0));
    await page.locator('body').click({ position: { x: 5, y: 890 } });
    await page.keyboard.press('j');
    const selected = page.locator('.flag-row.selected:not([hidden])');
    expect(await selected.locator('.stream').textContent()).toBe('kb-2');
    await page.keyboard.press('j');
    expect(await selected.locator('.stream').textContent()).toBe('kb-1');
    await page.keyboard.press('k');
    expect(await selected.locator('.stream').textContent()).toBe('kb-2');

    const id = (await selected.getAttribute('data-flag-id'))!;
    await page.keyboard.press('d');
    await page.locator(`.flag-row.dismissed[data-flag-id="${id}"]`).waitFor();
    // The dismiss took the flag's weight off: the stream's level falls back (every feed client sees it).
    await feed.next((m) => m.type === 'level' && m.stream === 'kb-2' && m.level === 'normal');

    await page.keyboard.press('o');
    await page.waitForFunction(() => document.querySelector('#stream-view .sv-title')?.textContent === 'kb-2' && !(document.getElementById('stream-view') as HTMLElement).hidden);
    await page.keyboard.press('Escape');

    await page.keyboard.press('s');
    expect(await page.locator('#triage-prompt').textContent()).toContain('Shut down kb-2?');
    await page.keyboard.press('n');
    expect(await page.locator('#triage-prompt').isHidden()).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(feed.received.some((m) => m.type === 'shutdown' && m.stream === 'kb-2')).toBe(false);
    await page.keyboard.press('s');
    await page.keyboard.press('y');
    const signal = await feed.next((m) => m.type === 'shutdown' && m.stream === 'kb-2');
    expect(signal.manual).toBe(true);
    await page.locator('#cards .card[data-stream="kb-2"] .banner:not([hidden])').waitFor();
  });
});

describe('confirm queue (escalation.mode: recommend)', () => {
  test('recommended shutdowns wait in a queue; Confirm shuts the stream down, Decline clears it', { timeout: 60_000 }, async () => {
    await say('rec-1', '喝了能治癌');
    await say('rec-2', '喝了能治癌');
    await feed.next((m) => m.type === 'recommend' && m.stream === 'rec-2');
    expect(feed.received.some((m) => m.type === 'shutdown' && m.stream === 'rec-1')).toBe(false);
    const item = (s: string) => page.locator(`#queue .queue-item[data-stream="${s}"]`);
    await item('rec-1').waitFor();
    await item('rec-2').waitFor();
    expect(await item('rec-1').locator('.queue-reason').textContent()).toContain('critical');

    await item('rec-1').locator('.queue-confirm').click();
    const shut = await feed.next((m) => m.type === 'shutdown' && m.stream === 'rec-1');
    expect(shut.confirmed).toBe(true);
    await page.locator('#cards .card[data-stream="rec-1"] .banner:not([hidden])').waitFor();
    await item('rec-1').waitFor({ state: 'detached' });

    await item('rec-2').locator('.queue-decline').click();
    await feed.next((m) => m.type === 'decline' && m.stream === 'rec-2');
    await page.locator('#queue').waitFor({ state: 'hidden' });
    expect(await page.locator('#cards .card[data-stream="rec-2"]').getAttribute('data-level')).not.toBe('shutdown');
    // A reload keeps the confirmed shutdown and no pending recommendation.
    await page.reload();
    await page.waitForSelector('#status[data-status="live"]');
    await page.locator('#cards .card[data-stream="rec-1"] .banner:not([hidden])').waitFor();
    expect(await page.locator('#queue').isHidden()).toBe(true);
  });
});
