/**
 * The embedded stream core in-process, built as src/service.ts `openEmbedded` builds it (a Journal
 * under a Processor), with a small lexicon and an Outbox that records what it is given, so tests
 * can check what was signalled against what the journal holds. `files` injects faults.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scanner } from '../../src/detect/scanner.js';
import type { ShutdownEvent } from '../../src/escalate/escalation.js';
import { DEFAULT_ESCALATION, type EscalationConfig } from '../../src/escalate/risk.js';
import { FlagIdAllocator, type Flag } from '../../src/flag.js';
import { Journal, type JournalOptions } from '../../src/journal/journal.js';
import type { SegmentFiles } from '../../src/journal/files.js';
import { compileLexicon, type CompiledLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { Metrics } from '../../src/metrics.js';
import type { IngestMessage } from '../../src/protocol/ingest.js';
import type { Ack, FlagHistory, IngestPeer, Outbox, PkEvent } from '../../src/stream/contracts.js';
import type { StreamLog } from '../../src/stream/log.js';
import { PROVISIONAL_FLAG_BASE } from '../../src/cluster/jetstream-log.js';
import type { StepLimits } from '../../src/stream/message-step.js';
import { Processor } from '../../src/stream/processor.js';
import type { WireError } from '../../src/protocol/codes.js';

/** A lexicon small enough to compile in milliseconds; each phrase raises one flag of its own. */
export const SMALL_LEXICON: Record<string, string> = {
  'extreme.test.tsv': '全网最低价\thigh\n史上最强\thigh\n销量第一\tmedium\n',
  'medical.test.tsv': '根治\thigh\n治癌\tcritical\n',
  'contact.test.tsv': '加微信\thigh\n',
  'exclusive.test.tsv': '独家合作\tmedium\n',
};

/** Writes SMALL_LEXICON into a new temp directory (for a server's `lexicons` config). */
export function smallLexiconDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-lex-'));
  for (const [name, text] of Object.entries(SMALL_LEXICON)) writeFileSync(join(dir, name), text);
  return dir;
}

