/** The owner a connection's `?streams=` hint names (src/node/connection-hint.ts), against the hash it must agree with. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hintedOwner, streamsByOwner } from '../../src/node/connection-hint.js';
import { ownerOfStream } from '../../src/node/owner-of.js';
import { streamsOf } from './owner-harness.js';

const line = (target: string) => `GET ${target} HTTP/1.1`;

describe('hintedOwner', () => {
  it('names the owner of most of the hinted streams, the lowest on a tie', () => {
    const [a0, b0] = streamsOf(0, 2);
    const [a1, b1] = streamsOf(1, 2);
    expect(hintedOwner(line(`/ingest?streams=${a1}`), 2)).toBe(1);
    expect(hintedOwner(line(`/ingest?token=x&streams=${a0},${a1},${b1}&flags=1`), 2)).toBe(1);
    expect(hintedOwner(line(`/ingest?streams=${a0},${b0},${a1}`), 2)).toBe(0);
    expect(hintedOwner(line(`/ingest?streams=${a1},${a0}`), 2)).toBe(0);
    // Percent-encoded ids are hashed as the server will see them.
    expect(hintedOwner(line(`/ingest?streams=${encodeURIComponent('房间 7')}`), 3)).toBe(ownerOfStream('房间 7', 3));
  });

  it('no hint, an empty one or a request line that is not one: no owner (round-robin)', () => {
    for (const l of [line('/ingest'), line('/ingest?flags=1'), line('/ingest?streams='), line('/ingest?streams=,,'), 'GET', '', 'garbage without spaces?streams=a', line('/ingest?streams=%zz&x')]) {
      const o = hintedOwner(l, 2);
      if (l.includes('%zz')) expect(o).toBe(ownerOfStream('%zz', 2));
      else expect(o).toBeUndefined();
    }
  });

  it('a connection carrying one owner group of streamsByOwner is hinted to that owner', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes(',')), { minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 5 }), (streams, n) => {
        const groups = streamsByOwner(streams, n);
        expect(groups.flat().sort()).toEqual([...streams].sort());
        for (const [o, g] of groups.entries()) {
          if (g.length === 0) continue;
          expect(hintedOwner(line(`/ingest?streams=${g.map(encodeURIComponent).join(',')}`), n)).toBe(o);
        }
      }),
    );
  });
});
