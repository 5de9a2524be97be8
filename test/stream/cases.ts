/**
 * One table of stream-processing cases, run against every `StreamLog` (the file journal and the
 * JetStream events stream, see logs.test.ts): the core must behave the same whatever holds its
 * history. A step sends messages or a command, or restarts the core on the same log; expectations
 * name terms and counts, not flag ids (ids are counters in one log and sequences in the other).
 */
import type { IngestMessage } from '../../src/protocol/ingest.js';
import type { ModeratorCommand } from '../../src/stream/contracts.js';

const T = 1_790_000_000_000;
export const say = (stream: string, seq: number, text: string, extra: Partial<IngestMessage> = {}): IngestMessage => ({ type: 'transcript', stream, seq, ts: T + seq * 1000, text, final: true, ...extra }) as IngestMessage;

export type Step =
  | { send: IngestMessage[]; replies?: ('ack' | 'duplicate' | 'invalid_message')[]; flags?: string[] }
  | { command: ModeratorCommand | ((flagIds: string[]) => ModeratorCommand); result: 'ok' | 'noop' | 'unknown_stream' | 'unknown_flag' }
  | { restart: true };

export interface Case {
  name: string;
  steps: Step[];
  /** Shutdown signals over the whole case (across restarts). */
  shutdowns: number;
  /** Levels at the end, per stream. */
  levels?: Record<string, string>;
}

export const CASES: Case[] = [
  { name: 'a claim is flagged once; a re-send is a duplicate', shutdowns: 0, steps: [{ send: [say('a', 1, '这是全网最低价')], replies: ['ack'], flags: ['全网最低价'] }, { send: [say('a', 1, '这是全网最低价')], replies: ['duplicate'], flags: [] }] },
  { name: 'a phrase split across chunks completes on the second', shutdowns: 0, steps: [{ send: [say('b', 1, '今天这个价格是全网最')], flags: [] }, { send: [say('b', 2, '低价哦')], flags: ['全网最低价'] }] },
  { name: 'a partial hypothesis flags early; its final adds nothing', shutdowns: 0, steps: [{ send: [say('c', 1, '这个价格', { final: false } as Partial<IngestMessage>), say('c', 1, '这个价格全网最低价', { final: false } as Partial<IngestMessage>)], flags: ['全网最低价'] }, { send: [say('c', 1, '嗯这个价格全网最低价')], replies: ['ack'], flags: [] }] },
  { name: 'the same high claim three times shuts the stream down once', shutdowns: 1, levels: { d: 'shutdown' }, steps: [{ send: [1, 2, 3, 4].map((s) => say('d', s, '全网最低价，销量第一')) }, { send: [say('d', 5, '全网最低价')], flags: ['全网最低价'] }] },
  { name: 'a huge seq is refused and the stream goes on', shutdowns: 0, steps: [{ send: [say('e', Number.MAX_SAFE_INTEGER, '全网最低价'), say('e', 2, '全网最低价')], replies: ['invalid_message', 'ack'], flags: ['全网最低价'] }] },
  { name: 'interleaved seqs of two pipelines are each processed once', shutdowns: 0, steps: [{ send: [say('f', 1, '你好'), say('f', 3, '加微信'), say('f', 2, '全网最低价'), say('f', 3, '加微信')], replies: ['ack', 'ack', 'ack', 'duplicate'], flags: ['加微信', '全网最低价'] }] },
  {
    name: 'dismiss, then dismiss again; a manual shutdown, again, restore',
    shutdowns: 1,
    levels: { g: 'normal' },
    steps: [
      { send: [say('g', 1, '全网最低价')], flags: ['全网最低价'] },
      { command: (ids) => ({ type: 'dismiss', flagId: ids[0]! }), result: 'ok' },
      { command: (ids) => ({ type: 'dismiss', flagId: ids[0]! }), result: 'noop' },
      { command: { type: 'shutdown', stream: 'g', reason: 'seen selling fakes' }, result: 'ok' },
      { command: { type: 'shutdown', stream: 'g', reason: 'again' }, result: 'noop' },
      { command: { type: 'restore', stream: 'g' }, result: 'ok' },
      { command: { type: 'restore', stream: 'nobody' }, result: 'unknown_stream' },
    ],
  },
  {
    name: 'a restart keeps dedupe, the carry, the shutdown (no second signal) and dismissals',
    shutdowns: 1,
    levels: { h: 'shutdown' },
    steps: [
      { send: [1, 2, 3, 4].map((s) => say('h', s, '全网最低价，销量第一')) },
      { send: [say('i', 1, '这款茶是全网最')], flags: [] },
      { restart: true },
      { send: [say('h', 4, '全网最低价，销量第一')], replies: ['duplicate'], flags: [] },
      { send: [say('i', 2, '低价的')], flags: ['全网最低价'] },
      { command: (ids) => ({ type: 'dismiss', flagId: ids.at(-1)! }), result: 'ok' },
      { restart: true },
      { command: (ids) => ({ type: 'dismiss', flagId: ids.at(-1)! }), result: 'noop' },
    ],
  },
];
