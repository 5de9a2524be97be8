/**
 * `node dist/bench/e2e/core-cost.js [--ab OTHER/dist] [--rounds 10] [--block 500] [--alloc] [--all-threads]`: CPU µs per
 * message of the single-process ingest path without the sockets: an array frame's text → parse →
 * validation → the stream core (scan, escalation, records) → the journal (group commit, fsync on,
 * a temp dir) → the ack frame's JSON. The e2e A/B measures the whole server, but on a shared
 * machine its rounds scatter by ±20% (a server that falls behind commits bigger batches, so its
 * cost per message moves with the load); this runs the same path in one process, at a fixed
 * number of batches per commit, so a change of a few per cent shows.
 *
 * With `--ab`, this build (B) and OTHER's (A) both run in this process, in alternating blocks; CPU
 * is the event-loop thread's (`--all-threads`: the process's, the journal's pool threads included). The
 * messages are the e2e generator's (bench/e2e/text.ts: 2,000 streams, 1/3 chat, 5% violations).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { TextPool } from './text.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : dflt;
};

/** The ingest path of the build at `dist`, set up over its own journal; `run` pushes frames through it. */
async function pipeline(dist: string, dir: string) {
  const { Scanner } = await import(join(dist, 'src/detect/scanner.js'));
  const { FlagIdAllocator } = await import(join(dist, 'src/flag.js'));
  const { Journal } = await import(join(dist, 'src/journal/journal.js'));
  const { compileLexicon } = await import(join(dist, 'src/lexicon/compile.js'));
  const { loadLexiconDir } = await import(join(dist, 'src/lexicon/load.js'));
  const { Metrics } = await import(join(dist, 'src/metrics.js'));
  const { DEFAULT_ESCALATION } = await import(join(dist, 'src/escalate/risk.js'));
  const { Processor } = await import(join(dist, 'src/stream/processor.js'));
  const { splitFrame } = await import(join(dist, 'src/protocol/frame.js'));
  const { decodeIngest } = await import(join(dist, 'src/server/ingest-decode.js'));
  const ids = new FlagIdAllocator(1);
  const scanner = new Scanner(compileLexicon(loadLexiconDir()), ids, 100);
  let processor: { ingestBatch(m: unknown[], p: unknown): Promise<unknown[]>; snapshot(): unknown; close(): Promise<void> } | undefined;
  const journal = await Journal.open({ dir, snapshot: () => processor!.snapshot(), warn: () => undefined });
  const none = () => undefined;
  const outbox = { flags: none, pk: none, event: none, shutdown: none, standing: none, end: none };
  const events = { flag: none, shutdown: none, level: none, dropped: none, journalFailed: none, journalRecovered: none };
  ({ processor } = await Processor.open({ scanner, ids, escalation: DEFAULT_ESCALATION, log: journal, history: journal, outbox, metrics: new Metrics(), events, limits: { seqWindow: 64, maxSeqAhead: 1_000_000 } }));
  const peer = { id: 1 };
  const frames = new FrameSource();
  // Batches per commit: 20 connections' frames, as the e2e at 50k msg/s commits them.
  const PER_COMMIT = 20;
  return {
    /** The next `n` frames (of 20 messages), made before the measurement. */
    frames: (n: number) => Array.from({ length: n }, () => frames.next()),
    /** Pushes frames through, PER_COMMIT per journal commit; resolves when all are acked. */
    async run(batch: Buffer[]): Promise<void> {
      const n = batch.length;
      for (let i = 0; i < n; i += PER_COMMIT) {
        const commits: Promise<void>[] = [];
        for (let j = i; j < Math.min(n, i + PER_COMMIT); j++) {
          const split = splitFrame(batch[j]!.toString('utf8'), 500) as { items: unknown[] };
          const msgs = split.items.map((raw, k) => (decodeIngest(raw, k) as { message: unknown }).message);
          commits.push(processor!.ingestBatch(msgs, peer).then((replies) => void JSON.stringify(replies)));
        }
        await Promise.all(commits);
      }
    },
    close: () => processor!.close(),
  };
}

