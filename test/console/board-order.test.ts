/** The board's order and filter (board-order.ts), the drill-down's match marking and dates on times. */
import { describe, expect, test } from 'vitest';
import { ALL_CARDS, compareCards, matchesCard, orderCards, type Ranked } from '../../src/console/board-order.js';
import { clockTime } from '../../src/console/dom.js';
import { marked } from '../../src/console/stream-view.js';
import type { Level } from '../../src/console/wire.js';

const card = (stream: string, level: Level, risk: number, recent = 0, extra: Partial<Ranked> = {}): Ranked => ({ stream, level, risk, pk: false, ended: false, recent, categories: [0, 0, 0, 0], ...extra });

describe('board order', () => {
  test('level first, then risk, then recent flags, then id', () => {
    const cards = [card('b', 'watch', 5, 1), card('a', 'watch', 5, 1), card('c', 'normal', 9, 9), card('d', 'shutdown', 1), card('e', 'watch', 5, 3), card('f', 'alert', 8)];
    expect(orderCards(cards, undefined, []).map((c) => c.stream)).toEqual(['d', 'f', 'e', 'a', 'b', 'c']);
  });

  test('an ended stream sorts below the live ones of its level, above the level under it', () => {
    const cards = [card('live-alert', 'alert', 3), card('ended-alert', 'alert', 12, 9, { ended: true }), card('live-watch', 'watch', 7, 9), card('ended-down', 'shutdown', 20, 0, { ended: true }), card('live-down', 'shutdown', 1)];
    expect(orderCards(cards, undefined, []).map((c) => c.stream)).toEqual(['live-down', 'ended-down', 'live-alert', 'ended-alert', 'live-watch']);
  });

  test('a pinned card stays where it was drawn; the others sort around it', () => {
    const previous = ['x', 'y', 'z', 'w'];
    const cards = [card('x', 'alert', 9), card('y', 'alert', 8), card('z', 'normal', 0), card('w', 'shutdown', 3)];
    // Unpinned, w (now shut down) would go first and z last.
    expect(orderCards([...cards], undefined, previous).map((c) => c.stream)).toEqual(['w', 'x', 'y', 'z']);
    expect(orderCards([...cards], 'z', previous).map((c) => c.stream)).toEqual(['w', 'x', 'z', 'y']);
    // A pin on a card not drawn before changes nothing.
    expect(orderCards([...cards], 'q', previous).map((c) => c.stream)).toEqual(['w', 'x', 'y', 'z']);
  });

  test('filters: levels, PK, id substring (any case), categories', () => {
    const c = card('Room-42', 'watch', 4, 0, { pk: true, categories: [0, 0, 0, 2] });
    expect(matchesCard(ALL_CARDS, c)).toBe(true);
    expect(matchesCard({ ...ALL_CARDS, levels: new Set<Level>(['alert', 'shutdown']) }, c)).toBe(false);
    expect(matchesCard({ ...ALL_CARDS, pkOnly: true }, c)).toBe(true);
    expect(matchesCard({ ...ALL_CARDS, pkOnly: true }, { ...c, pk: false })).toBe(false);
    expect(matchesCard({ ...ALL_CARDS, search: 'm-4' }, c)).toBe(true);
    expect(matchesCard({ ...ALL_CARDS, search: 'm-5' }, c)).toBe(false);
    expect(matchesCard({ ...ALL_CARDS, categories: new Set(['contact'] as const) }, c)).toBe(true);
    expect(matchesCard({ ...ALL_CARDS, categories: new Set(['medical'] as const) }, c)).toBe(false);
    expect(compareCards(c, c)).toBe(0);
  });
});

describe('drill-down marks', () => {
  test('matches are cut out of the text, overlapping ones merged, out-of-range ones clamped', () => {
    expect(marked('abcdefgh', [{ start: 2, end: 4 }, { start: 3, end: 6 }, { start: 7, end: 99 }])).toEqual([
      { text: 'ab', mark: false },
      { text: 'cdef', mark: true },
      { text: 'g', mark: false },
      { text: 'h', mark: true },
    ]);
    expect(marked('<b>x</b>', [])).toEqual([{ text: '<b>x</b>', mark: false }]);
  });
});

describe('times', () => {
  test('today: the clock only; another day: the date in front', () => {
    const now = new Date(2026, 11, 6, 15, 0, 0).getTime();
    expect(clockTime(new Date(2026, 11, 6, 9, 5, 7).getTime(), now)).toBe('09:05:07');
    expect(clockTime(new Date(2026, 11, 5, 23, 59, 59).getTime(), now)).toBe('2026-12-05 23:59:59');
    expect(clockTime(new Date(2025, 11, 6, 9, 0, 0).getTime(), now)).toBe('2025-12-06 09:00:00');
    expect(clockTime(undefined, now)).toBe('--:--:--');
  });
});
