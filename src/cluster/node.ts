/**
 * A pkguard node in cluster mode: connects to NATS JetStream, makes sure the streams and the lease
 * bucket exist, owns its share of partitions (leases.ts, partition.ts), forwards WebSocket ingest
 * and moderator commands to the owning node through the ingest stream, and follows the events
 * stream so this node's `/feed` and ingest connections see everything, whichever node raised it.
 *
 * Durability in cluster mode: JetStream is the durable log. A WebSocket message is acked once its
 * owner has processed it and stored its flags and signals in the events stream; the local journal
 * is not written (it only holds the generated tokens when the config has none).
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { connect, credsAuthenticator, headers, nkeyAuthenticator, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { Scanner } from '../detect/scanner.js';
import type { EscalationConfig } from '../escalate/risk.js';
import type { Flag, FlagIdAllocator } from '../flag.js';
import type { StepLimits } from '../stream/message-step.js';
import { wireError, type WireError } from '../protocol/codes.js';
import type { DismissCommand, RestoreCommand, ShutdownCommand } from '../protocol/feed.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Metrics } from '../metrics.js';
import type { Ack, CommandResult, CoreHealth, FlagHistory, IngestPeer, ModeratorCommand, Outbox, StreamService, StreamSummary } from '../stream/contracts.js';
import type { ClusterConfig } from './config.js';
import { batchRecords, FLAG_ID_SPAN, flagPlace, H_COMMAND, H_COPY, H_CORR, H_REPLY, isBatchV2, type ClusterEvent, type FlagEvent, type ReplyBody } from './events.js';
import { StreamFollower } from './follower.js';
import { readRange } from './range-reader.js';
import { retryFor } from './retry.js';
import { LeaseManager } from './leases.js';
import { Liveness } from './liveness.js';
import { Membership } from './membership.js';
import { ClusterMetrics } from './metrics.js';
import { PartitionWorker, ReplyBatcher } from './partition.js';
import { NodeCommit } from './node-commit.js';
import { NodeTail } from './node-tail.js';
import { OwnBatches } from './own-batches.js';
import { isTakenMarker } from './takeover-markers.js';
import { PubAcks } from './pub-acks.js';
import { RebuildSlots } from './rebuild-slots.js';
import { SnapshotStore } from './snapshots.js';
import { named, settingUp, setUpStreams } from './setup.js';

export { PROVISIONAL_FLAG_BASE } from './jetstream-log.js';
import { Subjects } from './subjects.js';

export interface ClusterDeps {
  config: ClusterConfig;
  scanner: Scanner;
  /** The scanner's allocator, started at PROVISIONAL_FLAG_BASE: the events stream assigns the real ids. */
  ids: FlagIdAllocator;
  limits: StepLimits;
  escalation: EscalationConfig;
  outbox: Outbox;
  metrics: Metrics;
  log: Logger;
  idleStreamMs: number;
}

export interface ClusterHealth {
  node: string;
  connected: boolean;
  nodes: number;
  partitions: number[];
  /** Partitions this node holds but cannot serve yet or any more (rebuilding, failed, consumer stalled): not ready. */
  unserved: number[];
  /** Holds no partition although its share is at least one, for two lease times: not ready. */
  starved: boolean;
  /** The events reader has pending events it was not handed (feeds behind): not ready. */
  eventsStalled: boolean;
}

export class ClusterNode implements StreamService, FlagHistory {
  readonly node: string;
  readonly subjects: Subjects;
  readonly #d: ClusterDeps;
  readonly #nc: NatsConnection;
  /** The leases' own connection (start). */
  readonly #lc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /** Publishes with acks on the main connection (pub-acks.ts): the hot path's. */
  readonly #acks: PubAcks;
  readonly #workers = new Map<number, PartitionWorker>();
  readonly #leases: LeaseManager;
  readonly #membership: Membership;
  readonly #liveness: Liveness;
  readonly #pending = new Map<string, { resolve: (r: object[] | undefined) => void; timer: NodeJS.Timeout }>();
  readonly #conns = new Map<string, Set<IngestPeer>>();
  readonly #summaries = new Map<string, StreamSummary>();
  #replySub: Subscription | undefined;
  #follow: StreamFollower | undefined;
  /** This node's stored batches, for the events reader to take instead of parsing them. */
  readonly #own = new OwnBatches(() => this.#follow?.lastSeq ?? Number.MAX_SAFE_INTEGER);
  readonly #cm: ClusterMetrics;
  #sweep: NodeJS.Timeout | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #nextCorr = 1;
  #outgoing = new Map<number, { msgs: IngestMessage[]; waiters: { from: number; count: number; resolve: (r: object[] | undefined) => void }[] }>();
  #flushScheduled = false;
  readonly #replyBatcher: ReplyBatcher;
  readonly #snapshots: SnapshotStore;
  /** One commit per node turn, when on (config nodeCommit). */
  readonly #nodeCommit: NodeCommit | undefined;
  /** Node subjects read once for the partitions replayed together (node-tail.ts). */
  readonly #nodeTail: NodeTail;
  readonly #rebuildSlots: RebuildSlots;
  #inFlight = 0;
  #closed = false;
  #draining = false;
  /** False while the NATS connection is down (reconnecting): /healthz says not ready. */
  #connected = true;

