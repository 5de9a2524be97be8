/**
 * A journal segment as complete lines over one large reused buffer: `onLine(buf, start, end)` gets
 * byte ranges, never strings, so a caller decodes only what it needs. A last line without its
 * newline is a write in progress (or torn by a crash) and is not returned, as in journal/lines.ts.
 * Synchronous: a backtest does nothing else while it reads, and an async iterator per line cost a
 * promise and a result object per message.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK = 4 * 1024 * 1024;

export type LineVisitor = (buf: Buffer, start: number, end: number) => void;

export class SegmentLines {
  #buf = Buffer.allocUnsafe(CHUNK);

  /** Calls `onLine` for every complete, non-empty line; `onBytes` after each read with the bytes read. */
  read(path: string, onLine: LineVisitor, onBytes?: (bytes: number) => void): void {
    const fd = openSync(path, 'r');
    try {
      let have = 0; // bytes in buf: an incomplete line carried from the last read, then new bytes
      for (;;) {
        if (have === this.#buf.length) {
          // One line longer than the buffer: grow it.
          const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
          this.#buf.copy(bigger, 0, 0, have);
          this.#buf = bigger;
        }
        const buf = this.#buf;
        const n = readSync(fd, buf, have, buf.length - have, null);
        if (n === 0) break;
        onBytes?.(n);
        const filled = have + n;
        let from = 0;
        for (let nl = buf.indexOf(10, have); nl !== -1 && nl < filled; nl = buf.indexOf(10, nl + 1)) {
          if (nl > from) onLine(buf, from, nl);
          from = nl + 1;
        }
        have = filled - from;
        if (have > 0 && from > 0) buf.copy(buf, 0, from, filled);
      }
    } finally {
      closeSync(fd);
    }
  }
}
