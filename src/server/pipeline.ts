/**
 * message → flags → escalation → journal → signals, independent of the transport.
 *
 * Everything that changes state happens synchronously, in arrival order; the only wait is for the
 * journal, whose group commit resolves appends in order. So acks, flags on the feed and shutdown
 * signals leave in the order the messages came, and only once they are durable.
 */
import type { Escalation, EscalationEvent, LevelEvent, RestoreEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { Scanner } from '../detect/scanner.js';
import type { Flag } from '../flag.js';
import type { Journal } from '../journal/journal.js';
import type { JournalRecord, MessageRecord } from '../journal/records.js';
import { wireError, type WireError } from '../protocol/codes.js';
import type { DismissCommand, RestoreCommand, ShutdownCommand } from '../protocol/feed.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Metrics } from './metrics.js';
import { PartialTracker } from './partials.js';
import { rememberDismissed, rememberFlagStream, type RecoveredState } from './recover.js';

/** Where signals go: the feed hub and the ingest connections of a stream. */
export interface Outbox {
  /** `text` is the message the flags came from; `prev` the stream's text before it when a flag was carried across the seam. */
  flags(flags: readonly Flag[], text: string, streamConns: Iterable<IngestPeer>, prev?: string): void;
  pk(event: PkEvent): void;
  event(event: LevelEvent | RestoreEvent): void;
  shutdown(event: ShutdownEvent, streamConns: Iterable<IngestPeer>): void;
}

export interface PkEvent {
  type: 'pk';
  stream: string;
  state: 'start' | 'end';
  opponent?: string;
  ts: number;
}

/** A stream as the console's cards show it. */
export interface StreamSummary {
  stream: string;
  level: string;
  risk: number;
  pk: boolean;
  opponent?: string;
  /** Why it is shut down, while it is. */
  reason?: string;
}

/** An ingest connection as the pipeline sees it. */
export interface IngestPeer {
  readonly id: number;
}

export interface Ack {
  type: 'ack';
  stream: string;
  seq: number;
  /** Already processed earlier: acked again, not processed twice. */
  duplicate?: true;
}

export interface CommandResult {
  type: 'ok';
  command: 'dismiss' | 'shutdown' | 'restore';
  stream: string;
  flagId?: string;
  /** Nothing changed: already shut down, not shut down, already dismissed. */
  noop?: true;
}

interface StreamState {
  /** Highest final seq processed; -1 before the first. */
  lastSeq: number;
  lastTs: number;
  /** Wall clock of the last message, for the idle sweep. */
  lastActive: number;
  /** Ingest connections that sent for this stream (almost always one; an array is smaller than a Set). */
  conns: IngestPeer[];
  partials: PartialTracker | undefined;
  /** The PK opponent while a PK with a named opponent is on. */
  opponent?: string | undefined;
}

// --- cluster hook (src/cluster) ------------------------------------------------------------------
/**
 * Cluster mode: the node that owns a stream processes it (src/cluster/partition.ts); this node's
 * pipeline hands WebSocket messages and moderator commands to the cluster, which forwards them.
 * Unset (the embedded default), the pipeline processes everything itself.
 */
export interface PipelineDelegate {
  ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]>;
  forget(peer: IngestPeer): void;
  command(cmd: DismissCommand | ShutdownCommand | RestoreCommand): Promise<CommandResult | WireError>;
  summaries(): StreamSummary[];
  readonly inFlight: number;
}
// --- end cluster hook ---------------------------------------------------------------------------

export interface PipelineLog {
  flag(flag: Flag): void;
  shutdown(event: ShutdownEvent): void;
  level(event: LevelEvent): void;
}

