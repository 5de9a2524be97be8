/**
 * Builds an immutable `Automaton` from patterns. The builder is the only mutable part: keep one to
 * add or remove single patterns and call `build()` again off the hot path (the 20k-term lexicon
 * builds in well under the 500 ms budget, see bench/README.md), then swap the result in atomically.
 */
import { PatternError } from '../errors.js';
import { Automaton } from './automaton.js';

export interface BuildOptions {
  /**
   * Tolerate repeated characters inside a phrase (最低低低价 finds 最低价). Default false (plain
   * Aho-Corasick). The semantics, precisely: write a pattern and a text as runs of one unit repeated,
   * `x1^j1 … xm^jm` (xi ≠ xi+1). A pattern with m ≥ 2 runs matches wherever m consecutive runs of the
   * text spell `x1 … xm` with every text run at least as long as the pattern's (`ki ≥ ji`); the match
   * covers the last j1 units of the first run, the middle runs whole and the first jm units of the
   * last run, so there is one match per such run sequence and it ends as early as possible. A
   * one-run pattern (`扣扣`, `哈哈哈`) matches as in plain search: every occurrence. Hence every plain
   * match is still found with its plain start and end (the plain ones are those with all middle
   * `ki = ji`), a run of one unit may stand for a pattern's single unit or its repeat (`最最低` finds
   * `最低`, `加扣扣扣好` finds `加扣扣好`), but never the reverse (`折扣` does not find `扣扣`).
   *
   * How: the trie holds the patterns with runs collapsed (扣扣号 → 扣号), the search consumes only the
   * first unit of each text run and records the repeats it skips, and a match of a collapsed pattern
   * is checked run by run against the run lengths of the patterns that collapse to it (search.ts).
   * The test oracle (test/match/cases.ts `naiveCollapsed`) is this definition, by brute force.
   */
  collapseRepeats?: boolean;
}

/** Longest pattern the builder accepts, in UTF-16 code units. */
export const MAX_PATTERN_UNITS = 255;

export function buildAutomaton(patterns: readonly string[], options: BuildOptions = {}): Automaton {
  const builder = new AutomatonBuilder(options);
  for (const p of patterns) builder.add(p);
  return builder.build();
}

/** Collects patterns; pattern ids are assigned in insertion order and stay stable across `remove`. */
export class AutomatonBuilder {
  readonly #options: BuildOptions;
  #patterns: (string | null)[] = [];

  constructor(options: BuildOptions = {}) {
    this.#options = options;
  }

  /** Adds a pattern and returns its id. */
  add(pattern: string): number {
    if (pattern.length === 0) throw new PatternError(pattern, 'empty pattern');
    if (pattern.length > MAX_PATTERN_UNITS) {
      throw new PatternError(pattern, `longer than ${MAX_PATTERN_UNITS} code units`);
    }
    this.#patterns.push(pattern);
    return this.#patterns.length - 1;
  }

