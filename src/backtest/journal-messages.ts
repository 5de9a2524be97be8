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
import { CATEGORIES, type Flag } from '../flag.js';
import { readLines } from '../journal/lines.js';
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

export type JournalItem =
  | { t: 'msg'; msg: RecordedMessage }
  /** A message recorded without text (so without flags): counted, not parsed. */
  | { t: 'untold'; partial: boolean }
  | { t: 'end'; stream: string }
  | { t: 'bad'; line: number; reason: string };

/**
 * Every `msg` and `end` record, in journal order. Records the backtest does not use are passed over
 * without parsing; a line that cannot be read is reported as `bad` and the replay goes on.
 * `onBytes` reports progress as bytes read (of the segments' total size).
 */
export async function* journalItems(segments: readonly JournalSegment[], onBytes?: (bytes: number) => void): AsyncGenerator<JournalItem> {
  let lineNo = 0;
  for (const seg of segments) {
    for await (const line of readLines(seg.path)) {
      lineNo++;
      onBytes?.(Buffer.byteLength(line) + 1);
      if (line.startsWith('{"t":"end"')) {
        const v = parse(line);
        if (v && typeof v.stream === 'string') yield { t: 'end', stream: v.stream };
        else yield { t: 'bad', line: lineNo, reason: 'end record without a stream' };
        continue;
      }
      if (!line.startsWith('{"t":"msg"')) continue;
      // Most chat is unflagged and journaled without text: nothing to rescan, so not worth a parse.
      // (A "text" key cannot hide inside a string value: the quotes there are escaped.)
      if (!line.includes('"text":')) {
        yield { t: 'untold', partial: line.includes('"final":false') };
        continue;
      }
      const v = parse(line);
      const msg = v && recordedMessage(v);
      if (msg) yield { t: 'msg', msg };
      else yield { t: 'bad', line: lineNo, reason: v ? 'msg record of the wrong shape' : 'not JSON' };
    }
  }
}

/** Ids of dismissed flags, with the moderator's reason when one was given (a first pass over the journal). */
export async function dismissedFlags(segments: readonly JournalSegment[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const seg of segments) {
    for await (const line of readLines(seg.path)) {
      if (!line.startsWith('{"t":"dismiss"')) continue;
      const v = parse(line);
      if (v && typeof v.flagId === 'string') out.set(v.flagId, typeof v.reason === 'string' ? v.reason : undefined);
    }
  }
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

const CATEGORY_SET: ReadonlySet<string> = new Set(CATEGORIES);

// Checked by hand, not with the journal's zod schema: the backtest reads millions of records and
// needs only these fields (the server's replay validates everything it rebuilds state from).
function recordedMessage(v: Record<string, unknown>): RecordedMessage | undefined {
  const { stream, seq, kind, final, text, flags } = v;
  if (typeof stream !== 'string' || typeof seq !== 'number' || (kind !== 'transcript' && kind !== 'chat')) return undefined;
  if (typeof final !== 'boolean' || (text !== undefined && typeof text !== 'string') || !Array.isArray(flags)) return undefined;
  for (const f of flags as unknown[]) {
    const g = f as Partial<Flag> | null;
    if (!g || typeof g.id !== 'string' || typeof g.term !== 'string' || !CATEGORY_SET.has(g.category as string)) return undefined;
    if (typeof g.start !== 'number' || typeof g.end !== 'number') return undefined;
  }
  return { stream, seq, kind, final, text, flags: flags as Flag[] };
}
