/**
 * How many consumed (collapsed) units each automaton state stands for: its depth in the trie. A
 * stream's carry needs it (src/detect/lane-carry.ts): in state `s` the longest suffix of the text
 * read so far that can still grow into a pattern is `depth(s)` units long, so a match that crosses
 * the seam starts within them. Ordinary speech sits at depth 0-2 between chunks, where the bound
 * by the longest pattern kept ~25 origins per lane.
 *
 * Worked out from the double array's parent links (`check`), once per automaton, on first use:
 * 5 ms for the bundled lexicons (100k slots), and never for a CLI scan that streams nothing.
 */
import type { Automaton } from './automaton.js';

const computed = new WeakMap<Automaton, Uint8Array>();

/** depth[s] for every slot of `a`'s double array (0 for the root and for free slots). A byte holds every depth: no pattern is longer than MAX_PATTERN_UNITS (255, builder.ts). */
export function stateDepths(a: Automaton): Uint8Array {
  let d = computed.get(a);
  if (!d) computed.set(a, (d = depthsOf(a.check)));
  return d;
}

function depthsOf(check: Int32Array): Uint8Array {
  const n = check.length;
  const depth = new Int16Array(n).fill(-1);
  depth[0] = 0; // the root, its own parent
  let stack = new Int32Array(64);
  for (let t = 1; t < n; t++) {
    if (check[t]! < 0) {
      depth[t] = 0; // a free slot: no state
      continue;
    }
    if (depth[t]! >= 0) continue;
    // Up the parent links to a state whose depth is known, then down again.
    let k = 0;
    let s = t;
    while (depth[s]! < 0) {
      if (k === stack.length) {
        const grown = new Int32Array(2 * k);
        grown.set(stack);
        stack = grown;
      }
      stack[k++] = s;
      s = check[s]!;
    }
    let d = depth[s]!;
    while (k > 0) depth[stack[--k]!] = ++d;
  }
  return Uint8Array.from(depth);
}
