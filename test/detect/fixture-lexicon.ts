/** A small lexicon written for these tests, so they pin down mechanisms, not bundled content. */
import type { ScannerOptions } from '../../src/index.js';

export const TEST_LEXICON: NonNullable<ScannerOptions['lexicon']> = {
  terms: [
    { phrase: '全网最低价', category: 'extreme', severity: 'high' },
    { phrase: '最低价', category: 'extreme', severity: 'medium' },
    { phrase: '最低', category: 'extreme', severity: 'medium' },
    { phrase: '最有效', category: 'extreme', severity: 'medium' },
    { phrase: '销量第一', category: 'extreme', severity: 'medium' },
    { phrase: '第一', category: 'extreme', severity: 'low' },
    { phrase: '黄片', category: 'extreme', severity: 'low' },
    { phrase: '独家', category: 'exclusive', severity: 'medium', options: ['phonetic'] },
    { phrase: '降糖', category: 'medical', severity: 'high' },
    { phrase: '降血压', category: 'medical', severity: 'high' },
    { phrase: '治好', category: 'medical', severity: 'high' },
    { phrase: '抗癌', category: 'medical', severity: 'critical' },
    { phrase: 'cure', category: 'medical', severity: 'high' },
    { phrase: 'star', category: 'extreme', severity: 'low', options: ['exact'] },
    { phrase: 'lowest price', category: 'extreme', severity: 'medium' },
    { phrase: '加微信', category: 'contact', severity: 'high' },
    { phrase: '微信', category: 'contact', severity: 'medium', options: ['phonetic'] },
    { phrase: 'vx', category: 'contact', severity: 'medium' },
    { phrase: '淘宝', category: 'contact', severity: 'medium', options: ['phonetic'] },
  ],
  allow: [
    { phrase: '最近', categories: [] },
    { phrase: '第一次', categories: ['extreme'] },
    { phrase: '三黄片', categories: [] },
    { phrase: '微信支付', categories: ['contact'] },
    { phrase: '度假', categories: ['exclusive'] },
    { phrase: '最低档', categories: ['extreme'] },
  ],
};
