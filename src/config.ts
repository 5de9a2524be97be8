/**
 * `pkguard serve` configuration: a JSON file validated with zod (a bad one is refused with the path
 * of the bad field), or embedded defaults: bundled lexicons, a journal under `./data`, and tokens
 * generated on first start, kept in `<journal dir>/tokens.json` (mode 0600) and printed once, by
 * the first start that comes up.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { escalationConfigSchema } from './escalate/risk.js';
import { clusterConfigSchema } from './cluster/config.js';

const token = z.string().min(16, 'tokens must be at least 16 characters').max(512);
const roleTokens = z.array(token).max(64).default([]);

export const limitsSchema = z
  .object({
    /** Largest frame accepted; a bigger one closes the connection with 1009. */
    maxPayloadBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** Messages in one array frame. */
    maxBatch: z.number().int().min(1).max(100_000).default(1000),
    /** Sustained ingest messages per second per connection; above it the socket is paused, nothing is dropped. */
    ratePerSecond: z.number().positive().default(5000),
    /** Sustained messages per second of all connections of one token together, shared fairly among those sending. */
    tokenRatePerSecond: z.number().positive().default(20_000),
    /** Sustained messages per second of the whole node, shared fairly among the connections sending: keeps headroom for everyone's latency. */
    globalRatePerSecond: z.number().positive().default(20_000),
    /** Share of one core that processing ingest may take, measured per connection and shared fairly among those sending: what keeps a flag-dense flood from costing everyone. */
    cpuShare: z.number().positive().max(1).default(0.6),
    /** CPU milliseconds a connection may spend at once before its share paces it. */
    cpuBurstMs: z.number().positive().default(50),
    /** Messages of one frame processed per event-loop turn; a big frame yields to other connections between slices. */
    sliceSize: z.number().int().min(1).max(100_000).default(64),
    /**
     * CPU milliseconds of ingest processing per event-loop turn before it yields to I/O; queued
     * messages are served least-served connection first, so a light client waits behind about
     * one such slice of another connection at most.
     */
    sliceMs: z.number().positive().max(1000).default(5),
    /** Burst allowance on top of the rate, earned while a connection sends under it (a new connection starts with none). */
    rateBurst: z.number().int().min(1).default(10_000),
    /** Messages of one connection being processed (not yet acked) before its socket is paused. */
    maxInFlight: z.number().int().min(1).default(2000),
    /** Frame bytes of one connection accepted and not yet acked (queued for their turn or in the core) before its socket is paused. */
    maxInFlightBytes: z.number().int().min(64 * 1024).default(4 * 1024 * 1024),
    /** Bytes queued to one client before it counts as not reading: feed clients are told and cut off. */
    maxBufferedBytes: z.number().int().min(64 * 1024).default(8 * 1024 * 1024),
    /** How long a `/feed` connection that has not subscribed holds live flags (so a late `since` misses none) before it goes live. */
    feedGraceMs: z.number().int().min(0).max(60_000).default(500),
    /** Ping interval; a peer that did not answer the previous ping is terminated. */
    heartbeatMs: z.number().int().min(100).default(30_000),
    /** A stream with no message for this long has its scanner state released. */
    idleStreamMs: z.number().int().min(1000).default(10 * 60_000),
    /** Processed seqs remembered per stream below its highest: a re-send within them is a duplicate, below them refused. */
    seqWindow: z.number().int().min(1).max(4096).default(64),
    /** How far above a stream's highest seq (above 0 for a new stream) a seq may be; generous for millisecond-timestamp seqs. */
    maxSeqAhead: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(1e13),
    /** Flags one message may raise; the rest are counted as dropped (most severe kept first). */
    maxFlagsPerMessage: z.number().int().min(1).max(100_000).default(100),
    /** On SIGTERM, how long `/healthz` answers 503 (and new sockets are refused) before anything closes, so a load balancer sees the drain. */
    drainNoticeMs: z.number().int().min(0).max(60_000).default(1000),
    /** How long SIGTERM waits for in-flight messages before closing. */
    drainMs: z.number().int().min(0).default(5000),
  })
  .strict();

