/**
 * The core's side of `pkguard serve`: lexicon, scanner, shadow lane, stream core (embedded: the
 * processor over the file journal; cluster: a NATS JetStream node), hot reload and the idle sweep.
 * One home for both ways the server runs it: in the transport's thread (service.ts) or in the core
 * thread (server/ingest-core-worker.ts), so the two never drift apart.
 */
import type { Logger } from 'pino';
import { PROVISIONAL_FLAG_BASE } from './cluster/provisional-ids.js';
import type { ServerConfig } from './config.js';
import { Scanner } from './detect/scanner.js';
import { warmUp } from './detect/warm-up.js';
import { FlagIdAllocator } from './flag.js';
import { Journal } from './journal/journal.js';
import { compileInWorker } from './lexicon/compile-async.js';
import { openCompiledLexicon, type ArtifactEvent } from './lexicon/artifact-store.js';
import { BUNDLED_LEXICON_DIR } from './lexicon/bundled.js';
import { LexiconReloader } from './lexicon/reload.js';
import type { Metrics } from './metrics.js';
import type { Outbox, StreamService } from './stream/contracts.js';
import { pinoCoreLog } from './stream/pino-core-log.js';
import { Processor } from './stream/processor.js';
import { ShadowLane } from './shadow/shadow-lane.js';
import { ShadowMetrics } from './shadow/shadow-metrics.js';

/** What the transport needs from the core's side of the server, in this thread or in a worker. */
export interface CoreSide {
  readonly core: StreamService;
  /** Patterns in the lexicon serving now (for `/healthz`). */
  patterns(): number;
  reload(reason: string, opts?: { force?: boolean }): Promise<boolean>;
  /** Stops the lexicon watch and the idle sweep (the drain's first step). */
  stop(): void;
}

export interface CoreSideParts {
  config: ServerConfig;
  log: Logger;
  metrics: Metrics;
  outbox: Outbox;
  /** One journal batch's write, fsync and wait, seconds (runtime-monitor.ts). */
  noteJournal: (write: number, sync: number, wait: number) => void;
  /** A journal rotation's snapshot: the longest it held the event loop at once, seconds (runtime-monitor.ts). */
  noteSnapshot: (heldSeconds: number) => void;
  /** The flag id allocator to use (an owner process of a node: its own residue class, flag.ts); by default a new one. */
  ids?: FlagIdAllocator;
}

/** Lexicon, scanner, shadow lane, stream core (embedded or cluster), hot reload and idle sweep: one home, in-process or in the core thread. */
export async function openCoreSide(p: CoreSideParts): Promise<CoreSide> {
  const { config, log, metrics } = p;
  const started = Date.now();
  // Cluster mode: the events stream assigns flag ids as it stores them; the scanner's are provisional.
  const ids = p.ids ?? new FlagIdAllocator(config.cluster ? PROVISIONAL_FLAG_BASE : 1);
  const opened = await openCompiledLexicon({ lexiconDir: config.lexicons, artifact: config.lexiconArtifact, log: (e) => logArtifact(log, e) });
  const scanner = new Scanner(opened.lexicon, ids, config.limits.maxFlagsPerMessage);
  log.info({ event: 'lexicon_loaded', from: opened.from, patterns: scanner.lexicon.automaton.patternCount, ms: Date.now() - started }, 'lexicon loaded');
  // Before any client: a server that opens under a flood must not pay the JIT's cold scans in its first second.
  if (config.warmUpMs > 0) {
    const warmMs = warmUp(opened.lexicon, config.warmUpMs);
    log.info({ event: 'scanner_warmed', ms: Math.round(warmMs) }, 'scanner warmed up');
  }

  let reloader: ReturnType<typeof lexiconReloader> | undefined;
  const shadow = await openShadow(config, scanner, ids, log, (dir) => {
    // The promoted folder is the live one now: reloads (file changes, SIGHUP) compile it, not the old one.
    reloader?.stop();
    reloader = lexiconReloader({ ...config, lexicons: dir }, scanner, metrics, log);
    log.warn({ event: 'shadow_promoted', dir, was: config.lexicons ?? null }, 'shadow lexicon promoted to live; set "lexicons" to it in the config to keep it after a restart');
  });
  const shadowMetrics = shadow ? new ShadowMetrics(metrics.registry) : undefined;
  const outbox: Outbox = {
    ...p.outbox,
    shadow: (o) => {
      shadowMetrics?.count(o);
      p.outbox.shadow?.(o);
    },
  };
  const core: StreamService = await (config.cluster
    ? // Imported only in cluster mode: the NATS client is a fifth of an embedded server's import time.
      (await import('./cluster/node.js')).ClusterNode.start({ config: config.cluster, scanner, ids, limits: config.limits, escalation: config.escalation, outbox, metrics, log, idleStreamMs: config.limits.idleStreamMs })
    : openEmbedded(config, scanner, ids, outbox, metrics, p, log, shadow));

  const sweep = setInterval(() => {
    const released = core.sweepIdle(config.limits.idleStreamMs);
    if (released > 0) log.debug({ event: 'idle_streams_released', count: released }, 'idle streams released');
  }, Math.max(1000, Math.floor(config.limits.idleStreamMs / 4)));
  sweep.unref();
  reloader = lexiconReloader(config, scanner, metrics, log);
  return {
    core,
    patterns: () => scanner.lexicon.automaton.patternCount,
    reload: (reason, opts) => reloader!.reload(reason, opts),
    stop: () => {
      reloader?.stop();
      clearInterval(sweep);
    },
  };
}

