/**
 * Ingest messages (client → server on `/ingest`), validated with zod. The shapes are fixed by
 * DESIGN.md "Wire protocol"; extra fields are ignored so pipelines can add their own.
 */
import { z } from 'zod';

/** Bounds that keep one message from costing more than a message should. */
export const MAX_TEXT_UNITS = 64 * 1024;
export const MAX_ID_LENGTH = 128;

const streamId = z.string().min(1).max(MAX_ID_LENGTH);
const seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const ts = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const text = z.string().max(MAX_TEXT_UNITS);

/**
 * Who spoke a transcript chunk: the stream's `host`, a `guest` on a co-stream, or the PK `opponent`
 * heard in the mix. Optional (absent: the host); flags keep it, and escalation weighs by it.
 */
export const SPEAKERS = ['host', 'guest', 'opponent'] as const;
export type Speaker = (typeof SPEAKERS)[number];
export const speakerSchema = z.enum(SPEAKERS);

export const transcriptSchema = z.object({
  type: z.literal('transcript'),
  stream: streamId,
  seq,
  ts,
  text,
  /** `false`: a partial ASR hypothesis that a later message with the same seq replaces. */
  final: z.boolean().default(true),
  speaker: speakerSchema.optional(),
});

export const chatSchema = z.object({
  type: z.literal('chat'),
  stream: streamId,
  seq,
  ts,
  user: z.string().max(MAX_ID_LENGTH).optional(),
  text,
});

export const pkSchema = z.object({
  type: z.literal('pk'),
  stream: streamId,
  seq,
  ts,
  state: z.enum(['start', 'end']),
  opponent: z.string().max(MAX_ID_LENGTH).optional(),
});

export const endSchema = z.object({
  type: z.literal('end'),
  stream: streamId,
  seq,
  ts,
});

export type TranscriptMessage = z.infer<typeof transcriptSchema>;
export type ChatMessage = z.infer<typeof chatSchema>;
export type PkMessage = z.infer<typeof pkSchema>;
export type EndMessage = z.infer<typeof endSchema>;
export type IngestMessage = TranscriptMessage | ChatMessage | PkMessage | EndMessage;

export const INGEST_SCHEMAS = { transcript: transcriptSchema, chat: chatSchema, pk: pkSchema, end: endSchema } as const;
export type IngestType = keyof typeof INGEST_SCHEMAS;
