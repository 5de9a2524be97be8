/**
 * The immutable Aho-Corasick automaton, laid out as flat typed arrays.
 *
 * Layout (all indexed by state id; state 0 is the root):
 * - `classOf[codeUnit]`: alphabet compression. Every UTF-16 unit that occurs in some pattern gets a
 *   class 1..K (most frequent first); every other unit is class 0 and sends the search to the root.
 *   One Uint16Array of 64 Ki entries (128 KiB) instead of a Map: the hot loop does one indexed load.
 * - `base`/`check`: a double-array trie over classes. The child of `s` on class `c` is
 *   `t = base[s] + c`, valid when `check[t] === s`. Two loads per transition and a few bytes per
 *   state, which keeps the 20k-term automaton in L2 where a dense state×class table
 *   (tens of thousands of states × thousands of classes) would not fit in memory at all.
 * - `rootNext[c]`: the root's transitions as a dense row, because most text positions are at the root.
 * - `fail[s]`: the failure link.
 * - `outState[s]`: the nearest state on `s`'s suffix chain (itself included) where a pattern ends, or -1;
 *   `outPattern[u]` the pattern ending at `u`; collapsing, when several patterns collapse to the key
 *   ending at `u` or its one pattern has repeats, `~g` for the group g of them,
 *   `groupPatterns[groupFrom[g] .. groupFrom[g + 1])`; `outNext[u]` the next output state down the chain.
 * - Collapsing repeats (see builder.ts): `runCounts[runFrom[p] .. runFrom[p + 1])` are pattern p's run
 *   lengths, and `singleRun[c]` is the group of one-run patterns on class c (扣, 扣扣), or -1.
 *   The hot loop tests `outState[s] >= 0` once per character and walks the chain only on a hit.
 * - `pairFilter`: a bitset over (previous class, class) pairs, at `(prev * pairStride + c) & pairMask`.
 *   A pair is set when it occurs inside some pattern (collapsed, when collapsing) or when `c` alone is one. For an unset pair the next state is exactly `rootNext[c]`:
 *   any deeper state would end in that pair. So the search skips the transition loop (and its
 *   unpredictable branches) on most units. Hashed pairs may collide; a collision only costs a full step.
 * - `startFilter`: the same bitset for the pairs that can leave `rootNext[prev]` (a depth-1 state,
 *   where the search is most of the time): pairs that begin a pattern, one-unit patterns after any
 *   unit. From `rootNext[prev]` a deeper state must spell
 *   `prev c`, so the pair must begin a pattern: a much sparser set than the pairs inside patterns.
 */
export class Automaton {
  /** @internal */ readonly classOf: Uint16Array;
  /** @internal */ readonly base: Int32Array;
  /** @internal */ readonly check: Int32Array;
  /** @internal */ readonly rootNext: Int32Array;
  /** @internal */ readonly fail: Int32Array;
  /** @internal */ readonly outState: Int32Array;
  /** @internal */ readonly outPattern: Int32Array;
  /** @internal */ readonly outNext: Int32Array;
  /** @internal */ readonly patternLength: Int32Array;
  /** @internal */ readonly pairFilter: Int32Array;
  /** @internal */ readonly startFilter: Int32Array;
  /** @internal */ readonly groupFrom: Int32Array;
  /** @internal */ readonly groupPatterns: Int32Array;
  /** @internal */ readonly runFrom: Int32Array;
  /** @internal */ readonly runCounts: Uint8Array;
  /** @internal */ readonly singleRun: Int32Array;
  /** @internal */ readonly pairStride: number;
  /** @internal */ readonly pairMask: number;
  /** Longest run of one unit inside a pattern (collapsing; 0 otherwise). */
  readonly maxRun: number;
  /** Tolerate repeated units inside a phrase (最最最低 → 最低); the semantics are in builder.ts. */
  readonly collapseRepeats: boolean;
  /** Longest pattern, in code units: the bound on what a stream must carry between chunks. */
  readonly maxPatternLength: number;
  readonly patternCount: number;
  readonly stateCount: number;
  readonly classCount: number;

  /** @internal Use `buildAutomaton` or `AutomatonBuilder`. */
  constructor(parts: {
    classOf: Uint16Array;
    base: Int32Array;
    check: Int32Array;
    rootNext: Int32Array;
    fail: Int32Array;
    outState: Int32Array;
    outPattern: Int32Array;
    outNext: Int32Array;
    patternLength: Int32Array;
    pairFilter: Int32Array;
    startFilter: Int32Array;
    groupFrom: Int32Array;
    groupPatterns: Int32Array;
    runFrom: Int32Array;
    runCounts: Uint8Array;
    singleRun: Int32Array;
    pairStride: number;
    pairMask: number;
    maxRun: number;
    collapseRepeats: boolean;
    stateCount: number;
    classCount: number;
  }) {
    this.classOf = parts.classOf;
    this.base = parts.base;
    this.check = parts.check;
    this.rootNext = parts.rootNext;
    this.fail = parts.fail;
    this.outState = parts.outState;
    this.outPattern = parts.outPattern;
    this.outNext = parts.outNext;
    this.patternLength = parts.patternLength;
    this.pairFilter = parts.pairFilter;
    this.startFilter = parts.startFilter;
    this.groupFrom = parts.groupFrom;
    this.groupPatterns = parts.groupPatterns;
    this.runFrom = parts.runFrom;
    this.runCounts = parts.runCounts;
    this.singleRun = parts.singleRun;
    this.maxRun = parts.maxRun;
    this.pairStride = parts.pairStride;
    this.pairMask = parts.pairMask;
    this.collapseRepeats = parts.collapseRepeats;
    this.stateCount = parts.stateCount;
    this.classCount = parts.classCount;
    this.patternCount = parts.patternLength.length;
    let max = 0;
    for (const len of parts.patternLength) if (len > max) max = len;
    this.maxPatternLength = max;
    Object.freeze(this);
  }

  /** Bytes held by the automaton's tables. */
  memoryUsage(): number {
    return (
      this.classOf.byteLength +
      this.base.byteLength +
      this.check.byteLength +
      this.rootNext.byteLength +
      this.fail.byteLength +
      this.outState.byteLength +
      this.outPattern.byteLength +
      this.outNext.byteLength +
      this.patternLength.byteLength +
      this.pairFilter.byteLength +
      this.startFilter.byteLength +
      this.groupFrom.byteLength +
      this.groupPatterns.byteLength +
      this.runFrom.byteLength +
      this.runCounts.byteLength +
      this.singleRun.byteLength
    );
  }
}
