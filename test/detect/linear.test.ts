/**
 * Every input scans in work proportional to its length, counted in steps (src/work-meter.ts), not
 * time: the shapes below over a small lexicon, the adversarial texts of bench/adversarial.ts and
 * any mix of their pieces over the bundled one. (A timed version of the shapes, 1 MB against 100 KB,
 * failed under a loaded machine: timing targets live in bench/adversarial.bench.ts.)
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ADVERSARIAL_PIECES, ADVERSARIES } from '../../bench/adversarial.js';
import { createScanner } from '../../src/index.js';
import { work } from '../../src/work-meter.js';
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

/**
 * Linear by a measure no noisy machine can blur: the steps the scan's loops take beyond reading
 * each unit (src/work-meter.ts: chain walks, look-backs, span reads, sorts, allow visits, search
 * fail links). A text four times as long must take at most 4.4 times the steps (a quadratic path
 * takes 16 times), and no text more than STEPS_PER_UNIT steps a unit. The long text is the short
 * one four times over, so both end alike (a run cut at the end costs the same in both).
 */
const STEPS_PER_UNIT = 64;
const bundled = createScanner(); // the real lexicons: near terms, sets, allow phrases, pinyin

function steps(scan: (text: string) => void, text: string): number {
  const before = work.steps;
  scan(text);
  return work.steps - before;
}

/** Scans `text` as stream chunks of 1 to 97 units, as transcripts arrive. */
function streamScan(id: string): (text: string) => void {
  return (text) => {
    const st = bundled.stream(id);
    for (let at = 0, k = 0; at < text.length; k++) {
      const n = 1 + ((k * 37) % 97);
      st.push(text.slice(at, at + n));
      at += n;
    }
    bundled.endStream(id);
  };
}

function expectLinear(short: string, scan: (text: string) => void): void {
  const long = short.repeat(4);
  const s = steps(scan, short);
  const l = steps(scan, long);
  expect(l).toBeLessThanOrEqual(4.4 * s + 2_000);
  expect(l).toBeLessThanOrEqual(STEPS_PER_UNIT * long.length);
}

describe('linear work on hostile shapes over a small lexicon', () => {
  test.each(Object.entries(SHAPES))('%s: 100K, then 400K', (_, unit) => {
    expectLinear(unit.repeat(Math.ceil(100_000 / unit.length)), (t) => void scanner.scan(t));
  });
});

describe('linear work on adversarial texts (steps counted, not time)', () => {
  test.each(ADVERSARIES.map((a) => [a.name, a] as const))('%s: one 16K message, then 64K', (_, adversary) => {
    expectLinear(adversary.make(16_384), (t) => void bundled.scan(t));
  });

  test.each(ADVERSARIES.map((a) => [a.name, a] as const))('%s: 16K, then 64K, as stream chunks', (name, adversary) => {
    expectLinear(adversary.make(16_384), streamScan(name));
  });

  test('property: texts repeating any few adversarial pieces, as one message or as stream chunks', () => {
    let id = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ADVERSARIAL_PIECES), { minLength: 1, maxLength: 6 }), fc.boolean(), (pieces, asStream) => {
        const unit = pieces.join('');
        const short = unit.repeat(Math.ceil(4_096 / unit.length));
        expectLinear(short, asStream ? streamScan(`p${id++}`) : (t) => void bundled.scan(t));
      }),
      { numRuns: 150 },
    );
  });
});
