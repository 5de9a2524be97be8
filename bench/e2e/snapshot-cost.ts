/**
 * `node dist/bench/e2e/snapshot-cost.js [--streams 2000] [--messages 600000] [--rounds 7] [--segment-mb 64] [--fsync]`:
 * what one journal rotation's snapshot costs the event loop, after a stream core has taken the e2e
 * generator's transcripts. Prints each rotation the journal made meanwhile (`onRotate`: taking the
 * state, which holds the loop; the longest slice of its text; the whole stringify; the write), then
 * `--rounds` samples of taking the state and stringifying it in one piece (the escalation's risks
 * are read lazily, escalate/risk-snapshot.ts, so reading them is in the stringify figure). At
 * 18,750 msg/s the 64 MB segments rotate every ~13 s.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scanner } from '../../src/detect/scanner.js';
import { DEFAULT_ESCALATION } from '../../src/escalate/risk.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { Journal } from '../../src/journal/journal.js';
import { compileLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { Metrics } from '../../src/metrics.js';
import { decodeIngest } from '../../src/server/ingest-decode.js';
import { Processor } from '../../src/stream/processor.js';
import { TextPool } from './text.js';

const args = process.argv.slice(2);
const num = (name: string, d: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const streams = num('streams', 2000);
const messages = num('messages', 600_000);
const rounds = num('rounds', 7);
const segmentBytes = num('segment-mb', 64) * 2 ** 20;
const fsync = args.includes('--fsync');
const ms = (seconds: number) => (seconds * 1000).toFixed(1);

const ids = new FlagIdAllocator(1);
const scanner = new Scanner(compileLexicon(loadLexiconDir()), ids, 100);
const dir = mkdtempSync(join(tmpdir(), 'pkguard-snapshot-cost-'));
let processor: Processor | undefined;
const journal = await Journal.open({
  dir,
  segmentBytes,
  snapshot: () => processor!.snapshot(),
  warn: () => undefined,
  fsync,
  onRotate: (d) => process.stdout.write(`rotation: take ${ms(d.take)} ms (loop held), longest slice ${ms(d.sliceMax)} ms, stringify ${ms(d.stringify)} ms in slices, write ${ms(d.write)} ms, ${(d.bytes / 1024).toFixed(0)} KB\n`),
});
const none = () => undefined;
const opened = await Processor.open({
  scanner,
  ids,
  escalation: DEFAULT_ESCALATION,
  log: journal,
  history: journal,
  outbox: { flags: none, pk: none, event: none, shutdown: none, standing: none, end: none },
  metrics: new Metrics(),
  events: { flag: none, shutdown: none, level: none, dropped: none, journalFailed: none, journalRecovered: none },
  limits: { seqWindow: 64, maxSeqAhead: 1e15 },
} as unknown as Parameters<typeof Processor.open>[0]);
processor = opened.processor;
const pool = new TextPool({ chars: 30, violationRate: 0.05, evasionRate: 0.3, seed: 1 });
const seqs = new Float64Array(streams).fill(Date.now());
const peer = { id: 1 } as unknown as Parameters<Processor['ingestBatch']>[1];
for (let n = 0; n < messages; ) {
  const batch = [];
  for (let k = 0; k < 20; k++, n++) {
    const s = n % streams;
    const decoded = decodeIngest({ type: 'transcript', stream: `s${s}`, seq: ++seqs[s]!, ts: 1_765_000_000_000 + n, text: pool.nextTranscript() }, k) as { message: unknown };
    batch.push(decoded.message);
  }
  await processor.ingestBatch(batch as Parameters<Processor['ingestBatch']>[0], peer);
}
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const snap = processor.snapshot();
  const t1 = performance.now();
  const json = JSON.stringify({ t: 'snapshot', ...snap });
  const t2 = performance.now();
  const parts = Object.entries(snap).map(([k, v]) => `${k} ${(JSON.stringify(v).length / 1024).toFixed(0)} KB`);
  process.stdout.write(`snapshot of ${streams} streams after ${messages} messages: take ${(t1 - t0).toFixed(1)} ms, stringify ${(t2 - t1).toFixed(1)} ms, ${(json.length / 1024).toFixed(0)} KB${r === 0 ? ` (${parts.join(', ')})` : ''}\n`);
}
await processor.close();
rmSync(dir, { recursive: true, force: true });
