/**
 * The stream core's promises that need no fault injection: seq rules, the per-message flag cap, the
 * carry across a restart, flag ids after a lost tail, and a shutdown that a torn batch left
 * unrecorded. (Write faults: test/journal; whole-server crashes: test/server.)
 */
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { FaultyFiles } from '../journal/faulty-files.js';
import { bundledLexicon, openCore, tempJournalDir, type Core, type CoreOptions } from './embedded.js';
import { rmSync } from 'node:fs';
import type { IngestMessage } from '../../src/protocol/ingest.js';

const say = (stream: string, seq: number, text: string): IngestMessage => ({ type: 'transcript', stream, seq, ts: 1_700_000_000_000 + seq * 1000, text, final: true });
const flagsOf = (c: Core) => c.outbox.rec.flags.map((f) => f.flag);
const removeDir = (d: string) => rmSync(d, { recursive: true, force: true });

const dirs: string[] = [];
const cores: Core[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) await c.processor.close().catch(() => {});
  for (const d of dirs.splice(0)) removeDir(d);
});
async function open(dir: string, opts: CoreOptions = {}): Promise<Core> {
  const c = await openCore(dir, { lexicon: bundledLexicon(), journal: { fsync: false }, ...opts });
  cores.push(c);
  return c;
}
function fresh(): string {
  const d = tempJournalDir();
  dirs.push(d);
  return d;
}
const segment = (dir: string) => join(dir, readdirSync(dir).filter((f) => f.endsWith('.ndjson')).sort().at(-1)!);

test('a seq far ahead, or beyond the safe range, is refused naming seq and does not silence the stream', async () => {
  const c = await open(fresh());
  const [huge] = await c.send(say('r', Number.MAX_SAFE_INTEGER, '全网最低价'));
  expect(huge).toMatchObject({ type: 'error', code: 'invalid_message', seq: Number.MAX_SAFE_INTEGER });
  expect((huge as { message: string }).message).toMatch(/^seq: /);
  const [ok] = await c.send(say('r', 5, '全网最低价'));
  expect(ok).toEqual({ type: 'ack', stream: 'r', seq: 5 });
  expect(flagsOf(c).map((f) => f.seq)).toEqual([5]);
  // Millisecond timestamps as seqs are fine.
  const [ms] = await c.send(say('t', 1_733_000_000_000, '你好'));
  expect(ms).toMatchObject({ type: 'ack' });
});

test('a re-send below the window is refused, not acked as a duplicate it may not be', async () => {
  const c = await open(fresh(), { limits: { seqWindow: 4 } });
  for (let s = 10; s < 20; s++) await c.send(say('r', s, '你好'));
  const [dup] = await c.send(say('r', 18, '你好'));
  expect(dup).toMatchObject({ type: 'ack', duplicate: true });
  const [late] = await c.send(say('r', 3, '全网最低价'));
  expect(late).toMatchObject({ type: 'error', code: 'invalid_message' });
  expect((late as { message: string }).message).toMatch(/^seq: 3 is below/);
});

test('flags per message are capped, the most severe kept, the rest counted in the journal', async () => {
  const dir = fresh();
  const c = await open(dir, { maxFlagsPerMessage: 10 });
  const text = '全网最低价，'.repeat(300) + '加微信abc12345';
  const [ack] = await c.send({ type: 'chat', stream: 'r', seq: 1, ts: 1, text });
  expect(ack).toMatchObject({ type: 'ack' });
  expect(flagsOf(c)).toHaveLength(10);
  await c.processor.close();
  const rec = readFileSync(segment(dir), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; dropped?: number; flags?: unknown[] }).find((r) => r.t === 'msg')!;
  expect(rec.flags).toHaveLength(10);
  expect(rec.dropped).toBeGreaterThan(250);
});

test('a phrase split across a restart is still found: replay rebuilds the carry from the journal', async () => {
  const dir = fresh();
  const a = await open(dir);
  await a.send(say('r', 1, '这款茶是全网最'));
  expect(flagsOf(a)).toEqual([]);
  await a.processor.close();
  const b = await open(dir);
  await b.send(say('r', 2, '低价的'));
  expect(flagsOf(b)).toEqual([expect.objectContaining({ category: 'extreme', matched: '低价', carried: '全网最' })]);
});

