/**
 * Where a cluster node's provisional flag ids start: far above any JetStream sequence, below 2^53.
 * The scanner hands these out; the events stream assigns the real ids as it stores the flags
 * (jetstream-log.ts renames them). A module of its own so the embedded server, which only needs
 * the number to know it is not in cluster mode, does not load the NATS client to read it.
 */
export const PROVISIONAL_FLAG_BASE = 8_000_000_000_000_000;
