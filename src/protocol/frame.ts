/**
 * frame → messages: one JSON text frame holds one message or an array of them. Each message is
 * validated on its own, so one bad message in a batch is refused with its index and the others go on.
 */
import type { z } from 'zod';
import { wireError, type WireError } from './codes.js';

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: WireError };

/** Splits a frame into raw messages, or refuses the whole frame. */
export function splitFrame(data: string, maxBatch: number): { items: unknown[]; batch: boolean } | WireError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (err) {
    return wireError('invalid_json', `frame is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed)) return { items: [parsed], batch: false };
  // Every frame gets an answer; an empty batch would otherwise get none.
  if (parsed.length === 0) return wireError('invalid_message', 'frame: empty array; send one message or an array of 1 or more');
  if (parsed.length > maxBatch) {
    return wireError('batch_too_large', `batch of ${parsed.length} messages; at most ${maxBatch} per frame (nothing in it was processed)`);
  }
  return { items: parsed, batch: true };
}

/** Validates one raw message against the schema its `type` selects. */
export function decodeMessage<S extends Record<string, z.ZodType>>(
  raw: unknown,
  schemas: S,
  index: number | undefined,
): Decoded<z.output<S[keyof S]>> {
  const where = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const at = { stream: where.stream, seq: where.seq, index };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: wireError('invalid_message', `message: expected object, received ${describe(raw)}`, at) };
  }
  const type = where.type;
  if (typeof type !== 'string') {
    return { ok: false, error: wireError('invalid_message', `type: expected string, received ${describe(type)}`, at) };
  }
  if (!Object.hasOwn(schemas, type)) {
    return { ok: false, error: wireError('unknown_type', `type: unknown message type ${JSON.stringify(type.slice(0, 64))}; expected one of ${Object.keys(schemas).join(', ')}`, at) };
  }
  const result = schemas[type]!.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : 'message';
    return { ok: false, error: wireError('invalid_message', `${path}: ${issue.message}`, at) };
  }
  return { ok: true, message: result.data as z.output<S[keyof S]> };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
