/**
 * Backtesting a candidate lexicon against a journal the real stream core wrote: gains and losses per
 * term, a phrase split across chunks counted once, partial hypotheses not counted twice, dismissed
 * flags dropped or kept, and a report that escapes the stream's text.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTO_WORKERS_MIN_BYTES, autoWorkers, runBacktest } from '../../src/backtest/backtest.js';
import { backtestSummary } from '../../src/backtest/report-text.js';
import type { BacktestResult } from '../../src/backtest/tally.js';
import { createScanner } from '../../src/index.js';
import type { IngestMessage } from '../../src/protocol/ingest.js';
import { SMALL_LEXICON, journalDirs, openCore } from '../stream/embedded.js';

const newDir = journalDirs();
const CLI = join(process.cwd(), 'dist/src/cli/main.js');

/** The small test lexicon with one term removed and two added. */
function candidateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-cand-'));
  for (const [name, text] of Object.entries(SMALL_LEXICON)) {
    writeFileSync(join(dir, name), name === 'exclusive.test.tsv' ? '独家合作\tmedium\n别家没有\tmedium\n' : name === 'extreme.test.tsv' ? text.replace('销量第一\tmedium\n', '') + '最便宜\thigh\n' : text);
  }
  return dir;
}

let journal: string;
let candidate: string;
let dismissedId: string;
let keptDismissedId: string;
let result: BacktestResult;

const t = (stream: string, seq: number, text: string, final = true): IngestMessage => ({ type: 'transcript', stream, seq, ts: 1_700_000_000_000 + seq * 1000, text, final }) as IngestMessage;
const chat = (stream: string, seq: number, text: string): IngestMessage => ({ type: 'chat', stream, seq, ts: 1_700_000_000_000 + seq * 1000, text, user: 'v1' }) as IngestMessage;

beforeAll(async () => {
  journal = newDir();
  candidate = candidateDir();
  const core = await openCore(journal);
  await core.send(
    t('a', 1, '今天这款锅销量第一，大家放心'),
    t('a', 2, '全网最低'),
    t('a', 3, '价只有今天'), // 全网最低价 split across the seam: recorded once, on chunk 3
    chat('a', 4, '私聊加微信'), // a flagged chat keeps its text
    chat('a', 5, '这个最便宜吗'), // no flag: the journal keeps no text, so the candidate cannot gain here
    t('a', 6, '这个最便宜 <script>alert(1)</script>'), // every final transcript keeps its text
    t('b', 1, '我们是独家合作，别家没有', false), // a partial hypothesis raises 独家合作 first
    t('b', 1, '我们是独家合作，别家没有的'), // the final must not count it as gained again
    t('b', 2, '这个销量第一的款式'),
    t('b', 3, '再说一次销量第一'),
  );
  const flags = core.outbox.rec.flags.map((f) => f.flag);
  const sales = flags.filter((f) => f.term === '销量第一');
  expect(sales).toHaveLength(3);
  dismissedId = sales[1]!.id; // dismissed, and the candidate drops the term
  const exclusive = flags.find((f) => f.term === '独家合作')!;
  keptDismissedId = exclusive.id; // dismissed on the partial; the candidate still raises it
  for (const flagId of [dismissedId, keptDismissedId]) {
    const r = await core.processor.command({ type: 'dismiss', flagId, reason: 'not a claim' } as never);
    expect(r.type).toBe('ok');
  }
  await core.processor.close();
  result = await runBacktest({ journalDir: journal, candidate: createScanner({ lexiconDir: candidate }) });
});

afterAll(() => rmSync(candidate, { recursive: true, force: true }));

