/**
 * The console in Firefox (Debian's firefox-esr, headless, over WebDriver BiDi): it connects,
 * shows a flag with its span highlighted, renders markup from a stream as text, and logs no error.
 * The full behaviour is covered in chromium (console.browser.test.ts); this checks the same page
 * works in the other engine.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, TOKENS, removeDir, startServer, type ServerProcess } from '../server/harness.js';
import { Firefox } from './firefox.js';

let server: ServerProcess;
let ff: Firefox;

beforeAll(async () => {
  server = await startServer();
  ff = await Firefox.launch();
}, 60_000);

afterAll(async () => {
  await ff?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
});

describe('moderator console in Firefox', () => {
  test('connects, highlights the matched span, keeps markup as text, logs no error', async () => {
    await ff.goto(`http://127.0.0.1:${server.port}/?token=${TOKENS.moderator[0]}`);
    await ff.waitFor(`document.getElementById('status').dataset.status === 'live'`);
    const ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
    const text = '<img src=x onerror=alert(1)> 这个真的是销量第一';
    ingest.send({ type: 'transcript', stream: 'ff-1', seq: 1, ts: Date.now(), text, final: true });
    await ingest.ack('ff-1', 1);
    ingest.close();
    await ff.waitFor(`document.querySelector('.flag-row:not([hidden]) mark.match') !== null`);
    const row = await ff.evaluate<{ match: string; text: string; stream: string; imgs: number; card: boolean }>(`(() => {
      const r = document.querySelector('.flag-row:not([hidden])');
      return { match: r.querySelector('mark.match').textContent, text: r.querySelector('.flag-text').textContent, stream: r.querySelector('.stream').textContent,
        imgs: document.querySelectorAll('img').length, card: document.querySelector('.card[data-stream="ff-1"]') !== null };
    })()`);
    expect(row.match).toBe('销量第一');
    expect(row.text).toContain('<img src=x onerror=alert(1)>');
    expect(row.stream).toBe('ff-1');
    expect(row.imgs).toBe(0);
    expect(row.card).toBe(true);
    expect(ff.errors).toEqual([]);
  });
});
