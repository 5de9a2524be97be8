/**
 * Ingest message validation with a hand-checked fast path for the two shapes that make up nearly
 * all traffic (a transcript chunk and a chat line carrying only the protocol's fields). zod checks
 * everything else, and every message the fast path does not accept in full, so errors (codes and
 * messages) come from one place only: the fast path never produces an error itself.
 *
 * Why: zod's safeParse was ~2–4% of the server's busy time at 10k msg/s (bench:e2e --profile),
 * and allocates a copy per message; this checks the fields in place and builds one object of a
 * fixed shape. `test/server/ingest-decode.test.ts` checks it against zod on tricky inputs.
 *
 * If a schema in protocol/ingest.ts gains or loses a field, the fast path for that type switches
 * itself off (its field list no longer matches the schema's), and zod handles that type until
 * this file is updated.
 */
import { decodeMessage, type Decoded } from '../protocol/frame.js';
import { chatSchema, INGEST_SCHEMAS, MAX_ID_LENGTH, MAX_TEXT_UNITS, SPEAKERS, transcriptSchema, type IngestMessage, type Speaker } from '../protocol/ingest.js';

const TRANSCRIPT_KEYS = ['type', 'stream', 'seq', 'ts', 'text', 'final', 'speaker'];
const CHAT_KEYS = ['type', 'stream', 'seq', 'ts', 'user', 'text'];

const sameKeys = (shape: object, keys: string[]) => {
  const have = Object.keys(shape);
  return have.length === keys.length && keys.every((k) => have.includes(k));
};
const TRANSCRIPT_FAST = sameKeys(transcriptSchema.shape, TRANSCRIPT_KEYS);
const CHAT_FAST = sameKeys(chatSchema.shape, CHAT_KEYS);

const validId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= MAX_ID_LENGTH;
const validCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const validText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_TEXT_UNITS;
const SPEAKER_SET: ReadonlySet<unknown> = new Set(SPEAKERS);

/** The fast path's result, or undefined when zod must decide. */
export function fastDecode(raw: unknown): IngestMessage | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const m = raw as Record<string, unknown>;
  const type = m.type;
  if (type === 'transcript') {
    if (!TRANSCRIPT_FAST) return undefined;
    for (const k in m) if (k !== 'type' && k !== 'stream' && k !== 'seq' && k !== 'ts' && k !== 'text' && k !== 'final' && k !== 'speaker') return undefined;
    const { stream, seq, ts, text, final, speaker } = m;
    if (!validId(stream) || !validCount(seq) || !validCount(ts) || !validText(text)) return undefined;
    // A key present with the value undefined (not from JSON, but possible in a library call) is zod's to judge.
    if ('final' in m && typeof final !== 'boolean') return undefined;
    if ('speaker' in m && !SPEAKER_SET.has(speaker)) return undefined;
    const message: IngestMessage = { type: 'transcript', stream, seq, ts, text, final: (final as boolean | undefined) ?? true };
    if (speaker !== undefined) message.speaker = speaker as Speaker;
    return message;
  }
  if (type === 'chat') {
    if (!CHAT_FAST) return undefined;
    for (const k in m) if (k !== 'type' && k !== 'stream' && k !== 'seq' && k !== 'ts' && k !== 'text' && k !== 'user') return undefined;
    const { stream, seq, ts, text, user } = m;
    if (!validId(stream) || !validCount(seq) || !validCount(ts) || !validText(text)) return undefined;
    if (user === undefined) return 'user' in m ? undefined : { type: 'chat', stream, seq, ts, text };
    if (typeof user !== 'string' || user.length > MAX_ID_LENGTH) return undefined;
    return { type: 'chat', stream, seq, ts, user, text };
  }
  return undefined;
}

/** One raw message of a frame → a valid message or its wire error (`index`: its place in a batch). */
export function decodeIngest(raw: unknown, index: number | undefined): Decoded<IngestMessage> {
  const fast = fastDecode(raw);
  if (fast !== undefined) return { ok: true, message: fast };
  return decodeMessage(raw, INGEST_SCHEMAS, index) as Decoded<IngestMessage>;
}
