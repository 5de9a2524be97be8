/**
 * A contact split across transcript chunks is flagged on the chunk where it completes, not early
 * on the chunk that only began it (flag-writer.ts numberBegunAtEnd, contact-ids.ts pendingCue).
 * Sentences invented for this test.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();
let n = 0;
const pushAll = (chunks: string[]) => {
  const s = scanner.stream(`split-${n++}`);
  return chunks.map((c) => s.push(c).map((f) => `${f.category}:${f.matched}`));
};

describe('a number begun at a chunk end', () => {
  test.each([
    [['加我，手机号是13', '9 1122 3344 随时打'], 'contact:9 1122 3344'],
    [['宝宝们qq号是7', '77665544'], 'contact:77665544'],
    [['电话是幺三八', '零零一一二二三三四'], ''],
  ])('%j: nothing on the first chunk, the contact on the second', (chunks, second) => {
    const [first, last] = pushAll(chunks);
    expect(first).toEqual([]);
    if (second) expect(last).toContain(second);
    else expect(last!.some((f) => f.startsWith('contact:'))).toBe(true);
  });
  test('a cue with words after it is flagged where it is', () => {
    expect(pushAll(['我的手机号码发在粉丝群了'])[0]!.some((f) => f.startsWith('contact:'))).toBe(true);
  });
  test('a whole number at a chunk end is flagged on that chunk', () => {
    expect(pushAll(['有事打13811223344'])[0]).toEqual(['contact:13811223344']);
  });
  test('WeChat Pay split after V is payment, not contact', () => {
    expect(pushAll(['付款方式支持V', '信支付和支付宝']).flat()).toEqual([]);
  });
});