  /** Removes a pattern by id; the id is not reused, so ids held elsewhere stay valid. */
  remove(id: number): void {
    if (id >= 0 && id < this.#patterns.length) this.#patterns[id] = null;
  }

  get size(): number {
    return this.#patterns.length;
  }

  build(): Automaton {
    return compile(this.#patterns, this.#options.collapseRepeats ?? false);
  }
}

/** Trie node during construction: children keyed by class id. */
interface Node {
  children: Map<number, number>;
  pattern: number;
  depth: number;
}

/** `p` as runs: the unit of each run (`letters`) and its length (`counts`). */
function runsOf(p: string): { letters: string; counts: number[] } {
  let letters = '';
  const counts: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (i > 0 && p.charCodeAt(i) === p.charCodeAt(i - 1)) counts[counts.length - 1]!++;
    else {
      letters += p[i];
      counts.push(1);
    }
  }
  return { letters, counts };
}

/** Most classes the 16-bit class table can name (class 0 is "in no pattern"). */
export const MAX_CLASSES = 0xffff;

function compile(patterns: readonly (string | null)[], collapseRepeats: boolean): Automaton {
  // 0. What the trie holds: the patterns themselves, or (collapsing) their runs collapsed, each
  //    collapsed key standing for the group of patterns that collapse to it (扣, 扣扣 → 扣).
  const patternLength = new Int32Array(patterns.length);
  const runFrom = new Int32Array(patterns.length + 1);
  const runCounts: number[] = [];
  const keys: string[] = [];
  const groups: number[][] = [];
  const groupOf = new Map<string, number>();
  const seen = new Set<string>();
  let maxRun = 0;
  for (let id = 0; id < patterns.length; id++) {
    const p = patterns[id];
    runFrom[id] = runCounts.length;
    if (p === null || p === undefined) continue;
    patternLength[id] = p.length;
    const { letters, counts } = collapseRepeats ? runsOf(p) : { letters: p, counts: [p.length] };
    if (collapseRepeats) for (const c of counts) {
      runCounts.push(c);
      if (c > maxRun) maxRun = c;
    }
    // Duplicate patterns keep the first id; later duplicates map to nothing, which is why callers
    // dedupe (the scanner maps one pattern to several lexicon entries).
    if (seen.has(p)) continue;
    seen.add(p);
    let g = groupOf.get(letters);
    if (g === undefined) {
      g = keys.length;
      groupOf.set(letters, g);
      keys.push(letters);
      groups.push([]);
    }
    groups[g]!.push(id);
  }
  runFrom[patterns.length] = runCounts.length;

  // 1. Alphabet: classes by descending frequency, so the busiest classes get small ids and the
  //    double array packs them densely near each base.
  const freq = new Map<number, number>();
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) {
      const c = k.charCodeAt(i);
      freq.set(c, (freq.get(c) ?? 0) + 1);
    }
  }
  // Class ids live in a Uint16Array: the 65,536th distinct unit would wrap to class 0 ("in no pattern").
  if (freq.size > MAX_CLASSES) throw new PatternError(`(${freq.size} distinct units)`, `more than ${MAX_CLASSES} distinct code units across all patterns`);
  const classOf = new Uint16Array(65536);
  const byFreq = [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  byFreq.forEach(([code], i) => (classOf[code] = i + 1));
  const classCount = byFreq.length;

  // 2. Trie over classes; a node's output is a key (group) id.
  const nodes: Node[] = [{ children: new Map(), pattern: -1, depth: 0 }];
  for (let g = 0; g < keys.length; g++) {
    const p = keys[g]!;
    let n = 0;
    for (let i = 0; i < p.length; i++) {
      const c = classOf[p.charCodeAt(i)]!;
      let next = nodes[n]!.children.get(c);
      if (next === undefined) {
        next = nodes.length;
        nodes.push({ children: new Map(), pattern: -1, depth: nodes[n]!.depth + 1 });
        nodes[n]!.children.set(c, next);
      }
      n = next;
    }
    nodes[n]!.pattern = g;
  }
  const groupFrom = new Int32Array(keys.length + 1);
  const groupPatterns = new Int32Array(seen.size);
  for (let g = 0, k = 0; g < keys.length; g++) {
    groupFrom[g] = k;
    for (const id of groups[g]!) groupPatterns[k++] = id;
    groupFrom[g + 1] = k;
  }
  // 3. BFS order (parents before children) for failure links and for double-array placement.
  const order: number[] = [0];
  for (let i = 0; i < order.length; i++) for (const child of nodes[order[i]!]!.children.values()) order.push(child);

  // 4. Place nodes into the double array: slot[node] is the state id.
  const slot = new Int32Array(nodes.length);
  const placement = placeDoubleArray(nodes, order, slot);

  const size = placement.size;
  const fail = new Int32Array(size);
  const outState = new Int32Array(size).fill(-1);
  const outPattern = new Int32Array(size).fill(-1);
  const outNext = new Int32Array(size).fill(-1);
  const failOfNode = new Int32Array(nodes.length);
  const rootNext = new Int32Array(classCount + 1);
  for (const [c, child] of nodes[0]!.children) rootNext[c] = slot[child]!;

  // 5. Failure and output links, in BFS order so a node's fail target is final before its children.
  for (const n of order) {
    const node = nodes[n]!;
    const s = slot[n]!;
    // Plain search reports the pattern itself. Collapsing, so does a key that stands for one
    // pattern without repeats (most keys: it needs no run check when no repeat was skipped inside
    // it); any other key is its group g, written ~g (search.ts checks run lengths).
    if (node.pattern < 0) outPattern[s] = -1;
    else {
      const first = groupFrom[node.pattern]!;
      const sole = groupFrom[node.pattern + 1]! - first === 1 ? groupPatterns[first]! : -1;
      outPattern[s] = !collapseRepeats || (sole >= 0 && patternLength[sole] === keys[node.pattern]!.length) ? groupPatterns[first]! : ~node.pattern;
    }
    if (n !== 0) {
      const fs = slot[failOfNode[n]!]!;
      fail[s] = fs;
      outNext[s] = outState[fs]!;
      outState[s] = node.pattern >= 0 ? s : outState[fs]!;
    }
    for (const [c, child] of node.children) {
      let f = n === 0 ? 0 : failOfNode[n]!;
      let target = 0;
      if (n !== 0) {
        for (;;) {
          const next = nodes[f]!.children.get(c);
          if (next !== undefined) {
            target = next;
            break;
          }
          if (f === 0) break;
          f = failOfNode[f]!;
        }
      }
      failOfNode[child] = target;
    }
  }
  const pairs = pairFilter(keys, classOf, classCount, rootNext, outState);
  // Collapsing: the group of one-run patterns (扣, 扣扣) on each class, which repeats report.
  const singleRun = new Int32Array(collapseRepeats ? classCount + 1 : 0).fill(-1);
  if (collapseRepeats) for (let g = 0; g < keys.length; g++) if (keys[g]!.length === 1) singleRun[classOf[keys[g]!.charCodeAt(0)]!] = g;
  return new Automaton({
    ...pairs,
    classOf,
    base: placement.base,
    check: placement.check,
    rootNext,
    fail,
    outState,
    outPattern,
    outNext,
    patternLength,
    groupFrom,
    groupPatterns,
    runFrom,
    runCounts: Uint8Array.from(runCounts),
    singleRun,
    maxRun,
    collapseRepeats,
    stateCount: nodes.length,
    classCount,
  });
}

