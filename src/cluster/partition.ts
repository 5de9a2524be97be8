/**
 * One partition owned by this node: the stream core (src/stream/processor.ts) over the partition's
 * history on the events stream (jetstream-log.ts), fed from the partition's ingest subject by a
 * durable pull consumer with explicit ack. The core is the embedded one: rebuilt by replaying the
 * history, then processing each message exactly as on one node; only its log differs.
 *
 * Order and at-least-once: the ingest stream is a work queue, so an acked message is gone and an
 * unacked one stays. A new owner deletes and recreates the partition's consumer, which redelivers
 * from the first unacked message in order, immediately (no ack_wait to sit out). Acks leave in
 * order, each only after every record of its message and of all earlier ones is stored, so the
 * history never has a gap below a later message; a message processed but not acked before a crash
 * is redelivered and deduplicated by the seq window rebuilt from the history.
 */
import type { JetStreamClient, JetStreamManager, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Scanner } from '../detect/scanner.js';
import type { EscalationConfig } from '../escalate/risk.js';
import type { FlagIdAllocator } from '../flag.js';
import type { Metrics } from '../metrics.js';
import { wireError, type WireError } from '../protocol/codes.js';
import type { DismissCommand, RestoreCommand, ShutdownCommand } from '../protocol/feed.js';
import { decodeMessage } from '../protocol/frame.js';
import { INGEST_SCHEMAS, type IngestMessage } from '../protocol/ingest.js';
import type { Ack, FlagHistory, IngestPeer, Outbox } from '../stream/contracts.js';
import type { StepLimits } from '../stream/message-step.js';
import type { StreamRecord } from '../stream/records.js';
import { pinoCoreLog } from '../stream/pino-core-log.js';
import { Processor } from '../stream/processor.js';
import { H_COMMAND, H_CORR, H_REPLY, type ReplyBody } from './events.js';
import { crashPoint } from './fault.js';
import type { PubAcks } from './pub-acks.js';
import { JetStreamLog, type CommitTiming } from './jetstream-log.js';
import type { NodeCommit } from './node-commit.js';
import type { NodeTail } from './node-tail.js';
import type { SnapshotStore } from './snapshots.js';
import type { Subjects } from './subjects.js';

export interface WorkerDeps {
  nc: NatsConnection;
  /** This node's id (written into the partition's fence). */
  node: string;
  js: JetStreamClient;
  /** The node's publishes with acks (pub-acks.ts). */
  acks: PubAcks;
  jsm: JetStreamManager;
  subjects: Subjects;
  scanner: Scanner;
  /** Provisional flag ids (the log renames each flag to its JetStream sequence). */
  ids: FlagIdAllocator;
  escalation: EscalationConfig;
  limits: StepLimits;
  metrics: Metrics;
  log: Logger;
  /** False once this node can no longer be sure it holds the partition's lease. */
  leaseValid: (p: number) => boolean;
  /** Coalesces replies to one node per event-loop turn (shared by the node's partitions). */
  replies: ReplyBatcher;
  /** Where the partition's state snapshots live, and how often one is taken (records; 0: never). */
  snapshots: SnapshotStore;
  snapshotEvery: number;
  /** Told each commit's timeline (the node's cluster metrics). */
  commitTiming?: (t: CommitTiming) => void;
  /** Told each batch the partition's log stored, with its records (the node's events reader takes them: own-batches.ts). */
  ownStored?: (seq: number, records: readonly StreamRecord[]) => void;
  /** The node's commit loop, when batches go on the node's subject (node-commit.ts). */
  nodeCommit?: NodeCommit;
  /** The node's shared reader of node subjects for replays (node-tail.ts). */
  nodeTail?: NodeTail;
  /** The node's outbox: a standing shutdown is told to this node's ingest connections (ingestLocal). */
  outbox: Outbox;
  /** A rebuild slot (rebuild-slots.ts): the fence and the replay run only while one is held. */
  rebuildSlot: () => Promise<() => void>;
  /** Processing cannot go on (a publish failed, the lease lapsed): give the partition up. */
  onFailure: (p: number, err: Error) => void;
}

