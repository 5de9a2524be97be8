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

type Reply = Ack | WireError;

interface Pending {
  resolve(v: unknown): void;
  /** The link broke before the answer. */
  fail(): void;
  count: number;
}

export interface OwnerRouterParts {
  /** This process's core: the owner of its own streams. */
  core: StreamService;
  self: number;
  /** Each owner's link socket path, by owner index. */
  sockets: readonly string[];
  log: Logger;
  /** A feed event another owner published (a serialized `{t:'e',...}` message). */
  onEvent(m: Record<string, unknown>): void;
  /** A signal another owner sent to one of this process's ingest connections. */
  onSignal(peer: IngestPeer, json: string): void;
}

export class OwnerRouter implements StreamService {
  readonly #p: OwnerRouterParts;
  readonly #n: number;
  readonly #links: (LineLink | undefined)[];
  readonly #pending: Map<number, Pending>[];
  /** This process's connections, by id: another owner's signals name them. */
  readonly #peers = new Map<number, IngestPeer>();
  #nextId = 1;
  #remoteInFlight = 0;
  #closed = false;

  constructor(p: OwnerRouterParts) {
    this.#p = p;
    this.#n = p.sockets.length;
    this.#links = p.sockets.map(() => undefined);
    this.#pending = p.sockets.map(() => new Map());
  }

  /** Links to every other owner; resolves once all are up (at start); a broken link is retried until close. */
  start(): Promise<void> {
    const up: Promise<void>[] = [];
    for (let i = 0; i < this.#n; i++) if (i !== this.#p.self) up.push(new Promise((resolve) => this.#connect(i, resolve)));
    return Promise.all(up).then(() => undefined);
  }

  get history(): FlagHistory {
    return this.#p.core.history;
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
    if (mine) return this.#p.core.ingestBatch(msgs, peer);
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
      const answer = o === self ? this.#p.core.ingestBatch(part.msgs, peer) : this.#forward(o, part.msgs, peer);
      waits.push(
        answer.then((replies) => {
          for (let k = 0; k < replies.length; k++) out[part.at[k]!] = replies[k]!;
        }),
      );
    }
    return Promise.all(waits).then(() => out);
  }

  command(cmd: ModeratorCommand): Promise<CommandResult | WireError> {
    const o = 'stream' in cmd ? ownerOfStream(cmd.stream, this.#n) : 'flagId' in cmd ? ownerOfFlag(cmd.flagId, this.#n) : this.#p.self;
    if (o === this.#p.self) return this.#p.core.command(cmd);
    const where = { command: cmd.type, ...('stream' in cmd ? { stream: cmd.stream } : 'flagId' in cmd ? { flagId: cmd.flagId } : {}) };
    return this.#call(o, { t: 'k', cmd }, 1, () => wireError('unavailable', `the owner of this ${'stream' in cmd ? 'stream' : 'flag'} is unavailable; send it again`, where)) as Promise<CommandResult | WireError>;
  }

  forget(peer: IngestPeer): void {
    this.#p.core.forget(peer);
    if (this.#peers.delete(peer.id)) for (const link of this.#links) link?.send({ t: 'g', c: peer.id });
  }

  async summaries(): Promise<StreamSummary[]> {
    const all = await Promise.all(this.#owners().map((o) => (o === this.#p.self ? this.#p.core.summaries() : (this.#call(o, { t: 'q', q: 'summaries' }, 0, () => []) as Promise<StreamSummary[]>))));
    return all.flat();
  }

  lastFlagNumber(): number | Promise<number> {
    return this.#p.core.lastFlagNumber();
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
    const p = this.#call(o, { t: 'b', c: peer.id, m: msgs }, msgs.length, down) as Promise<Reply[]>;
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

  #connect(o: number, up?: () => void): void {
    if (this.#closed) return;
    const socket = connect(this.#p.sockets[o]!);
    let linked = false;
    socket.once('connect', () => {
      linked = true;
      this.#links[o] = new LineLink(socket, (m) => this.#receive(o, m), () => this.#lost(o));
      this.#p.log.info({ event: 'owner_linked', owner: o }, `linked to owner ${o}`);
      up?.();
    });
    socket.once('error', () => {
      if (linked) return;
      socket.destroy();
      setTimeout(() => this.#connect(o, up), 100).unref();
    });
  }

  #lost(o: number): void {
    this.#links[o] = undefined;
    const pending = this.#pending[o]!;
    this.#pending[o] = new Map();
    if (!this.#closed) this.#p.log.warn({ event: 'owner_unlinked', owner: o, unanswered: pending.size }, `owner ${o} unreachable; its streams get unavailable until it is back`);
    for (const p of pending.values()) p.fail();
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
      case 'e':
        this.#p.onEvent(m);
        break;
    }
  }
}
