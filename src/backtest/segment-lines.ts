/**
 * A journal segment as complete lines over one large reused buffer: `onLine(buf, start, end)` gets
 * byte ranges, never strings, so a caller decodes only what it needs. A last line without its
 * newline is a write in progress (or torn by a crash) and is not returned, as in journal/lines.ts.
 * Synchronous: a backtest does nothing else while it reads, and an async iterator per line cost a
 * promise and a result object per message.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { startsWith } from './record-bytes.js';

const CHUNK = 4 * 1024 * 1024;

export type LineVisitor = (buf: Buffer, start: number, end: number) => void;

export class SegmentLines {
  #buf: Buffer;

  /** `chunk`: bytes per read (tests use small ones to put lines across reads). */
  constructor(chunk = CHUNK) {
    this.#buf = Buffer.allocUnsafe(chunk);
  }

  /**
   * Calls `onLine` only for the complete lines that start with `prefix`, found by a byte search over
   * each read (no per-line call): for a record kind that is rare in a journal, such as `dismiss`.
   */
  readStarting(path: string, prefix: Buffer, onLine: LineVisitor): void {
    // The search runs on the first 7 bytes (`{"t":"d` for dismiss): measured ~20x faster than
    // searching "\n" + prefix, whose first byte starts every line; a hit is checked in full.
    const needle = prefix.subarray(0, Math.min(prefix.length, 7));
    const fd = openSync(path, 'r');
    try {
      let have = 0;
      for (;;) {
        if (have === this.#buf.length) {
          const bigger = Buffer.allocUnsafe(this.#buf.length * 2);
          this.#buf.copy(bigger, 0, 0, have);
          this.#buf = bigger;
        }
        const buf = this.#buf;
        const n = readSync(fd, buf, have, buf.length - have, null);
        if (n === 0) break;
        const filled = have + n;
        // Whole lines only: up to the last newline; the rest waits for the next read.
        const last = buf.lastIndexOf(10, filled - 1);
        if (last === -1) {
          have = filled;
          continue;
        }
        const whole = buf.subarray(0, last + 1);
        const take = (from: number) => {
          const nl = whole.indexOf(10, from);
          if (nl > from) onLine(buf, from, nl);
        };
        // A hit counts at a line start: buf[0] (a carried part-line was moved there) or after a newline.
        for (let at = whole.indexOf(needle, 0); at !== -1; at = whole.indexOf(needle, at + 1)) {
          if ((at === 0 || buf[at - 1] === 10) && startsWith(whole, at, last, prefix)) take(at);
        }
        have = filled - (last + 1);
        if (have > 0) buf.copy(buf, 0, last + 1, filled);
      }
    } finally {
      closeSync(fd);
    }
  }

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