export class Pipeline {
  readonly #scanner: Scanner;
  readonly #escalation: Escalation;
  readonly #journal: Journal;
  readonly #outbox: Outbox;
  readonly #metrics: Metrics;
  readonly #log: PipelineLog;
  readonly #streams = new Map<string, StreamState>();
  readonly #flagStreams: Map<string, string>;
  readonly #dismissed: Set<string>;
  #inFlight = 0;
  #draining = false;
  /** Cluster hook: set in cluster mode only. */
  readonly #delegate: PipelineDelegate | undefined;
  /** Above every flag number raised so far. */
  #nextFlag: number;

  constructor(parts: { scanner: Scanner; escalation: Escalation; journal: Journal; outbox: Outbox; metrics: Metrics; log: PipelineLog; recovered: RecoveredState; delegate?: PipelineDelegate }) {
    this.#delegate = parts.delegate; // cluster hook
    this.#scanner = parts.scanner;
    this.#escalation = parts.escalation;
    this.#journal = parts.journal;
    this.#outbox = parts.outbox;
    this.#metrics = parts.metrics;
    this.#log = parts.log;
    this.#flagStreams = parts.recovered.flagStreams;
    this.#dismissed = parts.recovered.dismissed;
    this.#nextFlag = parts.recovered.nextFlag;
    const now = Date.now();
    for (const [stream, seq] of parts.recovered.seqs) {
      this.#streams.set(stream, {
        lastSeq: seq,
        lastTs: parts.recovered.lastTs.get(stream) ?? 0,
        lastActive: now,
        conns: [],
        partials: parts.recovered.partials.get(stream),
        opponent: parts.recovered.opponents.get(stream),
      });
    }
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  get inFlight(): number {
    if (this.#delegate) return this.#delegate.inFlight; // cluster hook
    return this.#inFlight;
  }

  /** Stop taking messages (SIGTERM): new ones get `shutting_down`, in-flight ones finish. */
  drain(): void {
    this.#draining = true;
  }

  /** State that lets older journal segments go (written at the start of each new segment). */
  snapshot() {
    const nextFlag = this.#nextFlag;
    const seqs: Record<string, number> = {};
    const pk: { stream: string; opponent?: string }[] = [];
    for (const [stream, s] of this.#streams) {
      if (s.lastSeq >= 0) seqs[stream] = s.lastSeq;
      if (this.#escalation.pkActive(stream)) pk.push(s.opponent !== undefined ? { stream, opponent: s.opponent } : { stream });
    }
    return { nextFlag, shutdown: this.#escalation.shutDownStreams(), epochs: this.#escalation.epochs(), seqs, pk };
  }

  /** Processes one validated message; resolves with its ack once journaled, or a wire error. */
  async ingest(msg: IngestMessage, peer: IngestPeer): Promise<Ack | WireError> {
    return (await this.ingestBatch([msg], peer))[0]!;
  }

  /**
   * Processes the messages of one frame in order, journals all their records with one append, then
   * publishes their flags and signals. Resolves with one reply per message, in order.
   */
  async ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]> {
    if (this.#draining) return msgs.map((m) => wireError('shutting_down', 'server is shutting down; message not processed, send it again', m));
    if (this.#delegate) return this.#delegate.ingestBatch(msgs, peer); // cluster hook
    const records: JournalRecord[] = [];
    const outcomes: Outcome[] = [];
    for (const msg of msgs) outcomes.push(this.#process(msg, peer, records));
    this.#inFlight += msgs.length;
    try {
      if (records.length > 0) await this.#journal.append(...records);
      else await this.#journal.barrier(); // only re-sends: ack once the originals are durable
    } catch (err) {
      // Not durable: let a re-send be processed again rather than acked on nothing.
      for (const o of outcomes) if (o.advancedSeq) o.st.lastSeq = Math.min(o.st.lastSeq, o.msg.seq - 1);
      return msgs.map((m) => wireError('internal', `journal write failed, message not acked: ${(err as Error).message}`, m));
    } finally {
      this.#inFlight -= msgs.length;
    }
    const replies: Ack[] = [];
    for (const o of outcomes) {
      if (o.pk) this.#outbox.pk(o.pk);
      if (o.flags.length > 0 || o.events.length > 0) this.#publish(o.flags, o.text, o.events, o.st.conns, o.prev);
      replies.push(o.duplicate ? { type: 'ack', stream: o.msg.stream, seq: o.msg.seq, duplicate: true } : { type: 'ack', stream: o.msg.stream, seq: o.msg.seq });
    }
    return replies;
  }

  /** The synchronous part: dedupe, scan, escalate; appends the message's journal records. */
  #process(msg: IngestMessage, peer: IngestPeer, records: JournalRecord[]): Outcome {
    const st = this.#stream(msg.stream);
    st.lastActive = Date.now();
    if (!st.conns.includes(peer)) st.conns.push(peer);
    const partial = msg.type === 'transcript' && !msg.final;
    const out: Outcome = { msg, st, duplicate: false, advancedSeq: false, flags: NO_FLAGS, text: '', events: NO_EVENTS, pk: undefined };
    if (msg.seq <= st.lastSeq) {
      out.duplicate = true; // re-sent, or a partial of a seq already final
      return out;
    }
    this.#metrics.messages.inc({ type: partial ? 'partial' : msg.type });
    if (msg.ts > st.lastTs) st.lastTs = msg.ts;
    let events: EscalationEvent[] = NO_EVENTS;
    switch (msg.type) {
      case 'transcript':
      case 'chat': {
        // The text before this chunk, captured before the scan moves the carry on (a reference, no copy).
        const prior = msg.type === 'transcript' && !partial ? this.#scanner.stream(msg.stream).tail : '';
        const flags = this.#scan(msg, st, partial);
        const rec: MessageRecord = { t: 'msg', stream: msg.stream, seq: msg.seq, ts: msg.ts, kind: msg.type, final: !partial, flags };
        records.push(rec);
        if (flags.length > 0) {
          rec.text = msg.text;
          out.flags = flags;
          out.text = msg.text;
          if (prior !== '' && flags.some((f) => f.carried !== undefined)) rec.prev = out.prev = prior;
          events = [];
          for (const f of flags) {
            this.#nextFlag = Math.max(this.#nextFlag, Number(f.id.slice(1)) + 1);
            rememberFlagStream(this.#flagStreams, f.id, msg.stream);
            events.push(...this.#escalation.onFlag(msg.stream, f, msg.ts));
          }
        } else events = this.#escalation.onTick(msg.stream, msg.ts);
        break;
      }
      case 'pk':
        records.push({ t: 'pk', stream: msg.stream, seq: msg.seq, ts: msg.ts, state: msg.state, ...(msg.opponent ? { opponent: msg.opponent } : {}) });
        out.pk = { type: 'pk', stream: msg.stream, state: msg.state, ts: msg.ts, ...(msg.opponent ? { opponent: msg.opponent } : {}) };
        events = this.#escalation.onPk(msg.stream, msg.state, msg.ts);
        st.opponent = msg.state === 'start' ? msg.opponent : undefined;
        break;
      case 'end':
        records.push({ t: 'end', stream: msg.stream, seq: msg.seq, ts: msg.ts });
        break;
    }
    if (!partial) {
      st.lastSeq = msg.seq;
      out.advancedSeq = true;
    }
    for (const e of events) records.push(eventRecord(e));
    out.events = events;
    if (msg.type === 'end') this.#release(msg.stream, st);
    return out;
  }

  /** A moderator marks a flag as a false positive: its weight leaves the stream's risk. */
  async dismiss(cmd: DismissCommand): Promise<CommandResult | WireError> {
    if (this.#delegate) return this.#delegate.command(cmd); // cluster hook
    const n = Number(cmd.flagId.slice(1));
    if (n >= this.#nextFlag) return wireError('unknown_flag', `flagId: no flag ${cmd.flagId} has been raised`, { command: 'dismiss', flagId: cmd.flagId });
    const stream = this.#flagStreams.get(cmd.flagId) ?? null;
    if (this.#dismissed.has(cmd.flagId)) return { type: 'ok', command: 'dismiss', stream: stream ?? '', flagId: cmd.flagId, noop: true };
    const ts = stream ? this.#eventTime(stream) : Date.now();
    const events = stream ? (this.#escalation.dismiss(stream, cmd.flagId, ts) ?? []) : [];
    rememberDismissed(this.#dismissed, cmd.flagId);
    this.#metrics.dismissals.inc();
    await this.#journal.append({ t: 'dismiss', flagId: cmd.flagId, stream, ts, ...(cmd.reason ? { reason: cmd.reason } : {}) }, ...events.map(eventRecord));
    this.#publish([], '', events, this.#streams.get(stream ?? '')?.conns ?? NO_PEERS);
    return { type: 'ok', command: 'dismiss', stream: stream ?? '', flagId: cmd.flagId };
  }

  /** A moderator shuts a stream down by hand; exactly one signal per epoch as for automatic ones. */
  async shutdown(cmd: ShutdownCommand): Promise<CommandResult | WireError> {
    if (this.#delegate) return this.#delegate.command(cmd); // cluster hook
    if (!this.#known(cmd.stream)) return wireError('unknown_stream', `stream: no stream ${JSON.stringify(cmd.stream)} is live or shut down`, { stream: cmd.stream, command: cmd.type });
    const events = this.#escalation.shutdown(cmd.stream, cmd.reason, this.#eventTime(cmd.stream));
    if (events.length === 0) return { type: 'ok', command: 'shutdown', stream: cmd.stream, noop: true };
    await this.#journal.append(...events.map(eventRecord));
    this.#publish([], '', events, this.#streams.get(cmd.stream)?.conns ?? NO_PEERS);
    return { type: 'ok', command: 'shutdown', stream: cmd.stream };
  }

  async restore(cmd: RestoreCommand): Promise<CommandResult | WireError> {
    if (this.#delegate) return this.#delegate.command(cmd); // cluster hook
    if (!this.#known(cmd.stream)) return wireError('unknown_stream', `stream: no stream ${JSON.stringify(cmd.stream)} is live or shut down`, { stream: cmd.stream, command: cmd.type });
    const events = this.#escalation.restore(cmd.stream, this.#eventTime(cmd.stream));
    if (events.length === 0) return { type: 'ok', command: 'restore', stream: cmd.stream, noop: true };
    await this.#journal.append(...events.map(eventRecord));
    this.#publish([], '', events, NO_PEERS);
    return { type: 'ok', command: 'restore', stream: cmd.stream };
  }

  /** The number of the newest flag raised (0 before the first): where `history` on subscribe counts back from. */
  get lastFlagNumber(): number {
    return this.#nextFlag - 1;
  }

  /** Every stream in memory with its level, risk and PK state (sent to a feed client on subscribe). */
  summaries(): StreamSummary[] {
    if (this.#delegate) return this.#delegate.summaries(); // cluster hook
    const out: StreamSummary[] = [];
    for (const [stream, st] of this.#streams) {
      const pk = this.#escalation.pkActive(stream);
      const reason = this.#escalation.shutdownReason(stream);
      out.push({ stream, level: this.#escalation.level(stream), risk: Math.round(this.#escalation.risk(stream) * 100) / 100, pk, ...(pk && st.opponent ? { opponent: st.opponent } : {}), ...(reason ? { reason } : {}) });
    }
    return out;
  }

  /** Releases scanner state of streams idle for `idleMs`, and forgets them entirely after twice that. */
  sweepIdle(idleMs: number, now = Date.now()): number {
    let released = 0;
    for (const [stream, st] of this.#streams) {
      const idle = now - st.lastActive;
      if (idle >= 2 * idleMs && !this.#escalation.isShutDown(stream)) {
        this.#release(stream, st);
        this.#streams.delete(stream);
        released++;
      } else if (idle >= idleMs && this.#scanner.endStream(stream)) released++;
    }
    return released;
  }

  /** An ingest connection closed: it no longer receives its streams' signals. */
  forget(peer: IngestPeer): void {
    this.#delegate?.forget(peer); // cluster hook
    for (const st of this.#streams.values()) {
      const i = st.conns.indexOf(peer);
      if (i >= 0) st.conns.splice(i, 1);
    }
  }

  #scan(msg: IngestMessage & { type: 'transcript' | 'chat' }, st: StreamState, partial: boolean): Flag[] {
    const meta = { seq: msg.seq, ts: msg.ts, kind: msg.type };
    const started = process.hrtime.bigint();
    let flags: Flag[];
    if (msg.type === 'chat') flags = this.#scanner.stream(msg.stream).push(msg.text, meta);
    else if (partial) {
      // A hypothesis is scanned on its own: the stream's carry advances only on the final text.
      const tracker = (st.partials ??= new PartialTracker());
      flags = tracker.fresh(msg.seq, this.#scanner.scan(msg.text, { ...meta, stream: msg.stream }));
    } else {
      flags = this.#scanner.stream(msg.stream).push(msg.text, meta);
      if (st.partials) flags = st.partials.final(msg.seq, flags);
    }
    this.#metrics.scanSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return flags;
  }

  #publish(flags: readonly Flag[], text: string, events: readonly EscalationEvent[], conns: Iterable<IngestPeer>, prev?: string): void {
    if (flags.length > 0) {
      for (const f of flags) {
        this.#metrics.flags.inc({ category: f.category, severity: f.severity });
        this.#log.flag(f);
      }
      this.#outbox.flags(flags, text, conns, prev);
    }
    for (const e of events) {
      if (e.type === 'shutdown') {
        this.#metrics.shutdowns.inc({ manual: String(e.manual) });
        this.#log.shutdown(e);
        this.#outbox.shutdown(e, conns);
      } else {
        if (e.type === 'level') this.#log.level(e);
        this.#outbox.event(e);
      }
    }
  }

  #stream(id: string): StreamState {
    let st = this.#streams.get(id);
    if (!st) {
      st = { lastSeq: -1, lastTs: 0, lastActive: Date.now(), conns: [], partials: undefined };
      this.#streams.set(id, st);
    }
    return st;
  }

  #release(stream: string, st: StreamState): void {
    this.#scanner.endStream(stream);
    this.#escalation.end(stream);
    st.partials = undefined;
  }

  #known(stream: string): boolean {
    return this.#streams.has(stream) || this.#escalation.isShutDown(stream);
  }

  /** Commands carry no event time; they act at the stream's latest one. */
  #eventTime(stream: string): number {
    return this.#streams.get(stream)?.lastTs || Date.now();
  }
}

const NO_PEERS: readonly IngestPeer[] = [];
const NO_FLAGS: Flag[] = [];
const NO_EVENTS: EscalationEvent[] = [];

/** What processing one message produced, published once its records are durable. */
interface Outcome {
  msg: IngestMessage;
  st: StreamState;
  duplicate: boolean;
  /** `st.lastSeq` moved to this message (rolled back if the journal write fails). */
  advancedSeq: boolean;
  flags: Flag[];
  text: string;
  prev?: string;
  events: EscalationEvent[];
  pk: PkEvent | undefined;
}

function eventRecord(e: EscalationEvent): JournalRecord {
  switch (e.type) {
    case 'level':
      return { t: 'level', stream: e.stream, level: e.level, risk: e.risk, ts: e.ts };
    case 'shutdown':
      return { t: 'shutdown', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts, epoch: e.epoch, manual: e.manual };
    case 'restore':
      return { t: 'restore', stream: e.stream, ts: e.ts, epoch: e.epoch };
  }
}
