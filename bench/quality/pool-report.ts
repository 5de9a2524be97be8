/**
 * Scans a generated pool and reports, per group, how many lines were flagged and by which terms:
 * the innocent pool's false-positive rate by mechanism, or a claim pool's recall.
 *
 *   node dist/bench/quality/pool-report.js [innocent|claims] [--show N] [--jsonl FILE]
 *
 * --jsonl writes the pool as labeled lines (score.mjs's format) for scoring through the CLI.
 */
import { writeFileSync } from 'node:fs';
import { createScanner } from '../../src/index.js';
import { innocentPool } from './innocent-pool.js';
import { claimPool } from './claim-pool.js';

const args = process.argv.slice(2);
const which = args[0] === 'claims' ? 'claims' : 'innocent';
const show = Number(args[args.indexOf('--show') + 1]) || (args.includes('--show') ? 0 : 8);
const jsonl = args.includes('--jsonl') ? args[args.indexOf('--jsonl') + 1] : undefined;

const pool = which === 'claims' ? claimPool() : innocentPool().map((l) => ({ ...l, gold: [] as string[] }));
const scanner = createScanner();
const t0 = performance.now();
const groups = new Map<string, { lines: number; hit: number; terms: Map<string, number>; examples: string[]; keys: Set<string> }>();
for (const line of pool) {
  const flags = scanner.scan(line.text, { kind: line.kind });
  const cats = new Set<string>(flags.map((f) => f.category));
  const g = groups.get(line.group) ?? { lines: 0, hit: 0, terms: new Map<string, number>(), examples: [] as string[], keys: new Set<string>() };
  groups.set(line.group, g);
  g.lines++;
  const ok = line.gold.length === 0 ? cats.size === 0 : (line.gold as string[]).every((c: string) => cats.has(c));
  if (which === 'innocent' ? !ok : ok) g.hit++;
  if (!ok) {
    for (const f of flags) g.terms.set(`${f.category}:${f.term}`, (g.terms.get(`${f.category}:${f.term}`) ?? 0) + 1);
    const key = flags.map((f) => f.term).join(' ') || line.text.slice(0, 4);
    if (g.examples.length < show && !g.keys.has(key) && g.keys.add(key)) g.examples.push(`${line.text}  <= ${flags.map((f) => `${f.category}:${f.term}[${f.matched}]`).join(' ') || 'nothing'}`);
  }
}
let lines = 0;
let hit = 0;
for (const [name, g] of groups) {
  lines += g.lines;
  hit += g.hit;
  const top = [...g.terms].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([t, n]) => `${t}×${n}`).join(' ');
  console.log(`${name.padEnd(12)} ${String(g.lines).padStart(5)} ${which === 'innocent' ? 'flagged' : 'found'} ${(g.hit / g.lines).toFixed(3)}  ${top}`);
  for (const e of g.examples) console.log(`    ${e}`);
}
console.log(`${which} lines=${lines} ${which === 'innocent' ? 'FPR' : 'recall'}=${(hit / lines).toFixed(4)} scanMs=${Math.round(performance.now() - t0)}`);
if (jsonl) {
  writeFileSync(jsonl, pool.map((l, i) => JSON.stringify({ id: `p${i}`, text: l.text, kind: l.kind, gold: l.gold, tags: ['plain'] })).join('\n') + '\n');
}
