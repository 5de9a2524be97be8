/**
 * Every input scans in time proportional to its length. Relative, not absolute: a 1 MB message
 * must cost about ten times a 100 KB one of the same content (bound: 4×, generous for a noisy
 * machine; a quadratic path would be ~100×).
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';
import { TEST_LEXICON } from './fixture-lexicon.js';

const scanner = createScanner({ lexicon: TEST_LEXICON });

const SHAPES: Record<string, string> = {
  'repeated digits': '1',
  'a single character': '最',
  'a repeated term start': '全网最',
  'nested symbols': '(([[{{<<',
  'allow and banned overlapping': '最近最低价第一次销量第一',
  'url-like dots': 'a.b@',
  'pinyin letters': 'jiaweixin ',
  'long latin word': 'x',
  'emoji and surrogates': '🍑\ud800🛰️',
  'spaced digits': '1 3 9 ',
};

function medianMs(fn: () => void, runs = 3): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[1]!;
}

describe('linear time on hostile input', () => {
  for (const [name, unit] of Object.entries(SHAPES)) {
    test(name, () => {
      const big = unit.repeat(Math.ceil(1_000_000 / unit.length));
      const small = big.slice(0, 100_000);
      scanner.scan(small); // warm up
      const tSmall = medianMs(() => scanner.scan(small));
      const tBig = medianMs(() => scanner.scan(big));
      expect(tBig / Math.max(tSmall * 10, 1)).toBeLessThan(4);
    });
  }
});
