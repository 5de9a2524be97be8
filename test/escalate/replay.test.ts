/**
 * Escalation state replays identically: seeded random sessions (partials that keep or drop their
 * claims, chat, speakers, PK, dismissals, recommend/confirm/decline) go through the real core over a
 * journal; the core reopened from that journal must show every stream exactly as the live one did
 * (level, risk, pending recommendation), and emit no signal again. The model is the live core.
 */
import { describe, expect, test } from 'vitest';
import { prng } from '../../bench/corpus.js';
import { escalationConfigSchema } from '../../src/escalate/risk.js';
import type { IngestMessage } from '../../src/protocol/ingest.js';
import { bundledLexicon, journalDirs, openCore, type Core } from '../stream/embedded.js';

const dir = journalDirs();

const CLAIMS = ['今天这锅是全网最低价', '这款吹风机销量第一', '这个茶喝一个月能降血压', '想要便宜的加我微信私聊', '吃了这个能抗癌', '这件是店里卖得最好的'];
const CLEAN = ['这款围巾是羊毛混纺的', '我们发的是顺丰', '好，我们来看下一款', '吃了这个能抗寒', '今天这锅是全网都在卖的款'];
const STREAMS = ['s1', 's2', 's3'];

async function session(core: Core, seed: number, steps: number): Promise<void> {
  const rnd = prng(seed);
  const pick = <T,>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
  const seqs = new Map<string, number>();
  let ts = 1_790_000_000_000;
  for (let i = 0; i < steps; i++) {
    ts += Math.floor(rnd() * 20_000);
    const stream = pick(STREAMS);
    const seq = (seqs.get(stream) ?? 0) + 1;
    const r = rnd();
    const text = rnd() < 0.4 ? pick(CLAIMS) : pick(CLEAN);
    let msgs: IngestMessage[];
    if (r < 0.2) {
      // A partial claim, then a final that keeps it or says something else.
      msgs = [
        { type: 'transcript', stream, seq, ts, text: pick(CLAIMS), final: false },
        { type: 'transcript', stream, seq, ts: ts + 500, text, final: true },
      ];
    } else if (r < 0.3) msgs = [{ type: 'chat', stream, seq, ts, text, user: `u${Math.floor(rnd() * 5)}` }];
    else if (r < 0.35) msgs = [{ type: 'pk', stream, seq, ts, state: rnd() < 0.5 ? 'start' : 'end', opponent: 'rival' }];
    else msgs = [{ type: 'transcript', stream, seq, ts, text, final: true, ...(rnd() < 0.2 ? { speaker: pick(['guest', 'opponent'] as const) } : {}) }];
    seqs.set(stream, seq);
    for (const m of msgs) await core.send(m);
    const c = rnd();
    if (c < 0.05) await core.processor.command({ type: 'confirm', stream });
    else if (c < 0.08) await core.processor.command({ type: 'decline', stream });
    else if (c < 0.1) await core.processor.command({ type: 'restore', stream });
    else if (c < 0.14 && core.outbox.rec.flags.length > 0) await core.processor.command({ type: 'dismiss', flagId: pick(core.outbox.rec.flags).flag.id });
  }
}

const view = (core: Core) =>
  core.processor
    .summaries()
    .map((s) => ({ stream: s.stream, level: s.level, risk: s.risk, recommended: s.recommended }))
    .sort((a, b) => a.stream.localeCompare(b.stream));

describe.each(['enforce', 'recommend'] as const)('%s mode', (mode) => {
  const escalation = escalationConfigSchema.parse({ mode });
  test.each([1, 2, 3, 4, 5, 6])('seed %i: the reopened core shows every stream as the live one did, and signals nothing again', { timeout: 60_000 }, async (seed) => {
    const d = dir();
    const live = await openCore(d, { lexicon: bundledLexicon(), escalation });
    await session(live, seed * 7919, 120);
    const before = view(live);
    // The session must exercise what it claims to: flags, and retractions or decisions in some seeds.
    expect(live.outbox.rec.flags.length).toBeGreaterThan(10);
    await live.processor.close();
    const again = await openCore(d, { lexicon: bundledLexicon(), escalation });
    expect(view(again)).toEqual(before);
    expect(again.outbox.rec.shutdowns).toEqual([]);
    expect(again.outbox.rec.events.filter((e) => (e as { type: string }).type === 'recommend')).toEqual([]);
    await again.processor.close();
  });
});

test('across the seeds something was retracted, recommended and shut down (the sessions are not vacuous)', { timeout: 60_000 }, async () => {
  const kinds = new Set<string>();
  for (const mode of ['enforce', 'recommend'] as const) {
    for (const seed of [1, 2, 3]) {
      const core = await openCore(dir(), { lexicon: bundledLexicon(), escalation: escalationConfigSchema.parse({ mode }) });
      await session(core, seed * 7919, 120);
      for (const e of core.outbox.rec.events) kinds.add((e as { type: string }).type);
      if (core.outbox.rec.shutdowns.length > 0) kinds.add('shutdown');
      await core.processor.close();
    }
  }
  expect([...kinds]).toEqual(expect.arrayContaining(['retract', 'recommend', 'shutdown', 'level']));
});

test('a journal written before incidents (per-flag records, a snapshot with term counts) still replays: shut-down streams stay so, nothing is signalled again', { timeout: 60_000 }, async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const d = dir();
  const flag = (id: string, stream: string, seq: number, term: string, severity = 'high') => ({ id, stream, seq, category: 'extreme', term, matched: term, start: 0, end: term.length, severity, kind: 'transcript', ts: 1, evasion: false, via: 'text' });
  const T = 1_790_000_000_000;
  const lines = [
    { t: 'snapshot', nextFlag: 5, shutdown: [{ stream: 'old-shut', epoch: 1, reason: 'risk 17.0 crossed the shutdown threshold 16' }], epochs: { 'old-shut': 1 }, seqs: { 'old-live': 1 }, risks: { 'old-live': { risk: 6, ts: T, terms: { 全网最低价: 2 } } } },
    { t: 'msg', stream: 'old-live', seq: 2, ts: T + 1000, kind: 'transcript', final: true, flags: [flag('f5', 'old-live', 2, '全网最低价'), flag('f6', 'old-live', 2, '销量第一')], text: '全网最低价销量第一' },
    { t: 'level', stream: 'old-live', level: 'alert', risk: 14, ts: T + 1000 },
  ];
  writeFileSync(join(d, 'segment-000000000001.ndjson'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const core = await openCore(d, { lexicon: bundledLexicon() });
  const view = core.processor.summaries();
  expect(view.find((s) => s.stream === 'old-shut')).toMatchObject({ level: 'shutdown', reason: expect.stringMatching(/crossed/) });
  // The snapshot's 6 (decayed 1 s) plus one incident of two flags weighing as its strongest, 4 (old term counts are read, not used).
  expect(view.find((s) => s.stream === 'old-live')!.risk).toBeCloseTo(6 * Math.pow(0.5, 1 / 120) + 4, 1);
  expect(core.outbox.rec.shutdowns).toEqual([]);
  expect(core.replayed.flags).toBe(2);
  await core.processor.close();
});
