/**
 * What a backtest replays: the messages a journal recorded, read-only and in order, with the flags
 * the live lexicon raised on them, and the flags moderators dismissed (known false positives).
 *
 * A journal keeps the text of every final transcript chunk (a stream's carry is rebuilt from it) but
 * of other messages only when they raised a flag, so unflagged chat and partial hypotheses cannot be
 * rescanned; they are counted, not guessed at.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Flag } from '../flag.js';
import { isRecordedFlag, LineKind, readLineFields, shardOf, type MsgFields, type Shard } from './record-bytes.js';
import { SegmentLines } from './segment-lines.js';
import { InputError } from '../errors.js';

const SEGMENT = /^segment-(\d{12})\.ndjson$/;

export interface JournalSegment {
  path: string;
  bytes: number;
}

/** The journal's segments, oldest first; an `InputError` when DIR holds none. */
export function journalSegments(dir: string): JournalSegment[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new InputError('journal', `cannot read ${dir}: ${(err as Error).message}`);
  }
  const segments = names
    .filter((n) => SEGMENT.test(n))
    .sort()
    .map((n) => ({ path: join(dir, n), bytes: statSync(join(dir, n)).size }));
  if (segments.length === 0) throw new InputError('journal', `${dir} holds no journal segments (segment-<12 digits>.ndjson)`);
  return segments;
}

/** A recorded message a backtest can rescan, or one it has to skip. */
export interface RecordedMessage {
  stream: string;
  seq: number;
  kind: 'transcript' | 'chat';
  final: boolean;
  /** Absent when the journal did not keep it (unflagged chat or partial). */
  text: string | undefined;
  flags: Flag[];
}

/** What a backtest is told about each record it uses, in journal order. */
export interface JournalVisitor {
  /** A message with its recorded text (or without, when the journal kept none). Reused: copy what you keep. */
  msg(msg: RecordedMessage): void;
  end(stream: string): void;
  bad(line: number, reason: string): void;
}

const NO_FLAGS: Flag[] = [];
const DISMISS = Buffer.from('{"t":"dismiss"');

/**
 * Every `msg` and `end` record, in journal order, to `visitor`. Records the backtest does not use
 * are passed over unparsed; a flagless message is read from its bytes (record-bytes.ts) into one
 * reused object; a line that cannot be read is reported as `bad` and the replay goes on.
 * `onBytes` reports progress as bytes read (of the segments' total size).
 */
export function readJournal(segments: readonly JournalSegment[], visitor: JournalVisitor, onBytes?: (bytes: number) => void, shard: Shard = { of: 1, mine: 0 }): void {
  const lines = new SegmentLines();
  const fields: MsgFields = { stream: '', seq: 0, kind: 'transcript', final: true, text: undefined, flags: NO_FLAGS, owner: -1 };
  // With shards, each reads every line but takes only its streams; a line with no readable stream is shard 0's.
  const mine = (stream: string) => shard.of === 1 || shardOf(stream, shard.of) === shard.mine;
  const msg: RecordedMessage = { stream: '', seq: 0, kind: 'transcript', final: true, text: undefined, flags: NO_FLAGS };
  let lineNo = 0;
  const onLine = (buf: Buffer, start: number, end: number): void => {
    lineNo++;
    const kind = readLineFields(buf, start, end, fields, shard);
    if (kind === LineKind.Other) return;
    if (kind === LineKind.Msg) {
      msg.stream = fields.stream;
      msg.seq = fields.seq;
      msg.kind = fields.kind;
      msg.final = fields.final;
      msg.text = fields.text;
      msg.flags = fields.flags;
      visitor.msg(msg);
      return;
    }
    if (kind === LineKind.End) {
      visitor.end(fields.stream);
      return;
    }
    // The exact way: flagged messages, escapes where they matter, damaged lines.
    const v = parse(buf.toString('utf8', start, end));
    const bad = (reason: string) => {
      const owner = typeof v?.stream === 'string' ? shardOf(v.stream, shard.of) : Math.max(0, fields.owner);
      if (owner === shard.mine) visitor.bad(lineNo, reason);
    };
    if (v?.t === 'end') {
      if (typeof v.stream !== 'string') bad('end record without a stream');
      else if (mine(v.stream)) visitor.end(v.stream);
      return;
    }
    if (v && v.t !== 'msg') return;
    const m = v && recordedMessage(v);
    if (!m) bad(v ? 'msg record of the wrong shape' : 'not JSON');
    else if (mine(m.stream)) visitor.msg(m);
  };
  for (const seg of segments) lines.read(seg.path, onLine, onBytes);
}

/** Ids of dismissed flags, with the moderator's reason when one was given (a first pass over the journal, by byte search). */
export function dismissedFlags(segments: readonly JournalSegment[]): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  const lines = new SegmentLines();
  // A record kind is at the start of its line; inside a string the quotes would be escaped.
  const onLine = (buf: Buffer, start: number, end: number): void => {
    const v = parse(buf.toString('utf8', start, end));
    if (v && typeof v.flagId === 'string') out.set(v.flagId, typeof v.reason === 'string' ? v.reason : undefined);
  };
  for (const seg of segments) lines.readStarting(seg.path, DISMISS, onLine);
  return out;
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// Checked by hand, not with the journal's zod schema: the backtest reads millions of records and
// needs only these fields (the server's replay validates everything it rebuilds state from).
function recordedMessage(v: Record<string, unknown>): RecordedMessage | undefined {
  const { stream, seq, kind, final, text, flags } = v;
  if (typeof stream !== 'string' || typeof seq !== 'number' || (kind !== 'transcript' && kind !== 'chat')) return undefined;
  if (typeof final !== 'boolean' || (text !== undefined && typeof text !== 'string') || !Array.isArray(flags)) return undefined;
  for (const f of flags as unknown[]) if (!isRecordedFlag(f)) return undefined;
  return { stream, seq, kind, final, text, flags: flags as Flag[] };
}