let compiled: CompiledLexicon | undefined;
export function smallLexicon(): CompiledLexicon {
  if (!compiled) {
    const dir = smallLexiconDir();
    try {
      compiled = compileLexicon(loadLexiconDir(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return compiled;
}

let bundled: CompiledLexicon | undefined;
/** The bundled lexicons, compiled once per test file (for cases that need real-world terms). */
export function bundledLexicon(): CompiledLexicon {
  return (bundled ??= compileLexicon(loadLexiconDir()));
}

export interface Recording {
  flags: { flag: Flag; text: string; prev?: string }[];
  shutdowns: ShutdownEvent[];
  /** Standing shutdowns told to one connection: the peer's id and the event. */
  standing: { peer: number; event: ShutdownEvent }[];
  events: Parameters<Outbox['event']>[0][];
  pk: PkEvent[];
}

export function recordingOutbox(): Outbox & { rec: Recording } {
  const rec: Recording = { flags: [], shutdowns: [], standing: [], events: [], pk: [] };
  return {
    rec,
    flags(flags, text, _conns, prev) {
      for (const flag of flags) rec.flags.push(prev !== undefined ? { flag, text, prev } : { flag, text });
    },
    pk(e) {
      rec.pk.push(e);
    },
    event(e) {
      rec.events.push(e);
    },
    shutdown(e) {
      rec.shutdowns.push(e);
    },
    standing(event, peer) {
      rec.standing.push({ peer: peer.id, event });
    },
  };
}

export const DEFAULT_LIMITS: StepLimits = { seqWindow: 64, maxSeqAhead: 1e13 };

export interface CoreOptions {
  files?: SegmentFiles;
  journal?: Partial<Omit<JournalOptions, 'dir' | 'snapshot' | 'warn' | 'files'>>;
  limits?: Partial<StepLimits>;
  escalation?: EscalationConfig;
  probeMs?: number;
  /** Recording to append to (one outbox across a restart). */
  outbox?: Outbox & { rec: Recording };
  /** Default: the small test lexicon. */
  lexicon?: CompiledLexicon;
  /** The scanner's cap (default 100). */
  maxFlagsPerMessage?: number;
  /** Journal unflagged chat's text too (`journal.keepChatText`). */
  keepChatText?: boolean;
}

export interface Core {
  processor: Processor;
  journal: Journal;
  outbox: Outbox & { rec: Recording };
  metrics: Metrics;
  warnings: { event: string; detail: Record<string, unknown> }[];
  journalFailures: string[];
  recoveries: number;
  replayed: { records: number; flags: number; shutDown: number; nextFlag: number };
  /** The next flag number the scanner will hand out. */
  nextFlag(): number;
  /** Sends messages as one frame from one ingest connection. */
  send(...msgs: IngestMessage[]): Promise<Reply[]>;
}

export async function openCore(dir: string, o: CoreOptions = {}): Promise<Core> {
  let processor: Processor | undefined;
  const warnings: Core['warnings'] = [];
  const journal = await Journal.open({
    dir,
    fsync: true,
    ...o.journal,
    ...(o.files ? { files: o.files } : {}),
    snapshot: () => processor!.snapshot(),
    warn: (event, detail) => warnings.push({ event, detail }),
  });
  try {
    const core = await coreOver(journal, journal, o);
    processor = core.processor;
    return Object.assign(core, { journal, warnings }); // not a spread: `recoveries` is a getter
  } catch (err) {
    await journal.close();
    throw err;
  }
}

/**
 * The core over any log (the JetStream one too: `idsFromLog`, as a cluster partition runs it);
 * `openCore` is this over a journal.
 */
export async function coreOver(log: StreamLog, history: FlagHistory, o: CoreOptions & { idsFromLog?: boolean } = {}): Promise<Omit<Core, 'journal' | 'warnings'>> {
  const ids = new FlagIdAllocator(o.idsFromLog ? PROVISIONAL_FLAG_BASE : 1);
  const scanner = new Scanner(o.lexicon ?? smallLexicon(), ids, o.maxFlagsPerMessage);
  const outbox = o.outbox ?? recordingOutbox();
  const metrics = new Metrics();
  const journalFailures: string[] = [];
  let recoveries = 0;
  const opened = await Processor.open({
    scanner,
    ids,
    ...(o.idsFromLog ? { idsFromLog: true } : {}),
    escalation: o.escalation ?? DEFAULT_ESCALATION,
    log,
    history,
    outbox,
    metrics,
    limits: { ...DEFAULT_LIMITS, ...o.limits },
    probeMs: o.probeMs ?? 5,
    ...(o.keepChatText ? { keepChatText: true } : {}),
    events: {
      flag: () => undefined,
      shutdown: () => undefined,
      level: () => undefined,
      dropped: () => undefined,
      journalFailed: (err) => journalFailures.push(err.message),
      journalRecovered: () => recoveries++,
    },
  });
  const processor = opened.processor;
  return {
    processor,
    outbox,
    metrics,
    journalFailures,
    get recoveries() {
      return recoveries;
    },
    replayed: opened.replayed,
    nextFlag: () => ids.peek(),
    send: (...msgs) => processor.ingestBatch(msgs, PEER),
  };
}

export const PEER: IngestPeer = { id: 1 };

export type Reply = Ack | WireError;
export const isAck = (r: Reply): r is Ack => r.type === 'ack';

export function tempJournalDir(): string {
  return mkdtempSync(join(tmpdir(), 'pkguard-fault-'));
}

/** A journal directory per call, all removed after the file's tests. */
export function journalDirs(): () => string {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = tempJournalDir();
    dirs.push(d);
    return d;
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the processor takes messages again (after a failed write it rebuilds and probes). */
export async function untilWritable(p: Processor, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.health().writable) {
    if (Date.now() > deadline) throw new Error('the processor did not recover');
    await sleep(2);
  }
}

export type Msg = IngestMessage;
