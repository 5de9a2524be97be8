/**
 * The bytes of the records waiting for the journal's next group commit: each record is encoded as
 * it is appended, as one JSON line straight into a buffer that is reused from commit to commit.
 *
 * Why: building the batch as strings (a line per record, concatenated, joined, then copied into a
 * new Buffer) allocated about 1.3 KB of heap per ingest message (the JSON text of a message with
 * Chinese text is a two-byte string, then the joined copy) and a fresh external buffer per commit;
 * that was the largest allocation site of the ingest path (bench:e2e, sampling heap profile).
 *
 * The bytes are `JSON.stringify(record)` encoded as UTF-8, exactly what the journal wrote before
 * (json-bytes.ts writes the common records without the intermediate string), so old and new
 * journals read the same. Two buffers take turns: appends go to one while the
 * other is being written.
 */

import { recordBound, writeRecord } from './json-bytes.js';

/** A buffer is kept for reuse up to this size; a larger one (a flood's batch) is left to the GC. */
const KEEP_BYTES = 4 * 1024 * 1024;
const INITIAL_BYTES = 64 * 1024;

export class RecordBytes {
  #buf: Buffer;
  #len = 0;
  /** The other buffer, free for the next turn (undefined while it is being written). */
  #spare: Buffer | undefined;
  /** The buffer handed out by `take`, until `release`. */
  #taken: Buffer | undefined;

  constructor(initialBytes = INITIAL_BYTES) {
    this.#buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Bytes pending. */
  get length(): number {
    return this.#len;
  }

  /** Appends one record as a JSON line. */
  push(record: object): void {
    const bound = recordBound(record);
    if (bound !== Infinity) {
      this.#reserve(bound + 1);
      this.#len = writeRecord(this.#buf, this.#len, record);
      this.#buf[this.#len++] = 0x0a;
      return;
    }
    const json = JSON.stringify(record);
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 for 2), plus the newline.
    // JSON.stringify escapes lone surrogates, so the text is well formed and encodes losslessly.
    this.#reserve(json.length * 3 + 1);
    this.#len += this.#buf.write(json, this.#len);
    this.#buf[this.#len++] = 0x0a;
  }

  /**
   * What is pending, to be written; appends continue in the other buffer. The bytes stay valid
   * until `release` (call it once the write is done, whether it succeeded or not).
   */
  take(): Buffer {
    const out = this.#buf.subarray(0, this.#len);
    this.#taken = this.#buf;
    this.#buf = this.#spare ?? Buffer.allocUnsafe(INITIAL_BYTES);
    this.#spare = undefined;
    this.#len = 0;
    return out;
  }

  /** The taken bytes are no longer needed: their buffer serves a later turn. */
  release(): void {
    const b = this.#taken;
    this.#taken = undefined;
    if (b !== undefined && b.length <= KEEP_BYTES) this.#spare = b;
  }

  /** Drops what is pending (its appends failed). */
  clear(): void {
    this.#len = 0;
  }

  #reserve(bytes: number): void {
    if (this.#len + bytes <= this.#buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + bytes));
    this.#buf.copy(grown, 0, 0, this.#len);
    this.#buf = grown;
  }
}