test('flag ids are never reused after the journal tail is cut', async () => {
  const dir = fresh();
  const a = await open(dir);
  for (let s = 1; s <= 30; s++) await a.send(say('r', s, `第${s}次，全网最低价`));
  const issued = flagsOf(a).map((f) => Number(f.id.slice(1)));
  await a.processor.close();
  const file = segment(dir);
  truncateSync(file, Math.floor(statSync(file).size / 3)); // most of the flags are gone from disk
  const lines = readFileSync(file, 'utf8');
  truncateSync(file, lines.lastIndexOf('\n') + 1);
  const b = await open(dir);
  await b.send(say('q', 1, '全网最低价'));
  const next = Number(flagsOf(b)[0]!.id.slice(1));
  expect(next).toBeGreaterThan(Math.max(...issued));
});

test('a shutdown the flags crossed into but no record holds (a torn batch) is signalled once at start', async () => {
  const dir = fresh();
  const a = await open(dir);
  let s = 1;
  while (a.outbox.rec.shutdowns.length === 0) await a.send(say('r', s++, `第${s}次说，这是全网最低价，销量第一`));
  await a.processor.close();
  // Take the shutdown's records off the end, as a crash mid-batch would leave it.
  const file = segment(dir);
  const kept = readFileSync(file, 'utf8').trim().split('\n').filter((l) => !l.startsWith('{"t":"shutdown"') && !l.includes('"level":"shutdown"'));
  writeFileSync(file, kept.join('\n') + '\n');
  const b = await open(dir);
  expect(b.outbox.rec.shutdowns).toEqual([expect.objectContaining({ stream: 'r', epoch: 1 })]);
  await b.processor.close();
  const c = await open(dir);
  expect(c.outbox.rec.shutdowns).toEqual([]);
  expect(c.processor.summaries()).toEqual([expect.objectContaining({ stream: 'r', level: 'shutdown' })]);
});

test('a record of valid JSON but the wrong shape is skipped and counted; the rest replays', async () => {
  const dir = fresh();
  const a = await open(dir);
  await a.send(say('r', 1, '全网最低价'));
  await a.processor.close();
  appendFileSync(segment(dir), '{"t":"msg","stream":"r","seq":2,"flags":7}\n');
  const b = await open(dir);
  expect(b.journal.badRecords).toBe(1);
  expect(b.warnings.map((w) => w.event)).toContain('journal_invalid_record');
  const [dup] = await b.send(say('r', 1, '全网最低价'));
  expect(dup).toMatchObject({ duplicate: true });
});

test('after a restart the newest flag is still where `history` counts back from, though ids are reserved ahead', async () => {
  const dir = fresh();
  const a = await open(dir);
  for (let s = 1; s <= 3; s++) await a.send(say('r', s, '全网最低价'));
  const last = Number(flagsOf(a).at(-1)!.id.slice(1));
  expect(a.processor.lastFlagNumber()).toBe(last);
  await a.processor.close();
  const b = await open(dir);
  expect(b.processor.lastFlagNumber()).toBe(last);
  await b.send(say('q', 1, '全网最低价'));
  expect(b.processor.lastFlagNumber()).toBe(Number(flagsOf(b)[0]!.id.slice(1)));
});

test('a failed write answers internal with the errno, never the journal path', async () => {
  const dir = fresh();
  const files = new FaultyFiles();
  const c = await open(dir, { files });
  files.failNext('write', 'ENOSPC');
  const [r] = await c.send(say('r', 1, '全网最低价'));
  expect(r).toMatchObject({ type: 'error', code: 'internal' });
  expect((r as { message: string }).message).toContain('ENOSPC');
  expect((r as { message: string }).message).not.toContain(dir);
});

