/**
 * The composition root of `pkguard serve`: config → lexicon + scanner → stream core (embedded:
 * the processor over the file journal; cluster: a NATS JetStream node) → transport. Also the parts
 * that belong to the whole process: lexicon hot reload, the idle sweep and the drain order.
 */
import type { Logger } from 'pino';
import type { ServerConfig, Tokens } from './config.js';
import { openCoreSide, type CoreSide } from './core-side.js';
import { Metrics } from './metrics.js';
import { CLOSE_SLOW_CONSUMER, FeedHub } from './server/feed-hub.js';
import { socketOutbox } from './server/outbox.js';
import { listen } from './server/server.js';
import type { Outbox, StreamService } from './stream/contracts.js';
import { RuntimeMonitor } from './runtime-monitor.js';
import { CoreThread } from './server/ingest-core-thread.js';
import { ownerJournalDir, ownerOfStream } from './node/owner-of.js';
import { ownerRole } from './node/owner-layout.js';
import { OwnerHost } from './node/owner-host.js';
import { OwnerRouter } from './node/owner-router.js';
import { applyRemoteEvent, broadcastingOutbox } from './node/owner-outbox.js';
import { FlagMerge } from './node/flag-merge.js';
import { OwnerWatermark } from './node/owner-watermark.js';
import { FlagIdAllocator } from './flag.js';
import type { IngestConnection } from './server/ingest-connection.js';

/** How long a cut-off feed client gets to read its backlog and the close frame. */
const SLOW_CONSUMER_GRACE_MS = 30_000;

