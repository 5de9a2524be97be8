import { describe, expect, test } from 'vitest';
import { ALL, matchesFlag, parseStreams, subscribeMessage, widens } from '../../src/console/filter.js';
import { FlagStore } from '../../src/console/flag-store.js';
import type { Category, Severity, WireFlag } from '../../src/console/wire.js';

const flag = (n: number, category: Category = 'extreme', severity: Severity = 'high', stream = 'r1'): WireFlag => ({
  id: `f${n}`, stream, category, severity, term: 't', matched: 'm', start: 0, end: 1, evasion: false, via: 'text',
});

describe('FlagStore', () => {
  test('newest first, duplicates ignored, older replayed flags placed in order', () => {
    const s = new FlagStore();
    expect(s.add(flag(2))).toBe(true);
    expect(s.add(flag(5))).toBe(true);
    expect(s.add(flag(5))).toBe(false);
    expect(s.add(flag(3))).toBe(true);
    expect([0, 1, 2].map((i) => s.at(i)!.flag.id)).toEqual(['f5', 'f3', 'f2']);
    expect(s.lastId).toBe('f5');
    expect(s.indexOf(s.get('f3')!)).toBe(1);
  });

  test('the filter narrows what is shown and widening brings it back', () => {
    const s = new FlagStore();
    s.add(flag(1, 'contact', 'medium'));
    s.add(flag(2, 'medical', 'critical', 'r2'));
    s.add(flag(3, 'extreme', 'low'));
    s.setFilter({ categories: new Set(['contact', 'medical']), minSeverity: 'medium', streams: [] });
    expect(s.size).toBe(2);
    s.add(flag(4, 'extreme', 'high'));
    expect(s.size).toBe(2);
    s.setFilter({ ...ALL, streams: ['r2'] });
    expect(s.at(0)!.flag.id).toBe('f2');
    expect(s.size).toBe(1);
    s.setFilter(ALL);
    expect(s.size).toBe(4);
  });

  test('textOf: a later flag of a message takes the text of the flag that carried it', () => {
    const s = new FlagStore();
    s.add(flag(7), 'the message');
    s.add(flag(8), s.textOf('f7'));
    expect(s.get('f8')!.text).toBe('the message');
    expect(s.textOf('f99')).toBe('');
    expect(s.textOf(undefined)).toBe('');
  });

  test('memory stays bounded: the oldest flags are dropped past the limit', () => {
    const s = new FlagStore(100);
    for (let n = 1; n <= 1200; n++) s.add(flag(n));
    expect(s.size).toBeLessThanOrEqual(1100);
    expect(s.at(0)!.flag.id).toBe('f1200');
    expect(s.get('f1')).toBeUndefined();
    expect(s.at(s.size - 1)!.n).toBe(1200 - s.size + 1);
  });
});

describe('filter', () => {
  test('maps to subscribe, leaving out what is "everything"', () => {
    expect(subscribeMessage(ALL, { history: 10 })).toEqual({ type: 'subscribe', history: 10 });
    expect(subscribeMessage({ categories: new Set(['medical']), minSeverity: 'high', streams: ['r1', 'r2'] }, { since: 'f9' })).toEqual({
      type: 'subscribe', categories: ['medical'], minSeverity: 'high', streams: ['r1', 'r2'], since: 'f9',
    });
  });

  test('without a position a subscribe only changes the filter', () => {
    expect(subscribeMessage({ ...ALL, minSeverity: 'high' })).toEqual({ type: 'subscribe', minSeverity: 'high' });
  });

  test('widens: a category added, a lower severity, or more streams; narrowing is not widening', () => {
    const f = { categories: new Set<Category>(['contact', 'medical']), minSeverity: 'medium' as Severity, streams: ['r1'] };
    expect(widens(f, f)).toBe(false);
    expect(widens(f, { ...f, categories: new Set<Category>(['contact']) })).toBe(false);
    expect(widens(f, { ...f, minSeverity: 'high' })).toBe(false);
    expect(widens(f, { ...f, categories: new Set<Category>(['contact', 'medical', 'extreme']) })).toBe(true);
    expect(widens(f, { ...f, minSeverity: 'low' })).toBe(true);
    expect(widens(f, { ...f, streams: ['r1', 'r2'] })).toBe(true);
    expect(widens(f, { ...f, streams: [] })).toBe(true);
    expect(widens({ ...f, streams: [] }, f)).toBe(false);
  });

  test('stream ids from the search box', () => {
    expect(parseStreams(' r1, r2  r3,,r1 ')).toEqual(['r1', 'r2', 'r3']);
    expect(parseStreams('')).toEqual([]);
  });

  test('matches category, minimum severity and stream', () => {
    const f = { categories: new Set<Category>(['contact']), minSeverity: 'medium' as Severity, streams: ['r1'] };
    expect(matchesFlag(f, flag(1, 'contact', 'medium'))).toBe(true);
    expect(matchesFlag(f, flag(1, 'contact', 'low'))).toBe(false);
    expect(matchesFlag(f, flag(1, 'extreme', 'critical'))).toBe(false);
    expect(matchesFlag(f, flag(1, 'contact', 'high', 'r2'))).toBe(false);
  });
});
