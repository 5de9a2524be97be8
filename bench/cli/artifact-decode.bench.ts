/**
 * `node dist/bench/cli/artifact-decode.bench.js [--rounds 10] [--baseline DIST]`: what opening a
 * compiled lexicon artifact costs, by phase, cold, each sample in a fresh process (as a start is):
 * read the file, `decodeArtifact` (sha256 over the file, header and metadata JSON.parse, section
 * views), `decodePayload` (the codec rebuilding the fold tables, the compiled lexicon and the scan
 * tables), and, in a process of its own, `decodeFoldTables` alone. Wall ms and CPU ms (user + sys)
 * of each phase, min and median over interleaved rounds. `--baseline DIST` runs another build's
 * modules on its own artifact (an artifact is keyed by its build) in the same rounds.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = fileURLToPath(import.meta.url);
const DIST = resolve(HERE, '../../..');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

type Phases = Record<string, [wall: number, cpu: number]>;

/** In the child: one cold pass over `what` ('payload' or 'fold') with the modules of `dist`. */
async function child(dist: string, file: string, what: string): Promise<void> {
  const mod = (p: string) => import(pathToFileURL(join(dist, 'src/lexicon', p)).href);
  const out: Phases = {};
  const phase = <T>(name: string, fn: () => T): T => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const v = fn();
    const c = process.cpuUsage(c0);
    out[name] = [performance.now() - t0, (c.user + c.system) / 1000];
    return v;
  };
  const fileMod = (await mod('artifact-file.js')) as typeof import('../../src/lexicon/artifact-file.js');
  const payloadMod = (await mod('artifact-payload.js')) as typeof import('../../src/lexicon/artifact-payload.js');
  const bytes = phase('read', () => readFileSync(file));
  const contents = phase('decodeArtifact', () => fileMod.decodeArtifact(file, bytes));
  if (what === 'fold') phase('decodeFoldTables alone', () => payloadMod.decodeFoldTables(contents.meta, contents.sections, contents.lazyMeta));
  else phase('decodePayload', () => payloadMod.decodePayload(contents.meta, contents.sections, contents.lazyMeta));
  process.stdout.write(JSON.stringify(out));
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: s[0]!, median: s[s.length >> 1]! };
};

async function main(): Promise<void> {
  const rounds = Number(arg('--rounds') ?? 10);
  const baseline = arg('--baseline');
  const work = mkdtempSync(join(tmpdir(), 'pkguard-bench-artifact-'));
  try {
    const builds: Record<string, { dist: string; file: string }> = { this: { dist: DIST, file: join(work, 'this.art') } };
    if (baseline) builds.baseline = { dist: resolve(baseline), file: join(work, 'baseline.art') };
    for (const b of Object.values(builds)) execFileSync(process.execPath, [join(b.dist, 'src/cli/main.js'), 'lexicon', 'compile', '--out', b.file], { stdio: 'ignore' });
    const samples: Record<string, Record<string, [number, number][]>> = {};
    for (let r = 0; r < rounds; r++)
      for (const [name, b] of Object.entries(builds))
        for (const what of ['payload', 'fold']) {
          const out = JSON.parse(execFileSync(process.execPath, [HERE, '--child', b.dist, b.file, what], { encoding: 'utf8' })) as Phases;
          for (const [p, v] of Object.entries(out)) if (what === 'payload' || p.includes('alone')) ((samples[name] ??= {})[p] ??= []).push(v);
        }
    console.log(`artifact decode by phase, ${rounds} interleaved rounds, each a fresh process (ms: wall min / median, CPU min / median)`);
    const results: Record<string, Record<string, unknown>> = {};
    for (const [name, phases] of Object.entries(samples))
      for (const [p, v] of Object.entries(phases)) {
        const wall = stats(v.map((x) => x[0]));
        const cpu = stats(v.map((x) => x[1]));
        (results[name] ??= {})[p] = { wall, cpu };
        console.log(`  ${name.padEnd(9)} ${p.padEnd(24)} wall ${wall.min.toFixed(1).padStart(6)} / ${wall.median.toFixed(1).padStart(6)}   cpu ${cpu.min.toFixed(1).padStart(6)} / ${cpu.median.toFixed(1).padStart(6)}`);
      }
    const loadavg = (await import('node:os')).loadavg();
    console.log(`load average ${loadavg.map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
else await main();
