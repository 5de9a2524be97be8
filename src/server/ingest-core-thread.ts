/**
 * The stream core in a worker thread (`coreThread`), seen from the main thread as the same
 * `StreamService`: the main thread keeps the sockets, WebSocket framing, frame parsing, validation,
 * the feed hub and the ack writes; the worker owns every stream's state (seq windows, scanning,
 * escalation, flag ids) and the journal (ingest-core-worker.ts). One owner per stream, as in one
 * thread, so every guarantee of the embedded core holds unchanged: the worker answers a batch only
 * after its append is durable, and the signals it caused travel in the same ordered channel, ahead
 * of the answer.
 *
 * Cost: one `postMessage` per event-loop turn each way, carrying every batch, answer and signal of
 * that turn (no per-message messages); the messages are structured-cloned once.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config.js';
import { JournalError, LexiconError, PkguardError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { WireError } from '../protocol/codes.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Ack, CommandResult, CoreHealth, FlagEntry, FlagHistory, IngestPeer, ModeratorCommand, Outbox, StreamService, StreamSummary } from '../stream/contracts.js';
import type { CoreSide } from '../core-side.js';
import { type FromCore, type Signal, type ToCore, HISTORY_PAGE } from './ingest-core-wire.js';
import { TurnQueue } from '../runtime/turn-queue.js';

export interface CoreThreadParts {
  log: Logger;
  metrics: Metrics;
  outbox: Outbox;
  noteJournal: (w: number, s: number, wait: number) => void;
  noteSnapshot: (heldSeconds: number) => void;
  /** The worker died while serving (not at close): in one thread that would have been the process. */
  onDeath?: (err: Error) => void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