export const lexiconReloadSchema = z
  .object({
    /** Quiet time after the last file event before compiling. */
    settleMs: z.number().int().min(0).max(60_000).default(500),
    /** Compile at the latest this long after the first event, even if files keep changing. */
    maxWaitMs: z.number().int().min(0).max(600_000).default(5000),
    /** Share of a file's (or of all) entries a reload may lose before it is refused. */
    maxDropShare: z.number().min(0).max(1).default(0.2),
    /** A share is only judged from this many lost entries on (small edits pass). */
    minDropped: z.number().int().min(1).default(10),
  })
  .strict();

export const journalConfigSchema = z
  .object({
    dir: z.string().min(1).default('./data'),
    segmentBytes: z.number().int().min(4096).default(64 * 1024 * 1024),
    retainBytes: z.number().int().min(4096).default(1024 * 1024 * 1024),
    retainMs: z.number().int().min(60_000).default(7 * 24 * 3600 * 1000),
    fsync: z.boolean().default(true),
    /**
     * Keep the text of every chat message, not only of flagged ones, so `pkguard backtest` can
     * replay chat (what a candidate lexicon would newly flag there). Off by default: viewers' chat
     * is kept only as evidence, and the journal grows by the chat text.
     */
    keepChatText: z.boolean().default(false),
  })
  .strict();

