/**
 * What a node needs in JetStream before it joins: the ingest, events, snapshots and fences streams
 * and the lease bucket. Every node that starts asks for all of them, so nodes started together race
 * to create them; each step is idempotent and a lost race is asked again (it then finds the stream).
 */
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { ClusterConfig } from './config.js';
import type { Subjects } from './subjects.js';

type SetupConfig = Pick<ClusterConfig, 'replicas' | 'ingestMaxAgeMs' | 'eventsMaxAgeMs' | 'duplicateWindowMs' | 'leaseTtlMs'>;

/** The streams and the lease bucket, created or brought to `c`'s settings. */
export async function setUpStreams(nc: NatsConnection, jsm: JetStreamManager, subjects: Subjects, c: SetupConfig): Promise<void> {
  await settingUp('ingest stream', () => ensureStream(jsm, {
    name: subjects.ingestStream,
    subjects: [subjects.ingestAll()],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    max_age: nanos(c.ingestMaxAgeMs),
    num_replicas: c.replicas,
  }));
  await settingUp('events stream', () => ensureStream(jsm, {
    name: subjects.eventsStream,
    subjects: [subjects.eventsAll()],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(c.eventsMaxAgeMs),
    duplicate_window: nanos(c.duplicateWindowMs),
    num_replicas: c.replicas,
  }));
  // Each partition's last state snapshot (snapshots.ts): only the last per subject is kept.
  await settingUp('snapshots stream', () => ensureStream(jsm, {
    name: subjects.snapshotsStream,
    subjects: [subjects.snapshotsAll()],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    num_replicas: c.replicas,
  }));
  // One fence per partition (jetstream-log.ts): only the last message of each subject is kept.
  await settingUp('fences stream', () => ensureStream(jsm, {
    name: subjects.fencesStream,
    subjects: [subjects.fencesAll()],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: 1,
    num_replicas: c.replicas,
  }));
  // KV requests time out within a renewal period, so a lost one is retried before the lease lapses.
  await settingUp('lease bucket', () => new Kvm(nc).create(subjects.ownersBucket, { ttl: c.leaseTtlMs, history: 1, replicas: c.replicas }));
}

/**
 * Failures that pass: a NATS cluster electing (timeouts, no peers yet), or another node creating the
 * same stream at this moment. nats-server answers a second create that arrives while the first is
 * still being applied with "name already in use" or, checked first on some paths, "subjects overlap
 * with an existing stream" (err_code 10058 / 10065); asked again, the step finds the stream.
 */
const PASSING = /timeout|temporarily unavailable|no suitable peers|insufficient resources|already in use|subjects overlap/i;
const PASSING_CODES = new Set([10058, 10065]);

function passes(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return (typeof code === 'number' && PASSING_CODES.has(code)) || PASSING.test((err as Error).message);
}

/** `step`, asked again (backing off) while its failures pass; then it fails naming `what`. */
export async function settingUp<T>(what: string, step: () => Promise<T>, attempts = 6): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= attempts || !passes(err)) throw joinError(what, err);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

/** A failed join names its step ("timeout" alone said nothing). */
export function named<T>(what: string, p: Promise<T>): Promise<T> {
  return p.catch((err: unknown) => {
    throw joinError(what, err);
  });
}

function joinError(what: string, err: unknown): Error {
  return new Error(`joining the cluster: ${what}: ${(err as Error).message}`, { cause: err });
}

/** Created if missing, else updated to `cfg` (settings a node's config changed take effect). */
async function ensureStream(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    await jsm.streams.info(cfg.name);
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
    try {
      await jsm.streams.add(cfg);
    } catch (e) {
      if (passes(e) && /overlap/i.test((e as Error).message)) await noOtherHolder(jsm, cfg);
      throw e;
    }
    return;
  }
  await jsm.streams.update(cfg.name, cfg);
}

/** An overlap with a stream of another name is a setup conflict, not a race: failed at once, naming it. */
async function noOtherHolder(jsm: JetStreamManager, cfg: Partial<StreamConfig> & { name: string }): Promise<void> {
  const subject = cfg.subjects?.[0];
  if (!subject) return;
  const holder = await jsm.streams.find(subject).catch(() => undefined);
  if (holder !== undefined && holder !== cfg.name) throw new Error(`subjects ${subject} are held by another stream, ${holder}`);
}
