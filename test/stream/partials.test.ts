import { describe, expect, test } from 'vitest';
import type { Flag } from '../../src/flag.js';
import { PartialTracker } from '../../src/stream/partials.js';

const f = (term: string, start = 0): Flag => ({ id: `f${start}`, category: 'extreme', term, matched: term, start, end: start + term.length, severity: 'high', evasion: false, via: 'text' });
const terms = (flags: Flag[]) => flags.map((x) => x.term);

describe('PartialTracker', () => {
  test('a claim seen in a hypothesis is not reported again by a later hypothesis or the final, even at another offset', () => {
    const t = new PartialTracker();
    expect(terms(t.fresh(7, [f('全网最低', 0)]))).toEqual(['全网最低']);
    expect(terms(t.fresh(7, [f('全网最低', 1), f('第一', 6)]))).toEqual(['第一']);
    expect(terms(t.final(7, [f('全网最低', 1), f('第一', 6)]))).toEqual([]);
    expect(t.size).toBe(0);
  });

  test('a second occurrence of the same term is new', () => {
    const t = new PartialTracker();
    t.fresh(1, [f('第一', 0)]);
    expect(terms(t.final(1, [f('第一', 0), f('第一', 5)]))).toEqual(['第一']);
  });

  test('a final with no hypothesis passes everything; settling forgets older seqs', () => {
    const t = new PartialTracker();
    t.fresh(1, [f('a')]);
    t.fresh(2, [f('b')]);
    expect(terms(t.final(3, [f('a'), f('b')]))).toEqual(['a', 'b']);
    expect(t.size).toBe(0);
  });

  test('pending seqs are bounded', () => {
    const t = new PartialTracker();
    for (let s = 0; s < 100; s++) t.fresh(s, [f('x')]);
    expect(t.size).toBeLessThanOrEqual(32);
  });
});
