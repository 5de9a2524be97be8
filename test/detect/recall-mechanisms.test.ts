/**
 * Recall by mechanism, session 9 (issue 15): each row is a sentence invented for this test, of a kind
 * a fresh probe set missed, found through a set, a generator or a detector rather than its own phrase.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();
const cats = (text: string) => scanner.scan(text).map((f) => f.category);

describe('flagged', () => {
  test.each([
    // {~set}: a condition's last 病/症 said by a common same-tone homophone.
    ['我婆婆的心脏并喝了半年这个茶好多了', 'medical'],
    ['他那个抑郁正吃了两个疗程全没了', 'medical'],
    // Testimony generators: not back since, reversible, relieved at once, a symptom stopped.
    ['我的荨麻疹涂了一个月一直没有再犯过', 'medical'],
    ['我家老人的骨質疏鬆用了一年都沒有再發作', 'medical'],
    ['很多人不知道老花眼是能逆转的', 'medical'],
    ['宝宝腹泻喝了一包当天就停了', 'medical'],
    ['我的偏头痛贴上去马上缓解', 'medical'],
    ['高血压的朋友吃了三个月，高压稳定了', 'medical'],
    ['gxy的叔叔喝了俩月，血压值现在都是正常的', 'medical'],
    // {≈字}: 顶级 with a common homophone of 级, the 顶 kept.
    ['这块牛排是顶极的雪花', 'extreme'],
    // +V: the plus stands for 加.
    ['想拿内部价的 +vx 找我', 'contact'],
    ['细节不方便说＋Q', 'contact'],
    // A host asking for viewers' numbers.
    ['宝子们把你们的电话号码报一下，我挨个回', 'contact'],
    // Supply exclusivity through what other channels do not get.
    ['这个折扣品牌方绝不给其他直播间', 'exclusive'],
    ['供应商要是敢给隔壁供货我们就撤', 'exclusive'],
  ])('%s → %s', (text, category) => expect(cats(text)).toContain(category));
});

describe('not flagged', () => {
  test.each([
    '这个保温杯能顶几天不充电', // 几 jǐ is not a homophone of 级 jí
    '机票已经帮你订好了，顶层的座位',
    '这个价格加运费一共是1+1件',
    'Ctrl+V 粘贴一下订单号',
    '我们厂家不给退货的理由是已经拆封了',
    '你的手机号码要填对，不然快递送不到',
    '血压正常的朋友也可以放心喝',
    '老人家的威信还在，说话大家都听',
  ])('%s', (text) => expect(cats(text)).toEqual([]));
});
