/**
 * Scripted stream scenarios (test/fixtures/escalation/*.json) run through the real stream core: a
 * Processor over a file journal with the bundled lexicons, one message per ingest call, in event
 * time. Each scenario states what must happen (shut down by chunk N and not before chunk M, reach
 * alert, or stay at most at a level); `scoreScenarios` says what did.
 *
 * After each scenario the journal is opened again and replayed: the replayed core must agree on
 * whether the stream is shut down (or a recommendation waits) — the outcome is durable, not only signalled.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { Scanner } from '../../src/detect/scanner.js';
import type { EscalationEvent, Level, ShutdownEvent } from '../../src/escalate/escalation.js';
import { escalationConfigSchema, type EscalationConfig } from '../../src/escalate/risk.js';
import { FlagIdAllocator, type Flag } from '../../src/flag.js';
import { Journal } from '../../src/journal/journal.js';
import { compileLexicon, type CompiledLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { Metrics } from '../../src/metrics.js';
import { SPEAKERS, type IngestMessage } from '../../src/protocol/ingest.js';
import type { Outbox } from '../../src/stream/contracts.js';
import { Processor } from '../../src/stream/processor.js';

const LEVEL_NAMES = ['normal', 'watch', 'alert'] as const;

/**
 * Text of a step: a string, a list (a repeated step cycles through it), or `@name`, a set in
 * sets.json (clean host lines, harmless chat) shared by the scenarios.
 */
const textSchema = z.union([z.string(), z.array(z.string()).min(1)]);

/**
 * One step of a script: exactly one of transcript, chat, pk, command. `at` is seconds from the
 * start. `repeat` makes it that many steps, `every` seconds apart (each counts as a step).
 */
const rawStepSchema = z
  .object({
    at: z.number().min(0),
    transcript: textSchema.optional(),
    /** A partial ASR hypothesis of the next final (same seq until a final step). */
    partial: z.boolean().optional(),
    speaker: z.enum(SPEAKERS).optional(),
    chat: textSchema.optional(),
    user: textSchema.optional(),
    pk: z.enum(['start', 'end']).optional(),
    opponent: z.string().optional(),
    /** A moderator's feed command at this point (recommend mode: confirm). */
    command: z.enum(['confirm', 'decline']).optional(),
    repeat: z.number().int().min(1).optional(),
    every: z.number().positive().optional(),
  })
  .strict()
  .refine((s) => [s.transcript, s.chat, s.pk, s.command].filter((x) => x !== undefined).length === 1, 'a step is exactly one of transcript, chat, pk, command');

export interface Step {
  at: number;
  transcript?: string;
  partial?: boolean;
  speaker?: (typeof SPEAKERS)[number];
  chat?: string;
  user?: string;
  pk?: 'start' | 'end';
  opponent?: string;
  command?: 'confirm' | 'decline';
}

function expand(raw: z.infer<typeof rawStepSchema>[], sets: Record<string, string[]>): Step[] {
  const pick = (t: string | string[] | undefined, i: number): string | undefined => {
    if (t === undefined) return undefined;
    const list = typeof t === 'string' ? (t.startsWith('@') ? sets[t.slice(1)] : [t]) : t;
    if (!list) throw new Error(`no set ${String(t)} in sets.json`);
    return list[i % list.length];
  };
  const out: Step[] = [];
  for (const r of raw) {
    for (let i = 0; i < (r.repeat ?? 1); i++) {
      const step: Step = { at: r.at + i * (r.every ?? 1) };
      const transcript = pick(r.transcript, i + out.length);
      const chat = pick(r.chat, i + out.length);
      const user = pick(r.user, i);
      if (transcript !== undefined) step.transcript = transcript;
      if (chat !== undefined) step.chat = chat;
      if (user !== undefined) step.user = user;
      if (r.partial) step.partial = true;
      if (r.speaker) step.speaker = r.speaker;
      if (r.pk) step.pk = r.pk;
      if (r.opponent) step.opponent = r.opponent;
      if (r.command) step.command = r.command;
      out.push(step);
    }
  }
  // Blocks may overlap in time (chat during a host's talk): steps run, and are numbered, in time order.
  return out.map((step, i) => ({ step, i })).sort((a, b) => a.step.at - b.step.at || a.i - b.i).map((x) => x.step);
}

