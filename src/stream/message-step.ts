/**
 * One message (or moderator command) through the core, synchronously: seq window, scan, partial
 * hypotheses, escalation, the records to log; and, once they are durable, what to publish. The
 * processor owns the waiting; this owns the meaning.
 */
import type { Escalation, EscalationEvent, LevelEvent, ShutdownEvent } from '../escalate/escalation.js';
import { attribute, attributionOf } from '../detect/attribution.js';
import type { ChunkMeta, Scanner } from '../detect/scanner.js';
import { ShadowLane, type ShadowOutcome } from '../shadow/shadow-lane.js';
import type { Flag, FlagIdAllocator } from '../flag.js';
import type { Metrics } from '../metrics.js';
import { wireError, type WireError } from '../protocol/codes.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Ack, CommandResult, EndEvent, IngestPeer, ModeratorCommand, Outbox, PkEvent } from './contracts.js';
import { flagAfterEnd } from './ended.js';
import { PartialTracker, scanPartial } from './partials.js';
import { eventRecord, type MessageRecord, type StreamRecord } from './records.js';
import { rememberDismissed, rememberFlagStream } from './replay.js';
import type { StreamState, StreamTable } from './stream-table.js';

export interface StepLimits {
  /** Processed seqs remembered per stream below its highest (exact dedupe for interleaved pipelines). */
  seqWindow: number;
  /** How far above a stream's highest seq (or above 0, for a new stream) a seq may be. */
  maxSeqAhead: number;
}

/** What the core tells the operator's log (pino in the server). */
export interface CoreLog {
  flag(flag: Flag): void;
  shutdown(event: ShutdownEvent): void;
  level(event: LevelEvent): void;
  dropped(stream: string, seq: number, dropped: number): void;
  journalFailed(err: Error): void;
  journalRecovered(): void;
}

/** What processing one message produced, published once its records are durable. */
export interface Outcome {
  reply: Ack | WireError;
  st: StreamState | undefined;
  flags: Flag[];
  text: string;
  prev?: string;
  events: readonly EscalationEvent[];
  /** Flags of earlier partial hypotheses that this final retracts (published before its flags). */
  retractions?: readonly EscalationEvent[];
  pk: PkEvent | undefined;
  /** The stream's `end`: published after what the end itself flagged. */
  end?: EndEvent;
  /** The stream is shut down and this connection sends for it for the first time: tell it. */
  standing?: { event: ShutdownEvent; peer: IngestPeer };
  /** What the shadow lexicon raised on this message, against the live flags. */
  shadow?: ShadowOutcome;
}

export interface StepDeps {
  scanner: Scanner;
  /** The allocator the scanner draws flag ids from: ids under its next one were issued. */
  ids: FlagIdAllocator;
  escalation: Escalation;
  streams: StreamTable;
  outbox: Outbox;
  metrics: Metrics;
  log: CoreLog;
  limits: StepLimits;
  /** The shadow lexicon, scanned beside the live one (shadow/shadow-lane.ts); its flags never reach escalation. */
  shadow?: ShadowLane;
  /** Journal the text of unflagged chat too (`journal.keepChatText`): a backtest can then replay chat. */
  keepChatText?: boolean;
}

/**
 * A final transcript chunk (with its stream's carry) or a chat message (on its own) through a
 * scanner, with who said it on its flags: the one scan the live and the shadow lexicon share.
 */
export function scanMessage(scanner: Scanner, msg: IngestMessage & { type: 'transcript' | 'chat' }, meta: ChunkMeta): Flag[] {
  return attribute(scanner.stream(msg.stream).push(msg.text, meta), attributionOf(msg));
}

const NO_FLAGS: Flag[] = [];
const NO_IDS: readonly string[] = [];
const NO_EVENTS: readonly EscalationEvent[] = Object.freeze([]);
const NO_PEERS: readonly IngestPeer[] = [];

export class MessageStep {
  readonly #d: StepDeps;

  constructor(deps: StepDeps) {
    this.#d = deps;
  }

  get dismissed(): Set<string> {
    return this.#d.streams.dismissed;
  }

  get flagStreams(): Map<string, string> {
    return this.#d.streams.flagStreams;
  }

