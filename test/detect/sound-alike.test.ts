import { describe, expect, test } from 'vitest';
import { createScanner, type Flag } from '../../src/index.js';
import { TEST_LEXICON } from './fixture-lexicon.js';

const scanner = createScanner({
  lexicon: { terms: [...TEST_LEXICON.terms, { phrase: '加微', category: 'contact', severity: 'high', options: ['idafter'] }], allow: TEST_LEXICON.allow },
});
const terms = (flags: Flag[]) => flags.map((f) => [f.term, f.matched]);

describe('idafter: a sound-alike in other characters needs an id after it', () => {
  test('names that sound like the term are not contact', () => {
    expect(scanner.scan('今天嘉薇给大家带来新款')).toEqual([]);
    expect(scanner.scan('佳伟哥哥这把PK赢了')).toEqual([]); // Latin later in the sentence is no id after the term
    expect(scanner.scan('家伟一起来看')).toEqual([]); // 一 folds to a digit but is not one here
  });

  test('the same sound-alike before an id is contact', () => {
    expect(terms(scanner.scan('嘉薇：abc123'))).toEqual([['加微', '嘉薇'], ['handle', 'abc123']]); // 薇 also cues the id
    expect(terms(scanner.scan('佳伟 ✨ wx_8899'))).toEqual([['加微', '佳伟'], ['handle', 'wx_8899']]); // the id after a disguised cue is its own span (contact-ids.ts)
    expect(terms(scanner.scan('嘉薇号8899'))).toEqual([['加微', '嘉薇']]);
    expect(terms(scanner.scan('嘉薇①③⑧'))).toEqual([['加微', '嘉薇']]);
  });

  test('a sound-alike keeping one of the characters, or typed pinyin, needs nothing after it', () => {
    expect(terms(scanner.scan('家人们加薇拿优惠'))).toEqual([['加微', '加薇']]);
    expect(terms(scanner.scan('jia wei 领券'))).toEqual([['加微', 'jia wei']]);
  });

  test('terms without the option keep every sound-alike', () => {
    expect(terms(scanner.scan('主播有没有威芯'))).toEqual([['微信', '威芯']]);
  });
});

describe('an extreme claim heard by sound only in the words before its literal marker is another word', () => {
  const lead = createScanner({
    lexicon: {
      terms: [
        { phrase: '见过最好', category: 'extreme', severity: 'medium' },
        { phrase: '是最久的', category: 'extreme', severity: 'medium' },
        { phrase: '全网最便宜', category: 'extreme', severity: 'high' },
      ],
      allow: [],
    },
  });
  const found = (text: string) => lead.scan(text).map((f) => [f.term, f.matched]);

  test('an ordinary word before an ordinary 最 is no claim', () => {
    expect(found('坚果最好冷藏')).toEqual([]); // 坚果 jian guo sounds like 见过
    expect(found('她是我认识最久的朋友')).toEqual([]); // 识 shi sounds like 是
  });

  test('the claim as written, a disguised marker or tail, and typed pinyin stay claims', () => {
    expect(found('这是我见过最好的')).toEqual([['见过最好', '见过最好']]);
    expect(found('这是我见过醉好的')).toEqual([['见过最好', '见过醉好']]);
    expect(found('全网最便谊')).toEqual([['全网最便宜', '全网最便谊']]);
    expect(found('jian guo zui hao')).toEqual([['见过最好', 'jian guo zui hao']]);
  });
});
