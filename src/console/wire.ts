/**
 * The feed protocol as the console sees it (DESIGN.md "Wire protocol" plus the console's extras:
 * `text`/`prev` on flags, `streams` on subscribe, `pk` events). Everything here came from a stream
 * and is untrusted: it is only ever put into the page with `textContent`.
 */
import { CATEGORIES, SEVERITIES, severityRank, type Category, type Flag, type Severity } from '../flag.js';
import type { StreamSummary as ServerStreamSummary } from '../stream/summary.js';

// The flag, its codes and the stream summary have one home on the server side, compiled into the page as well (src/console/tsconfig.json).
export { CATEGORIES, SEVERITIES, severityRank, type Category, type Severity };
export type Level = 'normal' | 'watch' | 'alert' | 'shutdown';

/** A flag as the feed sends it: the Flag itself. */
export type WireFlag = Flag;

/** The server's summary (src/stream/summary.ts), its level one of the four the console draws. */
export interface StreamSummary extends Omit<ServerStreamSummary, 'level'> {
  level: Level;
}

export interface Thresholds {
  watch: number;
  alert: number;
  shutdown: number;
}

export type ServerMessage =
  /**
   * `text` comes with the first flag of a message on a connection; later flags of that message
   * carry `textOf`, the id of that first flag, instead (the text is sent once, not per flag).
   */
  | { type: 'flag'; flag: WireFlag; text?: string; textOf?: string; prev?: string }
  | { type: 'level'; stream: string; level: Level; risk: number; ts?: number }
  | { type: 'pk'; stream: string; state: 'start' | 'end'; opponent?: string; ts?: number }
  | { type: 'shutdown'; stream: string; reason: string; flagIds?: string[]; ts?: number; manual?: boolean }
  | { type: 'restore'; stream: string; ts?: number }
  /** A flag raised on a partial hypothesis that the final no longer contains. */
  | { type: 'retract'; stream: string; seq: number; flagId: string; ts?: number }
  | { type: 'recommend'; stream: string; reason: string; flagIds?: string[]; ts?: number }
  | { type: 'decline'; stream: string; ts?: number }
  /** The stream sent `end`: ended until a flag or a PK start says it is live again. */
  | { type: 'end'; stream: string; seq: number; ts: number }
  /** The state on subscribe, in pages; the last has `done: true`. */
  | { type: 'streams'; streams: StreamSummary[]; lastFlag?: string | null; thresholds?: Thresholds; page?: number; done?: boolean }
  | { type: 'ok'; command: Command; stream?: string; flagId?: string; noop?: boolean }
  | { type: 'error'; code: string; message: string; command?: Command; stream?: string; flagId?: string; lastFlag?: string | null }
  | { type: 'notice'; code: string; message: string; position?: string | null; firstAvailable?: string };

export type Command = 'dismiss' | 'shutdown' | 'restore' | 'confirm' | 'decline';

export const flagNumber = (id: string): number => Number(id.slice(1));

/**
 * Parses one frame (a message or an array of them). Anything that is not an object with a string
 * `type` is dropped: a console must not break on a message it does not know.
 */
export function parseFrame(data: string): ServerMessage[] {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return [];
  }
  const items = Array.isArray(v) ? v : [v];
  return items.filter((m): m is ServerMessage => m !== null && typeof m === 'object' && typeof (m as { type?: unknown }).type === 'string');
}