/** Bits for the pair filter: exact up to this many pairs (128 KiB), hashed above. */
const MAX_PAIR_BITS = 1 << 20;

/**
 * The (previous class, class) pairs after which the search must take a full step (see automaton.ts):
 * `pairFilter` from any state, `startFilter` from `rootNext[prev]`. `patterns` are the trie's keys:
 * collapsed ones never hold a pair `(c, c)`, and the search never steps on a repeat when collapsing.
 */
function pairFilter(
  patterns: readonly string[],
  classOf: Uint16Array,
  classCount: number,
  rootNext: Int32Array,
  outState: Int32Array,
): { pairFilter: Int32Array; startFilter: Int32Array; pairStride: number; pairMask: number } {
  const stride = classCount + 1;
  let bits = 32;
  while (bits < stride * stride && bits < MAX_PAIR_BITS) bits *= 2;
  const filter = new Int32Array(bits >>> 5);
  const starts = new Int32Array(bits >>> 5);
  const mask = bits - 1;
  const set = (f: Int32Array, prev: number, c: number) => {
    const i = (prev * stride + c) & mask;
    f[i >>> 5]! |= 1 << (i & 31);
  };
  for (const p of patterns) {
    for (let i = 1; i < p.length; i++) set(filter, classOf[p.charCodeAt(i - 1)]!, classOf[p.charCodeAt(i)]!);
    if (p.length >= 2) set(starts, classOf[p.charCodeAt(0)]!, classOf[p.charCodeAt(1)]!);
  }
  for (let c = 1; c <= classCount; c++) {
    // A one-unit pattern is reported from the root's child, whatever came before.
    if (rootNext[c]! > 0 && outState[rootNext[c]!]! >= 0) {
      for (let prev = 0; prev <= classCount; prev++) {
        set(filter, prev, c);
        set(starts, prev, c);
      }
    }
  }
  return { pairFilter: filter, startFilter: starts, pairStride: stride, pairMask: mask };
}

