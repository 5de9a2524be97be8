/**
 * The stream core: message → flags → escalation → log → signals, the same whatever log is under it
 * and whatever transport is above it.
 *
 * Everything that changes state happens synchronously, in arrival order; the only wait is for the
 * log, whose group commit resolves appends in order. So acks, flags on the feed and shutdown
 * signals leave in the order the messages came, and only once they are durable.
 *
 * A failed write is a fault of the log, not of one message: every append not yet durable is
 * rejected by the log, this core answers them `internal`, refuses new messages while it rebuilds
 * its state by replaying the log (the one way state is ever built), and takes messages again once
 * the log accepts a write. So nothing the log does not hold survives in memory: no flag id, no seq,
 * no risk, no shutdown.
 */
import { Escalation, type EscalationEvent, type Recommendation } from '../escalate/escalation.js';
import { JournalError } from '../errors.js';
import type { EscalationConfig } from '../escalate/risk.js';
import type { Scanner } from '../detect/scanner.js';
import type { FlagIdAllocator } from '../flag.js';
import type { Metrics } from '../metrics.js';
import { wireError, type WireError } from '../protocol/codes.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Ack, CommandResult, CoreHealth, FlagHistory, IngestPeer, ModeratorCommand, Outbox, StreamService, StreamSummary } from './contracts.js';
import type { FlagRenames, StreamLog, SnapshotState } from './log.js';
import { MessageStep, type CoreLog, type Outcome, type StepLimits } from './message-step.js';
import { eventRecord, type StreamRecord } from './records.js';
import { replayLog } from './replay.js';
import { StreamTable } from './stream-table.js';
import type { ShadowLane } from '../shadow/shadow-lane.js';

export interface ProcessorParts {
  scanner: Scanner;
  /** The allocator the scanner draws flag ids from (reset on a rebuild). */
  ids: FlagIdAllocator;
  escalation: EscalationConfig;
  log: StreamLog;
  /** Where `since` reads flags from (the journal; in cluster mode the node reads JetStream itself). */
  history: FlagHistory;
  /**
   * The log assigns flag ids when it stores them (JetStream: the sequence). The allocator then hands
   * out provisional ids, which the log's renames replace; no reservation, no reset.
   */
  idsFromLog?: boolean;
  outbox: Outbox;
  metrics: Metrics;
  events: CoreLog;
  limits: StepLimits;
  /** The shadow lexicon scanned beside the live one (`lexicons.shadow`); absent: none. */
  shadow?: ShadowLane;
  /** Journal the text of unflagged chat too (`journal.keepChatText`), for backtests. */
  keepChatText?: boolean;
  /** How often a failed log is probed for space again. Default 500 ms. */
  probeMs?: number;
}

/** Flag ids reserved ahead in the log, so a lost tail never lets an id be handed out twice. */
const ID_RESERVE = 10_000;

export class Processor implements StreamService {
  readonly #p: ProcessorParts;
  #escalation: Escalation;
  #streams: StreamTable;
  #step: MessageStep;
  /** Flag ids under this are covered by a reservation in the log. */
  #reservedBelow = 1;
  #inFlight = 0;
  #lastFlag = 0;
  #draining = false;
  /** The log failed: messages are refused until it is rebuilt from and writable again. */
  #broken: Promise<void> | undefined;
  #probeTimer: NodeJS.Timeout | undefined;
  /** Shutdowns a replay found implied but never recorded: recorded and signalled once the log takes writes. */
  #unsignalled: EscalationEvent[] = [];

  private constructor(p: ProcessorParts) {
    this.#p = p;
    this.#escalation = new Escalation(p.escalation);
    this.#streams = new StreamTable(p.limits.seqWindow);
    this.#step = this.#newStep();
  }

  /** Replays the log into a new processor; signals a shutdown the log implies but never recorded. */
  static async open(p: ProcessorParts): Promise<{ processor: Processor; replayed: { records: number; flags: number; shutDown: number; nextFlag: number } }> {
    const self = new Processor(p);
    const r = await self.#rebuild();
    // On a full or failing disk the process still starts, not ready, and signals once it can write.
    await self.#signalUnsignalled().catch((err: unknown) => self.#fail(err as Error));
    return { processor: self, replayed: r };
  }

