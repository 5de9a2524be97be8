/**
 * The bundled demo session (test/fixtures/session.ndjson, what `pkguard replay` plays in the
 * README) through the real stream core with the bundled lexicons and the default escalation: the
 * PK host room-a is shut down only after repeated incidents, never on its first sentences (it used
 * to be shut down after 3 flags in 3.6 s, two of them from one sentence); room-b is not.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { INGEST_SCHEMAS, type IngestMessage } from '../../src/protocol/ingest.js';
import { bundledLexicon, journalDirs, openCore } from '../stream/embedded.js';

const SESSION = fileURLToPath(new URL('../fixtures/session.ndjson', import.meta.url));
const dir = journalDirs();

test('room-a is shut down after repeated incidents, room-b stays up; a restart keeps it so', { timeout: 60_000 }, async () => {
  const msgs = readFileSync(SESSION, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => {
    const raw = JSON.parse(l) as { type: keyof typeof INGEST_SCHEMAS };
    return INGEST_SCHEMAS[raw.type].parse(raw) as IngestMessage; // as the server reads it (final defaults to true)
  });
  const d = dir();
  const core = await openCore(d, { lexicon: bundledLexicon() });
  const incidents = new Set<number>(); // flagged transcript seqs of room-a before its shutdown
  let shutAfter: number | undefined;
  for (const m of msgs) {
    const flagsBefore = core.outbox.rec.flags.length;
    await core.send(m);
    const raised = core.outbox.rec.flags.slice(flagsBefore);
    if (m.stream === 'room-a' && raised.length > 0 && shutAfter === undefined) incidents.add(m.seq);
    if (shutAfter === undefined && core.outbox.rec.shutdowns.some((s) => s.stream === 'room-a')) shutAfter = m.seq;
  }
  const shutdowns = core.outbox.rec.shutdowns;
  expect(shutdowns.map((s) => s.stream)).toEqual(['room-a']);
  expect(incidents.size, `room-a was shut down after seq ${shutAfter}, incidents ${[...incidents]}`).toBeGreaterThanOrEqual(3);
  expect(shutdowns[0]!.reason).toMatch(/over \d+ incidents/);
  // Its first two flagged sentences (seq 5: two claims in one sentence, seq 6) never suffice.
  expect(shutAfter).toBeGreaterThan(6);
  await core.processor.close();
  const again = await openCore(d, { lexicon: bundledLexicon() });
  expect(again.processor.summaries().find((s) => s.stream === 'room-a')?.level).toBe('shutdown');
  expect(again.outbox.rec.shutdowns).toEqual([]);
  await again.processor.close();
});
