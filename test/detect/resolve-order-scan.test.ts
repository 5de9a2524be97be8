/**
 * Scanning with resolve-order.ts against the general sorts it stands in for (`resolveOptions`):
 * claim-dense texts made of the adversarial bench's pieces (claims of every category, disguised,
 * negated, allow phrases over claims, near halves, traditional and full-width, ids after cues,
 * mixed pieces), sliced at random, scanned whole and pushed as a stream's chunks of random sizes.
 * Flags and the dropped count must be the same.
 */
import fc from 'fast-check';
import { afterEach, expect, test } from 'vitest';
import { ADVERSARIES } from '../../bench/adversarial.js';
import { resolveOptions } from '../../src/detect/resolve.js';
import { createScanner } from '../../src/index.js';

const DENSE = ADVERSARIES.filter((a) => /claim|near|negat|allow|traditional|mixed|cues|warned/.test(a.name)).map((a) => a.make(4096));
const scanner = createScanner();
const strip = (fs: ReturnType<typeof scanner.scan>) => fs.map(({ id: _, ...f }) => f);

/** Flags and dropped count of `text` scanned whole, then of its chunks (cut at `cuts`) pushed to a fresh stream. */
function scanBoth(text: string, cuts: number[], stream: string, nearlySorted: boolean): unknown[] {
  resolveOptions.nearlySorted = nearlySorted;
  const out: unknown[] = [strip(scanner.scan(text)), scanner.droppedInLastScan];
  const s = scanner.stream(stream);
  let from = 0;
  for (const to of [...cuts.filter((c) => c > 0 && c < text.length).sort((a, b) => a - b), text.length]) {
    out.push(strip(s.push(text.slice(from, to))), scanner.droppedInLastScan);
    from = to;
  }
  scanner.endStream(stream);
  return out;
}

afterEach(() => {
  resolveOptions.nearlySorted = true;
});

test('property: claim-dense texts, whole and chunked, flag as under the general sorts', { timeout: 120_000 }, () => {
  let flagged = 0;
  let n = 0;
  fc.assert(
    fc.property(fc.nat(DENSE.length - 1), fc.nat(4095), fc.integer({ min: 1, max: 4096 }), fc.array(fc.nat(4096), { maxLength: 6 }), (k, at, len, cuts) => {
      const text = DENSE[k]!.slice(at, at + len);
      const want = scanBoth(text, cuts, `s${n}`, false);
      const got = scanBoth(text, cuts, `s${n++}`, true);
      flagged += (want[0] as unknown[]).length;
      expect(got).toEqual(want);
    }),
    { numRuns: 300 },
  );
  expect(flagged).toBeGreaterThan(3000); // the texts are claim-dense: many hit the 100-flag cap
});
