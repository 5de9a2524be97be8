/**
 * Feed commands (client → server on `/feed`). Moderators send all of them; control connections
 * only `subscribe` (they receive shutdown and restore signals, nothing else).
 */
import { z } from 'zod';
import { CATEGORIES, SEVERITIES } from '../flag.js';
import { MAX_ID_LENGTH } from './ingest.js';

const streamId = z.string().min(1).max(MAX_ID_LENGTH);
const flagId = z.string().regex(/^f[1-9][0-9]{0,15}$/, 'expected a flag id like "f123"');

/**
 * Sets the filter at once; `since` or `history` also sets where flags start. A connection holds live
 * flags from the moment it opens until its subscribe's state and replay are out (or, never
 * subscribing, for `limits.feedGraceMs`), and its position (the last flag sent) never moves back:
 * a `since`/`history` below it replays only from it (notice `position_kept`). Without either, a
 * subscribe on a live connection changes only the filter, from the next flag on; to see older
 * flags under a wider filter, open a new connection.
 */
export const subscribeSchema = z.object({
  type: z.literal('subscribe'),
  categories: z.array(z.enum(CATEGORIES)).max(CATEGORIES.length).optional(),
  minSeverity: z.enum(SEVERITIES).optional(),
  streams: z.array(streamId).max(10_000).optional(),
  /** Resume: every later flag the filter matches (from the journal), once and in id order, then live. */
  since: flagId.optional(),
  /**
   * Without `since`: start this many flag ids back from the newest (a console opening with recent
   * history). Ids are counted, not matching flags; in cluster mode, events of the history (a stored
   * batch spans a thousand ids).
   */
  history: z.number().int().min(0).max(100_000).optional(),
  /**
   * Moderators: also receive `shadow` frames, what the shadow lexicon (`lexicons.shadow`) raised on
   * each message against the live flags. Live only (not replayed by `since`); default false.
   */
  shadow: z.boolean().optional(),
});

export const dismissSchema = z.object({
  type: z.literal('dismiss'),
  flagId,
  reason: z.string().max(1024).optional(),
});

export const shutdownCommandSchema = z.object({
  type: z.literal('shutdown'),
  stream: streamId,
  reason: z.string().min(1).max(1024).default('manual shutdown by a moderator'),
});

export const restoreSchema = z.object({
  type: z.literal('restore'),
  stream: streamId,
});

/**
 * `escalation.mode: "recommend"`: a moderator confirms the stream's pending shutdown recommendation
 * (it becomes the shutdown signal, `confirmed: true`) or declines it. Without one pending: a noop.
 */
export const confirmSchema = z.object({
  type: z.literal('confirm'),
  stream: streamId,
});

export const declineSchema = z.object({
  type: z.literal('decline'),
  stream: streamId,
});

/**
 * Makes the shadow lexicon the live one (moderators). Refused like a lexicon reload when it would
 * lose files or entries of the live lexicon, unless `force`; journaled as a `promote` record.
 */
export const promoteSchema = z.object({
  type: z.literal('promote'),
  force: z.boolean().optional(),
});

export type SubscribeCommand = z.infer<typeof subscribeSchema>;
export type PromoteCommand = z.infer<typeof promoteSchema>;
export type DismissCommand = z.infer<typeof dismissSchema>;
export type ShutdownCommand = z.infer<typeof shutdownCommandSchema>;
export type RestoreCommand = z.infer<typeof restoreSchema>;
export type ConfirmCommand = z.infer<typeof confirmSchema>;
export type DeclineCommand = z.infer<typeof declineSchema>;
export type FeedCommand = SubscribeCommand | DismissCommand | ShutdownCommand | RestoreCommand | ConfirmCommand | DeclineCommand | PromoteCommand;

export const FEED_SCHEMAS = {
  subscribe: subscribeSchema,
  dismiss: dismissSchema,
  shutdown: shutdownCommandSchema,
  restore: restoreSchema,
  confirm: confirmSchema,
  decline: declineSchema,
  promote: promoteSchema,
} as const;
export type FeedType = keyof typeof FEED_SCHEMAS;

/** Parses `f123` to 123 (ids are validated by the schema before this is called). */
export const flagNumber = (id: string): number => Number(id.slice(1));
