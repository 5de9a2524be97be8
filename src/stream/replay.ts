/**
 * Rebuilds the stream core's state from its log: the next flag id, each stream's window of processed
 * seqs, what partial hypotheses already flagged, which flag belongs to which stream (for dismiss),
 * PK opponents, the text each live stream's cross-chunk carry needs, and escalation, replayed
 * through the same `Escalation` in event time. Shutdown and restore records are the truth for
 * whether a stream is shut down; a shutdown the flags imply but no record holds was never signalled
 * (its batch was torn before it was durable) and is handed back to be signalled now.
 *
 * Used at start and after a failed write: replay is the one way state is built from the log.
 */
import type { Escalation, EscalationEvent, RecommendEvent, ShutdownEvent } from '../escalate/escalation.js';
import { flagAfterEnd, type EndMark } from './ended.js';
import type { StreamLog } from './log.js';
import { PartialTracker } from './partials.js';
import { SeqWindow } from './seq-window.js';

export interface RecoveredState {
  /** No flag id under this was ever handed out (flags seen and reservations both count). */
  nextFlag: number;
  /** The number of the newest flag the log holds (0: none): where `history` counts back from. */
  lastFlag: number;
  windows: Map<string, SeqWindow>;
  lastTs: Map<string, number>;
  partials: Map<string, PartialTracker>;
  flagStreams: Map<string, string>;
  /** PK opponent of streams whose last PK event was a start (shown on the console's cards). */
  opponents: Map<string, string>;
  /** Streams that read as ended (stream/ended.ts): their `end`, not lifted since. */
  ended: Map<string, EndMark>;
  /** Flags dismissed (a second dismiss after a restart is a noop, not a second journal record). */
  dismissed: Set<string>;
  /** The last final transcript texts of each live stream, oldest first: replayed into its scanner to rebuild the carry. */
  carry: Map<string, string[]>;
  /** Shutdowns (and recommendations) the flags crossed into but no record holds: never signalled, so signal them now. */
  unsignalled: EscalationEvent[];
  records: number;
  flags: number;
  shutDown: number;
}

/** Dismissal needs the stream of a flag; older flags than this many have decayed to nothing. */
export const FLAG_STREAM_MEMORY = 100_000;

/** Original text kept per stream to rebuild its carry: comfortably more than the longest pattern. */
const CARRY_UNITS = 512;

/** Dismissed flag ids remembered, newest kept (as many as flag streams are). */
export function rememberDismissed(set: Set<string>, id: string): void {
  set.add(id);
  if (set.size > FLAG_STREAM_MEMORY) set.delete(set.values().next().value!);
}

export function rememberFlagStream(map: Map<string, string>, id: string, stream: string): void {
  map.set(id, stream);
  if (map.size > FLAG_STREAM_MEMORY) map.delete(map.keys().next().value!);
}

