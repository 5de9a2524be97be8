/**
 * `npm run bench`: build time, retained memory and scan throughput of pkguard against npm peers
 * and a bare loop, on the bundled lexicons (the production path: pinyin lane, near terms, allow
 * list) and on synthetic 500- and 20,000-term lexicons, over ~10 MB of generated live-commerce
 * text fed message by message. One process times; ratios are taken within the run, so a noisy
 * machine shifts every row together. Targets are reported as PASS/MISS, never asserted: the exit
 * code is 0 whatever the numbers. See bench/README.md for what every row does.
 *
 *   npm run bench                          full run (10 MB, 11 rounds of ~100 ms samples)
 *   npm run bench -- --quick               1 MB, bundled + 20k, 9 rounds of ~60 ms samples
 *   npm run bench -- --size 4 --runs 15 --lexicons bundled,20000 --sample-ms 200 --no-memory
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLexicon, makeMessages, type BenchLexicon } from './corpus.js';
import { ALL_PEERS, bundledBenchLexicon, type Matcher, type Peer } from './peers.js';

type LexiconName = number | 'bundled';

interface Options {
  sizeMB: number;
  runs: number;
  lexicons: LexiconName[];
  /** Every timed sample of every row lasts about this long (fast rows repeat their pass, slow rows scan a prefix). */
  sampleMs: number;
  /** Builds per matcher: the first is cold (JIT, lazy tables); the column shows the median. */
  builds: number;
  /** Only rows whose name contains one of these (bare loop and ahocorasick always run, for the ratios). */
  only: string[];
  /** With --only: skip the bare loop and ahocorasick too (for clean profiles). */
  solo: boolean;
  /** Measure retained memory in a fresh child process per row (default on). */
  memory: boolean;
}

/** Share of sentences that carry a lexicon phrase: a realistic minority. */
const HIT_RATE = 0.04;
/** Messages of the sanity sample, on which every match count is compared before timing. */
const SAMPLE_MESSAGES = 2000;

