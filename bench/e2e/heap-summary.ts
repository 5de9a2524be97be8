/**
 * What a heap snapshot holds, grouped by node type and constructor (or string/array kind), with
 * bytes per stream: how `--memory N --heap-snapshot` shows where a stream's bytes go.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  group: string;
  count: number;
  bytes: number;
}

/** Self sizes summed by `type:name` (strings by type only: their text is not a class), largest first. */
export function summarizeHeap(path: string): HeapGroup[] {
  const snap = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const fType = fields.indexOf('type');
  const fName = fields.indexOf('name');
  const fSize = fields.indexOf('self_size');
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + fType]!]!;
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' ? '' : snap.strings[snap.nodes[i + fName]!]!;
    const key = `${type}:${name.length > 60 ? name.slice(0, 60) + '…' : name}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { group: key, count: 0, bytes: 0 }));
    g.count++;
    g.bytes += snap.nodes[i + fSize]!;
  }
  return [...groups.values()].sort((a, b) => b.bytes - a.bytes);
}

/** The groups that grew from `idle` to `loaded`, per stream. */
export function heapGrowth(idle: HeapGroup[], loaded: HeapGroup[], streams: number, top = 25): string {
  const before = new Map(idle.map((g) => [g.group, g]));
  const rows = loaded
    .map((g) => ({ group: g.group, count: g.count - (before.get(g.group)?.count ?? 0), bytes: g.bytes - (before.get(g.group)?.bytes ?? 0) }))
    .filter((g) => g.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
  const total = loaded.reduce((s, g) => s + g.bytes, 0) - idle.reduce((s, g) => s + g.bytes, 0);
  const lines = [`heap snapshot growth: ${(total / streams).toFixed(0)} B per stream (self sizes)`];
  for (const r of rows) lines.push(`  ${(r.bytes / streams).toFixed(1).padStart(8)} B/stream  ${(r.count / streams).toFixed(2).padStart(6)} obj/stream  ${r.group}`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [idle, loaded, streams] = process.argv.slice(2);
  if (!idle || !loaded || !streams) throw new Error('usage: heap-summary IDLE.heapsnapshot LOADED.heapsnapshot STREAMS');
  process.stdout.write(heapGrowth(summarizeHeap(idle), summarizeHeap(loaded), Number(streams)) + '\n');
}
