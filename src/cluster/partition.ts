/**
 * One partition owned by this node: rebuilds its streams' state from the events history, then
 * consumes its ingest subject in order with a durable pull consumer (explicit ack) and processes
 * each message exactly as the embedded pipeline does (dedupe by seq, partial hypotheses, scan,
 * escalation), publishing flags and signals to the events stream instead of the journal.
 *
 * Order and at-least-once: the ingest stream is a work queue, so an acked message is gone and an
 * unacked one stays. A new owner deletes and recreates the partition's consumer, which redelivers
 * from the first unacked message in order, immediately (no ack_wait to sit out). Acks leave in
 * order, each only after every event of its message and of all earlier ones is stored, so the
 * history never has a gap below a later message; a message processed but not acked before a crash
 * is redelivered and skipped by the seq dedupe rebuilt from the history (its flags, if any, were
 * published with a `Nats-Msg-Id`, so even a re-publish keeps the original id).
 */
import type { JetStreamClient, JetStreamManager, JsMsg, ConsumerMessages } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { Scanner } from '../detect/scanner.js';
import { Escalation, type EscalationEvent } from '../escalate/escalation.js';
import type { EscalationConfig } from '../escalate/risk.js';
import type { Flag } from '../flag.js';
import { wireError, type WireError } from '../protocol/codes.js';
import type { DismissCommand, RestoreCommand, ShutdownCommand } from '../protocol/feed.js';
import { decodeMessage } from '../protocol/frame.js';
import { INGEST_SCHEMAS, type IngestMessage } from '../protocol/ingest.js';
import type { Metrics } from '../metrics.js';
import { PartialTracker } from '../stream/partials.js';
import type { Ack, CommandResult } from '../stream/contracts.js';
import { H_COMMAND, H_CORR, H_REPLY, type ClusterEvent, type ReplyBody } from './events.js';
import type { Subjects } from './subjects.js';

export interface WorkerDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  scanner: Scanner;
  escalation: EscalationConfig;
  metrics: Metrics;
  log: Logger;
  /** False once this node can no longer be sure it holds the partition's lease. */
  leaseValid: (p: number) => boolean;
  /** Coalesces replies to one node per event-loop turn (shared by the node's partitions). */
  replies: ReplyBatcher;
  /** Processing cannot go on (a publish failed, the lease lapsed): give the partition up. */
  onFailure: (p: number, err: Error) => void;
}

/** A moderator command forwarded to the owner; `stream` is resolved by the sending node. */
export type ForwardedCommand = (DismissCommand | ShutdownCommand | RestoreCommand) & { stream: string };

interface StreamState {
  lastSeq: number;
  lastTs: number;
  lastActive: number;
  partials: PartialTracker | undefined;
}

export class PartitionWorker {
  readonly p: number;
  readonly #d: WorkerDeps;
  readonly #escalation: Escalation;
  readonly #streams = new Map<string, StreamState>();
  readonly #dismissed = new Set<string>();
  #stopped = false;
  #failed = false;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  /** Acks leave in order, each after its events (and all earlier ones) are stored. */
  #ackChain: Promise<void> = Promise.resolve();
  rebuilt = { events: 0, streams: 0, ms: 0 };

  constructor(p: number, deps: WorkerDeps) {
    this.p = p;
    this.#d = deps;
    this.#escalation = new Escalation(deps.escalation);
  }

