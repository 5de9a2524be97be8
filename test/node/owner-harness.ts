/** Helpers for the tests of a node with two owner processes (config `processes: 2`). */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ownerOfStream } from '../../src/node/owner-of.js';

/** Stream names owned by owner 0 and by owner 1 (the hash decides, so pick by it). */
export function streamsOf(owner: number, count: number, prefix = 'r'): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (ownerOfStream(`${prefix}${i}`, 2) === owner) out.push(`${prefix}${i}`);
  return out;
}

/** Every record of one owner's journal. */
export function journalRecords(dir: string, owner: number): Record<string, unknown>[] {
  const d = join(dir, 'journal', `owner-${owner}`);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((n) => n.endsWith('.ndjson'))
    .sort()
    .flatMap((n) => readFileSync(join(d, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

