/**
 * The stream core as the transport of one owner process sees it when the node runs several
 * (config `processes`): a `StreamService` that keeps the messages of the streams this process owns
 * and forwards the others, in frame order per owner, over a Unix socket to their owner
 * (owner-host.ts). A frame's replies are put back in its order; the ones from another owner arrive
 * only after that owner's journal is durable, so "ack means durable" holds per owner unchanged.
 *
 * An owner that cannot be reached (killed, restarting) costs only its own streams: their messages
 * get `unavailable` at once (not acked; the client sends them again), and a batch it had taken but
 * not answered when its link broke gets `unavailable` for exactly the messages of that batch.
 */
import { connect } from 'node:net';
import type { Logger } from 'pino';
import { wireError, type WireError } from '../protocol/codes.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Ack, CommandResult, CoreHealth, FlagHistory, IngestPeer, ModeratorCommand, StreamService, StreamSummary } from '../stream/contracts.js';
import { LineLink } from './line-link.js';
import { ownerOfFlag, ownerOfStream } from './owner-of.js';
import type { FlagMerge } from './flag-merge.js';
import { mergedHistory } from './owner-history.js';
import type { OwnerWatermark } from './owner-watermark.js';
import type { Flag } from '../flag.js';
import type { FlagEntry } from '../stream/contracts.js';

type Reply = Ack | WireError;

interface Pending {
  /** `undefined` from the owner: every message of the batch was acked (owner-host.ts). */
  resolve(v: unknown): void;
  /** The link broke before the answer. */
  fail(): void;
  count: number;
}

export interface OwnerRouterParts {
  /** This process's core: the owner of its own streams. */
  core: StreamService;
  /** The merge of every owner's flags in front of this process's feed hub. */
  merge: FlagMerge;
  /** This owner's watermark (its core's batches in flight, its allocator). */
  watermark: OwnerWatermark;
  self: number;
  /** Each owner's link socket path, by owner index. */
  sockets: readonly string[];
  log: Logger;
  /** A feed event other than flags another owner published (a parsed `{t:'e',...}` message). */
  onEvent(m: Record<string, unknown>): void;
  /** A signal another owner sent to one of this process's ingest connections. */
  onSignal(peer: IngestPeer, json: string): void;
  /** Messages forwarded to another owner (a metric). */
  onForward(count: number): void;
}

export class OwnerRouter implements StreamService {
  readonly #p: OwnerRouterParts;
  readonly #n: number;
  readonly #links: (LineLink | undefined)[];
  readonly #pending: Map<number, Pending>[];
  /** This process's connections, by id: another owner's signals name them. */
  readonly #peers = new Map<number, IngestPeer>();
  /** Per connection that has frames in flight with a forward: when its last frame is answered. */
  readonly #tails = new Map<number, Promise<void>>();
  #nextId = 1;
  #remoteInFlight = 0;
  #closed = false;
  /** Called once an owner's first watermark came (start waits for every owner's). */
  readonly #heard: ((() => void) | undefined)[];
  /** Has had this link's first watermark (reset when the link breaks). */
  readonly #heardFrom: boolean[];
  readonly history: FlagHistory;

  constructor(p: OwnerRouterParts) {
    this.#p = p;
    this.#n = p.sockets.length;
    this.#links = p.sockets.map(() => undefined);
    this.#pending = p.sockets.map(() => new Map());
    this.#heard = p.sockets.map(() => undefined);
    this.#heardFrom = p.sockets.map(() => false);
    this.history = mergedHistory({
      owners: this.#n,
      self: p.self,
      local: p.core.history,
      page: (o, after, max) => this.#call(o, { t: 'q', q: 'history', after, max }, 0, () => undefined) as Promise<FlagEntry[] | undefined>,
      retained: (o) => this.#call(o, { t: 'q', q: 'retained' }, 0, () => undefined) as Promise<number | undefined | null>,
      frontier: () => p.merge.frontier(),
    });
  }

