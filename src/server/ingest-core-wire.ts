/**
 * What the main thread and the core thread (ingest-core-thread.ts, ingest-core-worker.ts) post to
 * each other. Each side posts an array of these once per event-loop turn, in order.
 */
import type { DeclineEvent, LevelEvent, RecommendEvent, RestoreEvent, RetractEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { Flag } from '../flag.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { ShadowOutcome } from '../shadow/shadow-lane.js';
import type { CoreHealth, ModeratorCommand, PkEvent } from '../stream/contracts.js';

/** Flags per `history` round trip. */
export const HISTORY_PAGE = 512;

/** Main → core. Calls carry an id their answer names. */
export type ToCore =
  | { t: 'started'; id: number }
  | { t: 'ingest'; id: number; peer: number; msgs: readonly IngestMessage[] }
  | { t: 'command'; id: number; cmd: ModeratorCommand }
  | { t: 'summaries'; id: number }
  | { t: 'last'; id: number }
  | { t: 'history'; id: number; after: number; max: number }
  | { t: 'retained'; id: number }
  | { t: 'metrics'; id: number }
  | { t: 'reload'; id: number; reason: string; force: boolean }
  | { t: 'close'; id: number }
  | { t: 'forget'; peer: number }
  | { t: 'sweep'; idleMs: number }
  | { t: 'drain' }
  | { t: 'stop' };

/** An `Outbox` call made in the core thread, ingest peers named by id. */
export type Signal =
  | { k: 'flags'; flags: readonly Flag[]; text: string; conns: number[]; prev?: string }
  | { k: 'pk'; e: PkEvent }
  | { k: 'event'; e: LevelEvent | RestoreEvent | RecommendEvent | DeclineEvent | RetractEvent }
  | { k: 'shutdown'; e: ShutdownEvent; conns: number[] }
  | { k: 'standing'; e: ShutdownEvent; peer: number }
  | { k: 'shadow'; o: ShadowOutcome };

export interface ErrorShape {
  name: string;
  message: string;
  code?: string;
  path?: string;
  reason?: string;
  problems?: unknown[];
}

/** Core → main. */
export type FromCore =
  | { t: 'reply'; id: number; value: unknown }
  | { t: 'fail'; id: number; error: ErrorShape }
  | { t: 'signal'; s: Signal }
  | { t: 'charge'; peer: number; ms: number }
  | { t: 'journal'; write: number; sync: number; wait: number }
  | { t: 'snapshot'; held: number }
  | { t: 'health'; h: CoreHealth & { patterns: number } }
  | { t: 'log'; line: string };
