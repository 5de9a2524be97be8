/**
 * The paths added for unseen phrasing stay linear: spoken links, numbers bridged over words, ids
 * after cues, the context case table, leetspeak and styled digits. Work is counted in steps
 * (src/work-meter.ts), not time: a text four times as long takes at most 4.4 times the steps, and
 * no text more than 64 steps a unit, as one message and as stream chunks.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';
import { work } from '../../src/work-meter.js';

const scanner = createScanner();

function steps(scan: (text: string) => void, text: string): number {
  const before = work.steps;
  scan(text);
  return work.steps - before;
}

function fill(unit: string, n: number): string {
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

const SHAPES: [string, string][] = [
  ['spoken TLD after a TLD', 'a点com'],
  ['many labels before a TLD', 'www点a点b点c点d点e点f点com '],
  ['spoken at and dot', 'x 艾特 y 点 com at dot '],
  ['numbers bridged over words after a cue', '电话138记一下0013然后'],
  ['groups of three after a cue, never a number', '手机 139 就是 139 就是 '],
  ['ids after cues', '加威芯 abc_1234 '],
  ['cues ending in separators', '加我微信：：：  '],
  ['context: prohibitions', '禁止加微信，'],
  ['context: questions', '哪个最好哪个最大'],
  ['context: English warnings', 'do not add anyone on WhatsApp '],
  ['leetspeak words', 'b3st l0w3st '],
  ['one long leet word', 'a1'],
  ['styled digits', '𝟏𝟑𝟖❶❷🅰'],
  ['half pinyin conditions', 'shi疹bi炎就好了'],
  ['testimony parts across clauses', '湿疹，不痒了，3个月，没再犯，'],
];

function streamScan(id: string): (text: string) => void {
  return (text) => {
    const st = scanner.stream(id);
    for (let at = 0, k = 0; at < text.length; k++) {
      const n = 1 + ((k * 37) % 97);
      st.push(text.slice(at, at + n));
      at += n;
    }
    scanner.endStream(id);
  };
}

describe('new paths: linear work (steps counted, not time)', () => {
  for (const [name, unit] of SHAPES) {
    for (const [how, scan] of [
      ['message', (t: string) => void scanner.scan(t)],
      ['stream', streamScan(name)],
    ] as const) {
      test(`${name} (${how})`, () => {
        const short = fill(unit, 8_192);
        const long = short.repeat(4);
        const s = steps(scan, short);
        const l = steps(scan, long);
        expect(l).toBeLessThanOrEqual(4.4 * s + 2_000);
        expect(l).toBeLessThanOrEqual(64 * long.length);
      });
    }
  }
});