export async function replayLog(log: StreamLog, escalation: Escalation, windowSize: number): Promise<RecoveredState> {
  const state: RecoveredState = {
    nextFlag: 1,
    lastFlag: 0,
    windows: new Map(),
    lastTs: new Map(),
    partials: new Map(),
    flagStreams: new Map(),
    opponents: new Map(),
    ended: new Map(),
    dismissed: new Set(),
    carry: new Map(),
    unsignalled: [],
    records: 0,
    flags: 0,
    shutDown: 0,
  };
  const shut = new Map<string, { shutDown: boolean; epoch: number; ts: number; reason?: string; signal?: ShutdownEvent }>();
  const pending = new Map<string, ShutdownEvent>();
  const pendingRec = new Map<string, RecommendEvent>();
  let reserved = 1;
  const seqSeen = (stream: string, seq: number) => {
    let w = state.windows.get(stream);
    if (!w) state.windows.set(stream, (w = new SeqWindow(windowSize)));
    if (w.verdict(seq) === 'new') w.mark(seq);
  };
  const tsSeen = (stream: string, ts: number) => {
    if (ts > (state.lastTs.get(stream) ?? 0)) state.lastTs.set(stream, ts);
  };
  const notePending = (events: readonly EscalationEvent[]) => {
    for (const e of events) {
      if (e.type === 'shutdown') pending.set(e.stream, e);
      else if (e.type === 'recommend') pendingRec.set(e.stream, e);
    }
  };

  for await (const rec of log.replay()) {
    state.records++;
    switch (rec.t) {
      case 'snapshot':
        if (state.records === 1) {
          reserved = Math.max(reserved, rec.nextFlag);
          for (const [stream, seq] of Object.entries(rec.seqs)) state.windows.set(stream, SeqWindow.restore(windowSize, seq, rec.windows?.[stream]));
          for (const [stream, epoch] of Object.entries(rec.epochs)) shut.set(stream, { shutDown: false, epoch, ts: 0 });
          for (const s of rec.shutdown) shut.set(s.stream, { shutDown: true, epoch: s.epoch, ts: 0, ...(s.reason !== undefined ? { reason: s.reason } : {}) });
          // At once, so a shutdown the later flags imply counts its epoch on from the snapshot's.
          for (const [stream, s] of shut) escalation.recover(stream, s, 0);
          for (const [stream, r] of Object.entries(rec.risks ?? {})) escalation.restoreRisk(stream, r);
          for (const r of rec.recommended ?? []) escalation.recoverRecommendation(r.stream, r);
          // A PK that began in a deleted segment still weighs its flags, and its opponent is still shown.
          for (const p of rec.pk ?? []) {
            escalation.onPk(p.stream, 'start', 0);
            if (p.opponent !== undefined) state.opponents.set(p.stream, p.opponent);
          }
          for (const [stream, end] of Object.entries(rec.ended ?? {})) state.ended.set(stream, end);
        }
        break;
      case 'ids':
        reserved = Math.max(reserved, rec.below);
        break;
      case 'msg': {
        tsSeen(rec.stream, rec.ts);
        for (const f of rec.flags) {
          state.flags++;
          state.lastFlag = Math.max(state.lastFlag, Number(f.id.slice(1)));
          state.nextFlag = Math.max(state.nextFlag, state.lastFlag + 1);
          rememberFlagStream(state.flagStreams, f.id, rec.stream);
        }
        // Its flags carry its seq and event time: past the stream's end, they lift it (as the feed reads them).
        if (rec.flags.length > 0) {
          const end = state.ended.get(rec.stream);
          if (end !== undefined && flagAfterEnd(rec, end)) state.ended.delete(rec.stream);
        }
        // Shadow flags drew their ids from the same allocator: never hand those out again (and nothing else).
        for (const f of rec.shadow ?? []) state.nextFlag = Math.max(state.nextFlag, Number(f.id.slice(1)) + 1);
        // One incident per message, decided as it was live (message-step.ts makes the same call).
        notePending(escalation.onMessage(rec.stream, { seq: rec.seq, kind: rec.kind, final: rec.final, speaker: rec.speaker }, rec.flags, rec.ts));
        let tracker = state.partials.get(rec.stream);
        if (rec.final) {
          seqSeen(rec.stream, rec.seq);
          tracker?.settle(rec.seq);
          if (rec.kind === 'transcript' && rec.text !== undefined) keepCarry(state.carry, rec.stream, rec.text);
        } else {
          if (!tracker) state.partials.set(rec.stream, (tracker = new PartialTracker()));
          tracker.note(rec.seq, rec.flags);
        }
        break;
      }
      case 'retract':
        escalation.retract(rec.stream, rec.seq, rec.flagId, rec.ts);
        break;
      case 'recommend':
        pendingRec.delete(rec.stream);
        escalation.recoverRecommendation(rec.stream, rec);
        break;
      case 'decline':
        pendingRec.delete(rec.stream);
        escalation.decline(rec.stream, rec.ts);
        break;
      case 'pk':
        seqSeen(rec.stream, rec.seq);
        tsSeen(rec.stream, rec.ts);
        notePending(escalation.onPk(rec.stream, rec.state, rec.ts));
        if (rec.state === 'start' && rec.opponent) state.opponents.set(rec.stream, rec.opponent);
        else state.opponents.delete(rec.stream);
        if (rec.state === 'start') state.ended.delete(rec.stream);
        break;
      case 'end':
        seqSeen(rec.stream, rec.seq);
        escalation.end(rec.stream);
        state.partials.delete(rec.stream);
        // The opponent stays, as it does live (message-step.ts): a shut-down stream keeps its PK through `end`.
        state.carry.delete(rec.stream);
        state.ended.set(rec.stream, { seq: rec.seq, ts: rec.ts });
        break;
      case 'dismiss':
        if (rec.stream !== null) escalation.dismiss(rec.stream, rec.flagId, rec.ts);
        rememberDismissed(state.dismissed, rec.flagId);
        break;
      case 'shutdown':
        escalation.shutdown(rec.stream, rec.reason, rec.ts);
        pending.delete(rec.stream);
        shut.set(rec.stream, {
          shutDown: true,
          epoch: rec.epoch,
          ts: rec.ts,
          reason: rec.reason,
          signal: { type: 'shutdown', stream: rec.stream, reason: rec.reason, flagIds: rec.flagIds, ts: rec.ts, epoch: rec.epoch, manual: rec.manual, ...(rec.confirmed ? { confirmed: true as const } : {}) },
        });
        break;
      case 'restore':
        escalation.restore(rec.stream, rec.ts);
        pending.delete(rec.stream);
        shut.set(rec.stream, { shutDown: false, epoch: rec.epoch, ts: rec.ts });
        break;
      case 'level':
        break; // recomputed from the flags; kept in the log for audit
    }
  }
  for (const [stream, s] of shut) {
    if (pending.has(stream)) continue; // shut down after its last record: stays so, signalled below
    escalation.recover(stream, s, s.ts);
    if (s.shutDown) state.shutDown++;
  }
  for (const [stream, e] of pending) if (escalation.isShutDown(stream) && !shut.get(stream)?.shutDown) state.unsignalled.push(e);
  // A recommendation whose batch was torn was never shown: show it now (unless the stream was shut down since).
  for (const [stream, e] of pendingRec) if (escalation.recommendation(stream) !== undefined) state.unsignalled.push(e);
  state.nextFlag = Math.max(state.nextFlag, reserved);
  return state;
}

function keepCarry(carry: Map<string, string[]>, stream: string, text: string): void {
  let texts = carry.get(stream);
  if (!texts) carry.set(stream, (texts = []));
  texts.push(text);
  let units = 0;
  for (const t of texts) units += t.length;
  while (texts.length > 1 && units - texts[0]!.length >= CARRY_UNITS) units -= texts.shift()!.length;
}
