/**
 * Which owner process of a node (config `processes`) owns a stream or a flag. Pure functions of
 * their arguments, the same in every process and across restarts, so a stream's state and journal
 * stay with one owner for as long as the process count does not change (owner-layout.ts refuses a
 * journal written with another count).
 */
import { join } from 'node:path';

/** FNV-1a over the UTF-16 code units, mod `n`: stable, no seed, a few ns for a short id. */
export function ownerOfStream(stream: string, n: number): number {
  if (n === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < stream.length; i++) {
    h ^= stream.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % n;
}

/** Flag ids live in residue classes (flag.ts FlagIdAllocator): owner i of n hands out numbers with (number - 1) mod n = i. */
export function ownerOfFlag(flagId: string, n: number): number {
  return (Number(flagId.slice(1)) - 1) % n;
}

/** Owner i's own journal, under the node's `journal.dir`. */
export function ownerJournalDir(root: string, owner: number): string {
  return join(root, `owner-${owner}`);
}