  /** Links to every other owner; resolves once each has told its watermark (at start); a broken link is retried until close. */
  start(): Promise<void> {
    const up: Promise<void>[] = [];
    for (let i = 0; i < this.#n; i++) if (i !== this.#p.self) up.push(new Promise((resolve) => ((this.#heard[i] = resolve), this.#connect(i))));
    return Promise.all(up).then(() => undefined);
  }

  get inFlight(): number {
    return this.#p.core.inFlight + this.#remoteInFlight;
  }

  ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<Reply[]> {
    const self = this.#p.self;
    let mine = true;
    for (let i = 0; i < msgs.length; i++) if (ownerOfStream(msgs[i]!.stream, this.#n) !== self) {
      mine = false;
      break;
    }
    if (mine) return this.#inOrder(peer, this.#p.watermark.ingest(this.#p.core, msgs, peer));
    this.#peers.set(peer.id, peer);
    // Split by owner, keeping each message's place in the frame.
    const parts: { msgs: IngestMessage[]; at: number[] }[] = Array.from({ length: this.#n }, () => ({ msgs: [], at: [] }));
    for (let i = 0; i < msgs.length; i++) {
      const part = parts[ownerOfStream(msgs[i]!.stream, this.#n)]!;
      part.msgs.push(msgs[i]!);
      part.at.push(i);
    }
    const out = new Array<Reply>(msgs.length);
    const waits: Promise<void>[] = [];
    for (let o = 0; o < this.#n; o++) {
      const part = parts[o]!;
      if (part.msgs.length === 0) continue;
      const answer = o === self ? this.#p.watermark.ingest(this.#p.core, part.msgs, peer) : this.#forward(o, part.msgs, peer);
      waits.push(
        answer.then((replies) => {
          for (let k = 0; k < replies.length; k++) out[part.at[k]!] = replies[k]!;
        }),
      );
    }
    return this.#inOrder(peer, Promise.all(waits).then(() => out), true);
  }

  /**
   * A connection's frames answer in the order it sent them. A frame's replies wait for its slowest
   * part; without this, a frame whose forward was refused at once (owner down) answered before an
   * earlier one still waiting for that owner, and a stream of this owner saw its acks out of seq
   * order. Only connections that have forwarded pay for it (one promise per frame).
   */
  #inOrder(peer: IngestPeer, p: Promise<Reply[]>, forwarded = false): Promise<Reply[]> {
    const tail = this.#tails.get(peer.id);
    if (!tail && !forwarded) return p;
    const ordered = tail ? Promise.all([p, tail]).then(([r]) => r) : p;
    const next = ordered.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(peer.id, next);
    // The last frame answered and nothing after it: back to the fast path.
    void next.then(() => {
      if (this.#tails.get(peer.id) === next) this.#tails.delete(peer.id);
    });
    return ordered;
  }

  command(cmd: ModeratorCommand): Promise<CommandResult | WireError> {
    const o = 'stream' in cmd ? ownerOfStream(cmd.stream, this.#n) : 'flagId' in cmd ? ownerOfFlag(cmd.flagId, this.#n) : this.#p.self;
    if (o === this.#p.self) return this.#p.core.command(cmd);
    const where = { command: cmd.type, ...('stream' in cmd ? { stream: cmd.stream } : 'flagId' in cmd ? { flagId: cmd.flagId } : {}) };
    return this.#call(o, { t: 'k', cmd }, 1, () => wireError('unavailable', `the owner of this ${'stream' in cmd ? 'stream' : 'flag'} is unavailable; send it again`, where)) as Promise<CommandResult | WireError>;
  }

  forget(peer: IngestPeer): void {
    this.#tails.delete(peer.id);
    this.#p.core.forget(peer);
    if (this.#peers.delete(peer.id)) for (const link of this.#links) link?.send({ t: 'g', c: peer.id });
  }

  async summaries(): Promise<StreamSummary[]> {
    const all = await Promise.all(this.#owners().map((o) => (o === this.#p.self ? this.#p.core.summaries() : (this.#call(o, { t: 'q', q: 'summaries' }, 0, () => []) as Promise<StreamSummary[]>))));
    return all.flat();
  }

  /** The newest flag number released to the feed could be (ids are sparse across owners: a bound, not always a flag). */
  lastFlagNumber(): number {
    const f = this.#p.merge.frontier();
    return Number.isFinite(f) ? Math.max(0, f - 1) : 0;
  }

  health(): CoreHealth {
    const h = this.#p.core.health();
    return { ...h, ready: h.ready && this.#links.every((l, i) => i === this.#p.self || (l !== undefined && !l.closed)) };
  }

  /** Which owners are linked now (for `/healthz` and logs). */
  linked(): boolean[] {
    return this.#links.map((l, i) => i === this.#p.self || (l !== undefined && !l.closed));
  }

  sweepIdle(idleMs: number): number {
    return this.#p.core.sweepIdle(idleMs);
  }

  drain(): void {
    this.#p.core.drain();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const link of this.#links) link?.close();
    await this.#p.core.close();
  }

  #owners(): number[] {
    return Array.from({ length: this.#n }, (_, i) => i);
  }

  #forward(o: number, msgs: IngestMessage[], peer: IngestPeer): Promise<Reply[]> {
    const down = () => msgs.map((m) => wireError('unavailable', `the owner process of stream ${m.stream} is unavailable; not acked, send it again`, m));
    this.#remoteInFlight += msgs.length;
    // Counted only when it goes out (an owner that is down answers `unavailable` here).
    if (this.#links[o] && !this.#links[o]!.closed) this.#p.onForward(msgs.length);
    const p = (this.#call(o, { t: 'b', c: peer.id, m: msgs }, msgs.length, down) as Promise<Reply[] | undefined>).then((v) => v ?? msgs.map((m): Ack => ({ type: 'ack', stream: m.stream, seq: m.seq })));
    const done = () => (this.#remoteInFlight -= msgs.length);
    p.then(done, done);
    return p;
  }

  /** A request to owner `o`; `unavailable()` answers it when the owner cannot be reached or its link breaks before the answer. */
  #call(o: number, m: Record<string, unknown>, count: number, unavailable: () => unknown): Promise<unknown> {
    const link = this.#links[o];
    if (!link || link.closed) return Promise.resolve(unavailable());
    const id = this.#nextId++;
    m.id = id;
    return new Promise((resolve) => {
      this.#pending[o]!.set(id, { resolve, fail: () => resolve(unavailable()), count });
      link.send(m);
    });
  }

  #connect(o: number): void {
    if (this.#closed) return;
    const socket = connect(this.#p.sockets[o]!);
    let linked = false;
    socket.once('connect', () => {
      linked = true;
      // Held back from here until its first watermark, which is the first thing it sends.
      this.#p.merge.up(o);
      this.#links[o] = new LineLink(socket, (m) => this.#receive(o, m), () => this.#lost(o));
      this.#p.log.info({ event: 'owner_linked', owner: o }, `linked to owner ${o}`);
    });
    socket.once('error', () => {
      if (linked) return;
      socket.destroy();
      setTimeout(() => this.#connect(o), 100).unref();
    });
  }

  #lost(o: number): void {
    this.#links[o] = undefined;
    this.#heardFrom[o] = false;
    const pending = this.#pending[o]!;
    this.#pending[o] = new Map();
    if (!this.#closed) this.#p.log.warn({ event: 'owner_unlinked', owner: o, unanswered: pending.size }, `owner ${o} unreachable; its streams get unavailable until it is back`);
    for (const p of pending.values()) p.fail();
    this.#p.merge.down(o);
    setTimeout(() => this.#connect(o), 100).unref();
  }

  /** In the order the owner sent them: a batch's signals before its answer. */
  #receive(o: number, m: Record<string, unknown>): void {
    switch (m.t) {
      case 'r': {
        const pending = this.#pending[o]!;
        const p = pending.get(m.id as number);
        pending.delete(m.id as number);
        p?.resolve(m.v);
        break;
      }
      case 'x': {
        const peer = this.#peers.get(m.c as number);
        if (peer) this.#p.onSignal(peer, m.j as string);
        break;
      }
      case 'w': {
        const w = m.w as number;
        // The first watermark of a link (a start, a restart): number this owner's next flags past
        // everything that owner may have published while they were apart. Only the first: moving on
        // every watermark, two idle owners pushed each other's ids up by one class step per turn, forever.
        if (!this.#heardFrom[o]) {
          this.#heardFrom[o] = true;
          this.#p.watermark.moveTo(w);
        }
        this.#p.merge.watermark(o, w);
        const heard = this.#heard[o];
        this.#heard[o] = undefined;
        heard?.();
        break;
      }
      case 'e':
        if (m.k === 'flags') {
          const flags = m.flags as Flag[];
          if (flags.length > 0) this.#p.watermark.moveTo(Number(flags[flags.length - 1]!.id.slice(1)) + 1);
          this.#p.merge.add(o, flags, m.text as string, m.prev as string | undefined);
        } else this.#p.onEvent(m);
        break;
    }
  }
}
