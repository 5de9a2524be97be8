/**
 * At most `maxFlagsPerMessage` flags per message (src/detect/flag-writer.ts): the most severe are
 * kept, the earliest first within a severity, and they come out in text order.
 */
import { describe, expect, test } from 'vitest';
import { compile, createScanner, Scanner } from '../../src/index.js';
import { InputError } from '../../src/errors.js';
import { FlagIdAllocator } from '../../src/flag.js';

const lexicon = {
  terms: [
    { phrase: '全网最低价', category: 'extreme' as const, severity: 'high' as const },
    { phrase: '第一', category: 'extreme' as const, severity: 'low' as const },
    { phrase: '抗癌', category: 'medical' as const, severity: 'critical' as const },
  ],
};

describe('flags per message are capped', () => {
  test('3,000 repeated claims in one chat line raise the first 100', () => {
    const text = '全网最低价，'.repeat(3000);
    const flags = createScanner({ lexicon }).scan(text);
    expect(flags).toHaveLength(100);
    expect(flags.map((f) => f.start)).toEqual(Array.from({ length: 100 }, (_, i) => 6 * i));
  });

  test('a critical claim cannot hide behind many low ones', () => {
    const text = '第一，'.repeat(150) + '抗癌';
    const flags = createScanner({ lexicon }).scan(text);
    expect(flags).toHaveLength(100);
    expect(flags.at(-1)).toMatchObject({ term: '抗癌', severity: 'critical', start: 450 });
    expect(flags.slice(0, 99).map((f) => f.start)).toEqual(Array.from({ length: 99 }, (_, i) => 3 * i));
  });

  test('negated claims do not take room under the cap', () => {
    const text = '不是全网最低价，'.repeat(200) + '全网最低价'.repeat(3);
    const flags = createScanner({ lexicon, maxFlagsPerMessage: 2 }).scan(text);
    expect(flags.map((f) => f.start)).toEqual([1600, 1605]);
  });

  test('the cap is an option, a positive integer', () => {
    expect(createScanner({ lexicon, maxFlagsPerMessage: 5 }).scan('第一，'.repeat(9))).toHaveLength(5);
    expect(createScanner({ lexicon, maxFlagsPerMessage: 1e9 }).scan('第一，'.repeat(300))).toHaveLength(300);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => createScanner({ lexicon, maxFlagsPerMessage: bad })).toThrow(InputError);
  });

  test('what the cap left out is counted: claims past the full cap, never claims negated or judged out', () => {
    const scanner = (cap: number) => new Scanner(compile({ lexicon }), new FlagIdAllocator(1), cap);
    const s = scanner(100);
    expect(s.scan('全网最低价，'.repeat(3000))).toHaveLength(100);
    expect(s.droppedInLastScan).toBe(2900);
    // Every claim negated: the cap never fills, so nothing was dropped by it (it read 198 before).
    const two = scanner(2);
    expect(two.scan('不是全网最低价，'.repeat(200))).toEqual([]);
    expect(two.droppedInLastScan).toBe(0);
    // 200 negated, then 3 that stand: the third is past the full cap.
    expect(two.scan('不是全网最低价，'.repeat(200) + '全网最低价'.repeat(3))).toHaveLength(2);
    expect(two.droppedInLastScan).toBe(1);
    // Under the cap: 0, and the count does not linger from the message before.
    expect(two.scan('全网最低价')).toHaveLength(1);
    expect(two.droppedInLastScan).toBe(0);
  });
});
