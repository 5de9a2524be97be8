/**
 * `npm run bench:wasm`: how much a WebAssembly search kernel would buy, measured before building one.
 *
 * bench/wasm/search.wat is the search loop of `findOverlapping` (same automaton tables, same pair
 * filters and step, no repeat collapsing, matches counted rather than recorded), assembled with
 * `wabt` at startup. One process times, in interleaved rounds over the bench's 20k-term lexicon and
 * ~1 MB of messages: the bare loop, the JS loop on pre-encoded lanes and on strings, the WASM loop on
 * text already in linear memory and with each message copied in (charCodeAt loop, Buffer.write),
 * the full scan path and `ahocorasick`. The last lines bound what any search kernel can do for the
 * full path: its time without the JS search is what normalization, candidates, detectors and flags cost.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import wabtInit from 'wabt';
import { createScanner } from '../src/index.js';
import { buildAutomaton } from '../src/match/builder.js';
import { findOverlapping, findOverlappingInString, MatchBuffer } from '../src/match/search.js';
import { makeLexicon, makeMessages } from './corpus.js';

// ahocorasick is CommonJS without types usable from ESM (as in peers.ts).
const require = createRequire(import.meta.url);
const AhoCorasick = require('ahocorasick') as new (keywords: string[]) => { search(text: string): [number, string[]][] };

interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface Kernel {
  mem: WasmMemory;
  init(...offsets: number[]): void;
  search(at: number, length: number): number;
  reset(): void;
}
const wasm = (globalThis as unknown as { WebAssembly: { instantiate(b: Uint8Array): Promise<{ instance: { exports: unknown } }> } }).WebAssembly;

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 9;
const lex = makeLexicon(20_000, 1);
const messages = makeMessages(1_000_000, lex.patterns, 0.04, 2);
const chars = messages.reduce((a, m) => a + m.length, 0);
const automaton = buildAutomaton(lex.patterns);

const wat = readFileSync(new URL('../../bench/wasm/search.wat', import.meta.url), 'utf8');
const wabt = await wabtInit();
const binary = wabt.parseWat('search.wat', wat).toBinary({}).buffer;
const kernel = (await wasm.instantiate(binary)).instance.exports as Kernel;

// Linear memory: the automaton's tables, then every message (pre-encoded), then a scratch message.
const a = automaton;
const tables = [a.classOf, a.rootNext, a.pairFilter, a.startFilter, a.base, a.check, a.outState, a.fail, a.outNext];
const align = (n: number) => (n + 7) & ~7;
const bytes = tables.reduce((n, t) => n + align(t.byteLength), 0) + 2 * chars + 2 * 65536;
kernel.mem.grow(Math.ceil(bytes / 65536));
const heap = new Uint8Array(kernel.mem.buffer);
const offsets: number[] = [];
let at = 0;
for (const t of tables) {
  offsets.push(at);
  heap.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), at);
  at += align(t.byteLength);
}
kernel.init(...offsets, a.pairStride, a.pairMask);
const units = new Uint16Array(kernel.mem.buffer);
const messageAt: number[] = [];
for (const m of messages) {
  messageAt.push(at);
  for (let i = 0; i < m.length; i++) units[at / 2 + i] = m.charCodeAt(i);
  at += 2 * m.length;
}
const scratch = at;
const scratchBuffer = Buffer.from(kernel.mem.buffer);
const lanes = messages.map((m) => Uint16Array.from(m, (c) => c.charCodeAt(0)));
const out = new MatchBuffer(256);
const table = new Uint8Array(65536).fill(1);
const terms = lex.patterns.map((phrase, i) => ({ phrase, category: lex.categories[i]!, severity: 'medium' as const, options: ['nophonetic'], file: 'bench', line: i + 1 }));
const scanner = createScanner({ lexicon: { terms, allow: [] } });
const peer = new AhoCorasick(lex.patterns);

const rows: Record<string, () => number> = {
  'bare loop': () => {
    let acc = 0;
    for (const m of messages) for (let i = 0; i < m.length; i++) acc += table[m.charCodeAt(i)]!;
    return acc;
  },
  'JS search, pre-encoded lanes': () => {
    let n = 0;
    for (const lane of lanes) {
      out.reset();
      n += findOverlapping(a, lane, lane.length, out);
    }
    return n;
  },
  'JS search on strings': () => {
    let n = 0;
    for (const m of messages) {
      out.reset();
      n += findOverlappingInString(a, m, out);
    }
    return n;
  },
  'WASM search, text in memory': () => {
    kernel.reset();
    for (let j = 0; j < messages.length; j++) kernel.search(messageAt[j]!, messages[j]!.length);
    return kernel.search(0, 0);
  },
  'WASM search + charCodeAt copy': () => {
    kernel.reset();
    const base = scratch / 2;
    for (const m of messages) {
      for (let i = 0; i < m.length; i++) units[base + i] = m.charCodeAt(i);
      kernel.search(scratch, m.length);
    }
    return kernel.search(0, 0);
  },
  'WASM search + Buffer.write copy': () => {
    kernel.reset();
    for (const m of messages) {
      scratchBuffer.write(m, scratch, 'utf16le');
      kernel.search(scratch, m.length);
    }
    return kernel.search(0, 0);
  },
  'full scan path (JS)': () => {
    let n = 0;
    for (const m of messages) n += scanner.scan(m).length;
    return n;
  },
  ahocorasick: () => {
    let n = 0;
    for (const m of messages) for (const [, words] of peer.search(m)) n += words.length;
    return n;
  },
};

const speeds: Record<string, number[]> = {};
const counts: Record<string, number> = {};
for (const [name, run] of Object.entries(rows)) counts[name] = run(); // warm-up, and the counts to compare
for (let r = 0; r < rounds; r++) {
  const names = Object.keys(rows);
  if (r % 2 === 1) names.reverse();
  for (const name of names) {
    const t0 = performance.now();
    rows[name]!();
    (speeds[name] ??= []).push(chars / (performance.now() - t0) / 1000);
  }
}
const median = (v: number[]) => [...v].sort((x, y) => x - y)[v.length >> 1]!;
const mcs = Object.fromEntries(Object.entries(speeds).map(([k, v]) => [k, median(v)]));
const ac = mcs.ahocorasick!;
console.log(`20000-term lexicon, ${(chars / 1e6).toFixed(2)} M UTF-16 units in ${messages.length} messages, ${rounds} interleaved rounds (median Mchars/s)`);
for (const name of Object.keys(rows)) {
  console.log(`  ${name.padEnd(34)} ${mcs[name]!.toFixed(1).padStart(7)}  ${(mcs[name]! / ac).toFixed(2).padStart(6)}× ahocorasick  count ${counts[name]}`);
}
const jsLanes = mcs['JS search, pre-encoded lanes']!;
const wasmLanes = mcs['WASM search, text in memory']!;
const full = mcs['full scan path (JS)']!;
// The full path searches lanes the normalizer wrote: its time per unit minus that search is the rest.
const rest = 1 / full - 1 / jsLanes;
console.log(`WASM kernel over the JS loop: ${(wasmLanes / jsLanes).toFixed(2)}× on lanes in memory, ${(mcs['WASM search + Buffer.write copy']! / mcs['JS search on strings']!).toFixed(2)}× when each message string must be copied in`);
console.log(`full scan path if the normalizer wrote its lane into WASM memory and the kernel searched it: ~${(1 / (rest + 1 / wasmLanes) / ac).toFixed(1)}× ahocorasick; if the search cost nothing at all: ${(1 / rest / ac).toFixed(1)}× (now ${(full / ac).toFixed(1)}×)`);
// The count rows agree when the kernel is right (the bare loop's is a checksum, the full path's a flag count).
const expected = counts['JS search on strings'];
for (const name of ['JS search, pre-encoded lanes', 'WASM search, text in memory', 'WASM search + charCodeAt copy', 'WASM search + Buffer.write copy', 'ahocorasick']) {
  if (counts[name] !== expected) console.log(`  COUNT MISMATCH: ${name} found ${counts[name]}, the JS search ${expected}`);
}
