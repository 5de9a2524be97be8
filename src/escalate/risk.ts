/**
 * The risk a flag adds to its stream, and how risk decays with event time.
 *
 * Defaults and the reasoning behind them (all configurable, see `escalationConfigSchema`):
 * - weights low 1, medium 2, high 4: a high claim (全网最低价, 根治) is worth two medium ones;
 *   `critical` does not add weight, it shuts the stream down at once (治癌, 停药: claims that
 *   endanger life need no repetition).
 * - repetition: the n-th flag with the same term in a stream weighs `1 + 0.5·(n−1)` times more (at
 *   most ×3): saying it again after being flagged is intent, not a slip.
 * - evasion ×1.5: a match that needed de-obfuscation (薇信, 全*网*最*低) shows the host knows the rule.
 * - PK ×1.5: PK sessions are where violations pay most, so the same words count more.
 * - half-life 120 s: risk halves every two minutes of event time without new flags, so an
 *   occasional slip fades and a burst does not.
 * - thresholds watch 3, alert 8, shutdown 16.
 * - chat ×0: viewers' chat is flagged for moderators but does not raise the host's risk, or a troll
 *   could get a rival's stream shut down by spamming its chat. A platform that holds hosts
 *   responsible for their chat sets `chatMultiplier` above 0 (a critical chat flag never shuts down).
 *
 * What it takes to be shut down with the defaults: four different high claims within about a
 * minute (4+4+4+4 with little decay); the same high claim said three times (4 + 6 + 8 = 18);
 * two disguised high claims during a PK (4·1.5·1.5 = 9 each). A medium claim every 30 s settles
 * near 2/(1−2^(−0.25)) ≈ 12: it reaches `alert` and stays there until it stops, but repetition of
 * one term pushes it over.
 */
import { z } from 'zod';
import type { Severity } from '../flag.js';

export const escalationConfigSchema = z
  .object({
    weights: z
      .object({ low: z.number().min(0), medium: z.number().min(0), high: z.number().min(0) })
      .default({ low: 1, medium: 2, high: 4 }),
    repetitionStep: z.number().min(0).default(0.5),
    repetitionMax: z.number().min(1).default(3),
    evasionMultiplier: z.number().min(1).default(1.5),
    pkMultiplier: z.number().min(1).default(1.5),
    chatMultiplier: z.number().min(0).default(0),
    halfLifeMs: z.number().int().positive().default(120_000),
    thresholds: z
      .object({ watch: z.number().positive(), alert: z.number().positive(), shutdown: z.number().positive() })
      .refine((t) => t.watch < t.alert && t.alert < t.shutdown, 'thresholds must rise: watch < alert < shutdown')
      .default({ watch: 3, alert: 8, shutdown: 16 }),
    /** A `critical` flag shuts the stream down at once. */
    criticalShutsDown: z.boolean().default(true),
  })
  .strict();

export type EscalationConfig = z.infer<typeof escalationConfigSchema>;

export const DEFAULT_ESCALATION: EscalationConfig = escalationConfigSchema.parse({});

export interface FlagWeightInput {
  severity: Severity;
  evasion: boolean;
  /** How many flags with this term the stream had before this one. */
  priorSameTerm: number;
  pkActive: boolean;
  /** Found in viewers' chat rather than the host's transcript. */
  chat?: boolean;
}

export function flagWeight(config: EscalationConfig, f: FlagWeightInput): number {
  const source = f.chat ? config.chatMultiplier : 1;
  if (f.severity === 'critical') return config.weights.high * source;
  const base = config.weights[f.severity] * source;
  const repetition = Math.min(config.repetitionMax, 1 + config.repetitionStep * f.priorSameTerm);
  return base * repetition * (f.evasion ? config.evasionMultiplier : 1) * (f.pkActive ? config.pkMultiplier : 1);
}

/** Risk after `elapsedMs` of event time; time never runs backwards (late events decay nothing). */
export function decay(config: EscalationConfig, risk: number, elapsedMs: number): number {
  if (elapsedMs <= 0 || risk === 0) return risk;
  const r = risk * Math.pow(0.5, elapsedMs / config.halfLifeMs);
  return r < 1e-6 ? 0 : r;
}
