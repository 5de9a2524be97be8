/**
 * `npm run bench`: build time, heap and scan throughput of pkguard against npm peers and a bare
 * loop, on a ~500-term and a ~20,000-term lexicon over ~10 MB of generated live-commerce text fed
 * message by message. One process, one run, ratios printed; targets reported, never asserted.
 *
 *   npm run bench                 full run (10 MB, 5 timed runs per matcher)
 *   npm run bench -- --quick      1 MB, 3 runs
 *   npm run bench -- --size 4 --runs 7
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLexicon, makeMessages } from './corpus.js';
import { ALL_PEERS, type Matcher, type Peer } from './peers.js';

interface Options {
  sizeMB: number;
  runs: number;
  lexicons: number[];
  /** A matcher whose projected run exceeds this many ms is timed on a prefix of the messages. */
  budgetMs: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizeMB: 10, runs: 5, lexicons: [500, 20_000], budgetMs: 20_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') Object.assign(o, { sizeMB: 1, runs: 3 });
    else if (a === '--size') o.sizeMB = Number(argv[++i]);
    else if (a === '--runs') o.runs = Number(argv[++i]);
    else if (a === '--lexicons') o.lexicons = argv[++i]!.split(',').map(Number);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Row {
  lexicon: number;
  name: string;
  note: string;
  buildMs: number;
  heapMB: number;
  mcharsPerSec: number;
  matches: number;
  /** Fraction of the messages timed (1 unless the matcher was too slow for the budget). */
  sampled: number;
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const charsOf = (ms: readonly string[]) => ms.reduce((n, m) => n + m.length, 0);

function measure(peer: Peer, patterns: string[], messages: string[], o: Options, lexicon: number): Row {
  gc();
  // Typed arrays live outside the JS heap: count ArrayBuffers too, or pkguard's tables look free.
  const retained = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const heapBefore = retained();
  const t0 = performance.now();
  const matcher: Matcher = peer.build(patterns);
  const buildMs = performance.now() - t0;
  gc();
  const heapMB = (retained() - heapBefore) / 2 ** 20;

  // Warm-up on a slice, which also projects the cost of a full run.
  const probe = messages.slice(0, Math.max(1, Math.floor(messages.length / 50)));
  const tw = performance.now();
  matcher.scan(probe);
  const projected = ((performance.now() - tw) * messages.length) / probe.length;
  const sampled = projected > o.budgetMs ? Math.max(0.01, o.budgetMs / projected) : 1;
  const input = sampled < 1 ? messages.slice(0, Math.floor(messages.length * sampled)) : messages;
  const chars = charsOf(input);

  const times: number[] = [];
  let matches = 0;
  for (let r = 0; r < o.runs; r++) {
    const t = performance.now();
    matches = matcher.scan(input);
    times.push(performance.now() - t);
  }
  const mcharsPerSec = chars / median(times) / 1000;
  return { lexicon, name: peer.name, note: peer.note, buildMs, heapMB, mcharsPerSec, matches: Math.round(matches / sampled), sampled };
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

function printTable(rows: Row[]): void {
  const base = rows.find((r) => r.name === 'ahocorasick')!;
  const ceiling = rows.find((r) => r.name.startsWith('bare loop'))!;
  console.log(
    `\n${pad('matcher', 28)}${pad('build ms', 10, true)}${pad('heap MB', 9, true)}${pad('Mchars/s', 10, true)}${pad('× ahocorasick', 15, true)}${pad('% bare loop', 13, true)}${pad('matches', 11, true)}`,
  );
  for (const r of rows) {
    console.log(
      pad(r.name, 28) +
        pad(r.buildMs.toFixed(1), 10, true) +
        pad(r.heapMB.toFixed(1), 9, true) +
        pad(r.mcharsPerSec.toFixed(1), 10, true) +
        pad((r.mcharsPerSec / base.mcharsPerSec).toFixed(2) + '×', 15, true) +
        pad(((100 * r.mcharsPerSec) / ceiling.mcharsPerSec).toFixed(1) + '%', 13, true) +
        pad(String(r.matches), 11, true) +
        (r.sampled < 1 ? `  (timed on ${(r.sampled * 100).toFixed(0)}% of the text)` : ''),
    );
  }
}

function targets(rows: Row[]): { name: string; value: string; pass: boolean }[] {
  const at = (name: string) => rows.find((r) => r.lexicon === 20_000 && r.name === name);
  const ceiling = at('bare loop (ceiling)');
  const automaton = at('pkguard automaton');
  const scan = at('pkguard scan (full path)');
  const ac = at('ahocorasick');
  if (!ceiling || !automaton || !scan || !ac) return [];
  const others = rows.filter((r) => r.lexicon === 20_000 && !r.name.startsWith('pkguard') && !r.name.startsWith('bare') && r.name !== 'ahocorasick');
  const fastest = others.reduce((a, b) => (b.mcharsPerSec > a.mcharsPerSec ? b : a));
  const pct = (100 * automaton.mcharsPerSec) / ceiling.mcharsPerSec;
  return [
    { name: 'automaton ≥ 40% of the bare loop (20k)', value: `${pct.toFixed(1)}%`, pass: pct >= 40 },
    { name: 'full scan ≥ 10× ahocorasick (20k)', value: `${(scan.mcharsPerSec / ac.mcharsPerSec).toFixed(2)}×`, pass: scan.mcharsPerSec >= 10 * ac.mcharsPerSec },
    {
      name: `full scan ≥ 2× fastest other peer (${fastest.name}, 20k)`,
      value: `${(scan.mcharsPerSec / fastest.mcharsPerSec).toFixed(2)}×`,
      pass: scan.mcharsPerSec >= 2 * fastest.mcharsPerSec,
    },
    { name: '20k automaton build < 500 ms', value: `${automaton.buildMs.toFixed(0)} ms`, pass: automaton.buildMs < 500 },
  ];
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  if (!(globalThis as { gc?: unknown }).gc) console.warn('run with node --expose-gc for heap figures (npm run bench does)');
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
  console.log(`pkguard match bench: ${o.sizeMB} MB of text, ${o.runs} timed runs per matcher, median; ${machine.cpu} ×${machine.cores}, node ${machine.node}`);
  const rows: Row[] = [];
  for (const size of o.lexicons) {
    const patterns = makeLexicon(size, 1000 + size);
    const messages = makeMessages(o.sizeMB * 1_000_000, patterns, 0.04, 7);
    console.log(`\nlexicon ${size} terms, ${messages.length} messages, ${(charsOf(messages) / 1e6).toFixed(1)} M UTF-16 units`);
    const lexRows: Row[] = [];
    for (const peer of ALL_PEERS) {
      const row = measure(peer, patterns, messages, o, size);
      lexRows.push(row);
      process.stdout.write(`  ${peer.name}: ${row.mcharsPerSec.toFixed(1)} Mchars/s\n`);
    }
    printTable(lexRows);
    rows.push(...lexRows);
  }
  const t = targets(rows);
  if (t.length) {
    console.log('\ntargets (reported, not asserted):');
    for (const x of t) console.log(`  ${x.pass ? 'PASS' : 'MISS'}  ${x.name}: ${x.value}`);
  }
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `match-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine, options: o, rows, targets: t }, null, 2) + '\n');
  console.log(`\nresults: ${file}`);
}

main();