  get durable(): string {
    return `p${this.p}`;
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  async start(): Promise<void> {
    const t0 = Date.now();
    await this.#rebuild();
    this.rebuilt.ms = Date.now() - t0;
    if (this.#stopped) return;
    const { jsm, js, subjects } = this.#d;
    // A fresh consumer starts at the first message the previous owner did not ack.
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
    this.#messages = await consumer.consume({ max_messages: 1000 });
    if (this.#stopped) this.#messages.stop(); // released while starting
    this.#loop = this.#run(this.#messages);
  }

  /** Stops taking messages; resolves once every processed one is acked (or failed). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#messages?.stop();
    await this.#loop?.catch(() => {});
    await this.#ackChain.catch(() => {});
    for (const stream of this.#streams.keys()) this.#d.scanner.endStream(stream);
    this.#streams.clear();
  }

  /** Releases scanner state of idle streams (as the embedded pipeline's sweep). */
  sweepIdle(idleMs: number, now = Date.now()): void {
    for (const [stream, st] of this.#streams) {
      const idle = now - st.lastActive;
      if (idle >= 2 * idleMs && !this.#escalation.isShutDown(stream)) {
        this.#d.scanner.endStream(stream);
        this.#escalation.end(stream);
        this.#streams.delete(stream);
      } else if (idle >= idleMs) this.#d.scanner.endStream(stream);
    }
  }

  summaries(): { stream: string; level: string; risk: number; pk: boolean }[] {
    return [...this.#streams.keys()].map((stream) => ({ stream, level: this.#escalation.level(stream), risk: Math.round(this.#escalation.risk(stream) * 100) / 100, pk: this.#escalation.pkActive(stream) }));
  }

  // --- rebuild from the events history ---------------------------------------------------------

  async #rebuild(): Promise<void> {
    const { js, subjects } = this.#d;
    const oc = await js.consumers.get(subjects.eventsStream, { filter_subjects: subjects.eventsOfPartition(this.p), deliver_policy: DeliverPolicy.All });
    const info = await oc.info(true);
    if (info.num_pending === 0) return;
    const shut = new Map<string, { shutDown: boolean; epoch: number; ts: number }>();
    const esc = this.#escalation;
    const iter = await oc.consume({ max_messages: 1000 });
    const now = Date.now();
    for await (const m of iter) {
      this.rebuilt.events++;
      const e = m.json<ClusterEvent>();
      switch (e.t) {
        case 'flag': {
          const st = this.#stream(e.stream, now);
          if (e.flag.ts !== undefined && e.flag.ts > st.lastTs) st.lastTs = e.flag.ts;
          const flag = { ...e.flag, id: `f${m.seq}` } as Flag;
          esc.onFlag(e.stream, flag, flag.ts ?? st.lastTs);
          if (e.final) {
            if (e.seq > st.lastSeq) st.lastSeq = e.seq;
            st.partials?.settle(e.seq);
          } else (st.partials ??= new PartialTracker()).fresh(e.seq, [flag]);
          break;
        }
        case 'pk': {
          const st = this.#stream(e.stream, now);
          if (e.seq > st.lastSeq) st.lastSeq = e.seq;
          if (e.ts > st.lastTs) st.lastTs = e.ts;
          esc.onPk(e.stream, e.state, e.ts);
          break;
        }
        case 'end': {
          const st = this.#stream(e.stream, now);
          if (e.seq > st.lastSeq) st.lastSeq = e.seq;
          st.partials = undefined;
          esc.end(e.stream);
          break;
        }
        case 'dismiss':
          this.#dismissed.add(e.flagId);
          esc.dismiss(e.stream, e.flagId, e.ts);
          break;
        case 'shutdown':
          this.#stream(e.stream, now);
          esc.shutdown(e.stream, e.reason, e.ts);
          shut.set(e.stream, { shutDown: true, epoch: e.epoch, ts: e.ts });
          break;
        case 'restore':
          esc.restore(e.stream, e.ts);
          shut.set(e.stream, { shutDown: false, epoch: e.epoch, ts: e.ts });
          break;
        case 'level':
          break; // recomputed from the flags
      }
      if (m.info.pending === 0) break;
    }
    iter.stop();
    for (const [stream, s] of shut) esc.recover(stream, s, s.ts);
    this.rebuilt.streams = this.#streams.size;
  }

  // --- consume ---------------------------------------------------------------------------------

  async #run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.#stopped || this.#failed) break; // left unacked: the next owner gets it
      if (!this.#d.leaseValid(this.p)) {
        this.#fail(new Error(`lease of partition ${this.p} could not be renewed in time`));
        break;
      }
      try {
        await this.#handle(m);
      } catch (err) {
        this.#fail(err as Error);
        break;
      }
    }
  }

  #fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.#messages?.stop();
    this.#d.onFailure(this.p, err);
  }

  async #handle(m: JsMsg): Promise<void> {
    const pending: Promise<unknown>[] = [];
    let replies: object[];
    let body: unknown;
    try {
      body = m.json();
    } catch {
      body = undefined;
    }
    if (body === undefined) replies = [wireError('invalid_json', 'the NATS message is not valid JSON')];
    else if (m.headers?.get(H_COMMAND)) replies = [await this.#command(body as ForwardedCommand)];
    else {
      const items = Array.isArray(body) ? body : [body];
      replies = [];
      for (let i = 0; i < items.length; i++) {
        const decoded = decodeMessage(items[i], INGEST_SCHEMAS, Array.isArray(body) ? i : undefined);
        if (!decoded.ok) replies.push(decoded.error);
        else replies.push(await this.#process(decoded.message as IngestMessage, pending));
      }
    }
    const stored = pending.length > 0 ? Promise.all(pending) : undefined;
    const reply = m.headers?.get(H_REPLY);
    const corr = m.headers?.get(H_CORR) ?? '';
    this.#ackChain = this.#ackChain.then(async () => {
      if (stored) await stored;
      if (this.#failed) return;
      m.ack();
      if (reply) this.#d.replies.send(reply, { corr, replies });
    });
    this.#ackChain.catch((err: unknown) => this.#fail(err as Error));
  }

