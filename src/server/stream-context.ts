/**
 * A stream's record as the console's drill-down shows it, read from the journal's segments: its
 * newest flagged messages, each with the chunks said just before and after it (the context a
 * moderator needs to judge a flag), its level history (level, shutdown, restore, recommend,
 * decline) and its PK sessions. Memory stays bounded whatever the journal's size: only the last
 * `limit` flagged messages and `around` chunks of context each are kept while the segments stream by.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readLines } from '../journal/lines.js';
import { parseLine } from '../journal/segment-reader.js';
import type { Chunk, FlaggedChunk, StreamContext, StreamEventEntry } from '../protocol/stream-api.js';
import type { MessageRecord } from '../stream/records.js';

const SEGMENT = /^segment-(\d{12})\.ndjson$/;
const MAX_EVENTS = 200;

export async function readStreamContext(dir: string, stream: string, opts: { limit: number; around: number }): Promise<StreamContext> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
  } catch {
    names = [];
  }
  // A cheap test before parsing: records name their stream as JSON.stringify writes it.
  const needle = `"stream":${JSON.stringify(stream)}`;
  const out: StreamContext = { stream, flagged: [], events: [], truncated: false };
  const recent: Chunk[] = [];
  /** Flagged messages still collecting their `after` chunks. */
  const open: FlaggedChunk[] = [];
  for (const name of names) {
    try {
      for await (const line of readLines(join(dir, name))) {
        if (!line.includes(needle)) continue;
        const parsed = parseLine(line);
        if (!parsed.ok) continue;
        const r = parsed.record;
        if (!('stream' in r) || r.stream !== stream) continue;
        if (r.t === 'msg') {
          const chunk = chunkOf(r);
          if (!chunk) continue;
          for (let i = open.length - 1; i >= 0; i--) {
            const f = open[i]!;
            f.after.push(chunk);
            if (f.after.length >= opts.around) open.splice(i, 1);
          }
          if (r.flags.length > 0) {
            const f: FlaggedChunk = { ...chunk, flags: r.flags, ...(r.prev !== undefined ? { prev: r.prev } : {}), before: recent.slice(-opts.around), after: [] };
            out.flagged.push(f);
            if (out.flagged.length > opts.limit) {
              out.flagged.shift();
              out.truncated = true;
            }
            if (opts.around > 0) open.push(f);
          }
          recent.push(chunk);
          if (recent.length > opts.around) recent.shift();
        } else if (r.t === 'level' || r.t === 'shutdown' || r.t === 'restore' || r.t === 'recommend' || r.t === 'decline' || r.t === 'pk' || r.t === 'end') {
          const e: StreamEventEntry = { type: r.t, ts: r.ts };
          if (r.t === 'level') Object.assign(e, { level: r.level, risk: r.risk });
          else if (r.t === 'shutdown' || r.t === 'recommend') e.reason = r.reason;
          else if (r.t === 'pk') Object.assign(e, { state: r.state }, r.opponent !== undefined ? { opponent: r.opponent } : {});
          out.events.push(e);
          if (out.events.length > MAX_EVENTS) out.events.shift();
        }
      }
    } catch (err) {
      // Deleted by retention while read: what it held is gone by policy.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return out;
}

/** Chunks with text: final transcript chunks always, other messages when they were flagged. */
function chunkOf(r: MessageRecord): Chunk | undefined {
  if (r.text === undefined) return undefined;
  return { seq: r.seq, ts: r.ts, kind: r.kind, final: r.final, ...(r.speaker !== undefined ? { speaker: r.speaker } : {}), text: r.text };
}
