/**
 * A rotation's snapshot record as its journal line, stringified a slice at a time with the event loop
 * let through between slices. `JSON.stringify` of the whole record held the loop 17-39 ms for 2,000
 * streams after 600k messages (1.5 MB, most of it the escalation's `risks`; `bench/e2e/snapshot-cost`),
 * and every ack of that moment waited behind it.
 *
 * The record is a point-in-time copy (the processor builds fresh objects for it, and reads the
 * escalation's risks as of that moment however late: escalate/risk-snapshot.ts), so nothing changes
 * it between slices. The text is byte-identical to `JSON.stringify(record)`.
 */
import type { LazyEntries } from '../stream/log.js';

/** Entries (of a map such as `risks`, or items of a list) stringified between two yields; the longest slice measured 2.6-7 ms at 64 or 128 (`bench/e2e/snapshot-cost`). */
const SLICE = 64;

/**
 * `JSON.stringify(record) + '\n'` as UTF-8, built over several turns of the event loop. `timing.ms`
 * is set to the longest the loop was held at once.
 */
export async function snapshotLine(record: object, slice = SLICE, timing?: { ms: number }): Promise<Buffer> {
  const parts: string[] = [];
  let budget = slice;
  let sliceStart = performance.now();
  /** Counts one stringified entry; true when the slice is used up (the caller yields, then goes on). */
  const spend = (): boolean => {
    if (--budget > 0) return false;
    budget = slice;
    return true;
  };
  // Each slice's text is encoded as it is done: one join and encode of the whole 1.5 MB at the end
  // was itself the longest slice (10-25 ms). Every part is whole JSON, so no surrogate pair is split.
  const chunks: Buffer[] = [];
  const encodeSlice = () => {
    chunks.push(Buffer.from(parts.join(''), 'utf8'));
    parts.length = 0;
  };
  const yieldToLoop = async (): Promise<void> => {
    encodeSlice();
    if (timing) timing.ms = Math.max(timing.ms, performance.now() - sliceStart);
    await new Promise<void>((resolve) => setImmediate(resolve));
    sliceStart = performance.now();
  };
  parts.push('{');
  let firstKey = true;
  for (const [key, value] of Object.entries(record) as [string, unknown][]) {
    const json = topLevel(value);
    if (json === undefined) continue; // as JSON.stringify: a key whose value is undefined is left out
    parts.push(firstKey ? '' : ',', JSON.stringify(key), ':');
    firstKey = false;
    if (json !== SLICED) {
      parts.push(json);
      continue;
    }
    if (Array.isArray(value)) {
      parts.push('[');
      for (let i = 0; i < value.length; i++) {
        // As JSON.stringify: an undefined item is written as null.
        parts.push(i === 0 ? '' : ',', JSON.stringify(value[i]) ?? 'null');
        if (spend()) await yieldToLoop();
      }
      parts.push(']');
    } else {
      parts.push('{');
      let firstEntry = true;
      const entries = isLazy(value) ? value.lazyEntries() : Object.entries(value as Record<string, unknown>);
      for (const [k, v] of entries) {
        const item = JSON.stringify(v);
        if (item === undefined) continue;
        parts.push(firstEntry ? '' : ',', JSON.stringify(k), ':', item);
        firstEntry = false;
        if (spend()) await yieldToLoop();
      }
      parts.push('}');
    }
  }
  parts.push('}\n');
  encodeSlice();
  const line = Buffer.concat(chunks);
  if (timing) timing.ms = Math.max(timing.ms, performance.now() - sliceStart);
  return line;
}

const SLICED = Symbol('sliced');

/**
 * A top-level value's JSON, or SLICED for a plain array or object written entry by entry. Anything
 * with its own `toJSON` is stringified whole, as JSON.stringify would see it.
 */
function topLevel(value: unknown): string | typeof SLICED | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (isLazy(value)) return SLICED;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(value);
  if (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) return SLICED;
  return JSON.stringify(value);
}

function isLazy(value: unknown): value is LazyEntries {
  return typeof (value as Partial<LazyEntries>).lazyEntries === 'function';
}
