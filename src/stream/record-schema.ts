/**
 * Validates records read back from a log. A record of the right JSON but the wrong shape (a bad
 * disk, a hand edit, a bug in an older version) is reported and skipped by the caller, never allowed
 * to crash a replay half-way (`rec.flags is not iterable` used to exit 70).
 */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES } from '../flag.js';
import { LEVELS } from '../escalate/escalation.js';
import { SPEAKERS } from '../protocol/ingest.js';
import type { StreamRecord } from './records.js';

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ts = z.number().finite();
const stream = z.string().min(1);
const flagId = z.string().regex(/^f[1-9][0-9]{0,15}$/);

const flag = z.object({
  id: flagId,
  stream: z.string().optional(),
  seq: count.optional(),
  category: z.enum(CATEGORIES),
  term: z.string(),
  matched: z.string(),
  start: count,
  end: count,
  severity: z.enum(SEVERITIES),
  kind: z.enum(['transcript', 'chat']).optional(),
  ts: ts.optional(),
  evasion: z.boolean(),
  via: z.enum(['text', 'pinyin', 'detector']),
  carried: z.string().optional(),
  user: z.string().optional(),
  speaker: z.enum(SPEAKERS).optional(),
  partial: z.literal(true).optional(),
});

const incident = z.object({ seq: count, ts, weight: z.number().finite().min(0), terms: z.array(z.string()) });

const schemas = {
  snapshot: z.object({
    t: z.literal('snapshot'),
    nextFlag: count.min(1),
    shutdown: z.array(z.object({ stream, epoch: count, reason: z.string().optional() })),
    epochs: z.record(z.string(), count),
    seqs: z.record(z.string(), z.number().int().min(-1)),
    windows: z.record(z.string(), z.array(z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER))).optional(),
    pk: z.array(z.object({ stream, opponent: z.string().optional() })).optional(),
    risks: z.record(z.string(), z.object({ risk: z.number().finite().min(0), ts, terms: z.record(z.string(), count).optional(), incidents: z.array(incident).optional() })).optional(),
    recommended: z.array(z.object({ stream, reason: z.string(), flagIds: z.array(flagId), ts })).optional(),
    /** Streams that read as ended (stream/ended.ts) at the snapshot. */
    ended: z.record(z.string(), z.object({ seq: count, ts })).optional(),
    tail: z.object({ segment: count.min(1), from: count }).optional(),
  }),
  msg: z.object({
    t: z.literal('msg'),
    stream,
    seq: count,
    ts,
    kind: z.enum(['transcript', 'chat']),
    final: z.boolean(),
    flags: z.array(flag),
    text: z.string().optional(),
    prev: z.string().optional(),
    speaker: z.enum(SPEAKERS).optional(),
    dropped: count.optional(),
    shadow: z.array(flag).optional(),
  }),
  pk: z.object({ t: z.literal('pk'), stream, seq: count, ts, state: z.enum(['start', 'end']), opponent: z.string().optional() }),
  end: z.object({ t: z.literal('end'), stream, seq: count, ts }),
  level: z.object({ t: z.literal('level'), stream, level: z.enum(LEVELS), risk: z.number().finite(), ts }),
  shutdown: z.object({ t: z.literal('shutdown'), stream, reason: z.string(), flagIds: z.array(flagId), ts, epoch: count, manual: z.boolean(), confirmed: z.literal(true).optional() }),
  restore: z.object({ t: z.literal('restore'), stream, ts, epoch: count }),
  recommend: z.object({ t: z.literal('recommend'), stream, reason: z.string(), flagIds: z.array(flagId), ts }),
  decline: z.object({ t: z.literal('decline'), stream, ts }),
  retract: z.object({ t: z.literal('retract'), stream, seq: count, flagId, ts }),
  dismiss: z.object({ t: z.literal('dismiss'), flagId, stream: stream.nullable(), ts, reason: z.string().optional() }),
  ids: z.object({ t: z.literal('ids'), below: count.min(1) }),
  promote: z.object({ t: z.literal('promote'), dir: z.string().min(1), from: z.string().optional(), forced: z.boolean(), ts }),
} as const;

export type RecordCheck = { ok: true; record: StreamRecord } | { ok: false; reason: string };

/** A parsed JSON value as a record, or why it is not one (`field: reason`). */
export function checkRecord(v: unknown): RecordCheck {
  const t = v !== null && typeof v === 'object' ? (v as { t?: unknown }).t : undefined;
  if (typeof t !== 'string' || !Object.hasOwn(schemas, t)) return { ok: false, reason: `t: not a record kind (${JSON.stringify(t)?.slice(0, 40)})` };
  const parsed = schemas[t as keyof typeof schemas].safeParse(v);
  if (parsed.success) return { ok: true, record: parsed.data as StreamRecord };
  const issue = parsed.error.issues[0]!;
  return { ok: false, reason: `${issue.path.join('.') || t}: ${issue.message}` };
}
