import { describe, expect, test } from 'vitest';
import { Scanner } from '../../src/detect/scanner.js';
import { FlagIdAllocator, type Flag } from '../../src/flag.js';
import { PartialTracker, scanPartial } from '../../src/stream/partials.js';
import { smallLexicon } from './embedded.js';

const f = (term: string, start = 0): Flag => ({ id: `f${start}`, category: 'extreme', term, matched: term, start, end: start + term.length, severity: 'high', evasion: false, via: 'text' });
const terms = (flags: Flag[]) => flags.map((x) => x.term);

describe('PartialTracker', () => {
  test('a claim seen in a hypothesis is not reported again by a later hypothesis or the final, even at another offset', () => {
    const t = new PartialTracker();
    expect(terms(t.fresh(7, [f('全网最低', 0)]))).toEqual(['全网最低']);
    expect(terms(t.fresh(7, [f('全网最低', 1), f('第一', 6)]))).toEqual(['第一']);
    expect(terms(t.final(7, [f('全网最低', 1), f('第一', 6)]).flags)).toEqual([]);
    expect(t.size).toBe(0);
  });

  test('a second occurrence of the same term is new', () => {
    const t = new PartialTracker();
    t.fresh(1, [f('第一', 0)]);
    expect(terms(t.final(1, [f('第一', 0), f('第一', 5)]).flags)).toEqual(['第一']);
  });

  test('a final with no hypothesis passes everything; settling forgets older seqs', () => {
    const t = new PartialTracker();
    t.fresh(1, [f('a')]);
    t.fresh(2, [f('b')]);
    expect(terms(t.final(3, [f('a'), f('b')]).flags)).toEqual(['a', 'b']);
    expect(t.size).toBe(0);
  });

  test('pending seqs are bounded', () => {
    const t = new PartialTracker();
    for (let s = 0; s < 100; s++) t.fresh(s, [f('x')]);
    expect(t.size).toBeLessThanOrEqual(32);
  });

  test('the final retracts what the hypotheses reported and it no longer says, the latest of a term first', () => {
    const t = new PartialTracker();
    t.fresh(4, [f('全网最低价', 0)]); // id f0
    t.fresh(4, [f('全网最低价', 0), f('第一', 9), f('第一', 12)]); // f9, f12
    const { flags, retracted } = t.final(4, [f('第一', 3), f('根治', 20)]);
    expect(terms(flags)).toEqual(['根治']);
    expect(retracted).toEqual(['f0', 'f12']);
    expect(t.size).toBe(0);
  });

  test('a later hypothesis that drops a claim retracts nothing (the next one may say it again)', () => {
    const t = new PartialTracker();
    t.fresh(2, [f('第一', 0)]);
    expect(t.fresh(2, [])).toEqual([]);
    expect(terms(t.fresh(2, [f('第一', 4)]))).toEqual([]);
    expect(t.final(2, [f('第一', 4)]).retracted).toEqual([]);
  });

  test('note() rebuilds what was reported from the log: a replayed tracker retracts the same ids', () => {
    const live = new PartialTracker();
    const a = live.fresh(9, [f('第一', 1)]);
    const b = live.fresh(9, [f('第一', 1), f('第一', 5)]);
    const replayed = new PartialTracker();
    replayed.note(9, a);
    replayed.note(9, b);
    expect(replayed.final(9, []).retracted).toEqual(live.final(9, []).retracted);
  });
});

describe('scanPartial', () => {
  test('a hypothesis completing a claim begun in the last final is flagged with the carry; the carry itself does not move', { timeout: 60_000 }, () => {
    const ids = new FlagIdAllocator(1);
    const scanner = new Scanner(smallLexicon(), ids);
    expect(scanner.stream('s').push('加微信，这个价格是全网最', { kind: 'transcript' }).map((x) => x.term)).toEqual(['加微信']);
    const next = ids.peek();
    const flags = scanPartial(scanner, ids, 's', '低价哦', { seq: 2, kind: 'transcript' });
    expect(flags).toMatchObject([{ id: `f${next}`, stream: 's', seq: 2, term: '全网最低价', carried: '全网最', start: 0, end: 2, matched: '低价' }]);
    expect(ids.peek()).toBe(next + 1); // the earlier chunk's 加微信 was scanned again but drew no id
    // Without the carry the hypothesis alone says nothing.
    expect(scanner.scan('低价哦')).toEqual([]);
    // The stream's carry is where the final left it: the final completes the claim itself.
    expect(scanner.stream('s').push('低价哦', { kind: 'transcript' }).map((x) => [x.term, x.carried])).toEqual([['全网最低价', '全网最']]);
  });

  test('with no earlier text it is a plain scan', { timeout: 60_000 }, () => {
    const ids = new FlagIdAllocator(1);
    const scanner = new Scanner(smallLexicon(), ids);
    expect(scanPartial(scanner, ids, 'fresh', '史上最强', { kind: 'transcript' })).toMatchObject([{ term: '史上最强', start: 0, end: 4, id: 'f1' }]);
  });
});