export const serverConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(8080),
    host: z.string().min(1).default('0.0.0.0'),
    tokens: z
      .object({ ingest: roleTokens, moderator: roleTokens, control: roleTokens, /** Tokens `/metrics` asks for; none: `/metrics` is open. */ metrics: roleTokens })
      .strict()
      .optional(),
    journal: journalConfigSchema.default(journalConfigSchema.parse({})),
    /**
     * Lexicon directory; default: the bundled lexicons. In a config file also
     * `{"live": DIR, "shadow": DIR}` (`lexicons.shadow` becomes `shadowLexicons`).
     */
    lexicons: z.string().min(1).optional(),
    /** A candidate lexicon scanned beside the live one: its flags are journaled as shadow, never escalated (src/shadow). */
    shadowLexicons: z.string().min(1).optional(),
    /**
     * The compiled lexicon artifact loaded at start and refreshed by reloads (lexicon/artifact-store.ts):
     * a file path, or false for none. Default: one per lexicon folder in the cache folder.
     */
    lexiconArtifact: z.union([z.string().min(1), z.literal(false)]).optional(),
    /** Reload lexicons when a file in the directory changes (SIGHUP always reloads). */
    watchLexicons: z.boolean().default(true),
    /** Lexicon hot reload: wait until files settle; refuse a reload that loses a file or more than a share of entries (SIGUSR2 forces). */
    lexiconReload: lexiconReloadSchema.default(lexiconReloadSchema.parse({})),
    escalation: escalationConfigSchema.default(escalationConfigSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Cluster hook: with this section the node joins a NATS JetStream cluster (src/cluster); without it, embedded. */
    cluster: clusterConfigSchema.optional(),
    /**
     * Run the stream core (scanner, seq windows, escalation, journal) in a worker thread while the main
     * thread keeps the sockets, frame parsing and validation: two cores for one node (bench/README
     * "Both cores"). Embedded mode only. `PKGUARD_CORE_THREAD=1|0` overrides it.
     */
    coreThread: z.boolean().default(false),
    /**
     * Owner processes of this node (src/node): each owns the streams that hash to it, with its own
     * journal under `journal.dir/owner-<i>`; a primary hands connections out and restarts a dead one.
     * 1 (the default) is one process as before. Embedded mode only. `PKGUARD_PROCESSES=N` overrides it.
     */
    processes: z.number().int().min(1).max(16).default(1),
    /**
     * Before listening, scan sample texts for about this many ms on a throwaway scanner (detect/warm-up.ts),
     * so the first clients do not pay the JIT's cold scans; 0 skips it.
     */
    warmUpMs: z.number().int().min(0).max(10_000).default(150),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverConfigSchema>;
export type Limits = z.infer<typeof limitsSchema>;
export type Role = 'ingest' | 'moderator' | 'control';
export type Tokens = Record<Role, string[]> & { metrics?: string[] };

export { ConfigError } from './errors.js';

/** Reads and validates a config file; relative paths in it are resolved against the file's folder. */
export function loadConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  let raw: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(file, '', `cannot read: ${(err as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(file, '', `not valid JSON: ${(err as Error).message}`);
    }
  }
  const lifted = liftLexicons(raw);
  if (typeof lifted === 'string') throw new ConfigError(file, 'lexicons', lifted);
  const parsed = serverConfigSchema.safeParse(lifted);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(file, issue.path.join('.'), issue.message);
  }
  const config = parsed.data;
  const base = file !== undefined ? dirname(resolve(file)) : process.cwd();
  config.journal.dir = resolve(base, config.journal.dir);
  if (config.lexicons) config.lexicons = resolve(base, config.lexicons);
  if (config.shadowLexicons) config.shadowLexicons = resolve(base, config.shadowLexicons);
  if (typeof config.lexiconArtifact === 'string') config.lexiconArtifact = resolve(base, config.lexiconArtifact);
  if (config.cluster?.credsFile) config.cluster.credsFile = resolve(base, config.cluster.credsFile); // cluster hook
  if (env.PKGUARD_PORT !== undefined) {
    const port = Number(env.PKGUARD_PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PKGUARD_PORT', '', `not a port: ${env.PKGUARD_PORT}`);
    config.port = port;
  }
  if (env.PKGUARD_PROCESSES !== undefined) {
    const n = Number(env.PKGUARD_PROCESSES);
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new ConfigError('PKGUARD_PROCESSES', '', `not a process count (1-16): ${env.PKGUARD_PROCESSES}`);
    config.processes = n;
  }
  if (config.processes > 1 && config.cluster) throw new ConfigError(file, 'processes', 'several owner processes are for embedded mode; a cluster node is one process');
  return config;
}

/** `lexicons: {live, shadow}` as `lexicons` and `shadowLexicons`; a string `lexicons` stays as it is. */
function liftLexicons(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object' || !('lexicons' in raw)) return raw;
  const l = (raw as { lexicons: unknown }).lexicons;
  if (l === null || typeof l !== 'object' || Array.isArray(l)) return raw;
  const parsed = z.object({ live: z.string().min(1).optional(), shadow: z.string().min(1).optional() }).strict().safeParse(l);
  if (!parsed.success) return `expected a folder, or {"live": DIR, "shadow": DIR}: ${parsed.error.issues[0]!.path.join('.')} ${parsed.error.issues[0]!.message}`;
  const { lexicons: _, ...rest } = raw as Record<string, unknown>;
  return { ...rest, ...(parsed.data.live !== undefined ? { lexicons: parsed.data.live } : {}), ...(parsed.data.shadow !== undefined ? { shadowLexicons: parsed.data.shadow } : {}) };
}

const tokenFileSchema = z.object({ ingest: roleTokens, moderator: roleTokens, control: roleTokens, shown: z.boolean().optional() });

/**
 * The tokens to accept: the config's, or (with no `tokens` in the config) the ones kept in the
 * journal directory, generated on first start. `generated` is true only that first time. `show`
 * is true until a start has succeeded and printed them: the file keeps `"shown": false` until
 * `markTokensShown`, so a first start that fails after generating them (port busy) does not
 * leave the user without tokens. A file without `shown` (older versions) counts as shown.
 */
export function resolveTokens(config: ServerConfig): { tokens: Tokens; generated: boolean; show: boolean; file?: string } {
  if (config.tokens) return { tokens: config.tokens, generated: false, show: false };
  const file = join(config.journal.dir, 'tokens.json');
  if (existsSync(file)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new ConfigError(file, '', `not valid JSON: ${(err as Error).message}`);
    }
    const parsed = tokenFileSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(file, parsed.error.issues[0]!.path.join('.'), parsed.error.issues[0]!.message);
    const { shown, ...tokens } = parsed.data;
    return { tokens, generated: false, show: shown === false, file };
  }
  const fresh = (): string => randomBytes(24).toString('base64url');
  const tokens: Tokens = { ingest: [fresh()], moderator: [fresh()], control: [fresh()] };
  mkdirSync(config.journal.dir, { recursive: true });
  writeTokenFile(file, { ...tokens, shown: false });
  return { tokens, generated: true, show: true, file };
}

/** Records that the tokens in `file` were printed by a start that succeeded; later starts stay quiet. */
export function markTokensShown(file: string): void {
  const parsed = tokenFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
  writeTokenFile(file, { ...parsed, shown: true });
}

/** Writes beside and renames, mode 0600: a crash mid-write never leaves a torn token file. */
function writeTokenFile(file: string, content: Tokens & { shown: boolean }): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}
