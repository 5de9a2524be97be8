/**
 * The owner a connection asks for (config `processes` > 1). A client that knows which streams it
 * will send names them on the upgrade, `/ingest?streams=r1,r2`; the primary reads the request line
 * before handing the socket on and gives it to the process that owns most of them, so their
 * messages need no forward between processes. Only a hint: an absent, empty or unparsable one
 * leaves the connection to round-robin, and a connection may still send any stream (the others are
 * forwarded, as without a hint). Any path takes it (`/metrics?streams=r1` reaches r1's owner).
 */
import { ownerOfStream } from './owner-of.js';

/** Longest request line read before routing without a hint (Node's own header limit is 16 KB). */
export const MAX_HINT_BYTES = 16 * 1024;

/**
 * `requestLine` is the first line of the HTTP request (`GET /ingest?streams=a,b HTTP/1.1`). The owner
 * of the most named streams, the lowest index on a tie; `undefined` when it names none.
 */
export function hintedOwner(requestLine: string, n: number): number | undefined {
  const from = requestLine.indexOf(' ');
  const to = requestLine.indexOf(' ', from + 1);
  if (from < 0) return undefined;
  const target = requestLine.slice(from + 1, to < 0 ? undefined : to);
  const q = target.indexOf('?');
  if (q < 0) return undefined;
  let streams: string | null;
  try {
    streams = new URLSearchParams(target.slice(q + 1)).get('streams');
  } catch {
    return undefined;
  }
  if (!streams) return undefined;
  const counts = new Array<number>(n).fill(0);
  let named = 0;
  for (const s of streams.split(',')) {
    if (s.length === 0) continue;
    counts[ownerOfStream(s, n)]!++;
    named++;
  }
  if (named === 0) return undefined;
  let best = 0;
  for (let o = 1; o < n; o++) if (counts[o]! > counts[best]!) best = o;
  return best;
}

/** `streams` split into the groups one hinted connection each would carry: index = owner (empty groups included). */
export function streamsByOwner(streams: readonly string[], n: number): string[][] {
  const out = Array.from({ length: n }, () => [] as string[]);
  for (const s of streams) out[ownerOfStream(s, n)]!.push(s);
  return out;
}
