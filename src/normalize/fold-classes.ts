/**
 * The fold table composed with an automaton's character classes, so the scan kernel reads one
 * entry per original UTF-16 unit and has both what goes into the lane and the class the automaton
 * steps on (normalizer.ts). Built lazily, once per automaton and fold table (2 × 256 KiB).
 *
 * - `text[u]`: `fold[u] | classOf[fold[u]] << 16`. Noise is 0 (no pattern holds U+0000, so its
 *   class is 0 too); a-z, surrogates and expansions keep their fold value and take the slow path.
 * - `sounds[u]`: `syllableOf[u] | classOf[syllable or LANE_BREAK] << 16`: the pinyin lane's unit
 *   (0 when `u` has no reading, written as LANE_BREAK) and its class.
 */
import type { Automaton } from '../match/automaton.js';
import { LANE_BREAK } from './pinyin.js';
import type { FoldTables } from './tables.js';

export interface FoldClasses {
  readonly text: Uint32Array;
  readonly sounds: Uint32Array;
}

const cache = new WeakMap<Automaton, { tables: FoldTables; classes: FoldClasses }>();

export function foldClasses(automaton: Automaton, tables: FoldTables): FoldClasses {
  const hit = cache.get(automaton);
  if (hit !== undefined && hit.tables === tables) return hit.classes;
  const { fold } = tables;
  const { syllableOf } = tables.pinyin;
  const { classOf } = automaton;
  const text = new Uint32Array(65536);
  const sounds = new Uint32Array(65536);
  for (let u = 0; u < 65536; u++) {
    const f = fold[u]!;
    text[u] = (f | (classOf[f]! << 16)) >>> 0;
    const sy = syllableOf[u]!;
    sounds[u] = (sy | (classOf[sy === 0 ? LANE_BREAK : sy]! << 16)) >>> 0;
  }
  const classes = { text, sounds };
  cache.set(automaton, { tables, classes });
  return classes;
}
