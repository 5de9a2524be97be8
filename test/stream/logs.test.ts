/**
 * The table of stream-processing cases (cases.ts) against both logs: the file journal, and the
 * JetStream events stream on a real `nats-server` (the cluster's log). Same answers, same flags,
 * same shutdowns, the same state after a restart.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { JetStreamLog } from '../../src/cluster/jetstream-log.js';
import { PubAcks } from '../../src/cluster/pub-acks.js';
import { Subjects } from '../../src/cluster/subjects.js';
import type { FlagHistory } from '../../src/stream/contracts.js';
import { hasNatsServer, startNats, type NatsProcess } from '../cluster/harness.js';
import { CASES, type Case } from './cases.js';
import { rmSync } from 'node:fs';
import { bundledLexicon, coreOver, openCore, tempJournalDir, type Core } from './embedded.js';

type Opened = Pick<Core, 'processor' | 'send' | 'outbox'>;
type Opener = (name: string) => Promise<{ open(): Promise<Opened>; done(): Promise<void> }>;

async function runCase(c: Case, opener: Opener): Promise<void> {
  const where = await opener(c.name);
  let core = await where.open();
  const flagIds: string[] = [];
  let shutdowns = 0;
  const collect = () => {
    shutdowns += core.outbox.rec.shutdowns.length;
    core.outbox.rec.shutdowns.length = 0;
  };
  try {
    for (const step of c.steps) {
      if ('restart' in step) {
        collect();
        await core.processor.close();
        core = await where.open();
        continue;
      }
      if ('send' in step) {
        const before = core.outbox.rec.flags.length;
        const replies = await core.send(...step.send);
        if (step.replies) expect(replies.map((r) => (r.type === 'ack' ? (r.duplicate ? 'duplicate' : 'ack') : r.code))).toEqual(step.replies);
        const fresh = core.outbox.rec.flags.slice(before).map((f) => f.flag);
        flagIds.push(...fresh.map((f) => f.id));
        if (step.flags) expect(fresh.map((f) => f.term).sort()).toEqual([...step.flags].sort());
        continue;
      }
      const cmd = typeof step.command === 'function' ? step.command(flagIds) : step.command;
      const r = await core.processor.command(cmd);
      expect(r.type === 'ok' ? (r.noop ? 'noop' : 'ok') : r.code).toBe(step.result);
    }
    collect();
    expect(shutdowns).toBe(c.shutdowns);
    const levels = Object.fromEntries(core.processor.summaries().map((s) => [s.stream, s.level]));
    for (const [stream, level] of Object.entries(c.levels ?? {})) expect(levels[stream]).toBe(level);
  } finally {
    await core.processor.close();
    await where.done();
  }
}

describe('file journal', () => {
  for (const c of CASES) {
    test(c.name, () =>
      runCase(c, async () => {
        const dir = tempJournalDir();
        return { open: () => openCore(dir, { lexicon: bundledLexicon(), journal: { fsync: false } }), done: async () => rmSync(dir, { recursive: true, force: true }) };
      }),
    );
  }
});

describe.skipIf(!hasNatsServer)('JetStream events stream', () => {
  let nats: NatsProcess;
  let nc: NatsConnection;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await nats?.stop();
  });
  const NO_HISTORY: FlagHistory = { async *flagEntriesSince() {}, retainedFrom: () => undefined };
  let n = 0;
  for (const c of CASES) {
    test(c.name, () =>
      runCase(c, async () => {
        // A prefix of its own per case: a fresh history, as a fresh journal directory is.
        const subjects = new Subjects(`case${++n}`, 1);
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: subjects.eventsStream, subjects: [subjects.eventsAll()], retention: RetentionPolicy.Limits, storage: StorageType.File, duplicate_window: 60e9 });
        await jsm.streams.add({ name: subjects.fencesStream, subjects: [subjects.fencesAll()], retention: RetentionPolicy.Limits, storage: StorageType.File, max_msgs_per_subject: 1 });
        const js = jetstream(nc);
        return {
          // Each open takes the partition over as a new owner would: fence first, then replay.
          open: async () => {
            const log = new JetStreamLog({ js, jsm, acks: new PubAcks(nc), subjects, partition: 0, node: 'test', warn: () => {} });
            await log.fence();
            return coreOver(log, NO_HISTORY, { idsFromLog: true, lexicon: bundledLexicon() });
          },
          done: async () => {
            await jsm.streams.delete(subjects.eventsStream);
            await jsm.streams.delete(subjects.fencesStream);
          },
        };
      }),
    );
  }
});