export interface RunningServer {
  readonly port: number;
  readonly metrics: Metrics;
  /** Rebuilds the lexicon in a worker and swaps it in; a failure or a refusal (files or entries lost, unless forced) keeps the current one. */
  reload(reason: string, opts?: { force?: boolean }): Promise<boolean>;
  /** Graceful stop: `/healthz` 503 and no new sockets, in-flight messages finish, the log is flushed, sockets close with 1001. */
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, tokens: Tokens, log: Logger): Promise<RunningServer> {
  const metrics = new Metrics();
  const runtime = new RuntimeMonitor(metrics);
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
    onReplayFailed: (c) => {
      metrics.disconnects.inc({ reason: 'replay_failed' });
      log.warn({ event: 'feed_replay_failed', role: c.role, lastFlag: c.position }, 'feed subscribe failed; disconnected so the client resumes');
      // Closed by the hub (1013); the console reconnects with `since`. One that never reads its close goes.
      setTimeout(() => c.ws.terminate(), SLOW_CONSUMER_GRACE_MS).unref();
    },
  });
  // `processes` > 1: this process is one owner of the node (src/node), with its own journal and flag ids; what its core publishes goes to the other owners' feeds too, and every owner's flags reach this hub through one merge in id order.
  const owner = ownerRole(config);
  const ids = owner ? new FlagIdAllocator(1, { owner: owner.index, of: config.processes }) : undefined;
  const merge = owner ? new FlagMerge(config.processes, (h) => hub.flags(h.flags, h.text, h.prev)) : undefined;
  const localOutbox: Outbox = { ...socketOutbox(hub, owner ? (f, t, p) => merge!.add(owner.index, f, t, p) : undefined), shadow: (o) => hub.shadow(o) };
  const host = owner ? new OwnerHost(owner.sockets[owner.index]!) : undefined;
  const watermark = owner ? new OwnerWatermark(ids!, () => {
    merge!.watermark(owner.index, watermark!.value());
    host!.watermarkChanged();
  }) : undefined;
  const outbox = host ? broadcastingOutbox(localOutbox, (json) => host.broadcast(json)) : localOutbox;
  const coreConfig: ServerConfig = owner ? { ...config, journal: { ...config.journal, dir: ownerJournalDir(config.journal.dir, owner.index) } } : config;
  const noteJournal = (w: number, s: number, wait: number) => runtime.noteJournal(w, s, wait);
  const noteSnapshot = (held: number) => runtime.noteSnapshot(held);
  // `coreThread`: the stream core runs in a worker thread (ingest-core-thread.ts), this thread keeps the sockets.
  const side: CoreSide = await (useCoreThread(config) && !owner
      ? CoreThread.start({
          config,
          log,
          metrics,
          outbox,
          noteJournal,
          noteSnapshot,
          // The core is gone with every stream's state: exit as a crash in one thread would, so a supervisor restarts the node and it replays its journal.
          onDeath: (err) => {
            log.fatal({ event: 'core_thread_died', err: err.message }, 'stream core thread died; exiting');
            log.flush();
            setTimeout(() => process.exit(70), 100).unref();
          },
        }) : openCoreSide({ config: coreConfig, log, metrics, outbox, noteJournal, noteSnapshot, ...(ids ? { ids } : {}) })).catch((err: unknown) => {
    runtime.stop();
    throw err;
  });
  let core: StreamService = side.core;
  // An owner whose primary died (SIGKILL) would keep its sockets with no one to restart the others.
  const onPrimaryGone = () => {
    log.fatal({ event: 'primary_gone' }, 'the primary is gone; exiting');
    log.flush();
    process.exit(70);
  };
  if (owner && host && merge && watermark) {
    merge.watermark(owner.index, watermark.value());
    await host.serve(side.core, watermark);
    const router = new OwnerRouter({
      core: side.core,
      merge,
      watermark,
      self: owner.index,
      sockets: owner.sockets,
      log,
      onEvent: (m) => applyRemoteEvent(localOutbox, m),
      onForward: (n) => metrics.forwarded.inc(n),
      onSignal: (peer, json) => {
        const conn = peer as IngestConnection;
        if (json.startsWith('{"type":"flag"') && !conn.wantsFlags) return;
        conn.sendRaw(json);
      },
    });
    await router.start();
    host.open();
    core = router;
  }

  let transport;
  try {
    transport = await listen({ config: coreConfig, tokens, log, metrics, core, hub, patterns: () => side.patterns(), ...(owner ? { journalDirOf: (stream: string) => ownerJournalDir(config.journal.dir, ownerOfStream(stream, config.processes)), ownerHttpPath: owner.http } : {}) });
  } catch (err) {
    side.stop();
    await core.close();
    runtime.stop();
    throw err;
  }
  if (owner) {
    log.info({ event: 'owner_listening', owner: owner.index, path: owner.http }, `owner ${owner.index} takes connections from the primary`);
    // The primary listens for the node once every owner is up; without it this owner has nothing to serve.
    process.send?.({ t: 'owner_ready', owner: owner.index });
    process.once('disconnect', onPrimaryGone);
  } else log.info({ event: 'listening', port: transport.port, host: config.host, coreThread: side instanceof CoreThread }, `listening on ${config.host}:${transport.port}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      process.off('disconnect', onPrimaryGone);
      // 503 first, while the listener is still open, so a load balancer sees the drain.
      transport.refuseNew();
      core.drain();
      side.stop();
      await new Promise((r) => setTimeout(r, config.limits.drainNoticeMs));
      const deadline = Date.now() + config.limits.drainMs;
      // The transport's count includes messages still queued for their turn, which the core has not seen.
      while ((core.inFlight > 0 || transport.inFlight > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      await core.close();
      host?.close();
      await transport.close();
      runtime.stop();
      log.info({ event: 'stopped', inFlightLeft: core.inFlight }, 'server stopped');
    })());

  return { port: transport.port, metrics, reload: (reason, opts) => side.reload(reason, opts), close };
}

/** `coreThread` in the config, or `PKGUARD_CORE_THREAD=1|0` over it (so a test suite can run either way); embedded mode only. */
export function useCoreThread(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  if (config.cluster) return false;
  const e = env.PKGUARD_CORE_THREAD;
  return e === '1' ? true : e === '0' ? false : config.coreThread;
}