test('a connection that sends for a shut-down stream and has not heard its shutdown is told it once, also after a restart', async () => {
  const dir = fresh();
  const a = await open(dir);
  let s = 1;
  while (a.outbox.rec.shutdowns.length === 0) await a.send(say('r', s++, `第${s}次说，这是全网最低价，销量第一`));
  const signal = a.outbox.rec.shutdowns[0]!;
  // The connection that caused it heard it with everyone: nothing more for it.
  await a.send(say('r', s++, '今天天气不错'));
  expect(a.outbox.rec.standing).toEqual([]);
  // Another connection (a reconnect) sends a duplicate and a new message: told once, before its ack is published.
  const other = { id: 2 };
  await a.processor.ingestBatch([say('r', 1, '第1次说，这是全网最低价，销量第一')], other);
  await a.processor.ingestBatch([say('r', s++, '谢谢大家')], other);
  expect(a.outbox.rec.standing).toEqual([{ peer: 2, event: signal }]);
  await a.processor.close();

  // After a restart (the signal might never have left before a crash), the re-sent message tells it again, as recorded.
  const b = await open(dir);
  await b.send(say('r', 2, '第2次说，这是全网最低价，销量第一'));
  expect(b.outbox.rec.standing).toEqual([{ peer: 1, event: signal }]);
  expect(b.outbox.rec.shutdowns).toEqual([]);

  // Restored: nothing standing for a new connection.
  await b.processor.command({ type: 'restore', stream: 'r' });
  await b.processor.ingestBatch([say('r', s++, '欢迎新朋友')], { id: 3 });
  expect(b.outbox.rec.standing).toHaveLength(1);
  await b.processor.close();
});

test('a shut-down stream known only from a snapshot is still told to a new connection, with its epoch and reason', async () => {
  const dir = fresh();
  const a = await open(dir, { journal: { fsync: false, segmentBytes: 4096, retainBytes: 8192 } });
  let s = 1;
  while (a.outbox.rec.shutdowns.length === 0) await a.send(say('r', s++, `第${s}次说，这是全网最低价，销量第一`));
  const signal = a.outbox.rec.shutdowns[0]!;
  // Enough other traffic to rotate segments, so the shutdown's own record ages into a snapshot.
  for (let i = 1; i <= 200; i++) await a.send(say(`other-${i % 7}`, i, `第${i}句普通的介绍，这件衣服是纯棉的，大家看看颜色`));
  await a.processor.close();
  const segments = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
  expect(segments.some((f) => readFileSync(join(dir, f), 'utf8').includes('{"t":"shutdown"'))).toBe(false);
  const b = await open(dir, { journal: { fsync: false, segmentBytes: 4096, retainBytes: 8192 } });
  await b.processor.ingestBatch([say('r', s++, '大家好')], { id: 9 });
  expect(b.outbox.rec.standing).toEqual([{ peer: 9, event: expect.objectContaining({ type: 'shutdown', stream: 'r', epoch: signal.epoch, reason: signal.reason }) }]);
  await b.processor.close();
});

test("a match held at the last chunk's end is flagged by the stream's end, journaled before the end; nothing held, no extra record", async () => {
  const dir = fresh();
  const a = await open(dir);
  const end = (stream: string, seq: number) => ({ type: 'end' as const, stream, seq, ts: 1_700_000_000_000 + seq * 1000 });
  await a.send(say('held', 1, '这款药能根治'));
  expect(flagsOf(a)).toEqual([]); // held: the next chunk might complete a longer claim
  const [ack] = await a.send(end('held', 2));
  expect(ack).toMatchObject({ type: 'ack', stream: 'held', seq: 2 });
  expect(flagsOf(a)).toEqual([expect.objectContaining({ stream: 'held', category: 'medical', term: '根治', carried: '根治' })]);
  await a.send(say('plain', 1, '今天的衣服是纯棉的'), end('plain', 2));
  await a.processor.close();
  const lines = readFileSync(segment(dir), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string; stream?: string; flags?: { term: string }[] });
  const flagged = lines.findIndex((r) => r.t === 'msg' && r.stream === 'held' && r.flags?.some((f) => f.term === '根治'));
  expect(flagged).toBeGreaterThan(-1);
  expect(flagged).toBeLessThan(lines.findIndex((r) => r.t === 'end' && r.stream === 'held'));
  expect(lines.filter((r) => r.t === 'msg' && r.stream === 'plain')).toHaveLength(1);
  // The replay takes it as the live core did: the flag's id is not handed out again.
  const b = await open(dir);
  await b.send(say('next', 1, '全网最低价'));
  expect(Number(flagsOf(b)[0]!.id.slice(1))).toBeGreaterThan(Number(flagsOf(a)[0]!.id.slice(1)));
});