  /** Dedupe, scan, escalate; appends the message's records. */
  message(msg: IngestMessage, peer: IngestPeer, records: StreamRecord[]): Outcome {
    const { streams, escalation } = this.#d;
    const refused = this.#checkSeq(msg);
    if (refused) return { reply: refused, st: undefined, flags: NO_FLAGS, text: '', events: NO_EVENTS, pk: undefined };
    const st = streams.open(msg.stream);
    st.lastActive = Date.now();
    let standing: Outcome['standing'];
    if (!st.conns.includes(peer)) {
      // A new array of the exact size: a pushed one reserves 17 slots, per stream.
      st.conns = st.conns.length === 0 ? [peer] : [...st.conns, peer];
      const event = escalation.standingShutdown(msg.stream);
      if (event) standing = { event, peer };
    }
    const partial = msg.type === 'transcript' && !msg.final;
    const ack: Ack = { type: 'ack', stream: msg.stream, seq: msg.seq };
    const out: Outcome = { reply: ack, st, flags: NO_FLAGS, text: '', events: NO_EVENTS, pk: undefined };
    if (standing) out.standing = standing;
    const verdict = st.seqs.verdict(msg.seq);
    if (verdict === 'duplicate') {
      ack.duplicate = true; // re-sent, or a partial of a seq already final
      return out;
    }
    if (verdict === 'stale') {
      out.reply = wireError('invalid_message', `seq: ${msg.seq} is below this stream's window of remembered seqs (at or under ${st.seqs.floor}, highest ${st.seqs.high}); not processed`, msg);
      return out;
    }
    this.#d.metrics.messages.inc({ type: partial ? 'partial' : msg.type });
    if (msg.ts > st.lastTs) st.lastTs = msg.ts;
    let events: readonly EscalationEvent[] = NO_EVENTS;
    switch (msg.type) {
      case 'transcript':
      case 'chat':
        events = this.#text(msg, st, partial, records, out);
        break;
      case 'pk':
        records.push({ t: 'pk', stream: msg.stream, seq: msg.seq, ts: msg.ts, state: msg.state, ...(msg.opponent ? { opponent: msg.opponent } : {}) });
        out.pk = { type: 'pk', stream: msg.stream, state: msg.state, ts: msg.ts, ...(msg.opponent ? { opponent: msg.opponent } : {}) };
        events = escalation.onPk(msg.stream, msg.state, msg.ts);
        st.opponent = msg.state === 'start' ? msg.opponent : undefined;
        if (msg.state === 'start') st.ended = undefined;
        break;
      case 'end':
        // A match held at the last chunk's end (detect/open-ends.ts) can no longer be completed:
        // flagged now, as an empty final chunk would flag it, before the stream is released.
        if (this.#d.scanner.stream(msg.stream).holding) events = this.#text({ type: 'transcript', stream: msg.stream, seq: msg.seq, ts: msg.ts, text: '', final: true }, st, false, records, out);
        break;
    }
    if (!partial) st.seqs.mark(msg.seq);
    for (const e of events) records.push(eventRecord(e));
    if (msg.type === 'end') records.push({ t: 'end', stream: msg.stream, seq: msg.seq, ts: msg.ts });
    out.events = events;
    if (msg.type === 'end') {
      out.end = { type: 'end', stream: msg.stream, seq: msg.seq, ts: msg.ts };
      st.ended = { seq: msg.seq, ts: msg.ts };
      this.#d.streams.release(msg.stream, st, escalation, this.#d.scanner);
      this.#d.shadow?.endStream(msg.stream);
    }
    return out;
  }

  /** A transcript chunk or chat line: scan, retract, record, escalate; returns the escalation's events. */
  #text(msg: IngestMessage & { type: 'transcript' | 'chat' }, st: StreamState, partial: boolean, records: StreamRecord[], out: Outcome): readonly EscalationEvent[] {
    const { escalation } = this.#d;
    // The text before this chunk, captured before the scan moves the carry on (a reference, no copy).
    const prior = msg.type === 'transcript' ? this.#d.scanner.stream(msg.stream).tail : '';
    const { flags, retracted } = this.#scan(msg, st, partial);
    // A final's retractions go first in the log, so a replay takes their weight out before it decides on the final.
    let retractions: readonly EscalationEvent[] = NO_EVENTS;
    if (retracted.length > 0) {
      const told: EscalationEvent[] = [];
      for (const id of retracted) told.push(...escalation.retract(msg.stream, msg.seq, id, msg.ts));
      for (const e of told) records.push(eventRecord(e));
      retractions = told;
    }
    const speaker = msg.type === 'transcript' ? msg.speaker : undefined;
    const rec: MessageRecord = { t: 'msg', stream: msg.stream, seq: msg.seq, ts: msg.ts, kind: msg.type, final: !partial, flags };
    // Assigned, not spread: no temporary object per message; the key order (so the journal line) is the same.
    if (speaker) rec.speaker = speaker;
    // The scanner caps flags per message (the server gives it limits.maxFlagsPerMessage) and counts the rest.
    const dropped = this.#d.scanner.droppedInLastScan;
    if (dropped > 0) {
      rec.dropped = dropped;
      this.#d.metrics.droppedFlags.inc(dropped);
      this.#d.log.dropped(msg.stream, msg.seq, dropped);
    }
    records.push(rec);
    const shadow = partial ? undefined : this.#shadow(msg, flags);
    // A final chunk's text rebuilds the stream's carry on replay; a flagged one is the evidence;
    // chat's when the operator keeps it for backtests (journal.keepChatText).
    if (flags.length > 0 || shadow?.flags.length || (!partial && (msg.type === 'transcript' || this.#d.keepChatText === true))) rec.text = msg.text;
    if (shadow) {
      // After the text: a backtest reads flagless records from their bytes up to here.
      if (shadow.flags.length > 0) rec.shadow = shadow.flags;
      out.shadow = shadow;
    }
    if (flags.length > 0) {
      // Its flags carry its seq and event time: past the stream's end, they lift it (as the feed reads them).
      if (st.ended !== undefined && flagAfterEnd(msg, st.ended)) st.ended = undefined;
      out.flags = flags;
      out.text = msg.text;
      if (prior !== '' && flags.some((f) => f.carried !== undefined)) rec.prev = out.prev = prior;
      for (const f of flags) rememberFlagStream(this.flagStreams, f.id, msg.stream);
    }
    if (retractions.length > 0) out.retractions = retractions;
    return escalation.onMessage(msg.stream, { seq: msg.seq, kind: msg.type, final: !partial, speaker }, flags, msg.ts);
  }

  /** Publishes what a durable message caused: PK, flags, level changes, shutdown. */
  publish(o: Outcome): void {
    if (o.standing) this.#d.outbox.standing(o.standing.event, o.standing.peer);
    if (o.pk) this.#d.outbox.pk(o.pk);
    if (o.retractions) this.#publish(NO_FLAGS, '', o.retractions, NO_PEERS);
    if (o.flags.length > 0 || o.events.length > 0) this.#publish(o.flags, o.text, o.events, o.st?.conns ?? NO_PEERS, o.prev);
    if (o.shadow) this.#d.outbox.shadow?.(o.shadow);
    if (o.end) this.#d.outbox.end?.(o.end);
  }

  publishEvents(events: readonly EscalationEvent[], stream: string): void {
    this.#publish(NO_FLAGS, '', events, this.#d.streams.get(stream)?.conns ?? NO_PEERS);
  }

  /**
   * A moderator command, applied to state: the records to log and the events to publish once they
   * are durable, or the answer at once (an error, or a noop).
   */
  command(cmd: ModeratorCommand): { records: StreamRecord[]; events: EscalationEvent[]; stream: string; result: CommandResult } | CommandResult | WireError {
    const { streams, escalation } = this.#d;
    if (cmd.type === 'promote') {
      // The shadow lexicon goes live (shadow/shadow-lane.ts checks it as a reload would be checked).
      const done = this.#d.shadow?.promote(this.#d.scanner, cmd.force === true, Date.now()) ?? wireError('no_shadow_lexicon', 'no shadow lexicon is configured (lexicons.shadow)', { command: 'promote' });
      if ('type' in done) return done;
      return { records: [{ t: 'promote', ...done }], events: [], stream: '', result: { type: 'ok', command: 'promote', stream: '' } };
    }
    if (cmd.type === 'dismiss') {
      const stream = this.flagStreams.get(cmd.flagId) ?? null;
      if (stream === null && !this.#issued(cmd.flagId)) return wireError('unknown_flag', `flagId: no flag ${cmd.flagId} has been raised`, { command: 'dismiss', flagId: cmd.flagId });
      if (this.dismissed.has(cmd.flagId)) return { type: 'ok', command: 'dismiss', stream: stream ?? '', flagId: cmd.flagId, noop: true };
      const ts = stream ? streams.eventTime(stream) : Date.now();
      const events = stream ? (escalation.dismiss(stream, cmd.flagId, ts) ?? []) : [];
      rememberDismissed(this.dismissed, cmd.flagId);
      this.#d.metrics.dismissals.inc();
      const records: StreamRecord[] = [{ t: 'dismiss', flagId: cmd.flagId, stream, ts, ...(cmd.reason ? { reason: cmd.reason } : {}) }, ...events.map(eventRecord)];
      return { records, events, stream: stream ?? '', result: { type: 'ok', command: 'dismiss', stream: stream ?? '', flagId: cmd.flagId } };
    }
    if (!streams.known(cmd.stream, escalation)) return wireError('unknown_stream', `stream: no stream ${JSON.stringify(cmd.stream)} is live or shut down`, { stream: cmd.stream, command: cmd.type });
    const ts = streams.eventTime(cmd.stream);
    const events =
      cmd.type === 'shutdown' ? escalation.shutdown(cmd.stream, cmd.reason, ts)
      : cmd.type === 'confirm' ? escalation.confirm(cmd.stream, ts)
      : cmd.type === 'decline' ? escalation.decline(cmd.stream, ts)
      : escalation.restore(cmd.stream, ts);
    if (events.length === 0) return { type: 'ok', command: cmd.type, stream: cmd.stream, noop: true };
    return { records: events.map(eventRecord), events, stream: cmd.stream, result: { type: 'ok', command: cmd.type, stream: cmd.stream } };
  }

  /** Issued ids are below the scanner's next one; older ones than the flag-stream memory have no stream. */
  #issued(flagId: string): boolean {
    return Number(flagId.slice(1)) < this.#d.ids.peek();
  }

  /** Refuses a seq that would make the stream's window meaningless (far ahead, beyond the safe range). */
  #checkSeq(msg: IngestMessage): WireError | undefined {
    const high = Math.max(0, this.#d.streams.get(msg.stream)?.seqs.high ?? 0);
    if (msg.seq - high > this.#d.limits.maxSeqAhead) {
      return wireError('invalid_message', `seq: ${msg.seq} is more than ${this.#d.limits.maxSeqAhead} above this stream's highest seq (${high}); not processed`, msg);
    }
    return undefined;
  }

  /** The message's new flags, who said them, and (a final) the ids of its partials' flags it retracts. */
  #scan(msg: IngestMessage & { type: 'transcript' | 'chat' }, st: StreamState, partial: boolean): { flags: Flag[]; retracted: readonly string[] } {
    const meta = { seq: msg.seq, ts: msg.ts, kind: msg.type };
    const started = performance.now();
    const scanner = this.#d.scanner;
    let flags: Flag[];
    let retracted: readonly string[] = NO_IDS;
    if (msg.type === 'chat') flags = scanMessage(scanner, msg, meta);
    else {
      if (partial) {
        const tracker = (st.partials ??= new PartialTracker());
        flags = tracker.fresh(msg.seq, scanPartial(scanner, this.#d.ids, msg.stream, msg.text, meta));
        for (const f of flags) f.partial = true;
        attribute(flags, attributionOf(msg));
      } else {
        flags = scanMessage(scanner, msg, meta);
        if (st.partials) ({ flags, retracted } = st.partials.final(msg.seq, flags));
      }
    }
    // performance.now(), not hrtime.bigint(): two BigInts per message were garbage for a µs reading.
    this.#d.metrics.scanSeconds.observe((performance.now() - started) / 1000);
    return { flags, retracted };
  }

  /** The shadow lexicon's flags on a final chunk or chat message, through the same scan as the live ones. */
  #shadow(msg: IngestMessage & { type: 'transcript' | 'chat' }, live: readonly Flag[]): ShadowOutcome | undefined {
    const lane = this.#d.shadow;
    const scanner = lane?.scanner;
    if (!lane || !scanner) return undefined;
    lane.touch(msg.stream, Date.now());
    const flags = scanMessage(scanner, msg, { seq: msg.seq, ts: msg.ts, kind: msg.type });
    return ShadowLane.compare({ stream: msg.stream, seq: msg.seq, kind: msg.type, ts: msg.ts, text: msg.text, flags }, live);
  }

  #publish(flags: readonly Flag[], text: string, events: readonly EscalationEvent[], conns: Iterable<IngestPeer>, prev?: string): void {
    const { metrics, log, outbox } = this.#d;
    if (flags.length > 0) {
      for (const f of flags) {
        metrics.flags.inc({ category: f.category, severity: f.severity });
        log.flag(f);
      }
      outbox.flags(flags, text, conns, prev);
    }
    for (const e of events) {
      if (e.type === 'shutdown') {
        metrics.shutdowns.inc({ manual: String(e.manual) });
        log.shutdown(e);
        outbox.shutdown(e, conns);
      } else {
        if (e.type === 'level') log.level(e);
        outbox.event(e);
      }
    }
  }
}
