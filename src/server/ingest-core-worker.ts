/**
 * The core thread's entry (`coreThread`, see ingest-core-thread.ts): the same core side the
 * single-threaded server opens (core-side.ts `openCoreSide`: lexicon, scanner, processor over the
 * file journal, reload, idle sweep), driven by the main thread's posts, its outbox calls and
 * answers posted back in order, once per event-loop turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { ServerConfig } from '../config.js';
import { Metrics } from '../metrics.js';
import { openCoreSide, type CoreSide } from '../core-side.js';
import type { FlagEntry, IngestPeer, Outbox } from '../stream/contracts.js';
import type { ErrorShape, FromCore, Signal, ToCore } from './ingest-core-wire.js';
import { TurnQueue } from '../runtime/turn-queue.js';

const port = parentPort!;
const config = (workerData as { config: ServerConfig }).config;

let side: CoreSide | undefined;

// Posted once per turn (the main side's health rides along with each post).
const queue = new TurnQueue<FromCore>((q) => {
  if (side) q.push({ t: 'health', h: { ...side.core.health(), patterns: side.patterns() } });
  port.postMessage(q);
});

function post(m: FromCore): void {
  queue.push(m);
}

// The main thread's logger writes the lines (one stdout, one format).
const log = pino({ level: config.logLevel }, { write: (line: string) => post({ t: 'log', line }) });
const metrics = new Metrics({ defaults: false });

/** The core's view of an ingest connection: its id, and the CPU it is charged with, sent back. */
class PeerStub implements IngestPeer {
  constructor(readonly id: number) {}
  charge(ms: number): void {
    post({ t: 'charge', peer: this.id, ms });
  }
}
const peers = new Map<number, PeerStub>();
const idsOf = (conns: Iterable<IngestPeer>) => Array.from(conns, (c) => c.id);
const signal = (s: Signal) => post({ t: 'signal', s });

const outbox: Outbox = {
  flags: (flags, text, conns, prev) => signal(prev === undefined ? { k: 'flags', flags, text, conns: idsOf(conns) } : { k: 'flags', flags, text, conns: idsOf(conns), prev }),
  pk: (e) => signal({ k: 'pk', e }),
  event: (e) => signal({ k: 'event', e }),
  shutdown: (e, conns) => signal({ k: 'shutdown', e, conns: idsOf(conns) }),
  standing: (e, peer) => signal({ k: 'standing', e, peer: peer.id }),
  shadow: (o) => signal({ k: 'shadow', o }),
};

const opening = openCoreSide({ config, log, metrics, outbox, noteJournal: (write, sync, wait) => post({ t: 'journal', write, sync, wait }), noteSnapshot: (held) => post({ t: 'snapshot', held }) }).then((s) => (side = s));
// Health (journal writable again after a failure, pending records) reaches the main thread while idle too.
setInterval(() => {
  if (side && queue.length === 0) post({ t: 'health', h: { ...side.core.health(), patterns: side.patterns() } });
}, 250).unref();

const reply = (id: number, value: unknown) => post({ t: 'reply', id, value });
const fail = (id: number, err: unknown) => post({ t: 'fail', id, error: shapeOf(err) });

port.on('message', (items: ToCore[]) => {
  // Messages that come while the journal replays wait for it, in order (one promise, FIFO).
  opening.then(
    (s) => {
      for (const m of items) handle(s, m);
    },
    (err: unknown) => {
      for (const m of items) if ('id' in m) fail(m.id, err);
    },
  );
});

function handle(s: CoreSide, m: ToCore): void {
  const core = s.core;
  switch (m.t) {
    case 'ingest': {
      let peer = peers.get(m.peer);
      if (!peer) peers.set(m.peer, (peer = new PeerStub(m.peer)));
      const started = performance.now();
      const replies = core.ingestBatch(m.msgs, peer);
      // What the core spent on these messages before waiting for the log (scan, escalation, records).
      peer.charge(performance.now() - started);
      replies.then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
      return;
    }
    case 'started':
      return reply(m.id, true);
    case 'command':
      return void core.command(m.cmd).then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'summaries':
      return void Promise.resolve(core.summaries()).then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'last':
      return void Promise.resolve(core.lastFlagNumber()).then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'history':
      return void historyPage(s, m.after, m.max).then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'retained':
      return void Promise.resolve(core.history.retainedFrom()).then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'metrics':
      return void metrics.registry.getMetricsAsJSON().then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'reload':
      return void s.reload(m.reason, m.force ? { force: true } : {}).then((v) => reply(m.id, v), (err: unknown) => fail(m.id, err));
    case 'close':
      s.stop();
      return void core.close().then(() => reply(m.id, true), (err: unknown) => fail(m.id, err));
    case 'forget': {
      const peer = peers.get(m.peer);
      if (peer) core.forget(peer);
      peers.delete(m.peer);
      return;
    }
    case 'sweep': {
      const released = core.sweepIdle(m.idleMs);
      if (released > 0) log.debug({ event: 'idle_streams_released', count: released }, 'idle streams released');
      return;
    }
    case 'drain':
      return core.drain();
    case 'stop':
      return s.stop();
  }
}

async function historyPage(s: CoreSide, after: number, max: number): Promise<FlagEntry[]> {
  const page: FlagEntry[] = [];
  const it = s.core.history.flagEntriesSince(after);
  for await (const e of it) {
    page.push(e);
    if (page.length >= max) break;
  }
  return page;
}

function shapeOf(err: unknown): ErrorShape {
  const e = err as Error & { code?: unknown; path?: unknown; reason?: unknown; problems?: unknown };
  const shape: ErrorShape = { name: e?.name ?? 'Error', message: e?.message ?? String(err) };
  if (typeof e?.code === 'string') shape.code = e.code;
  if (typeof e?.path === 'string') shape.path = e.path;
  if (typeof e?.reason === 'string') shape.reason = e.reason;
  if (Array.isArray(e?.problems)) shape.problems = e.problems;
  return shape;
}
