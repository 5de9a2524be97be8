/**
 * Who said it (issue 15 part 6): a chat flag carries the viewer's `user`, a transcript flag the
 * message's `speaker` (host, guest on a co-stream, PK opponent). One rule for every road that
 * scans a message: the server's message step and `pkguard scan`.
 */
import type { Flag } from '../flag.js';

type Speaker = NonNullable<Flag['speaker']>;
/**
 * The speakers a flag may name, as values for validators that must not load the protocol module
 * (it imports zod at once; `pkguard scan` builds its schema only on first use). The checks below
 * fail the build if this list and the Flag type ever differ.
 */
export const SPEAKER_VALUES = ['host', 'guest', 'opponent'] as const satisfies readonly Speaker[];
type Missing = Exclude<Speaker, (typeof SPEAKER_VALUES)[number]>;
const complete: Missing extends never ? true : never = true;
void complete;

export interface Attribution {
  kind?: 'transcript' | 'chat' | undefined;
  user?: string | undefined;
  speaker?: Flag['speaker'] | undefined;
}

/** Stamps `flags` with the message's user (chat) or speaker (transcript, the default kind). */
export function attribute(flags: Flag[], a: Attribution): Flag[] {
  if (a.kind === 'chat') {
    if (a.user !== undefined) for (const f of flags) f.user = a.user;
  } else if (a.speaker !== undefined) for (const f of flags) f.speaker = a.speaker;
  return flags;
}

/** The attribution of a wire message: its kind, the chat viewer's `user`, the transcript's `speaker`. */
export function attributionOf(msg: { type: string; user?: string | undefined; speaker?: Flag['speaker'] | undefined }): Attribution {
  return { kind: msg.type === 'chat' ? 'chat' : 'transcript', user: msg.user, speaker: msg.speaker };
}
