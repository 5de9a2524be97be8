/**
 * The console in cluster mode: the page is served by node A of a two-node cluster on a real
 * `nats-server -js`, while the streams are ingested on node B. It shows flags raised anywhere,
 * opens with recent history from the shared events stream, and its dismiss reaches the stream's
 * owner (the gauge falls).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, TOKENS, removeDir, type ServerProcess } from '../server/harness.js';
import { hasNatsServer, startNats, startNode, waitBalanced, FAST_LEASES, type NatsProcess } from '../cluster/harness.js';
import { launchChromium } from '../../bench/browser.js';

let nats: NatsProcess;
let nodes: ServerProcess[] = [];
let browser: Browser;
let page: Page;
let ingest: Client;

async function say(stream: string, seq: number, text: string, ts: number): Promise<void> {
  ingest.send({ type: 'transcript', stream, seq, ts, text, final: true });
  await ingest.next((m) => m.type === 'ack' && m.stream === stream && m.seq === seq, 20_000);
}

describe.skipIf(!hasNatsServer)('moderator console on a cluster', () => {
  beforeAll(async () => {
    nats = await startNats();
    nodes = await Promise.all(['a', 'b'].map((id) => startNode(nats, `node-${id}`)));
    await waitBalanced(nodes, FAST_LEASES.partitions);
    ingest = await Client.open(nodes[1]!.url('/ingest', TOKENS.ingest[0]));
    browser = await launchChromium();
  }, 90_000);

  afterAll(async () => {
    ingest?.close();
    await browser?.close();
    for (const n of nodes) {
      await n.stop();
      removeDir(n.dir);
    }
    await nats?.stop();
  });

  test('a page on node A opens with history, shows live flags from node B, and dismisses across nodes', { timeout: 90_000 }, async () => {
    const ts = Date.now();
    // Raised before the page opens: it must come from the events stream's history.
    await say('ck-1', 1, '这个真的是销量第一', ts);
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${nodes[0]!.port}/?token=${TOKENS.moderator[0]}`);
    await page.waitForSelector('#status[data-status="live"]');
    await page.locator('.flag-row .stream', { hasText: 'ck-1' }).first().waitFor();

    // Live: a second high claim with the same event time puts the stream at alert.
    await say('ck-1', 2, '全网最低价', ts);
    await expect.poll(() => page.locator('.flag-row .stream', { hasText: 'ck-1' }).count(), { timeout: 20_000 }).toBe(2);
    await page.waitForFunction(() => document.querySelector('.card[data-stream="ck-1"] .gauge')?.getAttribute('data-level') === 'alert', undefined, { timeout: 20_000 });

    await page.locator('.flag-row', { has: page.locator('.stream', { hasText: 'ck-1' }) }).first().locator('button.dismiss').click();
    await page.waitForFunction(() => document.querySelector('.card[data-stream="ck-1"] .gauge')?.getAttribute('data-level') === 'watch', undefined, { timeout: 20_000 });
    await expect.poll(() => page.locator('.flag-row.dismissed .note').first().textContent()).toBe('done: dismissed');
  });
});