/**
 * First-fit double-array placement. For each node (BFS order) find a base `b` so that every child
 * slot `b + c` is free. Free slots are found through a "next free slot at or after x" forest with
 * path compression, so occupied runs are skipped in near-constant time: a linear scan over them
 * made the 20k-term build quadratic (2k terms 118 ms, 5k terms > 10 s).
 */
function placeDoubleArray(
  nodes: readonly Node[],
  order: readonly number[],
  slot: Int32Array,
): { base: Int32Array; check: Int32Array; size: number } {
  let cap = Math.max(1024, nodes.length * 2);
  let base = new Int32Array(cap);
  let check = new Int32Array(cap).fill(-1);
  /** nextFree[x] === x when x is free; otherwise a link towards a later free slot. */
  let nextFree = new Int32Array(cap + 1);
  for (let i = 0; i <= cap; i++) nextFree[i] = i;
  let used = 1;
  slot[0] = 0;

  const ensure = (n: number) => {
    if (n < cap) return;
    let next = cap;
    while (next <= n) next *= 2;
    const b = new Int32Array(next);
    b.set(base);
    const c = new Int32Array(next).fill(-1);
    c.set(check);
    const f = new Int32Array(next + 1);
    f.set(nextFree);
    for (let i = cap + 1; i <= next; i++) f[i] = i;
    base = b;
    check = c;
    nextFree = f;
    cap = next;
  };
  const findFree = (x: number): number => {
    ensure(x);
    let r = x;
    while (nextFree[r] !== r) {
      r = nextFree[r]!;
      ensure(r);
    }
    for (let y = x; nextFree[y] !== r; ) {
      const n = nextFree[y]!;
      nextFree[y] = r;
      y = n;
    }
    return r;
  };
  const occupy = (t: number, owner: number) => {
    check[t] = owner;
    nextFree[t] = t + 1;
  };
  occupy(0, 0); // the root occupies slot 0

  for (const n of order) {
    const children = [...nodes[n]!.children.entries()].sort((a, b) => a[0] - b[0]);
    if (children.length === 0) continue;
    const first = children[0]![0];
    let p = findFree(first);
    let b = 0;
    let misses = 0;
    for (;;) {
      b = p - first;
      let fits = true;
      for (let i = 1; i < children.length; i++) {
        const t = b + children[i]![0];
        ensure(t);
        if (check[t] !== -1) {
          fits = false;
          break;
        }
      }
      if (fits) break;
      // Wide nodes rarely fit in the dense front: after a few misses, stride by the node's width.
      p = findFree(++misses > 16 ? p + children.length : p + 1);
    }
    const s = slot[n]!;
    base[s] = b;
    for (const [c, child] of children) {
      const t = b + c;
      occupy(t, s);
      slot[child] = t;
      if (t + 1 > used) used = t + 1;
    }
  }
  // Leave room so base[s] + c never indexes past the end for any class on any state.
  let maxClass = 0;
  for (const node of nodes) for (const c of node.children.keys()) if (c > maxClass) maxClass = c;
  let maxBase = 0;
  for (let i = 0; i < used; i++) if (check[i] !== -1 && base[i] > maxBase) maxBase = base[i]!;
  const size = Math.max(used, maxBase + maxClass + 1);
  ensure(size);
  return { base: base.slice(0, size), check: check.slice(0, size), size };
}
