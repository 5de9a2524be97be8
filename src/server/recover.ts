/**
 * Rebuilds the server's state from the journal on start: the next flag id, each stream's last
 * processed seq (dedupe of re-sent messages), what partial hypotheses already flagged, which flag
 * belongs to which stream (for dismiss), and escalation, replayed through the same `Escalation` in
 * event time. Shutdown and restore records are the truth for whether a stream is shut down.
 */
import type { Escalation } from '../escalate/escalation.js';
import type { Journal } from '../journal/journal.js';
import { PartialTracker } from './partials.js';

export interface RecoveredState {
  nextFlag: number;
  seqs: Map<string, number>;
  lastTs: Map<string, number>;
  partials: Map<string, PartialTracker>;
  flagStreams: Map<string, string>;
  /** PK opponent of streams whose last PK event was a start (shown on the console's cards). */
  opponents: Map<string, string>;
  /** Flags dismissed (a second dismiss after a restart is a noop, not a second journal record). */
  dismissed: Set<string>;
  records: number;
  flags: number;
  shutDown: number;
}

/** Dismissal needs the stream of a flag; older flags than this many have decayed to nothing. */
export const FLAG_STREAM_MEMORY = 100_000;

/** Dismissed flag ids remembered, newest kept (as many as flag streams are). */
export function rememberDismissed(set: Set<string>, id: string): void {
  set.add(id);
  if (set.size > FLAG_STREAM_MEMORY) set.delete(set.values().next().value!);
}

export function rememberFlagStream(map: Map<string, string>, id: string, stream: string): void {
  map.set(id, stream);
  if (map.size > FLAG_STREAM_MEMORY) map.delete(map.keys().next().value!);
}

export async function recover(journal: Journal, escalation: Escalation): Promise<RecoveredState> {
  const state: RecoveredState = {
    nextFlag: 1,
    seqs: new Map(),
    lastTs: new Map(),
    partials: new Map(),
    flagStreams: new Map(),
    opponents: new Map(),
    dismissed: new Set(),
    records: 0,
    flags: 0,
    shutDown: 0,
  };
  const shut = new Map<string, { shutDown: boolean; epoch: number; ts: number; reason?: string }>();
  const seqSeen = (stream: string, seq: number) => {
    if (seq > (state.seqs.get(stream) ?? -1)) state.seqs.set(stream, seq);
  };
  const tsSeen = (stream: string, ts: number) => {
    if (ts > (state.lastTs.get(stream) ?? 0)) state.lastTs.set(stream, ts);
  };

  for await (const rec of journal.replay()) {
    state.records++;
    switch (rec.t) {
      case 'snapshot':
        if (state.records === 1) {
          state.nextFlag = Math.max(state.nextFlag, rec.nextFlag);
          for (const [stream, seq] of Object.entries(rec.seqs)) seqSeen(stream, seq);
          for (const [stream, epoch] of Object.entries(rec.epochs)) shut.set(stream, { shutDown: false, epoch, ts: 0 });
          for (const s of rec.shutdown) shut.set(s.stream, { shutDown: true, epoch: s.epoch, ts: 0, reason: s.reason });
          // A PK that began in a deleted segment still weighs its flags, and its opponent is still shown.
          for (const p of rec.pk ?? []) {
            escalation.onPk(p.stream, 'start', 0);
            if (p.opponent !== undefined) state.opponents.set(p.stream, p.opponent);
          }
        }
        break;
      case 'msg': {
        tsSeen(rec.stream, rec.ts);
        for (const f of rec.flags) {
          state.flags++;
          state.nextFlag = Math.max(state.nextFlag, Number(f.id.slice(1)) + 1);
          escalation.onFlag(rec.stream, f, rec.ts);
          rememberFlagStream(state.flagStreams, f.id, rec.stream);
        }
        let tracker = state.partials.get(rec.stream);
        if (rec.final) {
          seqSeen(rec.stream, rec.seq);
          tracker?.settle(rec.seq);
        } else {
          if (!tracker) state.partials.set(rec.stream, (tracker = new PartialTracker()));
          tracker.fresh(rec.seq, rec.flags);
        }
        break;
      }
      case 'pk':
        seqSeen(rec.stream, rec.seq);
        tsSeen(rec.stream, rec.ts);
        escalation.onPk(rec.stream, rec.state, rec.ts);
        if (rec.state === 'start' && rec.opponent) state.opponents.set(rec.stream, rec.opponent);
        else state.opponents.delete(rec.stream);
        break;
      case 'end':
        seqSeen(rec.stream, rec.seq);
        escalation.end(rec.stream);
        state.partials.delete(rec.stream);
        state.opponents.delete(rec.stream);
        break;
      case 'dismiss':
        if (rec.stream !== null) escalation.dismiss(rec.stream, rec.flagId, rec.ts);
        rememberDismissed(state.dismissed, rec.flagId);
        break;
      case 'shutdown':
        escalation.shutdown(rec.stream, rec.reason, rec.ts);
        shut.set(rec.stream, { shutDown: true, epoch: rec.epoch, ts: rec.ts, reason: rec.reason });
        break;
      case 'restore':
        escalation.restore(rec.stream, rec.ts);
        shut.set(rec.stream, { shutDown: false, epoch: rec.epoch, ts: rec.ts });
        break;
      case 'level':
        break; // recomputed from the flags; kept in the journal for audit
    }
  }
  for (const [stream, s] of shut) {
    escalation.recover(stream, s, s.ts);
    if (s.shutDown) state.shutDown++;
  }
  return state;
}
