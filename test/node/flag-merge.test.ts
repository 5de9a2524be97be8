/**
 * The merge of several owners' flags into one id order (src/node/flag-merge.ts), against a model:
 * random owners publishing rising ids with watermarks, delays and outages; what is released must be
 * in rising order, each flag once, and nothing may be released while a lower one can still come.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Flag } from '../../src/flag.js';
import { FlagMerge } from '../../src/node/flag-merge.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { ownerOfFlag, ownerOfStream } from '../../src/node/owner-of.js';

const flag = (n: number) => ({ id: `f${n}` }) as Flag;

describe('FlagMerge', () => {
  it('releases in one rising order, once each, only when no owner can still publish lower', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5 })), { maxLength: 200 }), (steps) => {
        const owners = 3;
        const released: number[] = [];
        const merge = new FlagMerge(owners, (h) => released.push(...h.flags.map((f) => Number(f.id.slice(1)))));
        const ids = [0, 1, 2].map((o) => new FlagIdAllocator(1, { owner: o, of: owners }));
        const published: number[] = [];
        for (const o of [0, 1, 2]) merge.watermark(o, ids[o]!.peek());
        for (const [o, action, k] of steps) {
          const a = ids[o]!;
          if (action === 0) {
            // Publish k flags of one message.
            const fs = Array.from({ length: k }, () => flag(Number(a.next().slice(1))));
            published.push(...fs.map((f) => Number(f.id.slice(1))));
            merge.add(o, fs, 'text');
            // The others hear of it and move past it (owner-watermark.ts), telling their watermark.
            for (const p of [0, 1, 2]) if (p !== o && a.peek() > ids[p]!.peek()) {
              ids[p]!.reset(a.peek());
              merge.watermark(p, ids[p]!.peek());
            }
          } else if (action === 1) merge.watermark(o, a.peek());
          else if (action === 2) {
            // Skip ahead (ids reserved, a jump): a watermark above everything it published.
            a.reset(a.peek() + k * 7);
            merge.watermark(o, a.peek());
          }
          // Invariant: released is rising, and nothing unreleased is below the last released.
          for (let i = 1; i < released.length; i++) expect(released[i]).toBeGreaterThan(released[i - 1]!);
          const last = released.at(-1) ?? 0;
          const pending = published.filter((n) => !released.includes(n));
          for (const n of pending) expect(n).toBeGreaterThan(last);
          // Every flag below the frontier has been released.
          for (const n of pending) expect(n).toBeGreaterThanOrEqual(merge.frontier());
        }
        // Once every owner says it is past everything, all are out.
        const top = Math.max(...ids.map((a) => a.peek()));
        for (const o of [0, 1, 2]) merge.watermark(o, top + 1);
        expect(released).toEqual([...published].sort((x, y) => x - y));
      }),
      { numRuns: 200 },
    );
  });

  it('an owner that is down holds nothing back; linked again, it holds back until its first watermark', () => {
    const out: string[] = [];
    const merge = new FlagMerge(2, (h) => out.push(h.flags[0]!.id));
    merge.watermark(0, 1);
    merge.watermark(1, 2);
    merge.add(0, [flag(5)], 't');
    expect(out).toEqual([]);
    merge.down(1);
    expect(out).toEqual(['f5']);
    merge.up(1);
    merge.add(0, [flag(7)], 't');
    expect(out).toEqual(['f5']);
    merge.watermark(1, 10);
    expect(out).toEqual(['f5', 'f7']);
  });
});

describe('owner assignment', () => {
  it('flag ids of owner i of n are the numbers with (n - 1) mod n = i, from where a rebuild says', () => {
    for (const n of [1, 2, 3, 5]) {
      for (let o = 0; o < n; o++) {
        const a = new FlagIdAllocator(1, { owner: o, of: n });
        a.reset(17);
        const got = [a.next(), a.next(), a.next()].map((id) => Number(id.slice(1)));
        for (const g of got) expect(ownerOfFlag(`f${g}`, n)).toBe(o);
        expect(got[0]).toBeGreaterThanOrEqual(17);
        expect(got[0]! - 17).toBeLessThan(n);
        expect(got[1]! - got[0]!).toBe(n);
      }
    }
  });

  it('a stream always goes to the same owner, and streams spread over the owners', () => {
    // Fixed values: the assignment must never change between versions while a journal depends on it.
    expect(['r1', 'r2', 'room-42', '直播间'].map((s) => ownerOfStream(s, 2))).toEqual([0, 1, 1, 0]);
    expect(['r1', 'r2', 'room-42', '直播间'].map((s) => ownerOfStream(s, 3))).toEqual([1, 1, 2, 1]);
    const counts = [0, 0];
    for (let i = 0; i < 10_000; i++) counts[ownerOfStream(`s${i}`, 2)]!++;
    expect(Math.min(...counts)).toBeGreaterThan(4500);
    expect(ownerOfStream('anything', 1)).toBe(0);
  });
});
