/**
 * FeedStreams: the state pages show each stream as the feed told it (the fold of its signals), laid
 * over the core's summaries, so a subscriber that reloads sees what one that stayed saw.
 */
import { describe, expect, test } from 'vitest';
import { FeedStreams, StatePages, flagAfterEnd } from '../../src/server/feed-state.js';
import type { StreamSummary } from '../../src/stream/contracts.js';

const core = (s: Partial<StreamSummary> & { stream: string }): StreamSummary => ({ level: 'normal', risk: 0, pk: false, ...s });

describe('FeedStreams', () => {
  test('a shut-down stream keeps the risk of its last level event while the core goes on adding', () => {
    const f = new FeedStreams();
    f.apply({ type: 'level', stream: 'a', level: 'shutdown', risk: 17.8, ts: 1 });
    f.apply({ type: 'shutdown', stream: 'a', reason: 'critical flag f1: 治癌', flagIds: ['f1'], ts: 1, epoch: 1, manual: false });
    expect(f.over([core({ stream: 'a', level: 'shutdown', risk: 60.3, reason: 'critical flag f1: 治癌' })])).toEqual([core({ stream: 'a', level: 'shutdown', risk: 17.8, reason: 'critical flag f1: 治癌' })]);
  });

  test('an ended stream (released by the core: normal, 0) keeps what the feed last said; a swept one is still listed', () => {
    const f = new FeedStreams();
    f.apply({ type: 'level', stream: 'e', level: 'alert', risk: 12, ts: 1 });
    f.apply({ type: 'level', stream: 'gone', level: 'watch', risk: 4, ts: 1 });
    expect(f.over([core({ stream: 'e' })])).toEqual([core({ stream: 'e', level: 'alert', risk: 12 }), core({ stream: 'gone', level: 'watch', risk: 4 })]);
  });

  test('what the feed never said comes from the core: PK without a pk event, a shutdown recovered after a restart', () => {
    const f = new FeedStreams();
    f.apply({ type: 'level', stream: 'p', level: 'watch', risk: 4, ts: 1 });
    f.apply({ type: 'pk', stream: 'q', state: 'start', opponent: 'r', ts: 1 });
    const out = f.over([core({ stream: 'p', pk: true, opponent: 'o', risk: 5 }), core({ stream: 'q', level: 'alert', risk: 9, pk: true, opponent: 'r' }), core({ stream: 's', level: 'shutdown', reason: 'x' })]);
    expect(out).toEqual([core({ stream: 'p', level: 'watch', risk: 4, pk: true, opponent: 'o' }), core({ stream: 'q', level: 'alert', risk: 9, pk: true, opponent: 'r' }), core({ stream: 's', level: 'shutdown', reason: 'x' })]);
    // Told only a PK start (no level): not listed on its own once the core forgets it.
    expect(f.over([]).map((s) => s.stream)).toEqual(['p']);
  });

  test('restore, recommend and decline fold as the pages patch them', () => {
    const f = new FeedStreams();
    f.apply({ type: 'recommend', stream: 'r', reason: 'why', flagIds: [], ts: 1 });
    f.apply({ type: 'level', stream: 'r', level: 'alert', risk: 9, ts: 1 });
    expect(f.over([core({ stream: 'r', level: 'alert', risk: 10, recommended: 'why' })])[0]).toEqual(core({ stream: 'r', level: 'alert', risk: 9, recommended: 'why' }));
    f.apply({ type: 'decline', stream: 'r', ts: 2 });
    f.apply({ type: 'level', stream: 'r', level: 'shutdown', risk: 9, ts: 3 });
    f.apply({ type: 'shutdown', stream: 'r', reason: 'm', flagIds: [], ts: 3, epoch: 1, manual: true });
    f.apply({ type: 'restore', stream: 'r', ts: 4, epoch: 1 });
    f.apply({ type: 'level', stream: 'r', level: 'normal', risk: 0, ts: 4 });
    expect(f.over([core({ stream: 'r' })])[0]).toEqual(core({ stream: 'r' }));
    // The pages' own patching is the same function.
    const pages = new StatePages([core({ stream: 'r' })], {});
    pages.apply({ type: 'level', stream: 'r', level: 'watch', risk: 3, ts: 5 });
    expect(JSON.parse(pages.next({ streams: 10, bytes: 1e6 })!).streams).toEqual([core({ stream: 'r', level: 'watch', risk: 3 })]);
  });

  test('an end marks the stream ended (its last PK state stays) until a flag or a PK start; level events leave it ended', () => {
    const f = new FeedStreams();
    f.apply({ type: 'pk', stream: 'e', state: 'start', opponent: 'o', ts: 1 });
    f.apply({ type: 'level', stream: 'e', level: 'alert', risk: 9, ts: 1 });
    f.apply({ type: 'end', stream: 'e', seq: 7, ts: 2 });
    // The core released it (normal, 0, no PK): the fold says alert, 9, the PK as told, ended.
    expect(f.over([core({ stream: 'e' })])).toEqual([core({ stream: 'e', level: 'alert', risk: 9, pk: true, opponent: 'o', ended: { seq: 7, ts: 2 } })]);
    expect(f.ended('e')).toEqual({ seq: 7, ts: 2 });
    // Ended without a level ever told: still listed once the core forgets it.
    f.apply({ type: 'end', stream: 'quiet', seq: 1, ts: 3 });
    expect(f.over([]).map((s) => [s.stream, s.ended?.ts])).toEqual([['e', 2], ['quiet', 3]]);
    f.apply({ type: 'level', stream: 'e', level: 'normal', risk: 0, ts: 4 });
    expect(f.ended('e')).toEqual({ seq: 7, ts: 2 });
    f.apply({ type: 'resumed', stream: 'e' });
    expect(f.over([core({ stream: 'e' })])[0]).toEqual(core({ stream: 'e', pk: true, opponent: 'o' }));
    f.apply({ type: 'pk', stream: 'quiet', state: 'start', opponent: 'x', ts: 5 });
    expect(f.ended('quiet')).toBeUndefined();
    // Pages still to come are patched the same way.
    const pages = new StatePages([core({ stream: 'p', pk: true, opponent: 'o' })], {});
    pages.apply({ type: 'end', stream: 'p', seq: 1, ts: 9 });
    expect(JSON.parse(pages.next({ streams: 10, bytes: 1e6 })!).streams).toEqual([core({ stream: 'p', pk: true, opponent: 'o', ended: { seq: 1, ts: 9 } })]);
  });

  test('a flag resumes an ended stream only if it is past the end: a later seq, or a later event time (seqs restarted)', () => {
    const end = { seq: 20, ts: 1000 };
    expect(flagAfterEnd({ seq: 19, ts: 999 }, end)).toBe(false);
    expect(flagAfterEnd({ seq: 20, ts: 1000 }, end)).toBe(false);
    expect(flagAfterEnd({ seq: 21, ts: 1000 }, end)).toBe(true);
    expect(flagAfterEnd({ seq: 1, ts: 1001 }, end)).toBe(true);
  });

  test('an end the core kept from before a restart shows until the feed says otherwise', () => {
    const f = new FeedStreams();
    const kept = core({ stream: 'k', ended: { seq: 4, ts: 40 } });
    // The feed said nothing of k since the restart: the core's end stands.
    expect(f.over([kept])).toEqual([kept]);
    // A level told since leaves it ended (as live: level events do not lift an end).
    f.apply({ type: 'level', stream: 'k', level: 'watch', risk: 3, ts: 41 });
    expect(f.over([kept])[0]).toMatchObject({ level: 'watch', ended: { seq: 4, ts: 40 } });
    // Heard from again (a flag past the end, or a PK start): lifted, even while the core still says ended.
    f.apply({ type: 'resumed', stream: 'k' });
    expect(f.over([kept])[0]!.ended).toBeUndefined();
    const g = new FeedStreams();
    g.apply({ type: 'pk', stream: 'k', state: 'start', ts: 42 });
    expect(g.over([kept])[0]!.ended).toBeUndefined();
    // An end told since replaces the core's.
    const h = new FeedStreams();
    h.apply({ type: 'end', stream: 'k', seq: 9, ts: 90 });
    expect(h.over([kept])[0]!.ended).toEqual({ seq: 9, ts: 90 });
  });

  test('a page still to come that reads ended is lifted by flags past its end, not by older ones', () => {
    const pages = new StatePages([core({ stream: 'a', ended: { seq: 5, ts: 50 } }), core({ stream: 'b', ended: { seq: 5, ts: 50 } })], {});
    pages.liftEnd('a', [{ seq: 6, ts: 60 }]);
    pages.liftEnd('b', [{ seq: 4, ts: 40 }]);
    const out = JSON.parse(pages.next({ streams: 10, bytes: 1e6 })!).streams as StreamSummary[];
    expect(out.map((s) => [s.stream, s.ended])).toEqual([['a', undefined], ['b', { seq: 5, ts: 50 }]]);
  });
});
