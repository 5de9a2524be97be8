/**
 * The live streams the core knows: per stream its window of processed seqs, event time, partial
 * hypotheses, PK opponent and the ingest connections its signals go to; plus which flag belongs to
 * which stream and which flags were dismissed. Built empty, or from a replay.
 */
import type { Escalation } from '../escalate/escalation.js';
import type { Scanner } from '../detect/scanner.js';
import type { IngestPeer, StreamSummary } from './contracts.js';
import type { EndMark } from './ended.js';
import type { SnapshotState } from './log.js';
import type { PartialTracker } from './partials.js';
import type { RecoveredState } from './replay.js';
import { SeqSnapshot } from './seq-snapshot.js';
import { SeqWindow } from './seq-window.js';

export interface StreamState {
  readonly seqs: SeqWindow;
  lastTs: number;
  /** Wall clock of the last message, for the idle sweep. */
  lastActive: number;
  /** Ingest connections that sent for this stream (almost always one; an array is smaller than a Set). */
  conns: readonly IngestPeer[];
  partials: PartialTracker | undefined;
  /** The PK opponent while a PK with a named opponent is on. */
  opponent?: string | undefined;
  /** Its `end`, until it is heard from again (stream/ended.ts): the console shows it ended, after a restart too. */
  ended?: EndMark | undefined;
}

/** Streams without a connection share one empty list (replaced, never mutated). */
const NO_CONNS: readonly IngestPeer[] = Object.freeze([]);

export class StreamTable {
  readonly #map = new Map<string, StreamState>();
  readonly #windowSize: number;
  readonly flagStreams = new Map<string, string>();
  readonly dismissed = new Set<string>();

  constructor(windowSize: number) {
    this.#windowSize = windowSize;
  }

  static recovered(windowSize: number, r: RecoveredState, previous?: StreamTable): StreamTable {
    const t = new StreamTable(windowSize);
    const now = Date.now();
    for (const [stream, seqs] of r.windows) {
      t.#map.set(stream, { seqs, lastTs: r.lastTs.get(stream) ?? 0, lastActive: now, conns: previous?.get(stream)?.conns ?? NO_CONNS, partials: r.partials.get(stream), opponent: r.opponents.get(stream), ended: r.ended.get(stream) });
    }
    for (const [id, stream] of r.flagStreams) t.flagStreams.set(id, stream);
    for (const id of r.dismissed) t.dismissed.add(id);
    return t;
  }

  get size(): number {
    return this.#map.size;
  }

  get(stream: string): StreamState | undefined {
    return this.#map.get(stream);
  }

  /** The stream's state, created on its first message. */
  open(stream: string): StreamState {
    let st = this.#map.get(stream);
    if (!st) {
      st = { seqs: new SeqWindow(this.#windowSize), lastTs: 0, lastActive: Date.now(), conns: NO_CONNS, partials: undefined, opponent: undefined, ended: undefined };
      this.#map.set(stream, st);
    }
    return st;
  }

  ids(): IterableIterator<string> {
    return this.#map.keys();
  }

  /** A stream is known while it has state or is shut down (commands may name it). */
  known(stream: string, escalation: Escalation): boolean {
    return this.#map.has(stream) || escalation.isShutDown(stream);
  }

  /** Commands carry no event time; they act at the stream's latest one. */
  eventTime(stream: string): number {
    return this.#map.get(stream)?.lastTs || Date.now();
  }

  forget(peer: IngestPeer): void {
    for (const st of this.#map.values()) {
      if (st.conns.includes(peer)) st.conns = st.conns.length === 1 ? NO_CONNS : st.conns.filter((c) => c !== peer);
    }
  }

  /** Releases scanner state of streams idle for `idleMs`, and forgets them entirely after twice that. */
  sweepIdle(idleMs: number, now: number, escalation: Escalation, scanner: Scanner): number {
    let released = 0;
    for (const [stream, st] of this.#map) {
      const idle = now - st.lastActive;
      if (idle >= 2 * idleMs && !escalation.isShutDown(stream)) {
        this.release(stream, st, escalation, scanner);
        this.#map.delete(stream);
        released++;
      } else if (idle >= idleMs && scanner.endStream(stream)) released++;
    }
    return released;
  }

  /** `end`, or idle: the stream's scanner carry, escalation and partials go. */
  release(stream: string, st: StreamState, escalation: Escalation, scanner: Scanner): void {
    scanner.endStream(stream);
    escalation.end(stream);
    st.partials = undefined;
  }

  summaries(escalation: Escalation): StreamSummary[] {
    const out: StreamSummary[] = [];
    const seen = new Set<string>();
    for (const [stream, st] of this.#map) {
      seen.add(stream);
      out.push(summaryOf(stream, escalation, st.opponent, st.ended));
    }
    // Shut-down streams stay known after their state was released: a console must still see them.
    for (const { stream } of escalation.shutDownStreams()) if (!seen.has(stream)) out.push(summaryOf(stream, escalation, undefined, undefined));
    return out;
  }

  /** The seq windows are read lazily, as of now (seq-snapshot.ts); an earlier snapshot still being read is read out first. */
  snapshot(escalation: Escalation): Pick<SnapshotState, 'seqs' | 'windows' | 'pk' | 'ended'> {
    this.#seqSnapshot?.deref()?.finish();
    const streams: string[] = [];
    const windowsOf: SeqWindow[] = [];
    const pk: { stream: string; opponent?: string }[] = [];
    let ended: Record<string, EndMark> | undefined;
    for (const [stream, st] of this.#map) {
      if (st.seqs.high >= 0) {
        streams.push(stream);
        windowsOf.push(st.seqs);
      }
      if (escalation.pkActive(stream)) pk.push(st.opponent !== undefined ? { stream, opponent: st.opponent } : { stream });
      if (st.ended !== undefined) (ended ??= {})[stream] = { seq: st.ended.seq, ts: st.ended.ts };
    }
    const seq = new SeqSnapshot(streams, windowsOf);
    this.#seqSnapshot = new WeakRef(seq);
    const { seqs, windows } = seq;
    // Only when a stream reads as ended: snapshots stay as they were otherwise.
    return ended ? { seqs, windows, pk, ended } : { seqs, windows, pk };
  }

  #seqSnapshot: WeakRef<SeqSnapshot> | undefined;
}

function summaryOf(stream: string, escalation: Escalation, opponent: string | undefined, ended: EndMark | undefined): StreamSummary {
  const pk = escalation.pkActive(stream);
  const reason = escalation.shutdownReason(stream);
  const recommended = escalation.recommendation(stream);
  return { stream, level: escalation.level(stream), risk: Math.round(escalation.risk(stream) * 100) / 100, pk, ...(pk && opponent ? { opponent } : {}), ...(reason ? { reason } : {}), ...(recommended ? { recommended } : {}), ...(ended ? { ended: { seq: ended.seq, ts: ended.ts } } : {}) };
}
