/**
 * What a stream chunk leaves open at its end waits for the next chunk (src/detect/open-ends.ts, the
 * held reading of a digit run in contact-numbers.ts), and a match begun in an earlier chunk is
 * judged on the stream's tail and the chunk together (flag-writer.ts). Sentences invented for this test.
 */
import { describe, expect, test } from 'vitest';
import { openEnds, MIN_FAMILY } from '../../src/detect/open-ends.js';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();
let n = 0;
const pushAll = (chunks: string[]) => {
  const s = scanner.stream(`open-${n++}`);
  return chunks.map((c) => s.push(c).map((f) => `${f.category}:${f.term}`));
};

describe('a term heading a family of longer terms waits at a chunk end', () => {
  test('the cure verb and its condition are one flag, on the chunk that completes them', () => {
    const [first, second] = pushAll(['我们家这款泡脚粉能治疗', '老寒腿，泡一个礼拜就见效']);
    expect(first).toEqual([]);
    expect(second.some((f) => f.startsWith('medical:') && f.includes('老寒腿'))).toBe(true);
  });
  test('a bare verb with no condition after it is still flagged, one chunk late', () => {
    const [first, second] = pushAll(['这款药酒专治', '家里老人都爱喝']);
    expect(first).toEqual([]);
    expect(second).toEqual(['medical:专治']);
  });
  test('a sentence end closes it: flagged where it is', () => {
    expect(pushAll(['这个方子能根治。'])[0]).toEqual(['medical:根治']);
  });
  test('a single message holds nothing', () => {
    expect(scanner.scan('这款药酒专治').map((f) => f.term)).toEqual(['专治']);
  });
  test('only verbs put on a set of objects head a family (a claim with a variant or two does not)', () => {
    const ends = openEnds(scanner.lexicon);
    const headed = scanner.lexicon.entries.flatMap((e, i) => (ends.heads[i] ? [e.phrase] : []));
    expect(headed).toContain('根治');
    expect(headed).not.toContain('全网最低');
    expect(MIN_FAMILY).toBeGreaterThan(8);
    expect(pushAll(['这双鞋是全网最低', '价，只有今天'])[0]).toEqual(['extreme:全网最低']);
  });
});

describe('an unfinished Latin word at a chunk end', () => {
  test('a cue before the start of a channel name waits for the name', () => {
    const [first, second] = pushAll(['Text me on Whats', 'App if you want the bulk price']);
    expect(first).toEqual([]);
    expect(second.some((f) => f.startsWith('contact:whats'))).toBe(true);
  });
});

describe('a number that may still grow waits at a chunk end', () => {
  test('a mobile begun after a cue: nothing early, the number on the completing chunk', () => {
    const [first, second] = pushAll(['售后直接打这个电话159 8765', '4321，白天都有人接']);
    expect(first).toEqual([]);
    expect(second).toEqual(['contact:phone']);
  });
  test('a cue with the first spoken digits of its number waits for the rest (one phrase, flagged once complete)', () => {
    const [first, second] = pushAll(['坏了的话拨我手机洞二', '五八三六七四一九零，随时打']);
    expect(first).toEqual([]);
    expect(second.every((f) => f.startsWith('contact:'))).toBe(true);
    expect(second.length).toBeGreaterThan(0);
  });
  test('a cue with no digits after it is flagged at once', () => {
    expect(pushAll(['有事打我电话', '明天再说'])[0].length).toBeGreaterThan(0);
  });
  test('when the next chunk does not go on with digits, the reading held stands', () => {
    const [first, second] = pushAll(['售后直接打这个电话159 8765', '白天都有人接']);
    expect(first).toEqual([]);
    expect(second).toEqual(['contact:phone']);
  });
});

describe('context across the seam', () => {
  test('a disclaimer whose claim word is split by the seam', () => {
    expect(pushAll(['本品是食品，不具备治', '疗功能，身体不适请就医']).flat()).toEqual([]);
  });
  test('a channel named to pay with, split inside its name', () => {
    expect(pushAll(['付钱可以用微', '信或者银行卡付款都行']).flat()).toEqual([]);
  });
  test('a claim split by the seam with no context is flagged on the completing chunk', () => {
    const [first, second] = pushAll(['这个贴膏治', '疗颈椎病特别快']);
    expect(first).toEqual([]);
    expect(second.some((f) => f.startsWith('medical:'))).toBe(true);
  });
});

describe('releasing what is held', () => {
  test('an empty chunk releases a held term and a held number', () => {
    const s = scanner.stream(`open-release-${n++}`);
    expect(s.push('这个方子专治')).toEqual([]);
    expect(s.push('').map((f) => [f.term, f.carried])).toEqual([['专治', '专治']]);
    expect(s.push('客服电话137 2468')).toEqual([]);
    expect(s.push('').map((f) => f.term)).toEqual(['phone']);
  });
});