  get history(): FlagHistory {
    return this.#p.history;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** The newest flag raised (ids are reserved ahead, so the allocator's next id says nothing about it). */
  lastFlagNumber(): number {
    return this.#lastFlag;
  }

  health(): CoreHealth {
    const writable = this.#p.log.failure === undefined && this.#broken === undefined;
    return { ready: writable && !this.#draining, writable, pending: this.#p.log.pending, streams: this.#streams.size };
  }

  drain(): void {
    this.#draining = true;
  }

  async close(): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#probeTimer);
    await this.#p.log.close();
    // The scanner may be shared (one per node in cluster mode): release only this core's streams.
    for (const stream of this.#streams.ids()) this.#p.scanner.endStream(stream);
  }

  /** The state that lets older log segments go (the log asks for it when it starts a new segment). */
  snapshot(): SnapshotState {
    const e = this.#escalation;
    return { ...this.#streams.snapshot(e), nextFlag: Math.max(this.#reservedBelow, this.#p.ids.peek()), shutdown: e.shutDownStreams(), epochs: e.epochs(), risks: e.risks(), ...recommendedOf(e) };
  }

  async ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]> {
    if (this.#draining) return msgs.map((m) => wireError('shutting_down', 'server is shutting down; message not processed, send it again', m));
    if (this.#broken) return msgs.map((m) => wireError('internal', 'the journal cannot be written (disk full or failing); message not processed, send it again', m));
    const records: StreamRecord[] = [];
    const outcomes: Outcome[] = [];
    for (const msg of msgs) outcomes.push(this.#step.message(msg, peer, records));
    this.#reserveIds(records);
    this.#inFlight += msgs.length;
    try {
      if (records.length > 0) this.#renamed(await this.#p.log.append(records));
      else await this.#p.log.barrier(); // only re-sends: ack once the originals are durable
    } catch (err) {
      this.#fail(err as Error);
      return msgs.map((m) => wireError('internal', `journal write failed (${reasonOf(err)}), message not acked, send it again`, m));
    } finally {
      this.#inFlight -= msgs.length;
    }
    const replies: (Ack | WireError)[] = [];
    const publishing = performance.now();
    for (const o of outcomes) {
      if (o.reply.type === 'ack') this.#step.publish(o);
      for (const f of o.flags) this.#lastFlag = Math.max(this.#lastFlag, Number(f.id.slice(1)));
      replies.push(o.reply);
    }
    peer.charge?.(performance.now() - publishing);
    return replies;
  }

  async command(cmd: ModeratorCommand): Promise<CommandResult | WireError> {
    const where = { command: cmd.type, ...('stream' in cmd ? { stream: cmd.stream } : 'flagId' in cmd ? { flagId: cmd.flagId } : {}) };
    if (this.#broken) return wireError('internal', 'the journal cannot be written (disk full or failing); command not done, send it again', where);
    const done = this.#step.command(cmd);
    if (!('records' in done)) return done;
    try {
      this.#renamed(await this.#p.log.append(done.records));
    } catch (err) {
      this.#fail(err as Error);
      return wireError('internal', `${cmd.type} not done: journal write failed (${reasonOf(err)}), send it again`, where);
    }
    this.#step.publishEvents(done.events, done.stream);
    return done.result;
  }

  forget(peer: IngestPeer): void {
    this.#streams.forget(peer);
  }

  summaries(): StreamSummary[] {
    return this.#streams.summaries(this.#escalation);
  }

  sweepIdle(idleMs: number, now = Date.now()): number {
    this.#p.shadow?.sweepIdle(idleMs, now);
    return this.#streams.sweepIdle(idleMs, now, this.#escalation, this.#p.scanner);
  }

  #newStep(): MessageStep {
    return new MessageStep({ scanner: this.#p.scanner, ids: this.#p.ids, escalation: this.#escalation, streams: this.#streams, outbox: this.#p.outbox, metrics: this.#p.metrics, log: this.#p.events, limits: this.#p.limits, ...(this.#p.shadow ? { shadow: this.#p.shadow } : {}), keepChatText: this.#p.keepChatText === true });
  }

  /** Records and signals the shutdowns a replay found implied but unrecorded (a torn batch held their flags). */
  async #signalUnsignalled(): Promise<void> {
    const events = this.#unsignalled;
    if (events.length === 0) return;
    this.#renamed(await this.#p.log.append(events.map(eventRecord)));
    this.#unsignalled = [];
    for (const e of events) this.#step.publishEvents([e], e.stream);
  }

  /** The log stored flags under ids of its own: escalation and dismiss follow them. */
  #renamed(renames: FlagRenames | void): void {
    if (!renames) return;
    const flagStreams = this.#streams.flagStreams;
    for (const [from, to] of renames) {
      const stream = flagStreams.get(from);
      if (stream === undefined) continue;
      flagStreams.delete(from);
      flagStreams.set(to, stream);
      this.#escalation.renameFlag(stream, from, to);
      // A partial's flag: the final retracts it by the id the log gave it.
      this.#streams.get(stream)?.partials?.rename(from, to);
    }
  }

  /** Puts a reservation in front of the batch whenever the ids handed out come near the reserved ones. */
  #reserveIds(records: StreamRecord[]): void {
    if (this.#p.idsFromLog) return;
    const next = this.#p.ids.peek();
    if (next + ID_RESERVE / 2 < this.#reservedBelow) return;
    this.#reservedBelow = next + ID_RESERVE;
    records.unshift({ t: 'ids', below: this.#reservedBelow });
  }

  /** A write failed: refuse messages, rebuild from the log once nothing is in flight, then probe for space. */
  #fail(err: Error): void {
    if (this.#broken) return;
    this.#p.metrics.journalFailures.inc();
    this.#p.events.journalFailed(err);
    this.#broken = (async () => {
      const probeMs = this.#p.probeMs ?? 500;
      const pause = () => new Promise((r) => (this.#probeTimer = setTimeout(r, probeMs)));
      for (;;) {
        while (this.#inFlight > 0) await new Promise((r) => setImmediate(r));
        await this.#p.log.barrier().catch(() => undefined);
        try {
          // Rebuild first: until the log takes writes again, summaries show only what it holds.
          await this.#rebuild();
          while (!this.#draining && !(await this.#p.log.probe())) await pause();
          if (this.#draining) return;
          await this.#signalUnsignalled();
          break;
        } catch (e) {
          // The log failed again (the disk filled, NATS went away): what was appended is gone; rebuild once more.
          this.#p.events.journalFailed(e as Error);
          if (this.#draining) return; // closed: retrying for good kept a stopping process alive
          await pause();
        }
      }
      this.#broken = undefined;
      this.#p.events.journalRecovered();
    })().catch((e: unknown) => this.#p.events.journalFailed(e as Error));
  }

  /** Builds every piece of state from the log, as a restart does. */
  async #rebuild() {
    const { scanner, ids, limits } = this.#p;
    for (const stream of this.#streams.ids()) {
      scanner.endStream(stream);
      this.#p.shadow?.endStream(stream);
    }
    this.#escalation = new Escalation(this.#p.escalation);
    const r = await replayLog(this.#p.log, this.#escalation, limits.seqWindow);
    this.#streams = StreamTable.recovered(limits.seqWindow, r, this.#streams);
    this.#step = this.#newStep();
    // The carry is rebuilt by scanning each live stream's last chunks again, before ids are set:
    // what that finds was reported before the restart and is thrown away.
    for (const [stream, texts] of r.carry) for (const text of texts) scanner.stream(stream).push(text, { kind: 'transcript' });
    const shadow = this.#p.shadow?.scanner;
    if (shadow) for (const [stream, texts] of r.carry) for (const text of texts) shadow.stream(stream).push(text, { kind: 'transcript' });
    if (!this.#p.idsFromLog) {
      ids.reset(r.nextFlag);
      this.#reservedBelow = r.nextFlag;
    }
    this.#unsignalled = r.unsignalled;
    this.#lastFlag = r.lastFlag;
    return { records: r.records, flags: r.flags, shutDown: r.shutDown + r.unsignalled.length, nextFlag: r.nextFlag };
  }
}

/** Pending recommendations, only when there are any (snapshots stay as they were in enforce mode). */
function recommendedOf(e: Escalation): { recommended?: Recommendation[] } {
  const r = e.recommendations();
  return r.length > 0 ? { recommended: r } : {};
}

/** What a client may be told of a log failure: the errno, never a path. */
function reasonOf(err: unknown): string {
  if (err instanceof JournalError) return err.reason;
  return (err as NodeJS.ErrnoException).code ?? 'log write failed';
}
