/**
 * A scripted session of four streams and the simple model the fault tests hold the core to.
 *
 * Each stream's script exercises something a failed write could corrupt: `a` is the original bug
 * (three high claims cross the shutdown threshold; a restore; three more: a second epoch), `b` a
 * critical claim and a restore, `c` a PK session with medium claims, `d` chat flags, a partial
 * hypothesis replaced by its final, a phrase split across two chunks (the carry a rebuild must
 * restore) and an `end`. Clients send their steps in order and re-send a step until it is acked,
 * as a pipeline does after `internal`; a step is one batch of messages or one moderator command.
 *
 * Streams are independent (seq window, carry, escalation are per stream), so however the clients
 * interleave and whatever fails, each stream's outcome must equal a run without faults: the same
 * flags per (stream, seq), the same shutdowns (stream, epoch), the same level and risk.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Flag } from '../../src/flag.js';
import type { ModeratorCommand, StreamSummary } from '../../src/stream/contracts.js';
import type { Processor } from '../../src/stream/processor.js';
import { checkRecord } from '../../src/stream/record-schema.js';
import { isAck, PEER, sleep, type Core, type Msg } from './embedded.js';

export const T0 = 1_790_000_000_000;

export type Step = { kind: 'batch'; msgs: Msg[] } | { kind: 'command'; cmd: ModeratorCommand };

const CLEAN = ['大家好', '欢迎来到直播间', '今天的福利很多', '点点关注', '看看这件衣服'];

/** Per stream: a list of rounds, each a list of message bodies (seq and ts are filled in). */
type Body = { type: 'transcript'; text: string; final?: boolean } | { type: 'chat'; text: string } | { type: 'pk'; state: 'start' | 'end'; opponent?: string } | { type: 'end' };
const t = (text: string): Body => ({ type: 'transcript', text, final: true });
const clean = (i: number): Body => t(CLEAN[i % CLEAN.length]!);

const SCRIPTS: Record<string, (Body[] | ModeratorCommand)[]> = {
  a: [
    [clean(0), t('这个全网最低价')],
    [clean(1), t('全网最低价啊')],
    [t('真的全网最低价'), clean(2)], // 4 + 6 + 8: shutdown, epoch 1
    [t('史上最强'), clean(3)], // flagged on a shut-down stream: no second signal
    { type: 'restore', stream: 'a' },
    [t('全网最低价'), t('全网最低价呢')],
    [t('又是全网最低价'), clean(4)], // epoch 2
    [clean(0), clean(1)],
    [t('可以根治'), clean(2)],
    [clean(3), clean(4)],
  ],
  b: [
    [t('销量第一'), clean(0)],
    [t('喝了能治癌'), clean(1)], // critical: shutdown at once
    [t('独家合作'), clean(2)],
    [clean(3), t('加微信')],
    [clean(4), clean(0)],
    { type: 'restore', stream: 'b' },
    [t('可以根治'), clean(1)],
    [t('史上最强'), t('全网最低价')],
    [clean(2), t('销量第一')],
    [t('加微信哦'), clean(3)],
  ],
  c: [
    [{ type: 'pk', state: 'start', opponent: 'a' }, t('销量第一')],
    [clean(0), t('销量第一啊')],
    [t('我们销量第一'), clean(1)],
    [t('独家合作'), clean(2)],
    [t('销量第一的'), clean(3)],
    [{ type: 'pk', state: 'end' }, clean(4)],
    [t('独家合作款'), clean(0)],
    [clean(1), clean(2)],
    [t('销量第一'), clean(3)],
    [clean(4), clean(0)],
  ],
  d: [
    [{ type: 'chat', text: '加微信' }, clean(0)],
    [{ type: 'transcript', text: '大家加', final: false }],
    [t('大家加微信'), { type: 'chat', text: '全网最低价' }],
    [clean(1), t('这是全网最')], // a phrase split across two rounds:
    [t('低价哦'), clean(2)], // found on this chunk, `carried` from the last
    [t('史上最强'), { type: 'chat', text: '你好' }],
    [clean(3), t('可以根治')],
    [{ type: 'end' }],
    [t('独家合作'), clean(4)], // the stream starts again after its end
    [t('全网最低价'), clean(0)],
  ],
};

export const STREAMS = Object.keys(SCRIPTS);

/** Each stream's steps, seqs and event times filled in (a partial and its final share a seq). */
export function streamSteps(stream: string): Step[] {
  let seq = 0;
  let ts = T0;
  const steps: Step[] = [];
  for (const item of SCRIPTS[stream]!) {
    if (!Array.isArray(item)) {
      steps.push({ kind: 'command', cmd: item });
      continue;
    }
    const msgs: Msg[] = [];
    for (const body of item) {
      const partial = body.type === 'transcript' && body.final === false;
      if (!partial) seq++;
      ts += 1000;
      msgs.push({ ...body, stream, seq: partial ? seq + 1 : seq, ts } as Msg);
    }
    steps.push({ kind: 'batch', msgs });
  }
  return steps;
}

