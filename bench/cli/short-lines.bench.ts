/**
 * Per-scan cost on short lines (issue 16: chat and ASR chunks of 30–60 units), where the fixed
 * cost of a scan (setup, resets, objects built per call) outweighs walking the units:
 *
 *   node dist/bench/cli/short-lines.bench.js [--lines 20000] [--rounds 15] [--baseline /work/base/dist] [--alloc] [--only scan|streams|cli]
 *
 * The scanner `pkguard scan` uses (bundled lexicons: pinyin lane, near terms) scans the texts of
 * the CLI bench's NDJSON corpus (ndjson-corpus.ts, all distinct), once with `scan` (no streams) and
 * once with the transcript lines pushed to 64 interleaved streams. With `--baseline DIST` another
 * build's scanner runs the same lines in the same rounds, in alternating order (A/B in one process).
 * `cli` runs the CLI's line path (scan.ts `scanBlock`, each build its own) over the same lines as
 * NDJSON with streams: reading each request, scanning, writing each answer line.
 * Reports ns per line and per UTF-16 unit, min and median over rounds, and the ratio this/baseline.
 * `--alloc`: bytes allocated per line, from V8's sampling heap profiler with collected objects kept
 * in the samples (so garbage counts); for `scan`, also over the lines that raise no flag, where
 * all that should be left is the empty array returned.
 */
import { Session } from 'node:inspector/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChunkMeta, Scanner } from '../../src/detect/scanner.js';
import { openScanScanner, scanBlock } from '../../src/cli/scan.js';
import { ndjsonCorpus } from './ndjson-corpus.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const LINES = Number(arg('--lines') ?? 20_000);
const ROUNDS = Number(arg('--rounds') ?? 15);
const BASELINE = arg('--baseline');
const ONLY = arg('--only');
const ALLOC = process.argv.includes('--alloc');

interface Line {
  text: string;
  meta: ChunkMeta;
  stream: string | undefined;
}
const lines: Line[] = ndjsonCorpus({ lines: LINES, streams: 64, hits: 0.2, seed: 11, unusual: 0 })
  .trimEnd()
  .split('\n')
  .map((l) => {
    const r = JSON.parse(l) as { text: string; kind: 'chat' | 'transcript'; stream?: string };
    return { text: r.text, meta: { kind: r.kind }, stream: r.stream };
  });
const units = lines.reduce((a, l) => a + l.text.length, 0);

/** The same lines as the CLI reads them: NDJSON blocks of ~64 KB (ndjson-lines.ts decodes pieces of that size). */
const ndjson = ndjsonCorpus({ lines: LINES, streams: 64, hits: 0.2, seed: 11, unusual: 0 });
const blocks: string[] = [];
for (let at = 0; at < ndjson.length; ) {
  let cut = ndjson.indexOf('\n', at + 30_000);
  if (cut < 0) cut = ndjson.length - 1;
  blocks.push(ndjson.slice(at, cut + 1));
  at = cut + 1;
}

type ScanModule = { openScanScanner: typeof openScanScanner; scanBlock: typeof scanBlock };
const quiet = () => {};
const contenders: { name: string; scanner: Scanner; scanBlock: typeof scanBlock }[] = [{ name: 'this', scanner: await openScanScanner(undefined, undefined, quiet), scanBlock }];
if (BASELINE) {
  const mod = (await import(pathToFileURL(resolve(BASELINE, 'src/cli/scan.js')).href)) as ScanModule;
  contenders.push({ name: 'baseline', scanner: await mod.openScanScanner(undefined, undefined, quiet), scanBlock: mod.scanBlock });
}

/** One pass; returns the flags raised (`cli`: the output's length). `streams`: transcript lines go to their stream. */
function pass(c: (typeof contenders)[number], mode: Mode): number {
  const s = c.scanner;
  const streams = mode !== 'scan';
  let n = 0;
  if (mode === 'cli') {
    for (let i = 0; i < blocks.length; i++) n += c.scanBlock(s, blocks[i]!).length;
    return n;
  }
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    n += (streams && l.stream !== undefined ? s.stream(l.stream).push(l.text, l.meta) : s.scan(l.text, l.meta)).length;
  }
  return n;
}

type Mode = 'scan' | 'streams' | 'cli';
// cli: the CLI's line path (scan.ts scanBlock: read the request by hand, scan, write the answer) over the same lines with streams.
const modes = (['scan', 'streams', 'cli'] as const).filter((m) => !ONLY || ONLY === m);
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[s.length >> 1]! };
};
console.log(`${LINES} distinct lines, ${(units / LINES).toFixed(1)} units per line on average, ${ROUNDS} rounds`);
for (const mode of modes) {
  // Warm-up (JIT) and the flag counts, which must agree between builds.
  const counts = contenders.map((c) => (pass(c, mode), pass(c, mode)));
  const ns: number[][] = contenders.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
    for (const i of order) {
      const t0 = process.hrtime.bigint();
      pass(contenders[i]!, mode);
      ns[i]!.push(Number(process.hrtime.bigint() - t0) / LINES);
    }
  }
  for (let i = 0; i < contenders.length; i++) {
    const { min, median } = stats(ns[i]!);
    console.log(
      `  ${mode.padEnd(8)} ${contenders[i]!.name.padEnd(9)} ns/line min ${min.toFixed(0).padStart(6)} med ${median.toFixed(0).padStart(6)}` +
        `  ns/unit min ${((min * LINES) / units).toFixed(1).padStart(6)} med ${((median * LINES) / units).toFixed(1).padStart(6)}  ${mode === 'cli' ? 'output units' : 'flags'}/pass ${counts[i]}`,
    );
  }
  if (contenders.length === 2) {
    const ratios = ns[0]!.map((t, r) => t / ns[1]![r]!);
    const { min, median } = stats(ratios);
    console.log(`  ${mode.padEnd(8)} this/baseline time per round: min ${min.toFixed(3)} med ${median.toFixed(3)}${counts[0] === counts[1] ? '' : '  (FLAG COUNTS DIFFER)'}`);
  }
}

if (ALLOC) {
  const session = new Session();
  session.connect();
  /** Bytes V8 sampled while `fn` ran, garbage included. */
  const sampled = async (fn: () => void): Promise<number> => {
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
    fn();
    const { profile } = await session.post('HeapProfiler.stopSampling');
    // selfSize is the sampled size scaled up to an estimate of all bytes allocated there.
    const total = (n: { selfSize: number; children: (typeof n)[] }): number => n.children.reduce((a, c) => a + total(c), n.selfSize);
    return total(profile.head);
  };
  for (const mode of modes) {
    if (mode === 'cli') continue;
    const streams = mode === 'streams';
    for (const c of contenders) {
      // Again over the lines that raise no flag: what is left there is per-scan garbage (and the empty array returned).
      const quietLines = streams ? [] : lines.filter((l) => c.scanner.scan(l.text, l.meta).length === 0);
      const bytes = await sampled(() => pass(c, mode));
      const quietBytes = await sampled(() => {
        // Indexed: a for-of in code not yet optimized allocates an iterator result per line.
        for (let i = 0; i < quietLines.length; i++) c.scanner.scan(quietLines[i]!.text, quietLines[i]!.meta);
      });
      console.log(
        `  alloc ${mode.padEnd(8)} ${c.name.padEnd(9)} ${(bytes / LINES).toFixed(0).padStart(6)} B/line;` +
          (streams ? '' : ` lines raising no flag (${quietLines.length}): ${(quietBytes / quietLines.length).toFixed(0)} B/line`),
      );
    }
  }
  session.disconnect();
}