describe('runBacktest', () => {
  it('counts what it read and what it could not rescan', () => {
    expect(result.messages).toMatchObject({ read: 10, rescanned: 8, withoutText: 1, chatWithoutText: 1, partials: 1, bad: 0 });
  });

  it('reports a removed term as lost on every message that raised it, with examples', () => {
    const sales = result.terms.find((x) => x.term === '销量第一')!;
    expect(sales).toMatchObject({ category: 'extreme', gained: 0, lost: 3 });
    expect(sales.examples.lost.map((e) => `${e.stream}#${e.seq}`)).toEqual(['a#1', 'b#2', 'b#3']);
    expect(sales.examples.lost[0]!.context).toContain('销量第一');
  });

  it('reports added terms as gained where the recorded text says them', () => {
    const cheapest = result.terms.find((x) => x.term === '最便宜')!;
    expect(cheapest).toMatchObject({ gained: 1, lost: 0 });
    expect(cheapest.examples.gained[0]).toMatchObject({ stream: 'a', seq: 6, matched: '最便宜' });
    expect(result.terms.find((x) => x.term === '别家没有')).toMatchObject({ category: 'exclusive', gained: 1, lost: 0 });
  });

  it('rescans transcripts with their carry, so a phrase split across chunks is unchanged, not gained and lost', () => {
    expect(result.terms.find((x) => x.term === '全网最低价')).toBeUndefined();
    expect(result.categories.extreme).toMatchObject({ recorded: 4, candidate: 2, gained: 1, lost: 3 });
  });

  it('does not count a flag first raised on a partial hypothesis as gained on the final', () => {
    expect(result.terms.find((x) => x.term === '独家合作')).toBeUndefined();
  });

  it('says which dismissed flags the candidate drops and which it keeps', () => {
    expect(result.dismissed).toMatchObject({ total: 2, dropped: 1, kept: 1 });
    expect(result.dismissed.keptExamples[0]).toMatchObject({ stream: 'b', matched: '独家合作' });
  });
});

describe('runBacktest on a journal that keeps chat text (journal.keepChatText)', () => {
  it('rescans unflagged chat, so a term the candidate adds is gained in chat too, and nothing is reported as not replayable', async () => {
    const dir = newDir();
    const core = await openCore(dir, { keepChatText: true });
    await core.send(chat('c', 1, '这个最便宜吗'), chat('c', 2, '好看'), t('c', 3, '今天销量第一'));
    await core.processor.close();
    const kept = await runBacktest({ journalDir: dir, candidate: createScanner({ lexiconDir: candidate }) });
    expect(kept.messages).toMatchObject({ read: 3, rescanned: 3, withoutText: 0, chatWithoutText: 0 });
    const cheapest = kept.terms.find((x) => x.term === '最便宜')!;
    expect(cheapest).toMatchObject({ gained: 1, lost: 0 });
    expect(cheapest.examples.gained[0]).toMatchObject({ stream: 'c', seq: 1, context: '这个最便宜吗' });
    expect(backtestSummary(kept)).not.toMatch(/not replayable/);
    // The same messages without the option: the chat has no text, and the report says so.
    const off = newDir();
    const plain = await openCore(off);
    await plain.send(chat('c', 1, '这个最便宜吗'), chat('c', 2, '好看'), t('c', 3, '今天销量第一'));
    await plain.processor.close();
    const gap = await runBacktest({ journalDir: off, candidate: createScanner({ lexiconDir: candidate }) });
    expect(gap.messages).toMatchObject({ read: 3, rescanned: 1, withoutText: 2, chatWithoutText: 2 });
    expect(gap.terms.find((x) => x.term === '最便宜')).toBeUndefined();
    expect(backtestSummary(gap)).toMatch(/chat not replayable: 2 messages/);
  });
});

describe('autoWorkers', () => {
  it('scans a small journal in one thread and a large one on the cores, at most 4', () => {
    expect(autoWorkers(AUTO_WORKERS_MIN_BYTES - 1, 2)).toBe(1);
    expect(autoWorkers(AUTO_WORKERS_MIN_BYTES, 2)).toBe(2);
    expect(autoWorkers(AUTO_WORKERS_MIN_BYTES, 1)).toBe(1);
    expect(autoWorkers(10 * AUTO_WORKERS_MIN_BYTES, 16)).toBe(4);
  });
});