/** A moderator command forwarded to the owner; `stream` is resolved by the sending node. */
export type ForwardedCommand = (DismissCommand | ShutdownCommand | RestoreCommand) & { stream: string };

/** Signals reach feeds from the events stream on every node (node.ts follows it), not from here. */
const NO_OUTBOX: Outbox = { flags() {}, pk() {}, event() {}, shutdown() {}, standing() {} };
/** `since` is served by the node from the whole events stream. */
const NO_HISTORY: FlagHistory = {
  async *flagEntriesSince() {},
  retainedFrom: () => undefined,
};
/** Messages from the ingest stream belong to no WebSocket of this node. */
const PEER = { id: 0 };

export class PartitionWorker {
  readonly p: number;
  readonly #d: WorkerDeps;
  #processor: Processor | undefined;
  #stopped = false;
  #failed = false;
  #started = false;
  #stalled = false;
  #restarting = false;
  #lastProgress = Date.now();
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  /** Acks leave in order, each after its records (and all earlier ones) are stored. */
  #ackChain: Promise<void> = Promise.resolve();
  /** The last rebuild: events replayed, streams known, time taken, and the snapshot it started from. */
  rebuilt: { events: number; streams: number; ms: number; fromSnapshot?: number; fenceMs?: number; replayMs?: number } = { events: 0, streams: 0, ms: 0 };

  constructor(p: number, deps: WorkerDeps) {
    this.p = p;
    this.#d = deps;
  }

  get durable(): string {
    return `p${this.p}`;
  }

  get streamCount(): number {
    return this.#processor?.health().streams ?? 0;
  }

