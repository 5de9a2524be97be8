/**
 * The embedded stream core in-process, wired as src/service.ts wires it (processor over the file
 * journal), with an outbox that records every signal, for tests of the core's promises.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scanner } from '../../src/detect/scanner.js';
import { DEFAULT_ESCALATION } from '../../src/escalate/risk.js';
import type { LevelEvent, RestoreEvent, ShutdownEvent } from '../../src/escalate/escalation.js';
import { FlagIdAllocator, type Flag } from '../../src/flag.js';
import type { SegmentFiles } from '../../src/journal/files.js';
import { Journal, type JournalOptions } from '../../src/journal/journal.js';
import { compileLexicon, type CompiledLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { Metrics } from '../../src/metrics.js';
import type { IngestMessage } from '../../src/protocol/ingest.js';
import type { FlagHistory, Outbox } from '../../src/stream/contracts.js';
import type { StreamLog } from '../../src/stream/log.js';
import { PROVISIONAL_FLAG_BASE } from '../../src/cluster/jetstream-log.js';
import { Processor } from '../../src/stream/processor.js';
import type { StepLimits } from '../../src/stream/message-step.js';

let bundled: CompiledLexicon | undefined;
const lexicon = () => (bundled ??= compileLexicon(loadLexiconDir()));

export interface Signals {
  flags: Flag[];
  shutdowns: ShutdownEvent[];
  events: (LevelEvent | RestoreEvent)[];
}

export interface Core {
  processor: Processor;
  journal: Journal;
  signals: Signals;
  warnings: string[];
  send(...msgs: IngestMessage[]): ReturnType<Processor['ingestBatch']>;
}

export const LIMITS: StepLimits = { seqWindow: 64, maxSeqAhead: 1e13, maxFlagsPerMessage: 100 };

/** The embedded core on the file journal in `dir`. */
export async function openCore(dir: string, opts: { files?: SegmentFiles; limits?: Partial<StepLimits>; journal?: Partial<JournalOptions> } = {}): Promise<Core> {
  const warnings: string[] = [];
  let processor: Processor | undefined;
  const journal = await Journal.open({ dir, fsync: false, snapshot: () => processor!.snapshot(), warn: (e) => warnings.push(e), ...(opts.files ? { files: opts.files } : {}), ...opts.journal });
  const core = await coreOn(journal, journal, { ...(opts.limits ? { limits: opts.limits } : {}) });
  processor = core.processor;
  return { ...core, journal, warnings };
}

/** The core over any log; `idsFromLog` for a log that assigns flag ids (JetStream). */
export async function coreOn(log: StreamLog, history: FlagHistory, opts: { limits?: Partial<StepLimits>; idsFromLog?: boolean } = {}): Promise<Omit<Core, 'journal' | 'warnings'>> {
  const ids = new FlagIdAllocator(opts.idsFromLog ? PROVISIONAL_FLAG_BASE : 1);
  const signals: Signals = { flags: [], shutdowns: [], events: [] };
  const outbox: Outbox = {
    flags: (flags) => void signals.flags.push(...flags),
    pk: () => {},
    event: (e) => void signals.events.push(e),
    shutdown: (e) => void signals.shutdowns.push(e),
  };
  const noop = () => {};
  const { processor } = await Processor.open({
    scanner: new Scanner(lexicon(), ids),
    ids,
    ...(opts.idsFromLog ? { idsFromLog: true } : {}),
    escalation: DEFAULT_ESCALATION,
    log,
    history,
    outbox,
    metrics: new Metrics(),
    events: { flag: noop, shutdown: noop, level: noop, dropped: noop, journalFailed: noop, journalRecovered: noop },
    limits: { ...LIMITS, ...opts.limits },
    probeMs: 20,
  });
  const peer = { id: 1 };
  return { processor, signals, send: (...msgs) => processor.ingestBatch(msgs, peer) };
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'pkguard-core-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const say = (stream: string, seq: number, text: string, ts = 1_700_000_000_000 + seq * 1000): IngestMessage => ({ type: 'transcript', stream, seq, ts, text, final: true });
