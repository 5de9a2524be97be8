/**
 * SegmentLines against the simple model (the file split on newlines): every complete line, and
 * `readStarting` only the lines that start with a prefix, whatever the read size (lines across
 * reads, lines longer than the buffer, a torn last line, prefixes inside other lines' text).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentLines } from '../../src/backtest/segment-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'pkguard-seglines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rnd(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const PIECES = ['{"t":"dismiss","flagId":"f1"}', '{"t":"dis', '{"t":"d', '{"t":"msg","text":"{\\"t\\":\\"dismiss\\""}', '价格', 'x', '😀', '{"t":"dismissed"}', ' {"t":"dismiss"}'];

describe('SegmentLines', () => {
  it('reads the lines the model reads, and readStarting the ones with the prefix, for any read size', () => {
    const r = rnd(7);
    const prefix = Buffer.from('{"t":"dismiss"');
    for (let trial = 0; trial < 60; trial++) {
      const lines = Array.from({ length: 1 + Math.floor(r() * 60) }, () => Array.from({ length: Math.floor(r() * 5) }, () => PIECES[Math.floor(r() * PIECES.length)]!).join(''));
      const torn = r() < 0.3 ? '{"t":"dismiss","flagId":"torn"' : '';
      const file = join(dir, `s${trial}.ndjson`);
      writeFileSync(file, lines.join('\n') + '\n' + torn);
      const whole = lines.filter((l) => l.length > 0);
      const starting = whole.filter((l) => l.startsWith(prefix.toString()));
      for (const chunk of [8, 17, 64, 4096]) {
        const got: string[] = [];
        new SegmentLines(chunk).read(file, (buf, s, e) => got.push(buf.toString('utf8', s, e)));
        expect(got).toEqual(whole);
        const found: string[] = [];
        new SegmentLines(chunk).readStarting(file, prefix, (buf, s, e) => found.push(buf.toString('utf8', s, e)));
        expect(found).toEqual(starting);
      }
    }
  });
});
