/**
 * A/B of the full scan path between two builds in one process: `node dist/bench/ab.js BASELINE_DIST
 * [--phonetic] [--rounds N]`, where BASELINE_DIST is a copy of `dist/` built from the baseline
 * commit (see bench/README.md). The two scanners alternate on the same messages, round by round,
 * so the VM's noise (CPU steal swings throughput by ±30% between runs here) hits both alike; the
 * ratio of total times is the figure to read. Match counts must agree, or the change altered what
 * is found. With no BASELINE_DIST it times the current build alone (for `--cpu-prof`).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createScanner, type Scanner } from '../src/index.js';
import { makeLexicon, makeMessages } from './corpus.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args.splice(i, 2)[1];
};
const rounds = Number(flag('--rounds') ?? 30);
const phonetic = args.includes('--phonetic');
const baselineDir = args.find((a) => !a.startsWith('--'));

const lex = makeLexicon(20_000, 1);
const messages = makeMessages(1_000_000, lex.patterns, 0.04, 2);
const chars = messages.reduce((a, m) => a + m.length, 0);
const terms = lex.patterns.map((phrase, i) => ({ phrase, category: lex.categories[i]!, severity: 'medium' as const, options: phonetic ? [] : ['nophonetic'], file: 'bench', line: i + 1 }));

const contenders: { name: string; scanner: Pick<Scanner, 'scan'> }[] = [{ name: 'current', scanner: createScanner({ lexicon: { terms, allow: [] } }) }];
if (baselineDir) {
  const mod = (await import(pathToFileURL(resolve(baselineDir, 'src/index.js')).href)) as { createScanner: typeof createScanner };
  contenders.unshift({ name: 'baseline', scanner: mod.createScanner({ lexicon: { terms, allow: [] } }) });
}

const pass = (s: Pick<Scanner, 'scan'>) => {
  let n = 0;
  for (const m of messages) n += s.scan(m).length;
  return n;
};
const counts = contenders.map((c) => pass(c.scanner));
const total = contenders.map(() => 0);
const best = contenders.map(() => 0);
for (let r = 0; r < rounds; r++) {
  // Alternate the order too, so neither side always runs right after a GC of the other's garbage.
  const order = r % 2 === 0 ? contenders.map((_, i) => i) : contenders.map((_, i) => contenders.length - 1 - i);
  for (const i of order) {
    const t0 = performance.now();
    pass(contenders[i]!.scanner);
    const ms = performance.now() - t0;
    total[i]! += ms;
    best[i] = Math.max(best[i]!, chars / ms / 1000);
  }
}
console.log(`${(chars / 1e6).toFixed(2)} M UTF-16 units per pass, ${rounds} rounds, ${phonetic ? 'with' : 'without'} the pinyin lane`);
contenders.forEach((c, i) => console.log(`  ${c.name.padEnd(9)} ${((chars * rounds) / total[i]! / 1000).toFixed(1).padStart(6)} Mchars/s mean  ${best[i]!.toFixed(1).padStart(6)} best  flags/pass ${counts[i]}`));
if (contenders.length === 2) {
  console.log(`  current/baseline speed: ${(total[0]! / total[1]!).toFixed(3)}×${counts[0] === counts[1] ? '' : '  (FLAG COUNTS DIFFER: the change altered results)'}`);
}
