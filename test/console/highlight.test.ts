import { describe, expect, test } from 'vitest';
import { carriedSnippet, snippet } from '../../src/console/highlight.js';

describe('snippet', () => {
  test('short text: whole message, span in the middle', () => {
    expect(snippet('这是全网最低价哦', 2, 7)).toEqual({ before: '这是', match: '全网最低价', after: '哦' });
  });

  test('long text is cut around the span with ellipses', () => {
    const text = 'a'.repeat(100) + 'MATCH' + 'b'.repeat(100);
    const s = snippet(text, 100, 105, 10);
    expect(s).toEqual({ before: '…' + 'a'.repeat(10), match: 'MATCH', after: 'b'.repeat(10) + '…' });
  });

  test('cuts never split a surrogate pair', () => {
    const text = '😀😀😀X😀😀😀';
    const s = snippet(text, 6, 7, 3); // 3 units back lands inside the second emoji
    expect(s.match).toBe('X');
    expect(s.before).toBe('…😀😀'); // widened to the whole pair, not cut inside it
    for (const part of [s.before, s.after]) expect(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(part)).toBe(false);
  });

  test('out-of-range offsets are clamped, not thrown', () => {
    expect(snippet('abc', 2, 99)).toEqual({ before: 'ab', match: 'c', after: '' });
    expect(snippet('abc', -5, 1)).toEqual({ before: '', match: 'a', after: 'bc' });
  });
});

describe('carriedSnippet', () => {
  test('marks the end of the previous text', () => {
    expect(carriedSnippet('这个价格是全网最', '全网最')).toEqual({ before: '这个价格是', match: '全网最', after: '' });
  });

  test('without the previous text the carried part is shown alone', () => {
    expect(carriedSnippet(undefined, '全网最')).toEqual({ before: '', match: '全网最', after: '' });
    expect(carriedSnippet('别的文字', '全网最')).toEqual({ before: '', match: '全网最', after: '' });
  });
});