/** The e2e generator's frames (bench/e2e/loadgen.ts), as the bytes a socket delivers; both sides get the same sequence. */
class FrameSource {
  readonly #pool = new TextPool({ chars: 30, violationRate: 0.05, evasionRate: 0.3, seed: 1 });
  readonly #seqs = new Int32Array(2000);
  #s = 0;
  #n = 0;
  next(): Buffer {
    let f = '[';
    for (let k = 0; k < 20; k++) {
      const s = (this.#s = (this.#s + 1) % 2000);
      const seq = ++this.#seqs[s]!;
      const chat = ++this.#n % 3 === 0;
      const ts = 1_765_000_000_000 + this.#n;
      f += (k > 0 ? ',' : '') + (chat ? `{"type":"chat","stream":"s${s}","seq":${seq},"ts":${ts},"user":"u${seq}","text":${JSON.stringify(this.#pool.nextChat())}}` : `{"type":"transcript","stream":"s${s}","seq":${seq},"ts":${ts},"text":${JSON.stringify(this.#pool.nextTranscript())}}`);
    }
    return Buffer.from(f + ']', 'utf8');
  }
}

/** Bytes allocated on the JS heap while `fn` runs, collected or not (V8's sampling heap profiler). */
async function allocated(fn: () => Promise<void>): Promise<{ total: number; sites: Map<string, number> }> {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  await fn();
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SampleNode } };
  session.disconnect();
  let total = 0;
  const sites = new Map<string, number>();
  const walk = (n: SampleNode) => {
    total += n.selfSize;
    const site = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/^.*\/dist\//, '')}:${n.callFrame.lineNumber + 1}`;
    if (n.selfSize > 0) sites.set(site, (sites.get(site) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c);
  };
  walk(profile.head);
  return { total, sites };
}

interface SampleNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: SampleNode[];
}

/**
 * CPU µs of the event-loop thread (its schedstat run time, in ns): the thread that bounds one
 * process's throughput. The journal's fsync runs on the pool threads, and its kernel time there
 * moves with the other tenants' writeback on a shared disk; `--all-threads` counts it anyway.
 */
const MAIN_SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const cpuUs = args.includes('--all-threads')
  ? () => {
      const c = process.cpuUsage();
      return c.user + c.system;
    }
  : () => Number(readFileSync(MAIN_SCHEDSTAT, 'utf8').split(' ')[0]) / 1000;

/**
 * Both builds in this one process (each its own module graph, scanner and journal), in blocks of
 * `block` frames, A then B, B then A, ...: a minute of a neighbour's load falls on both. The heap
 * is shared, so a block may pay for a scavenge of the other's garbage; blocks of 10k messages
 * make that a small share.
 */
async function main(): Promise<void> {
  const here = resolve(fileURLToPath(import.meta.url), '../../..');
  const other = args.includes('--ab') ? resolve(opt('ab', '')) : undefined;
  const rounds = Number(opt('rounds', '10'));
  const block = Number(opt('block', '500'));
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-core-cost-'));
  try {
    const b = await pipeline(here, join(dir, 'b'));
    const a = other ? await pipeline(other, join(dir, 'a')) : undefined;
    await b.run(b.frames(block));
    await a?.run(a.frames(block));
    if (args.includes('--alloc')) {
      // Heap bytes allocated per message (garbage included): what the GC has to deal with. Unlike
      // CPU time on a shared machine, this barely moves from run to run.
      for (const [side, p] of [['A', a], ['B', b]] as const) {
        if (!p) continue;
        const input = p.frames(block);
        const { total, sites } = await allocated(() => p.run(input));
        const per = (n: number) => (n / (block * 20)).toFixed(0).padStart(5);
        process.stderr.write(`  ${side}: ${per(total)} bytes of heap allocated per message; the largest sites:\n`);
        for (const [site, n] of [...sites].sort((x, y) => y[1] - x[1]).slice(0, 12)) process.stderr.write(`    ${per(n)} B  ${site}\n`);
      }
    }
    const us = { a: [] as number[], b: [] as number[] };
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
      for (const side of order) {
        const p = side === 'a' ? a : b;
        if (!p) continue;
        const input = p.frames(block);
        const c0 = cpuUs();
        await p.run(input);
        us[side].push((cpuUs() - c0) / (block * 20));
      }
      if (a) ratios.push(us.b[r]! / us.a[r]!);
      process.stderr.write(`  round ${r + 1}: ${a ? `A ${us.a[r]!.toFixed(2)} ` : ''}B ${us.b[r]!.toFixed(2)} µs CPU per message${a ? `, B/A ${ratios[r]!.toFixed(3)}` : ''}\n`);
    }
    const med = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor((xs.length - 1) / 2)]!;
    if (rounds === 0) return;
    if (a) console.log(`core path, ${block * 20} messages per block, ${rounds} rounds: A (baseline) ${med(us.a).toFixed(2)} µs, B (this build) ${med(us.b).toFixed(2)} µs (medians); B/A per round ${ratios.map((x) => x.toFixed(3)).join(' ')}; median B/A ${med(ratios).toFixed(3)}`);
    else console.log(`core path: ${med(us.b).toFixed(2)} µs CPU per message (median of ${rounds} blocks of ${block * 20} messages)`);
    await b.close();
    await a?.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
