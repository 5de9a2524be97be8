/**
 * `Scanner.liveCarries` (each stream keeps its lane carry live in lanes of its own, as backtest
 * replays) against the default packed carry: the same interleaved chunks of several streams, split
 * anywhere (inside terms, inside runs of repeats, inside digit runs), must raise the same flags.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';
import { TEST_LEXICON } from './fixture-lexicon.js';

describe('live stream carries', () => {
  test('property: live carries raise exactly the flags packed carries do', () => {
    const piece = fc.constantFrom('全网', '最', '低', '低低低', '价', '加', '薇', '微信', '降', '糖', 'jia wei xin', '第一', 'cure', ' lowest ', 'price', '，', '1', '38', '0013', '8000', '不是', '哈');
    const chunk = fc.array(piece, { maxLength: 12 }).map((a) => a.join(''));
    const pushes = fc.array(fc.tuple(fc.nat(3), chunk, fc.boolean()), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(pushes, (list) => {
        const packed = createScanner({ lexicon: TEST_LEXICON });
        const live = createScanner({ lexicon: TEST_LEXICON });
        live.liveCarries = true;
        list.forEach(([s, text, chat], seq) => {
          const meta = { seq, kind: chat ? ('chat' as const) : ('transcript' as const) };
          expect(live.stream(`s${s}`).push(text, meta)).toEqual(packed.stream(`s${s}`).push(text, meta));
        });
      }),
      { numRuns: 300 },
    );
  });
});
