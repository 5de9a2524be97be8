/**
 * The read side of the journal's segments: a line as a validated record, where a replay can start
 * (the oldest segment whose state is complete), and the flags after an id for `since`.
 */
import type { FlagEntry } from '../stream/contracts.js';
import { checkRecord } from '../stream/record-schema.js';
import type { SnapshotRecord, StreamRecord } from '../stream/records.js';
import { readLines } from './lines.js';

export interface Segment {
  index: number;
  path: string;
  /** Bytes known durable (the active segment may hold more, being written). */
  bytes: number;
  /** Number of the first flag in the segment, if it has one: `since` starts from the right segment. */
  firstFlag: number | undefined;
}

export type Warn = (event: string, detail: Record<string, unknown>) => void;

/** A line as a valid record, or why not (`damaged`: not JSON; `invalid`: JSON of the wrong shape). */
export function parseLine(line: string): { ok: true; record: StreamRecord } | { ok: false; damaged: boolean; reason: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return { ok: false, damaged: true, reason: (err as Error).message };
  }
  const checked = checkRecord(v);
  return checked.ok ? checked : { ok: false, damaged: false, reason: checked.reason };
}

/** Where a replay starts: segment `from` (an index into the list); `tailFrom`, see `replayStart`. */
export interface ReplayStart {
  from: number;
  /** The start segment's snapshot counts none of the previous segment's records from this byte on: replay them right after it. */
  tailFrom: number | undefined;
}

/**
 * The oldest segment state can be rebuilt from: the first ever, or one opening with an intact
 * snapshot whose tail (the records the previous segment took while the snapshot was written) is
 * still there.
 */
export async function replayStart(segments: readonly Segment[], warn: Warn): Promise<ReplayStart> {
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg.index === 1) return { from: i, tailFrom: undefined };
    let snapshot: SnapshotRecord | undefined;
    for await (const line of readLines(seg.path)) {
      // Not warned as a bad line here: the replay that follows warns about it and counts it once.
      const first = parseLine(line);
      if (first.ok && first.record.t === 'snapshot') snapshot = first.record;
      break;
    }
    if (snapshot) {
      const tail = snapshot.tail;
      if (tail === undefined) return { from: i, tailFrom: undefined };
      if (i > 0 && segments[i - 1]!.index === tail.segment) return { from: i, tailFrom: tail.from };
      // Its tail went with an older segment (retention): a later snapshot is complete.
      continue;
    }
    warn('journal_snapshot_damaged', { segment: seg.index, fallback: i + 1 < segments.length ? segments[i + 1]!.index : null });
  }
  // No intact starting point: replay all that is there (dedupe and the shut-down set may be incomplete).
  if (segments.length > 0) warn('journal_state_incomplete', { segments: segments.length });
  return { from: 0, tailFrom: undefined };
}

/**
 * Flags numbered above `after`, in order, from the segments, reading only what is durable (a batch
 * being written may yet be cut back). Older flags removed by retention are gone.
 */
export async function* flagEntriesAfter(segments: readonly Segment[], after: number): AsyncGenerator<FlagEntry> {
  let from = 0;
  for (let i = segments.length - 1; i >= 0; i--) {
    const first = segments[i]!.firstFlag;
    if (first !== undefined && first <= after) {
      from = i;
      break;
    }
  }
  const active = segments[segments.length - 1];
  for (const seg of segments.slice(from)) {
    try {
      for await (const line of readLines(seg.path, undefined, seg === active ? seg.bytes : Infinity)) {
        if (!line.startsWith('{"t":"msg"')) continue;
        const parsed = parseLine(line);
        if (!parsed.ok || parsed.record.t !== 'msg') continue;
        const rec = parsed.record;
        for (const f of rec.flags) if (Number(f.id.slice(1)) > after) yield { flag: f, text: rec.text, ...(rec.prev !== undefined ? { prev: rec.prev } : {}) };
      }
    } catch (err) {
      // Deleted by retention while we read: what it held is gone by policy.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
