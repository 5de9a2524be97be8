/**
 * The NDJSON line splitter of `pkguard scan`: `\n` ends a line and nothing else does (Node 22+'s
 * readline also breaks at U+2028/U+2029, legal raw inside JSON strings), on every Node version.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect, test } from 'vitest';
import { decodePieces, DECODE_PIECE, fileChunks, ndjsonLines } from '../../src/cli/ndjson-lines.js';

async function lines(chunks: (Buffer | string)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const l of ndjsonLines(Readable.from(chunks, { objectMode: true }))) out.push(l);
  return out;
}

test('only \\n ends a line; U+2028, U+2029 and a lone \\r do not; CRLF loses its \\r', async () => {
  expect(await lines([Buffer.from('a\u2028b\u2029c\nd\re\r\nf\n')])).toEqual(['a\u2028b\u2029c', 'd\re', 'f']);
});

test('a last line without \\n is kept; a trailing \\n adds no empty line; blank lines are kept', async () => {
  expect(await lines([Buffer.from('x\n\ny')])).toEqual(['x', '', 'y']);
  expect(await lines([Buffer.from('x\n')])).toEqual(['x']);
  expect(await lines([])).toEqual([]);
});

test('a character or a CRLF split across chunks is joined', async () => {
  const bytes = Buffer.from('全网最低价\r\n加微信\n');
  const chunks = Array.from(bytes, (b) => Buffer.from([b])); // one byte per chunk
  expect(await lines(chunks)).toEqual(['全网最低价', '加微信']);
});

test('a long line over many chunks comes out whole', async () => {
  const long = '好'.repeat(300_000);
  const bytes = Buffer.from(`${long}\nend\n`);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 65_536) chunks.push(bytes.subarray(i, i + 65_536));
  const out = await lines(chunks);
  expect(out.map((l) => l.length)).toEqual([300_000, 3]);
  expect(out[0]).toBe(long);
});

test('string chunks (an input with an encoding set) work too', async () => {
  expect(await lines(['a\u2028', 'b\nc'])).toEqual(['a\u2028b', 'c']);
});

test('a file read through one small reused buffer: lines and characters cut across reads come out whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-ndjson-'));
  try {
    const text = ['全网最低价😀', '', 'x'.repeat(100), 'a\u2028b\r', '加微信'.repeat(40), 'last'].join('\n');
    const file = join(dir, 'in.ndjson');
    writeFileSync(file, text);
    for (const size of [1, 2, 3, 7, 64, 1 << 20]) {
      const out: string[] = [];
      for await (const l of ndjsonLines(fileChunks(file, size))) out.push(l);
      expect(out, `read size ${size}`).toEqual(text.split('\n').map((l) => l.replace(/\r$/, '')));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('decodePieces: pieces of at most DECODE_PIECE bytes cut after a \\n, a longer line whole, the same text as one decode', () => {
  const line = (i: number) => `{"id":"${i}","text":"${'全网'.repeat(i % 50)}"}\n`;
  const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => line(i)).join('') + '好'.repeat(DECODE_PIECE) + '\n' + 'tail', 'utf8');
  const pieces = decodePieces(bytes);
  expect(pieces.join('')).toBe(bytes.toString('utf8'));
  expect(pieces.length).toBeGreaterThan(3);
  for (const p of pieces.slice(0, -2)) {
    expect(Buffer.byteLength(p)).toBeLessThanOrEqual(DECODE_PIECE);
    expect(p.endsWith('\n')).toBe(true);
  }
  expect(pieces.some((p) => p.startsWith('好'.repeat(100)) && Buffer.byteLength(p) > DECODE_PIECE)).toBe(true);
});