  private constructor(d: ClusterDeps, node: string, nc: NatsConnection, lc: NatsConnection, jsm: JetStreamManager, kv: KV) {
    this.#d = d;
    this.node = node;
    this.subjects = new Subjects(d.config.prefix, d.config.partitions);
    this.#nc = nc;
    this.#js = jetstream(nc);
    this.#acks = new PubAcks(nc);
    this.#jsm = jsm;
    this.#replyBatcher = new ReplyBatcher(nc);
    this.#rebuildSlots = new RebuildSlots(d.config.rebuildConcurrency);
    // A little under the server's max payload (the message carries headers too).
    this.#snapshots = new SnapshotStore({ js: this.#js, jsm, subjects: this.subjects, maxBytes: Math.max(64 * 1024, (nc.info?.max_payload ?? 1024 * 1024) - 4096) });
    this.#cm = new ClusterMetrics(d.metrics);
    this.#nodeTail = new NodeTail({ js: this.#js, jsm, subjects: this.subjects, onRetry: (reason) => this.#cm.consumerRestarts.inc({ consumer: 'node_tail', reason }) });
    this.#nodeCommit = (d.config.nodeCommit ?? process.env.PKGUARD_CLUSTER_NODE_COMMIT === '1')
      ? new NodeCommit({ acks: this.#acks, jsm, subjects: this.subjects, node, warn: (event, detail) => d.log.warn({ event, ...detail }, event.replaceAll('_', ' ')), ownStored: (seq, records) => this.#own.keep(seq, records), counted: (what) => (what === 'marker' ? this.#cm.markersRead.inc() : this.#cm.nodeBatches.inc({ outcome: what })), ...(nc.info?.max_payload ? { maxPayload: nc.info.max_payload } : {}) })
      : undefined;
    this.#lc = lc;
    this.#membership = new Membership({
      kv,
      nc: lc,
      ttlMs: d.config.leaseTtlMs,
      self: node,
      onRestart: (reason) => {
        this.#cm.consumerRestarts.inc({ consumer: 'membership', reason });
        d.log.warn({ event: 'membership_watch_restarted', node, reason }, 'membership watch started over');
      },
    });
    const leases = new LeaseManager({
      kv,
      membership: this.#membership,
      metrics: this.#cm,
      subjects: this.subjects,
      node,
      ttlMs: d.config.leaseTtlMs,
      renewMs: d.config.renewMs,
      log: d.log,
      handlers: { acquire: (p) => this.#acquire(p), release: (p) => this.#release(p) },
    });
    this.#leases = leases;
    this.#liveness = new Liveness({
      nc,
      self: node,
      subject: (n) => this.subjects.alive(n),
      peers: () => this.#membership.nodeIds(),
      onDead: (n) => void leases.evict(n),
    });
    void (async () => {
      for await (const st of nc.status()) {
        if (st.type === 'disconnect') this.#connected = false;
        else if (st.type === 'reconnect') {
          this.#connected = true;
          leases.tickNow(); // renew at once: a blip shorter than the lease moves nothing
        }
        if (st.type === 'disconnect' || st.type === 'reconnect') d.log.warn({ event: `nats_${st.type}`, node }, `NATS ${st.type}`);
      }
    })().catch(() => {});
    void (async () => {
      for await (const st of lc.status()) if (st.type === 'reconnect') leases.tickNow(); // renew at once, as above
    })().catch(() => {});
  }

  static async start(d: ClusterDeps): Promise<ClusterNode> {
    const c = d.config;
    const node = c.nodeId ?? `${hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32)}-${process.pid}-${randomBytes(3).toString('hex')}`;
    const options = {
      servers: c.servers,
      maxReconnectAttempts: -1,
      // Back within a second of nats-server's return (the default waits 2 s between attempts).
      reconnectTimeWait: 500,
      // No stack captured per request (every publish is one): it cost ~5 % of a node's CPU under load.
      noAsyncTraces: true,
      ...(c.user ? { user: c.user, pass: c.pass } : {}),
      ...(c.token ? { token: c.token } : {}),
      ...(c.credsFile ? { authenticator: credsAuthenticator(readFileSync(c.credsFile)) } : {}),
      ...(c.nkeySeedFile ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(c.nkeySeedFile, 'utf8').trim())) } : {}),
      ...(c.tls ? { tls: { ...c.tls } } : {}),
    };
    const nc = await connect({ ...options, name: `pkguard-${node}` });
    // Leases, heartbeats and the membership watch on a connection of their own: on the main one a
    // renewal queued behind megabytes of replay or of hot-path publishes, and lapsed.
    let lc: NatsConnection;
    try {
      lc = await connect({ ...options, name: `pkguard-${node}-leases` });
    } catch (err) {
      await nc.close().catch(() => {});
      throw err;
    }
    try {
      const subjects = new Subjects(c.prefix, c.partitions);
      const jsm = await settingUp('jetstream', () => jetstreamManager(nc));
      await setUpStreams(nc, jsm, subjects, c);
      const kv = await named('lease bucket open', new Kvm(jetstream(lc, { timeout: Math.max(1000, c.renewMs) })).open(subjects.ownersBucket));
      const self = new ClusterNode(d, node, nc, lc, jsm, kv);
      await settingUp('events reader', () => self.#startFollowing());
      await self.#knownShutdowns().catch((err: unknown) => d.log.warn({ event: 'shutdowns_not_read', err: (err as Error).message }, 'could not read earlier shutdowns'));
      self.#replySub = nc.subscribe(subjects.reply(node), {
        callback: (err, m) => {
          if (err) return;
          const body = m.json<ReplyBody | ReplyBody[]>();
          for (const r of Array.isArray(body) ? body : [body]) self.#onReply(r);
        },
      });
      // The watch is an ordered consumer on the lease bucket (1 s requests): an R3 cluster one
      // server short timed it out for tens of seconds (six joins in a row in join-replay.test.ts).
      await settingUp('membership', () => self.#membership.start());
      self.#liveness.start();
      self.#leases.start();
      self.#sweep = setInterval(() => {
        for (const w of self.#workers.values()) w.sweepIdle(d.idleStreamMs);
      }, Math.max(1000, Math.floor(d.idleStreamMs / 4)));
      self.#sweep.unref();
      self.#watchdog = setInterval(() => {
        if (!self.#connected) return;
        for (const w of self.#workers.values()) {
          void w.watchdog(STALL_MS).then((reason) => {
            if (!reason) return;
            self.#cm.consumerRestarts.inc({ consumer: 'ingest', reason });
            d.log.warn({ event: 'partition_consumer_restarted', partition: w.p, reason }, 'partition consumer started over');
          });
        }
      }, 1000);
      self.#watchdog.unref();
      d.log.info({ event: 'cluster_joined', node, servers: c.servers, partitions: c.partitions }, 'joined the cluster');
      return self;
    } catch (err) {
      await nc.close().catch(() => {});
      await lc.close().catch(() => {});
      throw err;
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  health(): CoreHealth {
    let streams = 0;
    for (const w of this.#workers.values()) streams += w.streamCount;
    const connected = this.#connected && !this.#nc.isClosed() && !this.#closed;
    const eventsStalled = this.#follow?.stalled ?? false;
    const owned = this.#leases.owned;
    const unserved = owned.filter((p) => this.#workers.get(p)?.unserved ?? true);
    const starved = this.#leases.starved();
    this.#cm.followerStalled.set(eventsStalled ? 1 : 0);
    this.#cm.partitionsUnserved.set(unserved.length);
    const cluster: ClusterHealth = { node: this.node, connected, nodes: this.#leases.liveNodes, partitions: owned, unserved, starved, eventsStalled };
    const ready = connected && !this.#draining && !eventsStalled && unserved.length === 0 && !starved;
    return { ready, writable: connected, pending: this.#inFlight, streams, cluster };
  }

  /** `since` reads the events stream (flag ids are its sequences). */
  get history(): FlagHistory {
    return this;
  }

  /** The partitions sweep their own idle streams on a timer (see `start`). */
  sweepIdle(): number {
    return 0;
  }

  drain(): void {
    this.#draining = true;
  }

  // --- partitions --------------------------------------------------------------------------------

  async #acquire(p: number): Promise<void> {
    const d = this.#d;
    const worker = new PartitionWorker(p, {
      nc: this.#nc,
      node: this.node,
      replies: this.#replyBatcher,
      js: this.#js,
      acks: this.#acks,
      jsm: this.#jsm,
      subjects: this.subjects,
      scanner: d.scanner,
      ids: d.ids,
      limits: d.limits,
      escalation: d.escalation,
      metrics: d.metrics,
      log: d.log,
      leaseValid: (q) => this.#leases.valid(q),
      snapshots: this.#snapshots,
      snapshotEvery: d.config.snapshotEvery,
      commitTiming: (t) => this.#cm.commitTiming(t),
      ownStored: (seq, records) => this.#own.keep(seq, records),
      ...(this.#nodeCommit ? { nodeCommit: this.#nodeCommit } : {}),
      nodeTail: this.#nodeTail,
      rebuildSlot: () => this.#rebuildSlots.take(),
      outbox: d.outbox,
      onFailure: (q, err) => {
        d.log.warn({ event: 'partition_failed', partition: q, err: err.message }, 'partition processing stopped; giving the partition up');
        void this.#leases.drop(q);
      },
    });
    this.#workers.set(p, worker);
    await worker.start();
    // The last rebuild of a wave: what it read of the node subjects is not needed again.
    if (this.#rebuildSlots.running === 0) this.#nodeTail.clear();
    this.#cm.rebuildSeconds.observe(worker.rebuilt.ms / 1000);
    d.log.info({ event: 'partition_started', partition: p, rebuiltEvents: worker.rebuilt.events, rebuiltStreams: worker.rebuilt.streams, fromSnapshot: worker.rebuilt.fromSnapshot ?? null, ms: worker.rebuilt.ms, fenceMs: worker.rebuilt.fenceMs, replayMs: worker.rebuilt.replayMs }, 'partition started');
  }

  async #release(p: number): Promise<void> {
    const worker = this.#workers.get(p);
    if (!worker) return;
    this.#workers.delete(p);
    await worker.stop();
  }

  // --- ingest from this node's WebSockets ------------------------------------------------------------

  async ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]> {
    if (this.#draining) return msgs.map((m) => wireError('shutting_down', 'server is shutting down; message not processed, send it again', m));
    const groups = new Map<number, { idx: number[]; msgs: IngestMessage[] }>();
    msgs.forEach((m, i) => {
      let conns = this.#conns.get(m.stream);
      if (!conns) this.#conns.set(m.stream, (conns = new Set()));
      conns.add(peer);
      const p = this.subjects.partition(m.stream);
      let g = groups.get(p);
      if (!g) groups.set(p, (g = { idx: [], msgs: [] }));
      g.idx.push(i);
      g.msgs.push(m);
    });
    const out = new Array<Ack | WireError>(msgs.length);
    this.#inFlight += msgs.length;
    try {
      await Promise.all(
        [...groups].map(async ([p, g]) => {
          // A partition this node serves takes its messages at once; the others' go to their owner.
          const local = this.#connected ? this.#workers.get(p)?.ingestLocal(g.msgs, peer) : undefined;
          const replies = local ? unavailableOnLogFailure(await local, g.msgs) : await this.#enqueue(p, g.msgs);
          g.idx.forEach((at, k) => {
            const m = g.msgs[k]!;
            out[at] = (replies?.[k] as Ack | WireError | undefined) ?? (replies ? wireError('internal', 'no reply for this message', m) : wireError('unavailable', 'not acked: the owning node or NATS could not be reached in time; send it again', m));
          });
        }),
      );
    } finally {
      this.#inFlight -= msgs.length;
    }
    return out;
  }

  forget(peer: IngestPeer): void {
    for (const w of this.#workers.values()) w.forget(peer);
    for (const [stream, conns] of this.#conns) {
      conns.delete(peer);
      if (conns.size === 0) this.#conns.delete(stream);
    }
  }

  async command(cmd: ModeratorCommand): Promise<CommandResult | WireError> {
    let stream: string;
    if (cmd.type === 'promote') return wireError('no_shadow_lexicon', 'a shadow lexicon is not scanned in cluster mode', { command: 'promote' });
    if (cmd.type === 'dismiss') {
      const found = await this.#flagAt(Number(cmd.flagId.slice(1)));
      if (!found) return wireError('unknown_flag', `flagId: no flag ${cmd.flagId} has been raised`);
      stream = found.stream;
    } else stream = cmd.stream;
    const replies = await this.#forward(this.subjects.partition(stream), { ...cmd, stream }, true);
    return (replies?.[0] as CommandResult | WireError | undefined) ?? wireError('unavailable', `${cmd.type} not done: the owning node or NATS could not be reached in time; send it again`);
  }

  /**
   * Messages for one partition from every connection in this event-loop turn go out as one
   * JetStream message (an array); under load a turn holds more, so the per-message cost of
   * publishing, acking and replying falls as the rate rises instead of queueing up.
   */
  #enqueue(p: number, msgs: IngestMessage[]): Promise<object[] | undefined> {
    let q = this.#outgoing.get(p);
    if (!q) {
      this.#outgoing.set(p, (q = { msgs: [], waiters: [] }));
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => this.#flush());
      }
    }
    const from = q.msgs.length;
    for (const m of msgs) q.msgs.push(m);
    return new Promise((resolve) => q.waiters.push({ from, count: msgs.length, resolve }));
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batches = this.#outgoing;
    this.#outgoing = new Map();
    for (const [p, q] of batches) {
      void this.#forward(p, q.msgs, false).then((replies) => {
        for (const w of q.waiters) w.resolve(replies ? replies.slice(w.from, w.from + w.count) : undefined);
      });
    }
  }

  /** Publishes to the partition's ingest subject and waits for the owner's replies. */
  async #forward(p: number, body: unknown, command: boolean): Promise<object[] | undefined> {
    if (!this.#connected) {
      this.#cm.forwards.inc({ outcome: 'disconnected' });
      return undefined; // NATS is down: say so at once rather than after a publish timeout
    }
    const corr = String(this.#nextCorr++);
    const h = headers();
    h.set(H_REPLY, this.subjects.reply(this.node));
    h.set(H_CORR, corr);
    if (command) h.set(H_COMMAND, '1');
    const replied = new Promise<object[] | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(corr);
        resolve(undefined);
      }, this.#d.config.replyTimeoutMs);
      this.#pending.set(corr, { resolve, timer });
    });
    try {
      await this.#acks.publish(this.subjects.ingest(p), JSON.stringify(body), { headers: h });
    } catch (err) {
      const w = this.#pending.get(corr);
      if (w) {
        clearTimeout(w.timer);
        this.#pending.delete(corr);
      }
      this.#cm.forwards.inc({ outcome: 'publish_failed' });
      this.#d.log.warn({ event: 'forward_failed', partition: p, err: (err as Error).message }, 'could not publish to the ingest stream');
      return undefined;
    }
    const replies = await replied;
    this.#cm.forwards.inc({ outcome: replies ? 'answered' : 'timed_out' });
    return replies;
  }

  #onReply(r: ReplyBody): void {
    const w = this.#pending.get(r.corr);
    if (!w) return; // timed out, or a redelivered message answered twice
    clearTimeout(w.timer);
    this.#pending.delete(r.corr);
    w.resolve(r.replies);
  }

  // --- the events stream → this node's feed and ingest connections -----------------------------------

  async #startFollowing(): Promise<void> {
    const d = this.#d;
    this.#follow = new StreamFollower({
      nc: this.#nc,
      js: this.#js,
      jsm: this.#jsm,
      stream: this.subjects.eventsStream,
      filter: this.subjects.eventsAll(),
      onMessage: (m) => {
        try {
          // A batch of this node's partitions: its records as they were stored, not parsed again.
          const own = this.#own.take(m.seq);
          if (own) {
            this.#cm.batchesOwn.inc();
            for (const rec of own) this.#dispatch(rec, m.seq);
            return;
          }
          if (m.headers?.get(H_COPY)) return; // its record came in a batch
          const e = m.json<ClusterEvent>();
          if (isTakenMarker(e)) return; // a takeover marker on a node subject: nothing to show
          if (isBatchV2(e)) {
            this.#cm.batchesParsed.inc();
            for (const rec of batchRecords(e, m.seq)) this.#dispatch(rec, m.seq);
          } else this.#dispatch(e, m.seq);
        } catch (err) {
          d.log.warn({ event: 'event_dispatch_failed', seq: m.seq, err: (err as Error).message }, 'could not deliver an event');
        }
      },
      onRestart: (reason, detail) => {
        this.#cm.consumerRestarts.inc({ consumer: 'events', reason });
        d.log.warn({ event: 'events_reader_restarted', node: this.node, reason, detail, lastSeq: this.#follow?.lastSeq }, 'events reader started over');
      },
    });
    await this.#follow.start();
  }

  #dispatch(e: ClusterEvent, seq: number): void {
    if (e.t === 'msg') {
      // A v2 batch's message record: its flags (ids given by batchRecords) go to the feed.
      if (e.flags.length > 0) this.#d.outbox.flags(e.flags, e.text ?? '', this.#conns.get(e.stream) ?? NO_PEERS, e.flags.some((f) => f.carried !== undefined) ? e.prev : undefined);
      return;
    }
    if (e.t === 'snapshot' || e.t === 'ids' || e.t === 'batch' || e.t === 'dismiss' || e.t === 'promote') return; // nothing to show
    const out = this.#d.outbox;
    const conns = this.#conns.get(e.stream) ?? NO_PEERS;
    switch (e.t) {
      case 'flag':
        out.flags([flagOf(e, seq)], e.text, conns, e.prev);
        break;
      case 'level':
        this.#summary(e.stream).level = e.level;
        this.#summary(e.stream).risk = e.risk;
        out.event({ type: 'level', stream: e.stream, level: e.level, risk: e.risk, ts: e.ts });
        break;
      case 'shutdown':
        this.#summary(e.stream).reason = e.reason;
        delete this.#summary(e.stream).recommended;
        out.shutdown({ type: 'shutdown', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts, epoch: e.epoch, manual: e.manual, ...(e.confirmed ? { confirmed: true as const } : {}) }, conns);
        break;
      case 'retract':
        out.event({ type: 'retract', stream: e.stream, seq: e.seq, flagId: e.flagId, ts: e.ts });
        break;
      case 'recommend':
        this.#summary(e.stream).recommended = e.reason;
        out.event({ type: 'recommend', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts });
        break;
      case 'decline':
        delete this.#summary(e.stream).recommended;
        out.event({ type: 'decline', stream: e.stream, ts: e.ts });
        break;
      case 'restore':
        delete this.#summary(e.stream).reason;
        out.event({ type: 'restore', stream: e.stream, ts: e.ts, epoch: e.epoch });
        break;
      case 'pk':
        this.#summary(e.stream).pk = e.state === 'start';
        if (e.state === 'start' && e.opponent) this.#summary(e.stream).opponent = e.opponent;
        else delete this.#summary(e.stream).opponent;
        out.pk({ type: 'pk', stream: e.stream, state: e.state, ts: e.ts, ...(e.opponent ? { opponent: e.opponent } : {}) });
        break;
      case 'end':
        if (this.#summaries.get(e.stream)?.level !== 'shutdown') this.#summaries.delete(e.stream);
        out.end?.({ type: 'end', stream: e.stream, seq: e.seq, ts: e.ts });
        break;
    }
  }

  /**
   * Every stream shut down before this node started, so its console shows their banners: the last
   * shutdown and the last restore of each stream on the events stream (a restore of the same epoch
   * lifts it), and the partitions' snapshots for streams whose records the retention removed.
   * Streams the events reader has seen since it started are left as it found them (newer).
   */
  async #knownShutdowns(): Promise<void> {
    const state = new Map<string, { epoch: number; shut: boolean; reason?: string }>();
    const note = (stream: string, epoch: number, shut: boolean, reason?: string) => {
      const s = state.get(stream);
      // Same epoch: the restore lifts that epoch's shutdown.
      if (!s || epoch > s.epoch || (epoch === s.epoch && !shut)) state.set(stream, { epoch, shut, ...(reason !== undefined ? { reason } : {}) });
    };
    for (let p = 0; p < this.subjects.partitions; p++) {
      const snap = await this.#snapshots.load(p);
      if (snap.upTo === undefined) continue;
      for (const s of snap.state.shutdown) note(s.stream, s.epoch, true, s.reason);
    }
    for (const [filter, shut] of [[this.subjects.shutdownsAll(), true], [this.subjects.restoresAll(), false]] as const) {
      for await (const e of this.#lastPerSubject(filter)) {
        const r = e as { stream?: string; epoch?: number; reason?: string };
        if (typeof r.stream === 'string' && typeof r.epoch === 'number') note(r.stream, r.epoch, shut, r.reason);
      }
    }
    let shut = 0;
    for (const [stream, s] of state) {
      if (!s.shut || this.#summaries.has(stream)) continue;
      const summary = this.#summary(stream);
      summary.level = 'shutdown';
      if (s.reason !== undefined) summary.reason = s.reason;
      shut++;
    }
    this.#d.log.info({ event: 'shutdowns_known', streams: state.size, shutDown: shut }, 'streams shut down before this node started');
  }

  /** The last message of each subject under `filter`, read up to the newest as of now. */
  async *#lastPerSubject(filter: string): AsyncGenerator<unknown> {
    let last = 0;
    try {
      last = (await this.#jsm.streams.getMessage(this.subjects.eventsStream, { last_by_subj: filter }))?.seq ?? 0;
    } catch (err) {
      if (!/no message found|not found/i.test((err as Error).message)) throw err;
    }
    if (last === 0) return;
    const oc = await this.#js.consumers.get(this.subjects.eventsStream, { filter_subjects: filter, deliver_policy: DeliverPolicy.LastPerSubject });
    const iter = await oc.consume({ max_messages: 1000 });
    try {
      for await (const m of iter) {
        try {
          yield m.json();
        } catch {
          /* not JSON: skipped */
        }
        if (m.seq >= last) break;
      }
    } finally {
      iter.stop();
      void oc.delete().catch(() => {});
    }
  }

  #summary(stream: string): StreamSummary {
    let s = this.#summaries.get(stream);
    if (!s) {
      s = { stream, level: 'normal', risk: 0, pk: false };
      this.#summaries.set(stream, s);
      if (this.#summaries.size > 200_000) this.#summaries.delete(this.#summaries.keys().next().value!);
    }
    return s;
  }

  /** Streams whose level or PK state this node has seen on the events stream since it started. */
  summaries(): StreamSummary[] {
    return [...this.#summaries.values()].map((s) => ({ ...s }));
  }

  /**
   * Above every flag stored so far and below every later one: flag numbers are `seq * FLAG_ID_SPAN + i`
   * (events.ts; older flags: their sequence), so `history` counts back in those numbers.
   */
  async lastFlagNumber(): Promise<number> {
    const { last } = await this.#eventsState();
    return last === 0 ? 0 : (last + 1) * FLAG_ID_SPAN - 1;
  }

  /**
   * `history: n` counts back n events of the history, not n flag numbers: a batch spans
   * FLAG_ID_SPAN numbers, so counting numbers reached back a thousandth as far as before session 13.
   */
  historyStart(latest: number, n: number): number {
    return Math.max(0, latest - n * FLAG_ID_SPAN);
  }

  /** The oldest flag number still held once the events stream's age limit removed older events. */
  async retainedFrom(): Promise<number | undefined> {
    const { first } = await this.#eventsState();
    return first > 1 ? first * FLAG_ID_SPAN : undefined;
  }

  /**
   * Where the flag numbered `n` is stored and what it is: in a v2 batch at `n / FLAG_ID_SPAN`, or
   * (flags stored before session 13) a flag event at sequence `n`. Unambiguous: a v2 batch there
   * means the history was written in batches from before it on, so no older flag has that number.
   */
  async #flagAt(n: number): Promise<{ stream: string; flag: Flag; text?: string } | undefined> {
    const get = async (seq: number) => {
      try {
        return seq >= 1 && Number.isSafeInteger(seq) ? await this.#jsm.streams.getMessage(this.subjects.eventsStream, { seq }) : null;
      } catch {
        return null;
      }
    };
    const place = flagPlace(n);
    const sm = await get(place.seq);
    const body = sm ? (safeJson(sm.data) as ClusterEvent | undefined) : undefined;
    if (isBatchV2(body)) {
      const id = `f${n}`;
      for (const r of batchRecords(body, place.seq)) if (r.t === 'msg') for (const f of r.flags) if (f.id === id) return { stream: r.stream, flag: f, ...(r.text !== undefined ? { text: r.text } : {}) };
      return undefined;
    }
    const old = await get(n);
    const e = old ? (safeJson(old.data) as ClusterEvent | undefined) : undefined;
    return e?.t === 'flag' ? { stream: e.stream, flag: flagOf(e, n), text: e.text } : undefined;
  }

  /**
   * `since` for `/feed`: flags numbered above `after`, read from the events stream: flag events of
   * the older layout and the flags inside v2 batches, in stream order (which is number order).
   * Started at the batch `after` names (an older flag's number is its own sequence, higher still).
   */
  async *flagEntriesSince(after: number): AsyncGenerator<{ flag: Flag; text: string | undefined; prev?: string }> {
    // Up to the newest event as of now, not by the consumer's pending count (nats-server 2.9 counts
    // a filtered consumer's pending from a start sequence short: the last flags would be missed).
    const { last } = await this.#eventsState();
    const from = Math.max(1, flagPlace(after).seq);
    if (last < from) return;
    const events = readRange({
      js: this.#js,
      jsm: this.#jsm,
      stream: this.subjects.eventsStream,
      filter: this.subjects.eventsAll(),
      from,
      to: last,
      onRetry: (reason, detail) => this.#replayRetried(reason, detail),
    });
    for await (const m of events) {
      const e = m.headers?.get(H_COPY) ? undefined : (safeJson(m.data) as ClusterEvent | undefined);
      if (isBatchV2(e)) {
        for (const r of batchRecords(e, m.seq)) {
          if (r.t !== 'msg') continue;
          const carried = r.flags.some((f) => f.carried !== undefined);
          for (const f of r.flags) if (Number(f.id.slice(1)) > after) yield carried && r.prev !== undefined ? { flag: f, text: r.text, prev: r.prev } : { flag: f, text: r.text };
        }
      } else if (e?.t === 'flag' && m.seq > after) yield e.prev !== undefined ? { flag: flagOf(e, m.seq), text: e.text, prev: e.prev } : { flag: flagOf(e, m.seq), text: e.text };
    }
  }

  /**
   * The events stream's first and last sequence, asked again while a NATS cluster re-elects (a
   * joining node one server short got `timeout` here for seconds): `since` waits, then says so.
   */
  async #eventsState(): Promise<{ first: number; last: number }> {
    const info = await retryFor('events stream info', () => this.#jsm.streams.info(this.subjects.eventsStream), { onRetry: (err) => this.#replayRetried('stream_info', err.message) });
    return { first: info.state.first_seq, last: info.state.last_seq };
  }

  #replayRetried(reason: string, detail: string): void {
    this.#cm.consumerRestarts.inc({ consumer: 'replay', reason });
    this.#d.log.warn({ event: 'replay_retried', reason, err: detail }, 'a since replay asks JetStream again');
  }

  /**
   * SIGTERM: gives every partition back (the others take over at once) and leaves. Bounded in every
   * path (a SIGTERMed node once took over 60 s with a nats-server of its cluster dead): each NATS
   * step is raced against a bound (`LEAVE_BOUND`), a bound hit is logged, and whatever is left is
   * closed without NATS, so nothing keeps the process alive afterwards.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweep);
    clearInterval(this.#watchdog);
    this.#liveness.stop();
    const ttl = this.#d.config.leaseTtlMs;
    const t0 = Date.now();
    // 1. Hand the partitions back (needs NATS; with NATS gone the leases lapse by themselves).
    const handedBack = await bounded(
      (async () => {
        await this.#leases.close();
        this.#membership.stop();
        await this.#follow?.stop();
      })(),
      2 * ttl,
    );
    this.#membership.stop();
    // Its restart loop ends here (it retried opening a consumer for good with NATS gone).
    void this.#follow?.stop();
    this.#replySub?.unsubscribe();
    for (const w of this.#pending.values()) {
      clearTimeout(w.timer);
      w.resolve(undefined);
    }
    if (!handedBack) this.#d.log.warn({ event: 'cluster_leave_timeout', node: this.node, step: 'hand_back', boundMs: 2 * ttl }, 'could not hand the partitions back (NATS unreachable); their leases lapse');
    // 2. Partitions not handed back stop (their cores would retry the log for good), then the
    //    connections drain (flush what is published, unsubscribe), each within the rest of a lease time.
    const workers = [...this.#workers.values()];
    this.#workers.clear();
    const stopped = await bounded(Promise.all(workers.map((w) => w.stop().catch(() => {}))), ttl);
    if (!stopped) this.#d.log.warn({ event: 'cluster_leave_timeout', node: this.node, step: 'partitions_stop', boundMs: ttl, partitions: workers.map((w) => w.p) }, 'partitions did not stop in time; closing without them');
    this.#acks.close();
    const drainBy = t0 + 3 * ttl;
    await Promise.all(
      [this.#nc, this.#lc].map(async (c, i) => {
        if (handedBack && !c.isClosed()) {
          const drained = await bounded(c.drain(), Math.max(0, drainBy - Date.now()));
          if (!drained) this.#d.log.warn({ event: 'cluster_leave_timeout', node: this.node, step: 'drain', connection: i === 0 ? 'main' : 'leases', boundMs: drainBy - t0 }, 'NATS connection did not drain in time; closed');
        }
        // A connection that cannot drain (NATS gone) is closed: left reconnecting, it kept the process alive.
        if (!c.isClosed()) await bounded(c.close(), CLOSE_BOUND_MS);
      }),
    );
    this.#d.log.info({ event: 'cluster_left', node: this.node, ms: Date.now() - t0, handedBack }, 'left the cluster');
  }
}

/** Resolves true once `work` settles, false if `ms` passes first (the work is left to finish or not). */
async function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const out = await Promise.race([
    work.then(
      () => true,
      () => true,
    ),
    new Promise<false>((r) => (timer = setTimeout(() => r(false), ms))),
  ]);
  clearTimeout(timer);
  return out;
}

/** A closed connection's socket is destroyed at once; this only guards a close that waits on its own listeners. */
const CLOSE_BOUND_MS = 1000;

const NO_PEERS: ReadonlySet<IngestPeer> = new Set();

/**
 * The core answers `internal` when its log failed; in cluster mode the log is JetStream, so that
 * is NATS not storing (an outage, a timeout): `unavailable`, as for a forward that found NATS down.
 */
function unavailableOnLogFailure(replies: (Ack | WireError)[], msgs: readonly IngestMessage[]): (Ack | WireError)[] {
  return replies.map((r, i) => ((r as WireError).code === 'internal' ? wireError('unavailable', 'not acked: NATS did not store it in time; send it again', msgs[i]) : r));
}
/** A consumer with work waiting that delivered nothing for this long is recreated. */
const STALL_MS = 3000;

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

function flagOf(e: FlagEvent, seq: number): Flag {
  return { id: `f${seq}`, ...e.flag } as Flag;
}
