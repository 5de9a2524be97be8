/**
 * NDJSON lines of a byte stream: split at `\n` only, a `\r` before it dropped (CRLF files).
 * Not node:readline: from Node 22 on it also breaks lines at U+2028 and U+2029, which JSON allows
 * raw inside strings (ASR text carries them), so one request came out as several broken lines.
 *
 * Lines are found on bytes: `\n` (0x0A) never occurs inside a UTF-8 sequence, so each input chunk is
 * cut after its last `\n` and that part decoded with one `toString` (no streaming decoder: the result
 * is exactly the whole input decoded at once, then split). The bytes after the last `\n` wait for the
 * next chunk; a long line is gathered in parts and joined once, so a 4 MiB line stays linear.
 *
 * `ndjsonBlocks` yields decoded blocks of whole lines: the scan CLI walks a block with a LineCursor
 * and writes the answers of all its lines in one write. `ndjsonLines` yields single lines.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** What the readers take: a stream, or any (async) iterable of chunks. */
export type ByteSource = Readable | AsyncIterable<Buffer | string> | Iterable<Buffer | string>;

/**
 * Most bytes decoded by one `toString`: V8 decodes a 64 KiB piece ~2.5× faster per byte than a
 * 128 KiB or larger one (measured, bench/cli), so a big read is decoded in pieces cut at `\n`.
 */
export const DECODE_PIECE = 1 << 16;

/**
 * The input in blocks of whole lines as bytes, each line ending in `\n` (the last block of an input
 * without a final `\n` ends without one), one block per input chunk that completes a line. A block
 * may share memory with the reader's reused buffer: use it before asking for the next.
 */
export async function* ndjsonByteBlocks(input: ByteSource): AsyncGenerator<Buffer> {
  let carry: Buffer[] = [];
  for await (const data of input as AsyncIterable<Buffer | string>) {
    // Text chunks (a stream with an encoding set) were decoded from UTF-8: encoding them back is exact.
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) {
      if (chunk.length > 0) carry.push(Buffer.from(chunk)); // copied: the reader may reuse its buffer
      continue;
    }
    let block = chunk.subarray(0, last + 1);
    if (carry.length > 0) {
      carry.push(block);
      block = Buffer.concat(carry);
      carry = [];
    }
    if (last + 1 < chunk.length) carry.push(Buffer.from(chunk.subarray(last + 1)));
    yield block;
  }
  if (carry.length > 0) yield Buffer.concat(carry);
}

/** The input in blocks of whole decoded lines (ndjsonByteBlocks, decoded by decodePieces). */
export async function* ndjsonBlocks(input: ByteSource): AsyncGenerator<string[]> {
  for await (const bytes of ndjsonByteBlocks(input)) yield decodePieces(bytes);
}

/** `bytes` (whole lines) decoded in pieces of about DECODE_PIECE bytes, each cut after a `\n`. */
export function decodePieces(bytes: Buffer): string[] {
  const pieces: string[] = [];
  const end = bytes.length;
  for (let at = 0; at < end; ) {
    let cut = end;
    if (end - at > DECODE_PIECE) {
      const nl = bytes.lastIndexOf(0x0a, at + DECODE_PIECE - 1);
      cut = nl >= at ? nl + 1 : bytes.indexOf(0x0a, at + DECODE_PIECE) + 1 || end; // a line longer than a piece
    }
    pieces.push(bytes.toString('utf8', at, cut));
    at = cut;
  }
  return pieces;
}

/**
 * A file's bytes, read synchronously into one reused buffer (a read stream allocates a buffer per
 * read and hands each to the main thread through the thread pool). Each chunk is valid only until the
 * next is asked for; ndjsonBlocks decodes or copies it before that.
 */
export function* fileChunks(path: string | number, size = 1 << 20): Generator<Buffer> {
  const fd = typeof path === 'number' ? path : openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafeSlow(size);
    for (let n = readSync(fd, buf, 0, size, null); n > 0; n = readSync(fd, buf, 0, size, null)) yield buf.subarray(0, n);
  } finally {
    if (typeof path !== 'number') closeSync(fd);
  }
}

/**
 * The line of `block` starting at `start`, without its `\n` and a `\r` before that; its end (the
 * index after the `\n`) is left in `next.end`. One object for the whole walk, no per-line allocation.
 */
export class LineCursor {
  end = 0;
  next(block: string, start: number): string {
    let nl = block.indexOf('\n', start);
    if (nl < 0) nl = block.length;
    this.end = nl + 1;
    const stop = nl > start && block.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
    return block.slice(start, stop);
  }
}

/** The complete lines of each input chunk together (the ingest CLI's reader). */
export async function* ndjsonBatches(input: ByteSource): AsyncGenerator<string[]> {
  const cursor = new LineCursor();
  for await (const blocks of ndjsonBlocks(input)) {
    const batch: string[] = [];
    for (const block of blocks) for (let at = 0; at < block.length; at = cursor.end) batch.push(cursor.next(block, at));
    yield batch;
  }
}

export async function* ndjsonLines(input: ByteSource): AsyncGenerator<string> {
  for await (const batch of ndjsonBatches(input)) yield* batch;
}
