/**
 * Reads a segment as complete lines. A last line without its newline is a write in progress (or
 * torn by a crash) and is not returned; `tail` reports its length so the caller can decide.
 */
import { open } from 'node:fs/promises';

const CHUNK = 256 * 1024;

export interface LineReadResult {
  /** Bytes after the last newline: a torn or in-progress line. */
  tailBytes: number;
  /** Byte offset just past the last complete line (while reading: past the line just returned). */
  goodBytes: number;
}

/** `maxBytes`: read no further than this offset (the durable end of a segment being appended to). */
export async function* readLines(path: string, result?: LineReadResult, maxBytes = Infinity): AsyncGenerator<string> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let carry: Buffer[] = [];
    let carryBytes = 0;
    let offset = 0;
    let good = 0;
    for (;;) {
      const want = Math.min(CHUNK, maxBytes - offset);
      if (want <= 0) break;
      const { bytesRead } = await fh.read(buf, 0, want, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
      let from = 0;
      for (let nl = buf.indexOf(10, 0); nl !== -1 && nl < bytesRead; nl = buf.indexOf(10, from)) {
        const piece = buf.subarray(from, nl);
        let line: string;
        if (carryBytes > 0) {
          line = Buffer.concat([...carry, piece]).toString('utf8');
          carry = [];
          carryBytes = 0;
        } else line = piece.toString('utf8');
        good = offset - bytesRead + nl + 1;
        from = nl + 1;
        if (result) result.goodBytes = good;
        if (line.length > 0) yield line;
      }
      if (from < bytesRead) {
        carry.push(Buffer.from(buf.subarray(from, bytesRead)));
        carryBytes += bytesRead - from;
      }
    }
    if (result) {
      result.tailBytes = carryBytes;
      result.goodBytes = good;
    }
  } finally {
    await fh.close();
  }
}
