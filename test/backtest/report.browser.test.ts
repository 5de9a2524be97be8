/**
 * The backtest's HTML report in real chromium: `pkguard backtest --report` on a journal the stream
 * core wrote, whose stream ids and texts carry markup. The chart draws a bar for every category
 * that gained or lost flags (and none for the others), and no journal text becomes markup: no
 * element, no script run, the text shown as text.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../../bench/browser.js';
import type { IngestMessage } from '../../src/protocol/ingest.js';
import { SMALL_LEXICON, journalDirs, openCore } from '../stream/embedded.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');
const newDir = journalDirs();

const HOSTILE_STREAM = '<img src=x onerror="window.__pwned=1">';
const HOSTILE_TEXT = '<script>window.__pwned=2</script>这个最便宜<b onmouseover="window.__pwned=3">看</b>';

let browser: Browser;
let out: string;
let report: string;

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), 'pkguard-bt-report-'));
  // The candidate: 销量第一 removed (extreme loses), 最便宜 added (extreme gains), contact unchanged.
  const candidate = join(out, 'candidate');
  execFileSync('mkdir', [candidate]);
  for (const [name, text] of Object.entries(SMALL_LEXICON)) writeFileSync(join(candidate, name), name === 'extreme.test.tsv' ? text.replace('销量第一\tmedium\n', '') + '最便宜\thigh\n' : text);
  const journal = newDir();
  const core = await openCore(journal);
  const t = (stream: string, seq: number, text: string) => ({ type: 'transcript', stream, seq, ts: 1_700_000_000_000 + seq * 1000, text, final: true }) as IngestMessage;
  await core.send(t(HOSTILE_STREAM, 1, HOSTILE_TEXT), t(HOSTILE_STREAM, 2, '<i>销量第一</i>的"款式"&amp;'), t('plain', 1, '今天销量第一'), t('plain', 2, '加微信'));
  await core.processor.close();
  report = join(out, 'report.html');
  execFileSync('node', [CLI, 'backtest', '--journal', journal, '--lexicons', candidate, '--report', report, '--no-progress'], { encoding: 'utf8' });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  rmSync(out, { recursive: true, force: true });
});

test('the report draws its chart and shows journal text as text, never markup', async () => {
  const page = await browser.newPage({ viewport: { width: 1150, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`file://${report}`);

  // The chart: an svg with a visible box, one gain and one loss bar per category; extreme has both.
  const chart = await page.evaluate(() => {
    const svg = document.querySelector('svg')!;
    const box = svg.getBoundingClientRect();
    const rows = [...svg.querySelectorAll('text')].filter((x) => x.getAttribute('x') === '0').map((x) => x.textContent);
    const widths = [...svg.querySelectorAll('rect')].map((r) => r.getBoundingClientRect().width);
    return { w: box.width, h: box.height, rows, widths };
  });
  expect(chart.w).toBeGreaterThan(300);
  expect(chart.h).toBeGreaterThan(50);
  expect(chart.rows).toEqual(['extreme', 'exclusive', 'medical', 'contact']);
  // rects in pairs (loss, gain) per row: only extreme's are drawn (the largest count spans 260 px).
  const pairs = chart.rows.map((_, i) => [chart.widths[2 * i]!, chart.widths[2 * i + 1]!]);
  expect(pairs[0]![0]).toBeGreaterThan(100);
  expect(pairs[0]![1]).toBeGreaterThan(100);
  for (const i of [1, 2, 3]) expect(pairs[i]).toEqual([0, 0]);

  // No journal text became an element or ran.
  const dom = await page.evaluate(() => ({
    scripts: document.querySelectorAll('script').length,
    imgs: document.querySelectorAll('img').length,
    italics: document.querySelectorAll('i').length,
    handlers: document.querySelectorAll('[onerror],[onmouseover]').length,
    pwned: (window as unknown as { __pwned?: number }).__pwned,
    body: document.body.innerText,
  }));
  expect(dom).toMatchObject({ scripts: 0, imgs: 0, italics: 0, handlers: 0, pwned: undefined });
  expect(dom.body).toContain(HOSTILE_STREAM);
  expect(dom.body).toContain('</script>这个最便宜<b onmouseover="window.'); // an example: 24 units either side
  expect(dom.body).toContain('<i>销量第一</i>的"款式"&amp;');
  // The matched words are highlighted (as <mark>), the only markup an example gets.
  expect(await page.locator('mark').allInnerTexts()).toEqual(expect.arrayContaining(['最便宜', '销量第一']));
  expect(errors).toEqual([]);
  await page.close();
});