export class CoreThread implements StreamService, CoreSide {
  readonly #worker: Worker;
  readonly #outbox: Outbox;
  readonly #log: Logger;
  readonly #noteJournal: (w: number, s: number, wait: number) => void;
  readonly #noteSnapshot: (heldSeconds: number) => void;
  readonly #pending = new Map<number, Pending>();
  /** Peers by id: the worker names them by id; signals for a closed one are dropped. */
  readonly #peers = new Map<number, IngestPeer>();
  #nextId = 1;
  /** Posted once per event-loop turn: every batch of the turn in one message. */
  readonly #queue = new TurnQueue<ToCore>((q) => {
    if (!this.#exited) this.#worker.postMessage(q);
  });
  #inFlight = 0;
  #health: CoreHealth & { patterns: number } = { ready: false, writable: false, pending: 0, streams: 0, patterns: 0 };
  #exited: Error | undefined;
  #closing = false;
  readonly #onDeath: ((err: Error) => void) | undefined;
  readonly history: FlagHistory;

  private constructor(worker: Worker, p: CoreThreadParts) {
    this.#worker = worker;
    this.#onDeath = p.onDeath;
    this.#outbox = p.outbox;
    this.#log = p.log;
    this.#noteJournal = p.noteJournal;
    this.#noteSnapshot = p.noteSnapshot;
    p.metrics.registry.remote = () => this.#call({ t: 'metrics', id: 0 }) as ReturnType<NonNullable<Metrics['registry']['remote']>>;
    const call = this.#call.bind(this);
    this.history = {
      // Paged: a page of flags per round trip, from the worker's journal.
      async *flagEntriesSince(after: number): AsyncGenerator<FlagEntry> {
        let from = after;
        for (;;) {
          const page = (await call({ t: 'history', id: 0, after: from, max: HISTORY_PAGE })) as FlagEntry[];
          for (const e of page) yield e;
          if (page.length < HISTORY_PAGE) return;
          from = Number(page[page.length - 1]!.flag.id.slice(1));
        }
      },
      retainedFrom: () => call({ t: 'retained', id: 0 }) as Promise<number | undefined>,
    };
    worker.on('message', (items: FromCore[]) => this.#receive(items));
    worker.on('error', (err) => this.#die(err));
    worker.on('exit', (code) => this.#die(new Error(`core thread exited with code ${code}`)));
  }

  /** Starts the worker and waits until its core has replayed the journal and takes messages. */
  static async start(p: CoreThreadParts & { config: ServerConfig }): Promise<CoreThread> {
    const worker = new Worker(new URL('./ingest-core-worker.js', import.meta.url), { workerData: { config: p.config } });
    const self = new CoreThread(worker, p);
    await self.#call({ t: 'started', id: 0 }).catch(async (err: unknown) => {
      self.#closing = true;
      await worker.terminate();
      throw err;
    });
    return self;
  }

  get core(): StreamService {
    return this;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  patterns(): number {
    return this.#health.patterns;
  }

  health(): CoreHealth {
    const { patterns: _, ...h } = this.#health;
    return h;
  }

  ingestBatch(msgs: readonly IngestMessage[], peer: IngestPeer): Promise<(Ack | WireError)[]> {
    this.#peers.set(peer.id, peer);
    this.#inFlight += msgs.length;
    const done = () => (this.#inFlight -= msgs.length);
    const p = this.#call({ t: 'ingest', id: 0, peer: peer.id, msgs }) as Promise<(Ack | WireError)[]>;
    p.then(done, done);
    return p;
  }

  command(cmd: ModeratorCommand): Promise<CommandResult | WireError> {
    return this.#call({ t: 'command', id: 0, cmd }) as Promise<CommandResult | WireError>;
  }

  forget(peer: IngestPeer): void {
    this.#peers.delete(peer.id);
    this.#send({ t: 'forget', peer: peer.id });
  }

  summaries(): Promise<StreamSummary[]> {
    return this.#call({ t: 'summaries', id: 0 }) as Promise<StreamSummary[]>;
  }

  lastFlagNumber(): Promise<number> {
    return this.#call({ t: 'last', id: 0 }) as Promise<number>;
  }

  /** Fire and forget: the worker sweeps and logs; the count is not known here. */
  sweepIdle(idleMs: number): number {
    this.#send({ t: 'sweep', idleMs });
    return 0;
  }

  drain(): void {
    this.#send({ t: 'drain' });
  }

  reload(reason: string, opts: { force?: boolean } = {}): Promise<boolean> {
    return this.#call({ t: 'reload', id: 0, reason, force: opts.force === true }) as Promise<boolean>;
  }

  stop(): void {
    this.#send({ t: 'stop' });
  }

  async close(): Promise<void> {
    if (!this.#exited) await this.#call({ t: 'close', id: 0 });
    this.#closing = true;
    await this.#worker.terminate();
  }

  #call(msg: ToCore & { id: number }): Promise<unknown> {
    if (this.#exited) return Promise.reject(this.#exited);
    msg.id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(msg.id, { resolve, reject });
      this.#send(msg);
    });
  }

  #send(msg: ToCore): void {
    this.#queue.push(msg);
  }

  /** In the order the worker sent them: signals of a batch before its answer. */
  #receive(items: FromCore[]): void {
    for (const m of items) {
      switch (m.t) {
        case 'reply': {
          const p = this.#pending.get(m.id);
          this.#pending.delete(m.id);
          p?.resolve(m.value);
          break;
        }
        case 'fail': {
          const p = this.#pending.get(m.id);
          this.#pending.delete(m.id);
          p?.reject(rebuildError(m.error));
          break;
        }
        case 'signal':
          this.#signal(m.s);
          break;
        case 'charge':
          this.#peers.get(m.peer)?.charge?.(m.ms);
          break;
        case 'journal':
          this.#noteJournal(m.write, m.sync, m.wait);
          break;
        case 'snapshot':
          this.#noteSnapshot(m.held);
          break;
        case 'health':
          this.#health = m.h;
          break;
        case 'log':
          this.#relog(m.line);
          break;
      }
    }
  }

  #signal(s: Signal): void {
    const o = this.#outbox;
    switch (s.k) {
      case 'flags':
        o.flags(s.flags, s.text, this.#peersOf(s.conns), s.prev);
        break;
      case 'pk':
        o.pk(s.e);
        break;
      case 'event':
        o.event(s.e);
        break;
      case 'shutdown':
        o.shutdown(s.e, this.#peersOf(s.conns));
        break;
      case 'standing': {
        const peer = this.#peers.get(s.peer);
        if (peer) o.standing(s.e, peer);
        break;
      }
      case 'shadow':
        o.shadow?.(s.o);
        break;
    }
  }

  #peersOf(ids: number[]): IngestPeer[] {
    const out: IngestPeer[] = [];
    for (const id of ids) {
      const p = this.#peers.get(id);
      if (p) out.push(p);
    }
    return out;
  }

  /** The worker's pino lines, logged again through this process's logger (one stdout, one format). */
  #relog(line: string): void {
    try {
      const { level, msg, time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown> & { level: number; msg?: string };
      const label = this.#log.levels.labels[level] as 'info' | undefined;
      this.#log[label ?? 'info'](rest, msg);
    } catch {
      this.#log.info({ event: 'core_thread_log', line }, 'core thread log line');
    }
  }

  /** The worker died (a bug, or out of memory): every open call fails, as a failed write does. */
  #die(err: Error): void {
    if (this.#exited) return;
    this.#exited = err;
    if (this.#closing) return;
    this.#health = { ...this.#health, ready: false, writable: false };
    this.#log.error({ event: 'core_thread_exit', err: err.message }, 'stream core thread stopped');
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#onDeath?.(err);
  }
}

/** Start errors keep their class across the thread (serve's exit codes depend on it). */
function rebuildError(e: { name: string; message: string; code?: string; path?: string; reason?: string; problems?: unknown[] }): Error {
  if (e.name === 'LexiconError' && Array.isArray(e.problems)) return new LexiconError(e.problems as ConstructorParameters<typeof LexiconError>[0]);
  if (e.name === 'JournalError') {
    const err = new JournalError(e.path ?? '', e.message);
    Object.assign(err, { message: e.message, reason: e.reason ?? e.message });
    return err;
  }
  const err: Error & { code?: string } = e.code?.startsWith('PKG_ERR_') ? new PkguardError(e.code as PkguardError['code'], e.message) : new Error(e.message);
  if (e.code) err.code = e.code;
  return err;
}