const expectSchema = z.discriminatedUnion('outcome', [
  /** Must be shut down (recommend mode: recommended) at or before step `by` (1-based), never before step `notBefore`. */
  z.object({ outcome: z.literal('shutdown'), by: z.number().int().min(1), notBefore: z.number().int().min(1).optional() }).strict(),
  /** Must not be shut down, and must reach `alert` (a moderator should look). */
  z.object({ outcome: z.literal('alert') }).strict(),
  /** Must not be shut down, and must stay at or below `maxLevel` (default `watch`). */
  z.object({ outcome: z.literal('normal'), maxLevel: z.enum(LEVEL_NAMES).optional() }).strict(),
]);

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    /** What the scenario stands for, and why this outcome. */
    why: z.string().min(1),
    /** Escalation config fields to set for this scenario (e.g. `{"mode":"recommend"}`). */
    config: z.record(z.string(), z.unknown()).optional(),
    expect: expectSchema,
    script: z.array(rawStepSchema).min(1),
  })
  .strict();

export type Scenario = Omit<z.infer<typeof scenarioSchema>, 'script'> & { file: string; script: Step[] };

/** The repository root (this file runs from bench/ under tsx or from dist/bench/ compiled). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

/** Every scenario in test/fixtures/escalation/*.json (each file an array of scenarios). */
export function loadScenarios(dir = join(repoRoot(), 'test/fixtures/escalation')): Scenario[] {
  const out: Scenario[] = [];
  const sets = JSON.parse(readFileSync(join(dir, 'sets.json'), 'utf8')) as Record<string, string[]>;
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.json') && n !== 'sets.json').sort()) {
    const items = JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown[];
    items.forEach((item, i) => {
      const r = scenarioSchema.safeParse(item);
      if (!r.success) throw new Error(`${name}[${i}]: ${r.error.issues[0]!.path.join('.')}: ${r.error.issues[0]!.message}`);
      out.push({ ...r.data, script: expand(r.data.script, sets), file: name });
    });
  }
  return out;
}

export interface ScenarioResult {
  scenario: Scenario;
  /** Step (1-based) at which the stream was shut down (or, in recommend mode, recommended). */
  shutAt?: number;
  /** Seconds from the first flagged step to the shutdown. */
  secondsToShutdown?: number;
  maxLevel: Level;
  flags: number;
  retracted: number;
  /** The replayed journal agrees on the outcome. */
  replayAgrees: boolean;
  verdict: 'ok' | 'false_shutdown' | 'early_shutdown' | 'missed_shutdown' | 'late_shutdown' | 'no_alert' | 'too_high';
}

let lexicon: CompiledLexicon | undefined;
const bundled = () => (lexicon ??= compileLexicon(loadLexiconDir()));

const STREAM = 'host';
const T0 = 1_790_000_000_000;

