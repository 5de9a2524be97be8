/**
 * The NDJSON line splitter of `pkguard scan`: `\n` ends a line and nothing else does (Node 22+'s
 * readline also breaks at U+2028/U+2029, legal raw inside JSON strings), on every Node version.
 */
import { Readable } from 'node:stream';
import { expect, test } from 'vitest';
import { ndjsonLines } from '../../src/cli/ndjson-lines.js';

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
