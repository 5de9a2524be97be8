/**
 * The risk an incident adds to its stream, and how risk decays with event time.
 *
 * An **incident** is one utterance: the flags of one message (one transcript seq, its partial
 * hypotheses included, or one chat line). It weighs as its strongest flag, never the sum: 全网最低价
 * and 别家都没有 in one sentence are one claim made once, not two.
 *
 * Defaults, chosen with the scenario evaluation (`npm run eval:escalation`, test/fixtures/escalation,
 * bench/escalation-eval.ts; README "Escalation"): they are the set with 0 false shutdowns that
 * catches every must-shut-down scenario soonest. All are configurable (`escalationConfigSchema`).
 * - weights low 1, medium 2, high 4: a high claim (全网最低价, 根治) is worth two medium ones.
 *   `critical` adds the high weight and, said by the host or a guest in a final transcript, shuts
 *   the stream down at once (治癌, 停药: claims that endanger life need no repetition).
 * - repetition: an incident whose flag's term was already said in n earlier incidents (within the
 *   sustain window) weighs `1 + 0.5·n` times more, at most ×3: saying it again after being flagged
 *   is intent, not a slip. The same term twice in one sentence is not a repetition.
 * - evasion ×1.5: a match that needed de-obfuscation (薇信, 全*网*最*低) shows the host knows the rule.
 * - PK ×1.5: PK sessions are where violations pay most, so the same words count more.
 * - half-life 120 s: risk halves every two minutes of event time without new incidents, so an
 *   occasional slip fades and a burst does not.
 * - thresholds watch 3, alert 8, shutdown 16; and **sustain**: risk alone shuts a stream down only
 *   with at least 3 incidents within 5 minutes. One sentence, however loaded, reaches `alert` at
 *   most; only a critical claim shuts down on its own. The sweep (`eval:escalation -- --sweep`,
 *   README table): sustain 2 gives false shutdowns at every threshold up to 20; sustain 4 misses
 *   half the must-shut-down scenarios; threshold 20 misses a third at sustain 3.
 * - chat ×0: viewers' chat is flagged for moderators but does not raise the host's risk, or a troll
 *   could get a rival's stream shut down by spamming its chat. A platform that holds hosts
 *   responsible for their chat sets `chatMultiplier` above 0 (a chat flag never shuts down by itself).
 * - speakers: a transcript's optional `speaker` weighs host ×1, guest ×1 (a co-stream guest speaks
 *   on this stream, to its viewers), opponent ×0 (a PK opponent's voice in the mix is the
 *   opponent's stream's business).
 * - mode `enforce` sends the shutdown signal; `recommend` sends moderators a recommendation that
 *   becomes the shutdown signal only when one of them confirms it.
 *
 * What it takes with the defaults: the same high claim in three sentences within a minute (4 + 6 +
 * 8 = 18, under PK ×1.5 = 27); three different high claims in quick succession during a PK (6 × 3
 * less decay), five outside one; two disguised high claims during a PK reach alert (9 + 13.5) and
 * the third one shuts down. A medium claim every 30 s settles near 2/(1−2^(−0.25)) ≈ 12 (alert)
 * until repetition of one term pushes it over.
 */
import { z } from 'zod';
import type { Severity } from '../flag.js';
import { SPEAKERS, type Speaker } from '../protocol/ingest.js';

const weight = z.number().min(0);

export const escalationConfigSchema = z
  .object({
    /** `enforce`: an automatic shutdown is signalled at once. `recommend`: moderators get a recommendation to confirm. */
    mode: z.enum(['enforce', 'recommend']).default('enforce'),
    weights: z.object({ low: weight, medium: weight, high: weight }).default({ low: 1, medium: 2, high: 4 }),
    repetitionStep: z.number().min(0).default(0.5),
    repetitionMax: z.number().min(1).default(3),
    evasionMultiplier: z.number().min(1).default(1.5),
    pkMultiplier: z.number().min(1).default(1.5),
    chatMultiplier: z.number().min(0).default(0),
    speakers: z.object({ host: weight, guest: weight, opponent: weight }).default({ host: 1, guest: 1, opponent: 0 }),
    halfLifeMs: z.number().int().positive().default(120_000),
    thresholds: z
      .object({ watch: z.number().positive(), alert: z.number().positive(), shutdown: z.number().positive() })
      .refine((t) => t.watch < t.alert && t.alert < t.shutdown, 'thresholds must rise: watch < alert < shutdown')
      .default({ watch: 3, alert: 8, shutdown: 16 }),
    /** Risk shuts a stream down only after this many incidents within `windowMs` (repetition counts within it too). */
    sustain: z.object({ incidents: z.number().int().min(1), windowMs: z.number().int().positive() }).default({ incidents: 3, windowMs: 300_000 }),
    /** A `critical` flag in the host's (or a guest's) final transcript shuts the stream down at once. */
    criticalShutsDown: z.boolean().default(true),
  })
  .strict();

export type EscalationConfig = z.infer<typeof escalationConfigSchema>;

export const DEFAULT_ESCALATION: EscalationConfig = escalationConfigSchema.parse({});

export interface FlagWeightInput {
  severity: Severity;
  evasion: boolean;
  /** How many earlier incidents of this stream (within the sustain window) had a flag with this term. */
  priorIncidents: number;
  pkActive: boolean;
  /** Found in viewers' chat rather than the host's transcript. */
  chat?: boolean;
  /** Who said it (transcripts); absent: the host. */
  speaker?: Speaker | undefined;
}

/** How much what `speaker` (or a viewer, in chat) says counts toward the stream's risk. */
export function sourceMultiplier(config: EscalationConfig, chat: boolean, speaker: Speaker | undefined): number {
  return chat ? config.chatMultiplier : config.speakers[speaker ?? 'host'];
}

export function flagWeight(config: EscalationConfig, f: FlagWeightInput): number {
  const source = sourceMultiplier(config, f.chat ?? false, f.speaker);
  const base = config.weights[f.severity === 'critical' ? 'high' : f.severity] * source;
  const repetition = Math.min(config.repetitionMax, 1 + config.repetitionStep * f.priorIncidents);
  return base * repetition * (f.evasion ? config.evasionMultiplier : 1) * (f.pkActive ? config.pkMultiplier : 1);
}

/** Risk after `elapsedMs` of event time; time never runs backwards (late events decay nothing). */
export function decay(config: EscalationConfig, risk: number, elapsedMs: number): number {
  if (elapsedMs <= 0 || risk === 0) return risk;
  const r = risk * Math.pow(0.5, elapsedMs / config.halfLifeMs);
  return r < 1e-6 ? 0 : r;
}

export { SPEAKERS };
