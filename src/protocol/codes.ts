/**
 * Error codes sent on the wire in `{"type":"error","code":...}`. Stable: clients branch on them.
 */
export const WIRE_ERRORS = {
  /** The frame is not valid JSON. */
  invalid_json: 'invalid_json',
  /** A binary frame; the protocol is JSON text frames only. */
  binary_frame: 'binary_frame',
  /** A field has the wrong type or value; `message` names the field. */
  invalid_message: 'invalid_message',
  /** `type` is not a message this endpoint knows. */
  unknown_type: 'unknown_type',
  /** An array frame with more messages than the server takes at once (nothing in it was processed). */
  batch_too_large: 'batch_too_large',
  /** A message of another role (a feed command on /ingest, a moderator command from control). */
  forbidden: 'forbidden',
  unknown_flag: 'unknown_flag',
  unknown_stream: 'unknown_stream',
  /** The feed client fell too far behind; it is disconnected and can resume with `since`. */
  slow_consumer: 'slow_consumer',
  /** The server is draining for shutdown; the message was not processed, send it again elsewhere. */
  shutting_down: 'shutting_down',
  /** A bug or an I/O failure; the message was not acked. */
  internal: 'internal',
  /** `promote` without a shadow lexicon configured (or after it was promoted). */
  no_shadow_lexicon: 'no_shadow_lexicon',
  /** `promote` refused: the shadow lexicon would lose files or entries of the live one (send `force: true` to promote anyway). */
  lexicon_refused: 'lexicon_refused',
  /** Cluster mode: the partition's owner could not be reached in time (NATS down, a takeover under way); with `processes` > 1, the stream's owner process is down or restarting. Not acked, send it again. */
  unavailable: 'unavailable',
} as const;

export type WireErrorCode = keyof typeof WIRE_ERRORS;

export interface WireError {
  type: 'error';
  code: WireErrorCode;
  message: string;
  stream?: string;
  seq?: number;
  /** Where in a batch frame the message was (0-based), when the frame was an array. */
  index?: number;
  /** For a failed feed command: which one, so a console can show the answer next to the button. */
  command?: string;
  flagId?: string;
}

export function wireError(code: WireErrorCode, message: string, where: { stream?: unknown; seq?: unknown; index?: number; command?: string; flagId?: string } = {}): WireError {
  const e: WireError = { type: 'error', code, message };
  if (typeof where.stream === 'string') e.stream = where.stream;
  if (typeof where.seq === 'number' && Number.isFinite(where.seq)) e.seq = where.seq;
  if (where.index !== undefined) e.index = where.index;
  if (where.command !== undefined) e.command = where.command;
  if (where.flagId !== undefined) e.flagId = where.flagId;
  return e;
}