/** Seconds as milliseconds to 0.1, for a log line. */
const ms = (seconds: number) => Math.round(seconds * 10_000) / 10;

/** The embedded core: the processor over the file journal, replayed before it takes a message. */
async function openEmbedded(config: ServerConfig, scanner: Scanner, ids: FlagIdAllocator, outbox: Outbox, metrics: Metrics, notes: Pick<CoreSideParts, 'noteJournal' | 'noteSnapshot'>, log: Logger, shadow: ShadowLane | undefined): Promise<Processor> {
  let processor: Processor | undefined;
  const journal = await Journal.open({
    ...config.journal,
    snapshot: () => processor!.snapshot(),
    warn: (event, detail) => log.warn({ event, ...detail }, event.replaceAll('_', ' ')),
    onWrite: (records, _bytes, seconds, detail) => {
      metrics.journalWriteSeconds.observe(seconds);
      metrics.journalBatchRecords.observe(records);
      notes.noteJournal(detail.write, detail.sync, detail.wait);
    },
    onRotate: (d) => {
      notes.noteSnapshot(Math.max(d.take, d.sliceMax));
      log.info({ event: 'journal_rotated', takeMs: ms(d.take), sliceMaxMs: ms(d.sliceMax), stringifyMs: ms(d.stringify), writeMs: ms(d.write), bytes: d.bytes }, 'journal rotated');
    },
  });
  const opened = await Processor.open({
    scanner,
    ids,
    escalation: config.escalation,
    log: journal,
    history: journal,
    outbox,
    metrics,
    limits: config.limits,
    ...(shadow ? { shadow } : {}),
    keepChatText: config.journal.keepChatText,
    events: pinoCoreLog(log, {}, { journalFailed: () => metrics.journalWritable.set(0), journalRecovered: () => metrics.journalWritable.set(1) }),
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

/** The shadow lexicon (`lexicons.shadow`), compiled at start; embedded mode only. */
async function openShadow(config: ServerConfig, live: Scanner, ids: FlagIdAllocator, log: Logger, onPromote: (dir: string) => void): Promise<ShadowLane | undefined> {
  const dir = config.shadowLexicons;
  if (dir === undefined) return undefined;
  if (config.cluster) {
    log.warn({ event: 'shadow_unsupported', dir }, 'a shadow lexicon is not scanned in cluster mode; ignoring lexicons.shadow');
    return undefined;
  }
  const started = Date.now();
  const opened = await openCompiledLexicon({ lexiconDir: dir, log: (e) => logArtifact(log, e) });
  // Same id allocator as the live scanner: a shadow flag's id is never a live flag's.
  const scanner = new Scanner(opened.lexicon, ids, config.limits.maxFlagsPerMessage);
  log.info({ event: 'shadow_lexicon_loaded', dir, patterns: scanner.lexicon.automaton.patternCount, livePatterns: live.lexicon.automaton.patternCount, ms: Date.now() - started }, 'shadow lexicon loaded');
  return new ShadowLane({ scanner, dir, ...(config.lexicons ? { liveDir: config.lexicons } : {}), guard: config.lexiconReload, onPromote });
}

/** Hot reload through the guarded reloader: compile in a worker, refuse a lexicon that lost files or entries, swap in. */
function lexiconReloader(config: ServerConfig, scanner: Scanner, metrics: Metrics, log: Logger) {
  const reloader = new LexiconReloader({
    dir: config.lexicons ?? BUNDLED_LEXICON_DIR,
    compile: () => compileInWorker(config.lexicons, { artifact: config.lexiconArtifact, onArtifact: (e) => logArtifact(log, e) }),
    current: () => scanner.lexicon,
    apply: (l) => scanner.swapLexicon(l),
    ...config.lexiconReload,
    onOutcome: (o) => {
      metrics.lexiconReloads.inc({ outcome: o.outcome });
      if (o.outcome === 'ok') log.info({ event: 'lexicon_reloaded', reason: o.trigger, forced: o.forced, patterns: o.patterns, entries: o.entries, ms: o.ms }, 'lexicon reloaded');
      else if (o.outcome === 'refused') log.warn({ event: 'lexicon_reload_refused', reason: o.trigger, code: o.error.code, file: o.error.file, share: o.error.share, drops: o.error.drops, err: o.error.message }, 'lexicon reload refused; keeping the current lexicon');
      else log.error({ event: 'lexicon_reload_failed', reason: o.trigger, err: o.error.message }, 'lexicon reload failed; keeping the current lexicon');
    },
    onWatchError: (err) => log.warn({ event: 'lexicon_watch_error', err: err.message }, 'lexicon watch failed; SIGHUP still reloads'),
  });
  if (config.watchLexicons) reloader.watch();
  return {
    reload: async (reason: string, opts: { force?: boolean } = {}) => (await reloader.reload({ trigger: reason, ...(opts.force ? { force: true } : {}) })).outcome === 'ok',
    stop: () => reloader.close(),
  };
}

/** Artifact outcomes in the server log: a rejected artifact or a failed write is a warning (the lexicon is compiled instead). */
function logArtifact(log: Logger, e: ArtifactEvent): void {
  if (e.event === 'artifact_rejected' || e.event === 'artifact_write_failed') log.warn(e, e.event === 'artifact_rejected' ? 'lexicon artifact not used; compiling' : 'lexicon artifact not written');
  else log.info(e, e.event.replace('_', ' '));
}