/** One client per group of streams; one client sending every stream's rounds interleaved is `[STREAMS]`. */
export function clientSteps(groups: string[][]): Step[][] {
  return groups.map((streams) => {
    const per = streams.map(streamSteps);
    const out: Step[] = [];
    for (let i = 0; i < Math.max(...per.map((p) => p.length)); i++) {
      const batch: Msg[] = [];
      for (const p of per) {
        const step = p[i];
        if (!step) continue;
        if (step.kind === 'command') {
          if (batch.length > 0) out.push({ kind: 'batch', msgs: batch.splice(0) });
          out.push(step);
        } else batch.push(...step.msgs);
      }
      if (batch.length > 0) out.push({ kind: 'batch', msgs: batch });
    }
    return out;
  });
}

export interface RunLog {
  /** Replies other than ack/ok/internal: the model never expects one. */
  unexpected: unknown[];
  /** `internal` answers (each followed by a re-send). */
  internal: number;
  /** Batches acked in part and refused in part (a failed write must ack nothing). */
  mixed: number;
  acked: Set<string>;
}

/**
 * Runs clients concurrently against `core()` (a getter: the test may swap in a restarted core).
 * `onInternal` runs after each `internal` answer, before the re-send (tests release a full disk there).
 */
export async function runClients(core: () => Processor, clients: Step[][], onInternal: (log: RunLog) => void | Promise<void> = () => undefined): Promise<RunLog> {
  const log: RunLog = { unexpected: [], internal: 0, mixed: 0, acked: new Set() };
  await Promise.all(
    clients.map(async (steps) => {
      for (const step of steps) {
        for (let attempt = 0; ; attempt++) {
          if (attempt > 5000) throw new Error(`step never acked: ${JSON.stringify(step).slice(0, 200)}`);
          let refused = 0;
          if (step.kind === 'batch') {
            const replies = await core().ingestBatch(step.msgs, PEER);
            for (const r of replies) {
              if (isAck(r)) continue;
              if (r.code === 'internal') refused++;
              else log.unexpected.push(r);
            }
            if (refused > 0 && refused < replies.length) log.mixed++;
            if (refused === 0) for (const m of step.msgs) if (m.type !== 'transcript' || m.final) log.acked.add(`${m.stream}/${m.seq}`);
          } else {
            const r = await core().command(step.cmd);
            if (r.type === 'error') {
              if (r.code === 'internal') refused++;
              else log.unexpected.push(r);
            }
          }
          if (refused === 0) break;
          log.internal++;
          await onInternal(log);
          await sleep(1);
        }
      }
    }),
  );
  return log;
}

/** What a stream's run produced, ids left out (they differ between runs by design). */
export interface Outcome {
  /** `stream/seq` → the flags it raised, as `category:term@start-end` (carried marked). */
  flags: Map<string, string[]>;
  /** `stream#epoch` of every shutdown signal, in order, with manual/auto. */
  shutdowns: string[];
  summaries: StreamSummary[];
}

export function flagKey(f: Flag): string {
  return `${f.category}:${f.term}@${f.start}-${f.end}${f.carried !== undefined ? `+${f.carried}` : ''}`;
}

export function outcomeOf(core: Core): Outcome {
  const flags = new Map<string, string[]>();
  for (const { flag } of core.outbox.rec.flags) {
    const k = `${flag.stream}/${flag.seq}`;
    flags.set(k, [...(flags.get(k) ?? []), flagKey(flag)]);
  }
  return {
    flags,
    shutdowns: core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}${e.manual ? ' manual' : ''}`).sort(),
    summaries: sortSummaries(core.processor.summaries()),
  };
}

export function sortSummaries(s: StreamSummary[]): StreamSummary[] {
  return [...s].sort((x, y) => x.stream.localeCompare(y.stream));
}

/** Every line of every segment: whole (ends with a newline) and a valid record. Returns the problems. */
export function journalProblems(dir: string): string[] {
  const problems: string[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    if (text.length > 0 && !text.endsWith('\n')) problems.push(`${name}: ends in a partial record (${text.length - text.lastIndexOf('\n') - 1} bytes)`);
    const lines = text.split('\n');
    lines.pop();
    lines.forEach((line, i) => {
      if (line === '') return; // a probe's empty line
      try {
        const checked = checkRecord(JSON.parse(line));
        if (!checked.ok) problems.push(`${name}:${i + 1}: ${checked.reason}`);
      } catch {
        problems.push(`${name}:${i + 1}: not JSON`);
      }
    });
  }
  return problems;
}

/** Flags the journal holds (those retention kept), in journal order. */
export async function journalFlags(core: Core): Promise<Flag[]> {
  const out: Flag[] = [];
  for await (const e of core.journal.flagEntriesSince(0)) out.push(e.flag);
  return out;
}

export const num = (id: string) => Number(id.slice(1));

export function duplicates<T>(xs: readonly T[]): T[] {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const x of xs) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}
