/**
 * Near terms (`A … B`): the semantics table of src/detect/near.ts, run through the public scanner.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';
import { LexiconError } from '../../src/errors.js';

const term = (phrase: string, category: 'extreme' | 'medical' | 'exclusive' = 'extreme') => ({ phrase, category, severity: 'high' as const });
const scanner = () => createScanner({ lexicon: { terms: [term('全网…最低'), term('best … in the world'), term('别家…买不到', 'exclusive'), term('最低价')], allow: [{ phrase: '全网最低消费' }] } });

// [text, the matched span, or null for no near flag]
const TABLE: [string, string | null][] = [
  ['全网最低', '全网最低'],
  ['全网价格最低', '全网价格最低'],
  ['全网我们家的价格是最低', '全网我们家的价格是最低'], // 8 units between: the limit
  ['全网我们家的价格真的是最低', null], // 10 units between
  ['全 网 价 格 最 低', '全 网 价 格 最 低'], // noise does not count toward the gap
  ['全网都有卖，我们最低', null], // a clause break between the parts
  ['全网都有卖。我们最低', null],
  ['最低全网', null], // order matters
  ['the best blender in the world', 'best blender in the world'],
  ['the best coffee maker in the world', 'best coffee maker in the world'], // English gets word-sized gaps
  ['bestow in the world', null], // a part inside a word
  ['best in the worldwide', null],
  ['别家直播间根本买不到', '别家直播间根本买不到'],
];

describe('near terms', () => {
  const s = scanner();
  test.each(TABLE)('%s', (text, span) => {
    const near = s.scan(text).filter((f) => f.term.includes('…'));
    if (span === null) expect(near).toEqual([]);
    else {
      expect(near).toHaveLength(1);
      expect(near[0]!.matched).toBe(span);
      expect(text.slice(near[0]!.start, near[0]!.end)).toBe(span);
    }
  });

  test('the longest claim wins: a whole term inside a near span is one flag', () => {
    const flags = scanner().scan('全网这款最低价');
    expect(flags.map((f) => f.term)).toEqual(['全网…最低']);
  });

  test('an allow phrase over the span suppresses it', () => {
    expect(scanner().scan('全网最低消费两件')).toEqual([]);
  });

  test('split across chunks: flagged on the chunk where B arrives, A carried', () => {
    const st = scanner().stream('r1');
    expect(st.push('这个价格全网')).toEqual([]);
    const [f] = st.push('都是最低的');
    expect(f).toMatchObject({ term: '全网…最低', matched: '都是最低', start: 0, end: 4, carried: '全网' });
  });

  test('an A part is carried through a chunk without near parts while B can still reach it', () => {
    const st = scanner().stream('r3');
    expect(st.push('全网')).toEqual([]);
    expect(st.push('我们家的')).toEqual([]);
    const [f] = st.push('最低');
    expect(f).toMatchObject({ term: '全网…最低', matched: '最低', start: 0, end: 2, carried: '全网我们家的' });
    const far = scanner().stream('r4');
    far.push('全网');
    far.push('我们家的价格真的是');
    expect(far.push('最低')).toEqual([]); // 9 units between: out of reach
  });

  test('a clause break in the earlier chunk also blocks the pair', () => {
    const st = scanner().stream('r2');
    st.push('全网包邮，');
    expect(st.push('最低两件起')).toEqual([]);
  });

  test('a lexicon line with three parts or an empty part is refused with file and line', () => {
    const bad = (phrase: string) => () => createScanner({ lexicon: { terms: [{ ...term(phrase), file: 'x.tsv', line: 7 }] } });
    expect(bad('全网…最低…价')).toThrow(LexiconError);
    expect(bad('全网…最低…价')).toThrow(/x\.tsv:7.*exactly two parts/);
    expect(bad('全网… ！')).toThrow(/normalizes to nothing/);
  });
});