  async #process(msg: IngestMessage, pending: Promise<unknown>[]): Promise<Ack | WireError> {
    const st = this.#stream(msg.stream, Date.now());
    const partial = msg.type === 'transcript' && !msg.final;
    if (msg.seq <= st.lastSeq) return { type: 'ack', stream: msg.stream, seq: msg.seq, duplicate: true };
    const { metrics } = this.#d;
    metrics.messages.inc({ type: partial ? 'partial' : msg.type });
    if (msg.ts > st.lastTs) st.lastTs = msg.ts;
    let events: EscalationEvent[] = [];
    switch (msg.type) {
      case 'transcript':
      case 'chat': {
        // The text before this chunk, captured before the scan moves the carry on (as the embedded pipeline does).
        const prior = msg.type === 'transcript' && !partial ? this.#d.scanner.stream(msg.stream).tail : '';
        const flags = this.#scan(msg, st, partial);
        if (flags.length > 0) {
          const withPrev = (f: Flag) => (prior !== '' && f.carried !== undefined ? { prev: prior } : {});
          // The stream assigns the ids: publish, then escalate with the real ids.
          const acks = await Promise.all(flags.map((f, i) => this.#publish({ t: 'flag', stream: msg.stream, seq: msg.seq, final: !partial, flag: withoutId(f), text: msg.text, ...withPrev(f) }, `flag:${msg.stream}:${msg.seq}:${partial ? 'p' : 'f'}:${f.category}:${f.term}:${f.start}:${i}`, f.category)));
          flags.forEach((f, i) => {
            f.id = `f${acks[i]!.seq}`;
            metrics.flags.inc({ category: f.category, severity: f.severity });
            this.#d.log.info({ event: 'flag', id: f.id, stream: f.stream, seq: f.seq, category: f.category, term: f.term, severity: f.severity, evasion: f.evasion, partition: this.p }, 'flag');
            events.push(...this.#escalation.onFlag(msg.stream, f, msg.ts));
          });
        } else events = this.#escalation.onTick(msg.stream, msg.ts);
        break;
      }
      case 'pk':
        pending.push(this.#publish({ t: 'pk', stream: msg.stream, seq: msg.seq, ts: msg.ts, state: msg.state, ...(msg.opponent ? { opponent: msg.opponent } : {}) }, `pk:${msg.stream}:${msg.seq}`));
        events = this.#escalation.onPk(msg.stream, msg.state, msg.ts);
        break;
      case 'end':
        pending.push(this.#publish({ t: 'end', stream: msg.stream, seq: msg.seq, ts: msg.ts }, `end:${msg.stream}:${msg.seq}`));
        break;
    }
    if (!partial) st.lastSeq = msg.seq;
    for (const e of events) pending.push(this.#publishEscalation(e));
    if (msg.type === 'end') {
      this.#d.scanner.endStream(msg.stream);
      this.#escalation.end(msg.stream);
      st.partials = undefined;
    }
    return { type: 'ack', stream: msg.stream, seq: msg.seq };
  }

  #scan(msg: IngestMessage & { type: 'transcript' | 'chat' }, st: StreamState, partial: boolean): Flag[] {
    const meta = { seq: msg.seq, ts: msg.ts, kind: msg.type };
    const started = process.hrtime.bigint();
    const scanner = this.#d.scanner;
    let flags: Flag[];
    if (msg.type === 'chat') flags = scanner.stream(msg.stream).push(msg.text, meta);
    else if (partial) {
      const tracker = (st.partials ??= new PartialTracker());
      flags = tracker.fresh(msg.seq, scanner.scan(msg.text, { ...meta, stream: msg.stream }));
    } else {
      flags = scanner.stream(msg.stream).push(msg.text, meta);
      if (st.partials) flags = st.partials.final(msg.seq, flags);
    }
    this.#d.metrics.scanSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return flags;
  }

  // --- moderator commands ----------------------------------------------------------------------

  async #command(cmd: ForwardedCommand): Promise<CommandResult | WireError> {
    const stream = cmd.stream;
    const ts = this.#streams.get(stream)?.lastTs || Date.now();
    let events: EscalationEvent[];
    if (cmd.type === 'dismiss') {
      if (this.#dismissed.has(cmd.flagId)) return { type: 'ok', command: 'dismiss', stream, flagId: cmd.flagId, noop: true };
      events = this.#escalation.dismiss(stream, cmd.flagId, ts) ?? [];
      this.#dismissed.add(cmd.flagId);
      if (this.#dismissed.size > 100_000) this.#dismissed.delete(this.#dismissed.values().next().value!);
      this.#d.metrics.dismissals.inc();
      const stored = [this.#publish({ t: 'dismiss', stream, flagId: cmd.flagId, ts, ...(cmd.reason ? { reason: cmd.reason } : {}) }, `dismiss:${cmd.flagId}`), ...events.map((e) => this.#publishEscalation(e))];
      await Promise.all(stored);
      return { type: 'ok', command: 'dismiss', stream, flagId: cmd.flagId };
    }
    if (!this.#streams.has(stream) && !this.#escalation.isShutDown(stream)) return wireError('unknown_stream', `stream: no stream ${JSON.stringify(stream)} is live or shut down`, cmd);
    events = cmd.type === 'shutdown' ? this.#escalation.shutdown(stream, cmd.reason, ts) : this.#escalation.restore(stream, ts);
    if (events.length === 0) return { type: 'ok', command: cmd.type, stream, noop: true };
    await Promise.all(events.map((e) => this.#publishEscalation(e)));
    return { type: 'ok', command: cmd.type, stream };
  }

  // --- publishing ------------------------------------------------------------------------------

  #publishEscalation(e: EscalationEvent): Promise<unknown> {
    const log = this.#d.log;
    switch (e.type) {
      case 'level':
        log.info({ event: 'level', stream: e.stream, level: e.level, risk: e.risk, partition: this.p }, 'stream level changed');
        return this.#publish({ t: 'level', stream: e.stream, level: e.level, risk: e.risk, ts: e.ts });
      case 'shutdown':
        this.#d.metrics.shutdowns.inc({ manual: String(e.manual) });
        log.warn({ event: 'shutdown', stream: e.stream, epoch: e.epoch, manual: e.manual, reason: e.reason, flagIds: e.flagIds, partition: this.p }, 'stream shutdown signal');
        // At least once, at most once per (stream, epoch): a re-publish inside the duplicate window is dropped.
        return this.#publish({ t: 'shutdown', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts, epoch: e.epoch, manual: e.manual }, `shutdown:${e.stream}:${e.epoch}`);
      case 'restore':
        return this.#publish({ t: 'restore', stream: e.stream, ts: e.ts, epoch: e.epoch }, `restore:${e.stream}:${e.epoch}`);
    }
  }

  #publish(e: ClusterEvent, msgID?: string, category?: string) {
    const subject = this.#d.subjects.event(e.stream, e.t, category);
    return this.#d.js.publish(subject, JSON.stringify(e), msgID ? { msgID } : undefined);
  }

  #stream(id: string, now: number): StreamState {
    let st = this.#streams.get(id);
    if (!st) {
      st = { lastSeq: -1, lastTs: 0, lastActive: now, partials: undefined };
      this.#streams.set(id, st);
    } else st.lastActive = now;
    return st;
  }
}

function withoutId(f: Flag): Omit<Flag, 'id'> {
  const { id: _id, ...rest } = f;
  return rest;
}

/** Replies bound for the same node in one event-loop turn leave as one NATS message (an array). */
export class ReplyBatcher {
  readonly #nc: NatsConnection;
  #queued = new Map<string, ReplyBody[]>();
  #scheduled = false;

  constructor(nc: NatsConnection) {
    this.#nc = nc;
  }

  send(subject: string, body: ReplyBody): void {
    let q = this.#queued.get(subject);
    if (!q) this.#queued.set(subject, (q = []));
    q.push(body);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        const all = this.#queued;
        this.#queued = new Map();
        for (const [s, bodies] of all) this.#nc.publish(s, JSON.stringify(bodies.length === 1 ? bodies[0] : bodies));
      });
    }
  }
}