  async start(): Promise<void> {
    const d = this.#d;
    const log = new JetStreamLog({ js: d.js, jsm: d.jsm, acks: d.acks, subjects: d.subjects, partition: this.p, node: d.node, warn: (event, detail) => d.log.warn({ event, ...detail }, event.replaceAll('_', ' ')), snapshots: d.snapshots, snapshotEvery: d.snapshotEvery, ...(d.nc.info?.max_payload ? { maxPayload: d.nc.info.max_payload } : {}), ...(d.commitTiming ? { timing: d.commitTiming } : {}), ...(d.ownStored ? { ownStored: d.ownStored } : {}), ...(d.nodeCommit ? { nodeCommit: d.nodeCommit } : {}), ...(d.nodeTail ? { nodeTail: d.nodeTail } : {}) });
    log.snapshotFrom(() => this.#processor?.snapshot());
    const slot = await d.rebuildSlot();
    if (this.#stopped) {
      slot();
      return; // released while waiting its turn
    }
    const t0 = Date.now(); // the rebuild's own time, not its wait for a slot
    let fenced = t0;
    let replayed = t0;
    try {
      await log.fence(); // before the replay: an old owner's later appends are refused
      fenced = Date.now();
      this.#processor = await this.#open(log);
      replayed = Date.now();
      await log.copyAgain();
    } finally {
      slot();
    }
    this.rebuilt = { events: log.replayed, streams: this.streamCount, ms: Date.now() - t0, fenceMs: fenced - t0, replayMs: replayed - fenced, ...(log.replayedFrom !== undefined ? { fromSnapshot: log.replayedFrom } : {}) };
    // Even if the partition was released meanwhile: the fence says whether it is still ours, and a
    // rebuild that lost its lease half-way (a starved machine) is not done again from the start.
    log.snapshotIfDue();
    if (this.#stopped) return;
    await this.#consume();
    this.#started = true;
  }

  async #open(log: JetStreamLog): Promise<Processor> {
    const d = this.#d;
    const p = this.p;
    return (
      await Processor.open({
        scanner: d.scanner,
        ids: d.ids,
        idsFromLog: true,
        escalation: d.escalation,
        log,
        history: NO_HISTORY,
        // Signals reach feeds from the events stream; only a standing shutdown goes straight to a
        // connection of this node that sends for a shut-down stream (ingestLocal), before its ack.
        outbox: {
          ...NO_OUTBOX,
          standing: (e, peer) => {
            if (peer !== PEER) d.outbox.standing(e, peer);
          },
        },
        metrics: d.metrics,
        limits: d.limits,
        events: pinoCoreLog(d.log, { partition: p }, { journalFailed: (err) => this.#fail(err) }),
      })
    ).processor;
  }

  /** A fresh consumer starts at the first message the previous owner (or consumer) did not ack. */
  async #consume(): Promise<void> {
    const { jsm, js, subjects } = this.#d;
    try {
      await jsm.consumers.delete(subjects.ingestStream, this.durable);
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
    }
    await jsm.consumers.add(subjects.ingestStream, {
      durable_name: this.durable,
      filter_subject: subjects.ingest(this.p),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 120e9,
      max_ack_pending: 20_000,
    });
    const consumer = await js.consumers.get(subjects.ingestStream, this.durable);
    this.#messages = await consumer.consume({ max_messages: 1000, expires: 10_000 });
    this.#lastProgress = Date.now();
    if (this.#stopped) this.#messages.stop(); // released while starting
    this.#loop = this.#run(this.#messages);
  }

  /** True while the partition cannot be served: rebuilding, failed, or its consumer stalled. */
  get unserved(): boolean {
    return !this.#started || this.#failed || this.#stalled;
  }

  /**
   * The watchdog (node.ts calls it every second): no message for `stallMs` while the partition's
   * ingest has messages waiting means the pull loop died (a reconnect the client did not recover
   * from); the consumer is recreated after the acks in flight, so it redelivers from the first
   * unacked message in order. Returns the reason it restarted, if it did.
   */
  async watchdog(stallMs: number): Promise<string | undefined> {
    if (!this.#started || this.#stopped || this.#failed || this.#restarting) return undefined;
    if (Date.now() - this.#lastProgress < stallMs) return undefined;
    const { jsm, subjects } = this.#d;
    let reason: string;
    try {
      const info = await jsm.consumers.info(subjects.ingestStream, this.durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) {
        this.#lastProgress = Date.now(); // idle, and fine
        this.#stalled = false;
        return undefined;
      }
      reason = 'stalled';
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) return undefined; // NATS unreachable: the reconnect resumes
      reason = 'consumer_lost';
    }
    if (this.#stopped || this.#failed) return undefined;
    this.#stalled = true;
    this.#restarting = true;
    try {
      const old = this.#messages;
      old?.stop();
      await this.#loop?.catch(() => {});
      await this.#ackChain.catch(() => {});
      if (!this.#stopped && !this.#failed) await this.#consume();
    } catch (err) {
      this.#fail(err as Error);
    } finally {
      this.#restarting = false;
    }
    return reason;
  }

  /**
   * Messages from a WebSocket of this node, for a partition this node serves: straight to the core,
   * with no trip through the ingest stream (the owner's own messages need no forwarding). Answered
   * once their records are stored in the events stream, as forwarded ones are; a crash before the
   * answer leaves them unacked, and the client re-sends them (deduplicated by the seq window the
   * next owner rebuilds). Undefined when this node cannot serve the partition now (starting,
   * stopped, failed, or its lease not certainly valid): the caller forwards them instead.
   */
  ingestLocal(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]> | undefined {
    if (!this.#started || this.#stopped || this.#failed || !this.#d.leaseValid(this.p)) return undefined;
    return this.#processor!.ingestBatch(msgs, peer);
  }

  /** Stops taking messages; resolves once every processed one is acked (or failed). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#messages?.stop();
    await this.#loop?.catch(() => {});
    await this.#ackChain.catch(() => {});
    await this.#processor?.close();
  }

  /** An ingest connection of this node closed. */
  forget(peer: IngestPeer): void {
    this.#processor?.forget(peer);
  }

  /** Releases scanner state of idle streams. */
  sweepIdle(idleMs: number, now = Date.now()): void {
    this.#processor?.sweepIdle(idleMs, now);
  }

  async #run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.#stopped || this.#failed) break; // left unacked: the next owner gets it
      this.#lastProgress = Date.now();
      this.#stalled = false;
      if (!this.#d.leaseValid(this.p)) {
        this.#fail(new Error(`lease of partition ${this.p} could not be renewed in time`));
        break;
      }
      this.#handle(m);
    }
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#messages?.stop();
    this.#d.onFailure(this.p, err);
  }

  /** Hands the message to the core at once (it processes in arrival order); acks and replies in order once stored. */
  #handle(m: JsMsg): void {
    const processor = this.#processor!;
    let body: unknown;
    try {
      body = m.json();
    } catch {
      body = undefined;
    }
    let replies: Promise<object[]>;
    if (body === undefined) replies = Promise.resolve([wireError('invalid_json', 'the NATS message is not valid JSON')]);
    else if (m.headers?.get(H_COMMAND)) replies = processor.command(body as ForwardedCommand).then((r) => [r]);
    else {
      const items = Array.isArray(body) ? body : [body];
      const out: (Ack | WireError | undefined)[] = [];
      const valid: IngestMessage[] = [];
      const at: number[] = [];
      items.forEach((item, i) => {
        const decoded = decodeMessage(item, INGEST_SCHEMAS, Array.isArray(body) ? i : undefined);
        if (decoded.ok) {
          valid.push(decoded.message as IngestMessage);
          at.push(i);
          out.push(undefined);
        } else out.push(decoded.error);
      });
      replies = valid.length === 0 ? Promise.resolve(out as object[]) : processor.ingestBatch(valid, PEER).then((r) => {
        r.forEach((reply, k) => (out[at[k]!] = reply));
        return out as object[];
      });
    }
    const reply = m.headers?.get(H_REPLY);
    const corr = m.headers?.get(H_CORR) ?? '';
    this.#ackChain = this.#ackChain.then(async () => {
      const answered = await replies;
      if (this.#failed) return;
      // Not stored: leave it unacked for whoever owns the partition next, and tell the sender.
      if (answered.some((r) => (r as WireError).code === 'internal')) {
        this.#fail(new Error('the events stream did not store a batch'));
        if (reply) this.#d.replies.send(reply, { corr, replies: answered });
        return;
      }
      await crashPoint('before_reply', () => streamsOf(body), () => this.#d.nc.flush());
      // Reply, then ack: a crash between the two leaves the message unacked, so the next owner
      // gets it again at once (a duplicate, answered from the rebuilt seq window) instead of the
      // sender waiting out replyTimeoutMs for a reply that died with this node.
      if (reply) this.#d.replies.send(reply, { corr, replies: answered }, () => m.ack());
      else m.ack();
    });
    this.#ackChain.catch((err: unknown) => this.#fail(err as Error));
  }
}

/** Replies bound for the same node in one event-loop turn leave as one NATS message (an array). */
export class ReplyBatcher {
  readonly #nc: NatsConnection;
  #queued = new Map<string, ReplyBody[]>();
  #after: (() => void)[] = [];
  #scheduled = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  /** `then` runs once the reply is handed to the connection (an ack after it goes out after it). */
  send(subject: string, body: ReplyBody, then?: () => void): void {
    let q = this.#queued.get(subject);
    if (!q) this.#queued.set(subject, (q = []));
    q.push(body);
    if (then) this.#after.push(then);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        const all = this.#queued;
        const after = this.#after;
        this.#queued = new Map();
        this.#after = [];
        for (const [s, bodies] of all) this.#nc.publish(s, JSON.stringify(bodies.length === 1 ? bodies[0] : bodies));
        for (const f of after) f();
      });
    }
  }
}

function* streamsOf(body: unknown): Generator<string> {
  for (const item of Array.isArray(body) ? body : [body]) {
    const stream = (item as { stream?: unknown } | null)?.stream;
    if (typeof stream === 'string') yield stream;
  }
}