/** Runs one scenario through a Processor over a fresh journal, then replays that journal. */
export async function runScenario(sc: Scenario, base: Partial<EscalationConfig> = {}): Promise<ScenarioResult> {
  const config = escalationConfigSchema.parse({ ...base, ...sc.config });
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-scenario-'));
  const seen = { shutAt: undefined as number | undefined, recommendAt: undefined as number | undefined, flags: [] as Flag[], levels: [] as Level[], retracted: 0, step: 0 };
  const outbox: Outbox = {
    flags: (flags) => void seen.flags.push(...flags),
    pk: () => undefined,
    event: (e: EscalationEvent) => {
      if (e.type === 'level') seen.levels.push(e.level);
      else if (e.type === 'recommend') seen.recommendAt ??= seen.step;
      else if (e.type === 'retract') seen.retracted++;
    },
    shutdown: (_e: ShutdownEvent) => void (seen.shutAt ??= seen.step),
    standing: () => undefined,
  };
  try {
    const first = await open(dir, config, outbox);
    let seq = 0;
    let firstFlagAt: number | undefined;
    let shutTs: number | undefined;
    for (const [i, step] of sc.script.entries()) {
      seen.step = i + 1;
      const ts = T0 + Math.round(step.at * 1000);
      const before = seen.flags.length;
      if (step.command) await first.processor.command({ type: step.command, stream: STREAM });
      else {
        const msg = message(step, step.partial ? seq + 1 : ++seq, ts);
        const [reply] = await first.processor.ingestBatch([msg], { id: 1 });
        if (reply?.type !== 'ack') throw new Error(`${sc.name} step ${i + 1}: ${JSON.stringify(reply)}`);
      }
      if (seen.flags.length > before) firstFlagAt ??= ts;
      const decided = config.mode === 'recommend' ? seen.recommendAt : seen.shutAt;
      if (decided !== undefined && shutTs === undefined) shutTs = ts;
    }
    const live = summaryOf(first.processor);
    await first.processor.close();
    const again = await open(dir, config, { flags() {}, pk() {}, event() {}, shutdown() {}, standing() {} });
    const replayed = summaryOf(again.processor);
    await again.processor.close();
    const shutAt = config.mode === 'recommend' ? seen.recommendAt : seen.shutAt;
    const maxLevel = seen.levels.reduce<Level>((m, l) => (rank(l) > rank(m) ? l : m), 'normal');
    return {
      scenario: sc,
      ...(shutAt !== undefined ? { shutAt } : {}),
      ...(shutTs !== undefined && firstFlagAt !== undefined ? { secondsToShutdown: (shutTs - firstFlagAt) / 1000 } : {}),
      maxLevel,
      flags: seen.flags.length,
      retracted: seen.retracted,
      replayAgrees: live.level === replayed.level && live.recommended === replayed.recommended,
      verdict: verdictOf(sc, shutAt, maxLevel),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function open(dir: string, config: EscalationConfig, outbox: Outbox): Promise<{ processor: Processor }> {
  let processor: Processor | undefined;
  const journal = await Journal.open({ dir, fsync: false, snapshot: () => processor!.snapshot(), warn: () => undefined });
  const ids = new FlagIdAllocator(1);
  const opened = await Processor.open({
    scanner: new Scanner(bundled(), ids),
    ids,
    escalation: config,
    log: journal,
    history: journal,
    outbox,
    metrics: new Metrics(),
    limits: { seqWindow: 64, maxSeqAhead: 1e6 },
    events: { flag() {}, shutdown() {}, level() {}, dropped() {}, journalFailed() {}, journalRecovered() {} },
  });
  processor = opened.processor;
  return { processor };
}

function message(step: Step, seq: number, ts: number): IngestMessage {
  const base = { stream: STREAM, seq, ts };
  if (step.transcript !== undefined) return { type: 'transcript', ...base, text: step.transcript, final: !step.partial, ...(step.speaker ? { speaker: step.speaker } : {}) };
  if (step.chat !== undefined) return { type: 'chat', ...base, text: step.chat, ...(step.user ? { user: step.user } : {}) };
  return { type: 'pk', ...base, state: step.pk!, ...(step.opponent ? { opponent: step.opponent } : {}) };
}

function summaryOf(p: Processor): { level: string; recommended: string | undefined } {
  const s = p.summaries().find((x) => x.stream === STREAM);
  return { level: s?.level ?? 'normal', recommended: s?.recommended };
}

const rank = (l: Level) => ['normal', 'watch', 'alert', 'shutdown'].indexOf(l);

function verdictOf(sc: Scenario, shutAt: number | undefined, maxLevel: Level): ScenarioResult['verdict'] {
  const e = sc.expect;
  if (e.outcome === 'shutdown') {
    if (shutAt === undefined) return 'missed_shutdown';
    if (e.notBefore !== undefined && shutAt < e.notBefore) return 'early_shutdown';
    return shutAt <= e.by ? 'ok' : 'late_shutdown';
  }
  if (shutAt !== undefined) return 'false_shutdown';
  if (e.outcome === 'alert') return rank(maxLevel) >= rank('alert') ? 'ok' : 'no_alert';
  return rank(maxLevel) <= rank(e.maxLevel ?? 'watch') ? 'ok' : 'too_high';
}

export interface Score {
  scenarios: number;
  mustShutDown: number;
  caught: number;
  /** Shut down (or recommended) where the scenario must not be, or before its `notBefore`. */
  falseShutdowns: number;
  /** Must-shut-down scenarios not shut down by their step. */
  missedShutdowns: number;
  /** Scenarios whose level expectation (alert reached, or stayed low) failed. */
  levelMisses: number;
  replayDisagreements: number;
  /** Seconds from the first flag to the shutdown, over the caught scenarios. */
  timeToShutdown: { median: number; max: number } | undefined;
  results: ScenarioResult[];
}

export async function scoreScenarios(scenarios: Scenario[], base: Partial<EscalationConfig> = {}): Promise<Score> {
  const results: ScenarioResult[] = [];
  for (const sc of scenarios) results.push(await runScenario(sc, base));
  const must = results.filter((r) => r.scenario.expect.outcome === 'shutdown');
  const caught = must.filter((r) => r.verdict === 'ok');
  const times = caught.map((r) => r.secondsToShutdown ?? 0).sort((a, b) => a - b);
  return {
    scenarios: results.length,
    mustShutDown: must.length,
    caught: caught.length,
    falseShutdowns: results.filter((r) => r.verdict === 'false_shutdown' || r.verdict === 'early_shutdown').length,
    missedShutdowns: results.filter((r) => r.verdict === 'missed_shutdown' || r.verdict === 'late_shutdown').length,
    levelMisses: results.filter((r) => r.verdict === 'no_alert' || r.verdict === 'too_high').length,
    replayDisagreements: results.filter((r) => !r.replayAgrees).length,
    timeToShutdown: times.length ? { median: times[Math.floor(times.length / 2)]!, max: times[times.length - 1]! } : undefined,
    results,
  };
}

