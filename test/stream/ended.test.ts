/**
 * A stream's `end` survives a restart: the core's summaries say which streams read as ended
 * (src/stream/ended.ts), live and after a replay, whether the replay starts at the first segment or
 * at a rotation's snapshot. Checked against a model over seeded random runs of clean and flagged
 * chunks, late flagged chunks (a seq left out earlier, sent after the end: it must not lift it),
 * ends, PK starts and ends, and restarts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { prng } from '../../bench/corpus.js';
import type { EndMark } from '../../src/stream/ended.js';
import { isAck, journalDirs, openCore, type Core, type CoreOptions, type Msg } from './embedded.js';
import { T0 } from './fault-model.js';

const newDir = journalDirs();
const STREAMS = ['s0', 's1', 's2', 's3'];

/** The rule, as plainly as it can be said: ended from an end until a flag past it or a PK start. */
class Model {
  readonly ended = new Map<string, EndMark>();
  end(stream: string, seq: number, ts: number): void {
    this.ended.set(stream, { seq, ts });
  }
  flagged(stream: string, seq: number, ts: number): void {
    const e = this.ended.get(stream);
    if (e && (seq > e.seq || ts > e.ts)) this.ended.delete(stream);
  }
  pkStart(stream: string): void {
    this.ended.delete(stream);
  }
}

const endedOf = (core: Core) =>
  Object.fromEntries(
    core.processor
      .summaries()
      .filter((s) => s.ended !== undefined)
      .map((s) => [s.stream, s.ended])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  );

async function run(seed: number, opts: CoreOptions): Promise<{ ends: number; lifted: number; lateKept: number; restarts: number; dir: string }> {
  const dir = newDir();
  const rand = prng(seed);
  const model = new Model();
  const next = new Map(STREAMS.map((s) => [s, 0]));
  const skipped = new Map<string, number[]>(STREAMS.map((s) => [s, []]));
  const counts = { ends: 0, lifted: 0, lateKept: 0, restarts: 0 };
  let core = await openCore(dir, opts);
  const send = async (m: Msg) => {
    const [r] = await core.send(m);
    expect(isAck(r!), JSON.stringify(r)).toBe(true);
  };
  try {
    for (let step = 0; step < 160; step++) {
      const stream = STREAMS[Math.floor(rand() * STREAMS.length)]!;
      const r = rand();
      const seqOf = () => {
        let seq = next.get(stream)! + 1;
        // Now and then a seq is left out, to be sent late (after an end).
        if (rand() < 0.1) skipped.get(stream)!.push(seq++);
        next.set(stream, seq);
        return seq;
      };
      if (r < 0.03) {
        await core.processor.close();
        core = await openCore(dir, opts);
        counts.restarts++;
      } else if (r < 0.3) {
        const seq = seqOf();
        await send({ type: 'transcript', stream, seq, ts: T0 + seq * 1000, text: '今天天气不错，大家好', final: true });
      } else if (r < 0.55) {
        const seq = seqOf();
        const wasEnded = model.ended.has(stream);
        await send({ type: 'transcript', stream, seq, ts: T0 + seq * 1000, text: '这款全网最低价', final: true });
        model.flagged(stream, seq, T0 + seq * 1000);
        if (wasEnded && !model.ended.has(stream)) counts.lifted++;
      } else if (r < 0.65) {
        // A late flagged chunk: its seq and event time are before the end (if there is one).
        const late = skipped.get(stream)!.shift();
        if (late === undefined) continue;
        const wasEnded = model.ended.has(stream);
        await send({ type: 'transcript', stream, seq: late, ts: T0 + late * 1000, text: '销量第一的好东西', final: true });
        model.flagged(stream, late, T0 + late * 1000);
        if (wasEnded && model.ended.has(stream)) counts.lateKept++;
      } else if (r < 0.82) {
        const seq = seqOf();
        await send({ type: 'end', stream, seq, ts: T0 + seq * 1000 });
        model.end(stream, seq, T0 + seq * 1000);
        counts.ends++;
      } else {
        const seq = seqOf();
        const state = rand() < 0.5 ? 'start' : 'end';
        await send({ type: 'pk', stream, seq, ts: T0 + seq * 1000, state, opponent: 'rival' });
        if (state === 'start') model.pkStart(stream);
      }
      expect(endedOf(core), `seed ${seed} step ${step}`).toEqual(Object.fromEntries([...model.ended].sort(([a], [b]) => a.localeCompare(b))));
    }
    // And once more from the log alone.
    await core.processor.close();
    core = await openCore(dir, opts);
    counts.restarts++;
    expect(endedOf(core), `seed ${seed} final restart`).toEqual(Object.fromEntries([...model.ended].sort(([a], [b]) => a.localeCompare(b))));
    return { ...counts, dir };
  } finally {
    await core.processor.close();
  }
}

describe('a stream reads as ended after a restart exactly as before it', () => {
  test('replayed from the first segment', { timeout: 60_000 }, async () => {
    const total = { ends: 0, lifted: 0, lateKept: 0, restarts: 0 };
    for (const seed of [1, 2, 3, 4]) {
      const r = await run(seed, {});
      for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += r[k];
    }
    // The runs are not vacuous: ends, lifts, late flags that must not lift, restarts.
    expect(total.ends).toBeGreaterThan(20);
    expect(total.lifted).toBeGreaterThan(5);
    expect(total.lateKept).toBeGreaterThan(0);
    expect(total.restarts).toBeGreaterThan(8);
  });

  test('replayed from a rotation snapshot (older segments deleted by retention)', { timeout: 60_000 }, async () => {
    const opts: CoreOptions = { journal: { segmentBytes: 4096, retainBytes: 4096 } };
    let carried = 0;
    for (const seed of [11, 12, 13]) {
      const { dir } = await run(seed, opts);
      const names = readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort();
      // Segment 1 is gone: the replays after it started at a snapshot.
      expect(names[0]).not.toBe('segment-000000000001.ndjson');
      const first = JSON.parse(readFileSync(join(dir, names[0]!), 'utf8').split('\n')[0]!) as { t: string; ended?: Record<string, EndMark> };
      expect(first.t).toBe('snapshot');
      if (first.ended !== undefined) carried++;
    }
    // At least one of those snapshots carried an end (it is what the replay had to go on).
    expect(carried).toBeGreaterThan(0);
  });
});
