/**
 * The composition root of `pkguard serve`: config → lexicon + scanner → stream core (embedded:
 * the processor over the file journal; cluster: a NATS JetStream node) → transport. Also the parts
 * that belong to the whole process: lexicon hot reload, the idle sweep and the drain order.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { ClusterNode } from './cluster/node.js';
import type { ServerConfig, Tokens } from './config.js';
import { Scanner } from './detect/scanner.js';
import { FlagIdAllocator } from './flag.js';
import { Journal } from './journal/journal.js';
import { compileInWorker } from './lexicon/compile-async.js';
import { compileLexicon } from './lexicon/compile.js';
import { BUNDLED_LEXICON_DIR, loadLexiconDir } from './lexicon/load.js';
import { Metrics } from './metrics.js';
import { CLOSE_SLOW_CONSUMER, FeedHub } from './server/feed-hub.js';
import { socketOutbox } from './server/outbox.js';
import { listen } from './server/server.js';
import type { Outbox, StreamService } from './stream/contracts.js';
import { Processor } from './stream/processor.js';

/** How long a cut-off feed client gets to read its backlog and the close frame. */
const SLOW_CONSUMER_GRACE_MS = 30_000;

export interface RunningServer {
  readonly port: number;
  readonly metrics: Metrics;
  /** Rebuilds the lexicon in a worker and swaps it in; a failure keeps the current one. */
  reload(reason: string): Promise<boolean>;
  /** Graceful stop: `/healthz` 503 and no new sockets, in-flight messages finish, the log is flushed, sockets close with 1001. */
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, tokens: Tokens, log: Logger): Promise<RunningServer> {
  const metrics = new Metrics();
  const started = Date.now();
  const ids = new FlagIdAllocator(1);
  const scanner = new Scanner(compileLexicon(loadLexiconDir(config.lexicons)), ids);
  log.info({ event: 'lexicon_loaded', patterns: scanner.lexicon.automaton.patternCount, ms: Date.now() - started }, 'lexicon loaded');

  const hub = new FeedHub({
    maxBufferedBytes: config.limits.maxBufferedBytes,
    graceMs: config.limits.feedGraceMs,
    onSlowConsumer: (c) => {
      metrics.disconnects.inc({ reason: 'slow_consumer' });
      log.warn({ event: 'feed_slow_consumer', role: c.role, lastFlag: c.position }, 'feed client fell behind; disconnected');
      // Nothing more is queued for it, so memory stays bounded while it reads the backlog, the
      // error and the close frame; one that never reads is terminated after the grace period.
      c.ws.close(CLOSE_SLOW_CONSUMER, 'slow consumer');
      setTimeout(() => c.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
    },
  });
  const outbox = socketOutbox(hub);
  const core: StreamService = config.cluster
    ? await ClusterNode.start({ config: config.cluster, scanner, escalation: config.escalation, outbox, metrics, log, idleStreamMs: config.limits.idleStreamMs })
    : await openEmbedded(config, scanner, ids, outbox, metrics, log);

  let transport;
  try {
    transport = await listen({ config, tokens, log, metrics, core, hub, patterns: () => scanner.lexicon.automaton.patternCount });
  } catch (err) {
    await core.close();
    throw err;
  }

  const sweep = setInterval(() => {
    const released = core.sweepIdle(config.limits.idleStreamMs);
    if (released > 0) log.debug({ event: 'idle_streams_released', count: released }, 'idle streams released');
  }, Math.max(1000, Math.floor(config.limits.idleStreamMs / 4)));
  sweep.unref();

  const reloader = lexiconReloader(config, scanner, metrics, log);
  log.info({ event: 'listening', port: transport.port, host: config.host }, `listening on ${config.host}:${transport.port}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      // 503 first, while the listener is still open, so a load balancer sees the drain.
      transport.refuseNew();
      core.drain();
      reloader.stop();
      clearInterval(sweep);
      const deadline = Date.now() + config.limits.drainMs;
      while (core.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await core.close();
      await transport.close();
      log.info({ event: 'stopped', inFlightLeft: core.inFlight }, 'server stopped');
    })());

  return { port: transport.port, metrics, reload: reloader.reload, close };
}

/** The embedded core: the processor over the file journal, replayed before it takes a message. */
async function openEmbedded(config: ServerConfig, scanner: Scanner, ids: FlagIdAllocator, outbox: Outbox, metrics: Metrics, log: Logger): Promise<Processor> {
  let processor: Processor | undefined;
  const journal = await Journal.open({
    ...config.journal,
    snapshot: () => processor!.snapshot(),
    warn: (event, detail) => log.warn({ event, ...detail }, event.replaceAll('_', ' ')),
    onWrite: (records, _bytes, seconds) => {
      metrics.journalWriteSeconds.observe(seconds);
      metrics.journalBatchRecords.observe(records);
    },
  });
  const opened = await Processor.open({
    scanner,
    ids,
    escalation: config.escalation,
    log: journal,
    outbox,
    metrics,
    limits: config.limits,
    events: {
      flag: (f) => log.info({ event: 'flag', id: f.id, stream: f.stream, seq: f.seq, category: f.category, term: f.term, severity: f.severity, evasion: f.evasion }, 'flag'),
      shutdown: (e) => log.warn({ event: 'shutdown', stream: e.stream, epoch: e.epoch, manual: e.manual, reason: e.reason, flagIds: e.flagIds }, 'stream shutdown signal'),
      level: (e) => log.info({ event: 'level', stream: e.stream, level: e.level, risk: e.risk }, 'stream level changed'),
      dropped: (stream, seq, dropped) => log.warn({ event: 'flags_dropped', stream, seq, dropped }, 'flags over the per-message cap dropped'),
      journalFailed: (err) => log.error({ event: 'journal_write_failed', err: err.message }, 'journal write failed; refusing messages and rebuilding state from the journal'),
      journalRecovered: () => log.warn({ event: 'journal_writable' }, 'journal takes writes again; messages accepted'),
    },
  }).catch(async (err: unknown) => {
    await journal.close();
    throw err;
  });
  processor = opened.processor;
  metrics.badRecords.set(journal.badRecords);
  const r = opened.replayed;
  log.info({ event: 'journal_replayed', records: r.records, flags: r.flags, nextFlag: `f${r.nextFlag}`, shutDown: r.shutDown, badRecords: journal.badRecords }, 'journal replayed');
  return processor;
}

/** Hot reload: compile in a worker, swap in; SIGHUP or a file change (debounced) triggers it. */
function lexiconReloader(config: ServerConfig, scanner: Scanner, metrics: Metrics, log: Logger) {
  let reloading: Promise<boolean> | undefined;
  let reloadAgain = false;
  const reload = async (reason: string): Promise<boolean> => {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      const t0 = Date.now();
      try {
        const compiled = await compileInWorker(config.lexicons);
        scanner.swapLexicon(compiled);
        metrics.lexiconReloads.inc({ outcome: 'ok' });
        log.info({ event: 'lexicon_reloaded', reason, patterns: compiled.automaton.patternCount, ms: Date.now() - t0 }, 'lexicon reloaded');
        return true;
      } catch (err) {
        metrics.lexiconReloads.inc({ outcome: 'failed' });
        log.error({ event: 'lexicon_reload_failed', reason, err: (err as Error).message }, 'lexicon reload failed; keeping the current lexicon');
        return false;
      } finally {
        reloading = undefined;
        if (reloadAgain) {
          reloadAgain = false;
          void reload('changed during reload');
        }
      }
    })();
    return reloading;
  };
  let watcher: FSWatcher | undefined;
  if (config.watchLexicons) {
    let debounce: NodeJS.Timeout | undefined;
    try {
      watcher = watch(config.lexicons ?? BUNDLED_LEXICON_DIR, () => {
        clearTimeout(debounce);
        debounce = setTimeout(() => void reload('file changed'), 300);
      });
      watcher.on('error', (err) => log.warn({ event: 'lexicon_watch_error', err: err.message }, 'lexicon watch failed; SIGHUP still reloads'));
    } catch (err) {
      log.warn({ event: 'lexicon_watch_error', err: (err as Error).message }, 'lexicon watch failed; SIGHUP still reloads');
    }
  }
  return { reload, stop: () => watcher?.close() };
}