describe('pkguard backtest', () => {
  it('prints a summary, writes an HTML report that escapes stream text and a JSON result', () => {
    const out = mkdtempSync(join(tmpdir(), 'pkguard-bt-out-'));
    try {
      const report = join(out, 'r.html');
      const json = join(out, 'r.json');
      const stdout = execFileSync('node', [CLI, 'backtest', '--journal', journal, '--lexicons', candidate, '--report', report, '--json', json, '--no-progress'], { encoding: 'utf8' });
      expect(stdout).toMatch(/10 messages read, 8 rescanned in [\d.]+ s from process start \(\d+ messages\/s\) on 1 thread.*; candidate lexicon (compiled|loaded from its artifact)/);
      // The unflagged chat line: its text was not journaled, and the summary says what that means.
      expect(stdout).toMatch(/chat not replayable: 1 messages/);
      expect(stdout).toMatch(/dismissed by moderators .*: 2; the candidate drops 1, keeps 1/);
      expect(stdout).toMatch(/extreme\s+4\s+2\s+\+1\s+-3/);
      const html = readFileSync(report, 'utf8');
      expect(html).not.toContain('<script>');
      expect(html).toContain('&lt;script&gt;alert(1)');
      expect(html).toContain('<svg');
      expect(JSON.parse(readFileSync(json, 'utf8')).messages.read).toBe(10);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('gives the same result with the streams sharded across worker threads', () => {
    const out = mkdtempSync(join(tmpdir(), 'pkguard-bt-workers-'));
    try {
      // A fresh copy of the candidate has no artifact yet: its 2 workers, started before this thread
      // compiles it, compile it themselves (read only); the others load the one written since.
      const fresh = candidateDir();
      const runs: [number, string][] = [[1, candidate], [3, candidate], [2, fresh]];
      const results = runs.map(([workers, lexicons], i) => {
        const json = join(out, `w${i}.json`);
        execFileSync('node', [CLI, 'backtest', '--journal', journal, '--lexicons', lexicons, '--json', json, '--no-progress', '--workers', String(workers)], { encoding: 'utf8' });
        const { seconds: _s, timedFrom: _t, workers: used, lexicon: _l, threadCpu: _c, ...r } = JSON.parse(readFileSync(json, 'utf8')) as BacktestResult;
        expect(used).toBe(workers);
        return r;
      });
      rmSync(fresh, { recursive: true, force: true });
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
      expect(results[0]!.messages.read).toBe(10);
      // The dismissed flags reach the workers (posted once known, after they started): both outcomes counted.
      expect(results[1]!.dismissed).toMatchObject({ total: 2, dropped: 1, kept: 1 });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('shows a progress bar on stderr when asked', () => {
    const r = spawnSync('node', [CLI, 'backtest', '--journal', journal, '--lexicons', candidate, '--progress'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/\[#+\] 100%\s+10 messages/);
  });

  it('refuses a missing journal, an empty folder and bad lexicons with exit 1, bad usage with exit 2', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pkguard-bt-empty-'));
    try {
      const run = (...args: string[]) => spawnSync('node', [CLI, 'backtest', ...args], { encoding: 'utf8' });
      const missing = run('--journal', join(empty, 'nope'), '--lexicons', candidate);
      expect(missing.status).toBe(1);
      expect(missing.stderr).toMatch(/cannot read/);
      const none = run('--journal', empty, '--lexicons', candidate);
      expect(none.status).toBe(1);
      expect(none.stderr).toMatch(/holds no journal segments/);
      writeFileSync(join(empty, 'bad.tsv'), 'x\tnot-a-severity\n');
      const badLex = run('--journal', journal, '--lexicons', empty);
      expect(badLex.status).toBe(1);
      expect(badLex.stderr).toMatch(/candidate lexicons refused/);
      // With worker threads, started before the candidate is refused: stopped, one message, exit 1.
      const badLexSharded = run('--journal', journal, '--lexicons', empty, '--workers', '3');
      expect(badLexSharded.status).toBe(1);
      expect(badLexSharded.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^pkguard backtest: candidate lexicons refused/)]);
      const usage = run('--journal', journal);
      expect(usage.status).toBe(2);
      expect(usage.stderr).toMatch(/missing --lexicons/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