function parseArgs(argv: string[]): Options {
  const o: Options = { sizeMB: 10, runs: 11, lexicons: ['bundled', 500, 20_000], sampleMs: 100, builds: 3, only: [], solo: false, memory: true };
  const num = (i: number) => {
    const v = Number(argv[i]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${argv[i - 1]} needs a positive number`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') Object.assign(o, { sizeMB: 1, runs: 9, sampleMs: 60, lexicons: ['bundled', 20_000] });
    else if (a === '--size') o.sizeMB = num(++i);
    else if (a === '--runs') o.runs = Math.max(1, Math.round(num(++i)));
    else if (a === '--sample-ms') o.sampleMs = num(++i);
    else if (a === '--builds') o.builds = Math.max(1, Math.round(num(++i)));
    else if (a === '--only') o.only = (argv[++i] ?? '').split(',');
    else if (a === '--solo') o.solo = true;
    else if (a === '--no-memory') o.memory = false;
    else if (a === '--lexicons') o.lexicons = (argv[++i] ?? '').split(',').map((x) => (x === 'bundled' ? x : Number(x)));
    else throw new Error(`unknown option ${a} (known: --quick, --size MB, --runs N, --sample-ms ms, --lexicons bundled,a,b, --builds N, --only a,b, --solo, --no-memory)`);
  }
  return o;
}

interface Row {
  lexicon: LexiconName;
  name: string;
  note: string;
  expect: Peer['expect'];
  pkguard: boolean;
  /** Median of the builds. */
  buildMs: number;
  /** The first (cold) build. */
  coldBuildMs: number;
  buildsMs: number[];
  /** JS heap + ArrayBuffer backing stores retained by the built matcher in a fresh process (shared tables included), MB; NaN if not measured. */
  heapMB: number;
  heapUsedMB: number;
  arrayBuffersMB: number;
  /** Throughput of the median sample and of the fastest sample. */
  mcharsPerSec: number;
  bestMcharsPerSec: number;
  /** Time per million UTF-16 units of each timed sample, ms, in round order. */
  msPerMchar: number[];
  /** Matches over all messages (one untimed pass over the whole text). */
  matches: number;
  /** Matches on the first SAMPLE_MESSAGES messages: the sanity check. */
  sampleMatches: number;
  /** Fraction of the text one sample covers (above 1: passes per sample). */
  sampled: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const charsOf = (ms: readonly string[]) => ms.reduce((n, m) => n + m.length, 0);
const MB = 2 ** 20;

function lexiconOf(name: LexiconName): BenchLexicon {
  return name === 'bundled' ? bundledBenchLexicon() : makeLexicon(name, 1000 + name);
}

function peersFor(name: LexiconName, o: Options): Peer[] {
  const kind = name === 'bundled' ? 'bundled' : 'synthetic';
  return ALL_PEERS.filter(
    (p) =>
      (p.lexicons === undefined || p.lexicons === kind) &&
      (o.only.length === 0 || (!o.solo && (p.name === BARE || p.name === BASELINE)) || o.only.some((x) => p.name.includes(x))),
  );
}

/**
 * Retained memory of one built matcher, measured in a fresh process (`--memory-of`), so tables a
 * process shares between scanners (fold and pinyin tables) are counted, and the timing process
 * never needs `--expose-gc` or a forced collection.
 */
function measureMemoryHere(lexiconName: LexiconName, peerName: string): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('--memory-of needs node --expose-gc');
  const peer = ALL_PEERS.find((p) => p.name === peerName)!;
  const lexicon = lexiconOf(lexiconName);
  gc();
  gc();
  const before = process.memoryUsage();
  const matcher = peer.build(lexicon);
  gc();
  gc();
  const after = process.memoryUsage();
  // Typed arrays keep their bytes outside the JS heap (`arrayBuffers`): without them pkguard's
  // tables would look free, so the table shows the sum and the JSON keeps both.
  console.log(JSON.stringify({ heapUsed: after.heapUsed - before.heapUsed, arrayBuffers: after.arrayBuffers - before.arrayBuffers, kept: typeof matcher }));
}

function measureMemory(lexicon: LexiconName, peer: Peer): { heapUsed: number; arrayBuffers: number } {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, ['--expose-gc', self, '--memory-of', String(lexicon), peer.name], { encoding: 'utf8' });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as { heapUsed: number; arrayBuffers: number };
  } catch {
    console.warn(`memory of ${peer.name} (${lexicon}) not measured: ${r.stderr.slice(0, 200)}`);
    return { heapUsed: NaN, arrayBuffers: NaN };
  }
}

/** A built, warmed matcher and the input it is timed on, waiting for the timed rounds. */
interface Prepared {
  peer: Peer;
  lexicon: LexiconName;
  matcher: Matcher;
  buildsMs: number[];
  sampleMatches: number;
  /** What one sample scans: `repeat` passes over `input`. */
  input: string[];
  chars: number;
  repeat: number;
  msPerMchar: number[];
  matches: number;
  totalChars: number;
}

function prepare(peer: Peer, name: LexiconName, lexicon: BenchLexicon, messages: string[], o: Options): Prepared {
  const buildsMs: number[] = [];
  let matcher: Matcher | undefined;
  for (let b = 0; b < o.builds; b++) {
    matcher = undefined; // the previous build is dropped before the next one
    const t0 = performance.now();
    matcher = peer.build(lexicon);
    buildsMs.push(performance.now() - t0);
  }
  const m = matcher!;
  const sampleMatches = m.scan(messages.slice(0, SAMPLE_MESSAGES));
  // Warm-up: one untimed pass over the whole text (the match count). Then size the sample so it
  // lasts about sampleMs, by timing it and rescaling until it does (untimed, and warms the JIT).
  const matches = m.scan(messages);
  const total = charsOf(messages);
  let input = messages;
  let repeat = 1;
  let wantChars = Math.min(total, 200_000);
  for (let tries = 0; tries < 6; tries++) {
    if (wantChars >= total) {
      input = messages;
      repeat = Math.max(1, Math.round(wantChars / total));
    } else {
      let n = 0;
      let c = 0;
      while (n < messages.length && c < wantChars) c += messages[n++]!.length;
      input = messages.slice(0, Math.max(1, n));
      repeat = 1;
    }
    const chars = charsOf(input) * repeat;
    const t = performance.now();
    for (let k = 0; k < repeat; k++) m.scan(input);
    const ms = Math.max(0.01, performance.now() - t);
    if (ms > 0.8 * o.sampleMs && ms < 1.25 * o.sampleMs) break;
    wantChars = (chars * o.sampleMs) / ms;
  }
  return { peer, lexicon: name, matcher: m, buildsMs, sampleMatches, input, chars: charsOf(input), repeat, msPerMchar: [], matches, totalChars: total };
}

/**
 * The timed rounds: each round times every matcher once, in alternating order, so a burst of CPU
 * steal on this kind of VM (throughput swings ±30% from minute to minute) lands on all rows of a
 * round instead of deciding one row's median. Every sample lasts about the same (sampleMs), and
 * nothing collects garbage on purpose: a matcher pays for its own garbage inside its samples.
 */
function timeRounds(prepared: Prepared[], o: Options): void {
  for (let r = 0; r < o.runs; r++) {
    const order = r % 2 === 0 ? prepared : [...prepared].reverse();
    for (const p of order) {
      const t = performance.now();
      for (let k = 0; k < p.repeat; k++) p.matcher.scan(p.input);
      p.msPerMchar.push(((performance.now() - t) * 1e6) / (p.chars * p.repeat));
    }
  }
}

function rowOf(p: Prepared, memory: { heapUsed: number; arrayBuffers: number }): Row {
  return {
    lexicon: p.lexicon,
    name: p.peer.name,
    note: p.peer.note,
    expect: p.peer.expect,
    pkguard: p.peer.pkguard ?? false,
    buildMs: median(p.buildsMs),
    coldBuildMs: p.buildsMs[0]!,
    buildsMs: p.buildsMs,
    heapMB: (memory.heapUsed + memory.arrayBuffers) / MB,
    heapUsedMB: memory.heapUsed / MB,
    arrayBuffersMB: memory.arrayBuffers / MB,
    mcharsPerSec: 1000 / median(p.msPerMchar),
    bestMcharsPerSec: 1000 / Math.min(...p.msPerMchar),
    msPerMchar: p.msPerMchar,
    matches: p.matches,
    sampleMatches: p.sampleMatches,
    sampled: (p.chars * p.repeat) / p.totalChars,
  };
}

const BARE = 'bare loop (ceiling)';
const AUTOMATON = 'pkguard automaton';
const SCAN = 'pkguard scan (full path)';
const PRODUCTION = 'pkguard scan (production)';
const BASELINE = 'ahocorasick';
const BEST_PEER = '@monyone/aho-corasick/fast';

function pad(s: string, n: number, right = true): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** `a / b` as "median (best)": throughput ratio of the median samples and of the fastest samples. */
function ratio(a: Row, b: Row, digits = 2): string {
  return `${(a.mcharsPerSec / b.mcharsPerSec).toFixed(digits)} (${(a.bestMcharsPerSec / b.bestMcharsPerSec).toFixed(digits)})`;
}

function printTable(rows: Row[]): void {
  const header =
    pad('lexicon', 8) + '  ' + pad('matcher', 32, false) + pad('build ms', 10) + pad('heap MB', 9) + pad('Mchars/s med (best)', 21) +
    pad('× ahocorasick', 16) + pad('% of bare loop', 17) + pad('matches', 10) + pad('sample', 9);
  console.log('\n' + header + '\n' + '-'.repeat(header.length));
  for (const size of [...new Set(rows.map((r) => r.lexicon))]) {
    const group = rows.filter((r) => r.lexicon === size);
    const base = group.find((r) => r.name === BASELINE);
    const ceiling = group.find((r) => r.name === BARE);
    for (const r of group) {
      console.log(
        pad(String(r.lexicon), 8) + '  ' + pad(r.name, 32, false) + pad(r.buildMs.toFixed(1), 10) + pad(r.heapMB.toFixed(1), 9) +
          pad(`${r.mcharsPerSec.toFixed(2)} (${r.bestMcharsPerSec.toFixed(2)})`, 21) +
          pad(base ? ratio(r, base) : '–', 16) +
          pad(ceiling ? ((100 * r.mcharsPerSec) / ceiling.mcharsPerSec).toFixed(1) + '%' : '–', 17) +
          pad(String(r.matches), 10) +
          pad(r.sampled >= 1 ? `${Math.round(r.sampled)}×` : `${(r.sampled * 100).toFixed(1)}%`, 9),
      );
    }
  }
}

/**
 * Match counts on the sample against pkguard's plain automaton (all overlapping occurrences):
 * peers with the same semantics must agree exactly; the rest must stay within an order of magnitude.
 */
function sanity(rows: Row[]): string[] {
  const out: string[] = [];
  for (const size of [...new Set(rows.map((r) => r.lexicon))]) {
    const group = rows.filter((r) => r.lexicon === size);
    const ref = group.find((r) => r.name === AUTOMATON);
    if (!ref) continue;
    for (const r of group) {
      if (r.name === BARE || r === ref) continue;
      const ratio = ref.sampleMatches === 0 ? 1 : r.sampleMatches / ref.sampleMatches;
      let verdict: string;
      if (r.expect === 'flags') verdict = 'n/a (flags after resolution, allow list and near pairing: not matches)';
      else if (r.expect === 'exact') verdict = r.sampleMatches === ref.sampleMatches ? 'ok (exact)' : 'MISMATCH (should be exact)';
      else if (r.expect === 'fewer') verdict = r.sampleMatches <= ref.sampleMatches && ratio > 0.1 ? 'ok (fewer by design)' : 'SUSPICIOUS';
      else verdict = ratio > 0.1 && ratio < 10 ? 'ok (different semantics)' : 'SUSPICIOUS';
      out.push(`${pad(String(size), 7)}  ${pad(r.name, 32, false)} ${pad(String(r.sampleMatches), 7)} vs ${ref.sampleMatches}  ${verdict}`);
    }
  }
  return out;
}

interface Target {
  name: string;
  value: string;
  pass: boolean;
}

/** Targets read the median ratio; the value shows "median (best)". */
function targets(rows: Row[]): Target[] {
  const at = (size: LexiconName, name: string) => rows.find((r) => r.lexicon === size && r.name === name);
  const out: Target[] = [];
  const x = (a: Row | undefined, b: Row | undefined, want: number, name: string) => {
    if (a && b) out.push({ name, value: `${ratio(a, b)}×`, pass: a.mcharsPerSec / b.mcharsPerSec >= want });
  };
  const big = 20_000;
  const ceiling = at(big, BARE);
  const automaton = at(big, AUTOMATON);
  if (ceiling && automaton) {
    const pct = (100 * automaton.mcharsPerSec) / ceiling.mcharsPerSec;
    out.push({ name: `pkguard automaton alone ≥ 50% of the bare loop (${big})`, value: `${pct.toFixed(1)}% (${((100 * automaton.bestMcharsPerSec) / ceiling.bestMcharsPerSec).toFixed(1)}%)`, pass: pct >= 50 });
  }
  x(at(big, SCAN), at(big, BASELINE), 10, `full scan path ≥ 10× ahocorasick (${big})`);
  x(at(big, SCAN), at(big, BEST_PEER), 3, `full scan path ≥ 3× ${BEST_PEER} (${big})`);
  x(at('bundled', PRODUCTION), at('bundled', BASELINE), 8, 'production path ≥ 8× ahocorasick (bundled lexicons)');
  x(at('bundled', PRODUCTION), at('bundled', BEST_PEER), 1, `production path vs ${BEST_PEER} (bundled lexicons; no target, ≥ 1 shown as PASS)`);
  if (automaton) {
    const v = `${automaton.buildMs.toFixed(0)} ms median, ${automaton.coldBuildMs.toFixed(0)} ms cold`;
    out.push({ name: `${big}-term automaton build < 500 ms`, value: v, pass: automaton.buildMs < 500 });
  }
  return out;
}

function writeResults(result: object): string {
  // dist/bench/match.bench.js → <repo>/bench/results, next to the sources rather than in dist/.
  const dir = join(fileURLToPath(new URL('.', import.meta.url)), '../../bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `match-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--memory-of') {
    measureMemoryHere(argv[1] === 'bundled' ? 'bundled' : Number(argv[1]), argv[2]!);
    return;
  }
  const o = parseArgs(argv);
  const cpu = cpus();
  const machine = {
    cpu: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    memGB: Math.round(totalmem() / 2 ** 30),
  };
  console.log(
    `pkguard match bench: ~${o.sizeMB} MB of text, ${o.runs} interleaved rounds of ~${o.sampleMs} ms samples per matcher\n` +
      `${machine.cpu} ×${machine.cores}, node ${machine.node}, ${machine.platform}`,
  );

  const rows: Row[] = [];
  const corpora: object[] = [];
  for (const name of o.lexicons) {
    const tg = performance.now();
    const lexicon = lexiconOf(name);
    const messages = makeMessages(o.sizeMB * 1_000_000, lexicon.patterns, HIT_RATE, 7 + (name === 'bundled' ? 0 : name));
    const chars = charsOf(messages);
    const genMs = performance.now() - tg;
    corpora.push({ lexicon: name, patterns: lexicon.patterns.length, messages: messages.length, chars, generationMs: genMs });
    console.log(
      `\nlexicon ${name} (${lexicon.patterns.length} phrases); ${messages.length} messages, ${(chars / 1e6).toFixed(2)} M UTF-16 units (generated in ${genMs.toFixed(0)} ms)`,
    );
    const prepared = peersFor(name, o).map((peer) => prepare(peer, name, lexicon, messages, o));
    timeRounds(prepared, o);
    for (const p of prepared) {
      const memory = o.memory ? measureMemory(name, p.peer) : { heapUsed: NaN, arrayBuffers: NaN };
      const row = rowOf(p, memory);
      rows.push(row);
      console.log(
        `  ${pad(p.peer.name, 32, false)} ${pad(row.mcharsPerSec.toFixed(2), 8)} Mchars/s (best ${row.bestMcharsPerSec.toFixed(2)})  build ${row.buildMs.toFixed(0)} ms (cold ${row.coldBuildMs.toFixed(0)})`,
      );
    }
  }

  printTable(rows);
  console.log('\nrows:');
  const ran = new Set(rows.map((r) => r.name));
  for (const p of ALL_PEERS.filter((x) => ran.has(x.name))) console.log(`  ${pad(p.name, 32, false)} ${p.note}`);
  console.log(
    `  build ms = median of ${o.builds} builds (cold first build in the JSON); heap MB = JS heap + ArrayBuffer bytes retained by the\n` +
      '  built matcher in a fresh process (shared tables included); Mchars/s = million UTF-16 units per second of the median sample\n' +
      `  (best = fastest sample) over ${o.runs} rounds, each timing every matcher once for ~${o.sampleMs} ms, in alternating order;\n` +
      '  ratios are median (best); sample = passes over the text per sample (N×) or the share of it one sample scans (%)',
  );

  const checks = sanity(rows);
  console.log(`\nmatch-count sanity on the first ${SAMPLE_MESSAGES} messages (vs pkguard automaton, all overlapping):`);
  for (const line of checks) console.log('  ' + line);

  const t = targets(rows);
  console.log('\ntargets (reported, not asserted; median ratio, best in parentheses):');
  for (const x of t) console.log(`  ${x.pass ? 'PASS' : 'MISS'}  ${x.name}: ${x.value}`);

  const file = writeResults({ date: new Date().toISOString(), machine, options: o, corpora, rows, sanity: checks, targets: t });
  console.log(`\nresults: ${file}`);
}

main();
