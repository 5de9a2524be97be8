/**
 * The append-only journal, the file `StreamLog`: NDJSON segments in one directory, appended with
 * group commit (every record appended while a write+fsync is in flight goes out in the next single
 * write+fsync), so a caller acks only after `append` resolves and a crash loses nothing acked.
 *
 * Layout: `<dir>/segment-<12 digits>.ndjson`. A segment is rotated past `segmentBytes`; the new one
 * starts with a snapshot record (see records.ts), so retention can delete whole old segments by
 * total size and age without losing state. The snapshot is taken at once but written in the
 * background (snapshot-line.ts): batches go on into the old segment meanwhile, and the snapshot
 * names where they start (`tail`), for replay to read them right after it. Appends switch to the new
 * segment once its snapshot and everything it counts are durable. Retention keeps three segments, so a
 * damaged snapshot falls back to the one before it, tail included. A torn last line (a crash mid-write) is cut off
 * at open with a warning; a damaged or invalid record elsewhere is skipped with a warning and
 * counted. Neither is fatal.
 *
 * A failed or short write (ENOSPC, EIO) is cut back to the last whole record, and every append not
 * yet durable is rejected (the caller built state on them, see StreamLog.append); until `probe`
 * succeeds the journal reports `failure`.
 */
import { mkdirSync } from 'node:fs';
import { readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import type { Flag } from '../flag.js';
import { JournalError } from '../errors.js';
import type { FlagEntry } from '../stream/contracts.js';
import type { SnapshotState, StreamLog } from '../stream/log.js';
import type { SnapshotRecord, StreamRecord } from '../stream/records.js';
import { nodeFiles, writeFully, type AppendFile, type SegmentFiles } from './files.js';
import { readLines, type LineReadResult } from './lines.js';
import { RecordBytes } from './record-bytes.js';
import { flagEntriesAfter, parseLine, replayStart, type Segment } from './segment-reader.js';
import { SegmentRotation, type RotationDetail } from './rotation.js';

export interface JournalOptions {
  dir: string;
  /** Rotate the active segment once it is at least this big. Default 64 MiB. */
  segmentBytes?: number;
  /** Delete the oldest segments while all of them together exceed this. Default 1 GiB. */
  retainBytes?: number;
  /** Delete segments whose last write is older than this. Default 7 days. */
  retainMs?: number;
  /** fsync each batch. Only tests of other things turn this off. Default true. */
  fsync?: boolean;
  /** Called at rotation: the state to open the next segment with. */
  snapshot: () => SnapshotState;
  /** The file layer (tests inject faults here). Default: node:fs. */
  files?: SegmentFiles;
  warn: (event: string, detail: Record<string, unknown>) => void;
  /**
   * Called after each batch is durable: its size and how long the write (+ fsync) took; `detail`
   * splits it into write(2), fdatasync and the wait from the batch's first append to its write.
   */
  onWrite?: (records: number, bytes: number, seconds: number, detail: WriteDetail) => void;
  /** Called when a rotation's snapshot is durable (whether or not appends have switched to it yet). */
  onRotate?: (detail: RotationDetail) => void;
}


export { JournalError } from '../errors.js';
export type { RotationDetail } from './rotation.js';

/** Where one batch's time went, in seconds (see `JournalOptions.onWrite`). */
export interface WriteDetail {
  write: number;
  sync: number;
  wait: number;
}

/** What a probe writes: room for a batch, not a byte (see `probe`). */
const PROBE = Buffer.alloc(64 * 1024, 0x0a);

const NAME = /^segment-(\d{12})\.ndjson$/;
const segmentName = (index: number) => `segment-${String(index).padStart(12, '0')}.ndjson`;

type ResolvedOptions = Required<Omit<JournalOptions, 'snapshot' | 'warn' | 'onWrite' | 'onRotate'>> & Pick<JournalOptions, 'snapshot' | 'warn' | 'onWrite' | 'onRotate'>;

export class Journal implements StreamLog {
  readonly dir: string;
  readonly #opts: ResolvedOptions;
  readonly #segments: Segment[];
  #fh: AppendFile | undefined;
  /** Records skipped on replay because they were damaged or of the wrong shape. */
  badRecords = 0;
  /** The records appended since the last write began, already encoded (record-bytes.ts). */
  readonly #bytes = new RecordBytes();
  /** Appends since the last write began (an empty append still waits for the commit). */
  #pendingAppends = 0;
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #pendingRecords = 0;
  /** When the first record of the batch now pending was appended (performance.now()). */
  #pendingSince = 0;
  /** Number of the first flag among the pending records, noted on the segment they are written to. */
  #pendingFirstFlag: number | undefined;
  #flushing = false;
  /** The flush loop running now (its rotation and retention included), for `close` to wait on. */
  #running: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;
  #failure: Error | undefined;
  /** The rotation under way, until appends switch to its segment or it is discarded (rotation.ts). */
  #rotation: SegmentRotation | undefined;
  /** Retention running after a switch (it never rejects), for `close` to wait on. */
  #retaining: Promise<void> = Promise.resolve();
  /** Records appended so far that are not yet durable. */
  get pending(): number {
    return this.#pendingRecords;
  }
  /** The last write or fsync failed (the disk is full or gone): not ready. */
  get failure(): Error | undefined {
    return this.#failure;
  }

  private constructor(opts: ResolvedOptions, segments: Segment[]) {
    this.dir = opts.dir;
    this.#opts = opts;
    this.#segments = segments;
  }

  /** Opens (creating) the directory and repairs a torn tail. Call `replay()` before appending. */
  static async open(options: JournalOptions): Promise<Journal> {
    const opts = {
      segmentBytes: 64 * 1024 * 1024,
      retainBytes: 1024 * 1024 * 1024,
      retainMs: 7 * 24 * 3600 * 1000,
      fsync: true,
      files: nodeFiles,
      ...options,
    };
    try {
      mkdirSync(opts.dir, { recursive: true });
    } catch (err) {
      throw new JournalError(opts.dir, `cannot create the journal directory: ${(err as Error).message}`, err);
    }
    const names = (await readdir(opts.dir)).filter((n) => NAME.test(n)).sort();
    const segments: Segment[] = [];
    for (const name of names) {
      const path = join(opts.dir, name);
      segments.push({ index: Number(NAME.exec(name)![1]), path, bytes: (await stat(path)).size, firstFlag: undefined });
    }
    return new Journal(opts, segments);
  }

  /**
   * Every valid record from the oldest segment whose state is complete (the first segment ever, or
   * one that opens with an intact snapshot), in order. Cuts a torn last line off the newest segment
   * and skips damaged or invalid records, each with a warning. (Re)opens the newest segment for
   * appending when done; a processor rebuilding after a failed write calls it again.
   */
  async *replay(): AsyncGenerator<StreamRecord> {
    // A rebuild after a failed write reads the active segment only as far as it is durable: the
    // failed batch may still be there (its cut back failed too), never acked and never signalled.
    const rebuilding = this.#fh !== undefined;
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
    const { from, tailFrom } = await replayStart(this.#segments, this.#opts.warn);
    /** The records the start segment's snapshot does not count from the segment before it, held until it is yielded. */
    let tail: StreamRecord[] | undefined;
    for (let i = 0; i < this.#segments.length; i++) {
      const seg = this.#segments[i]!;
      const last = i === this.#segments.length - 1;
      const result: LineReadResult = { tailBytes: 0, goodBytes: 0 };
      const tailOf = tailFrom !== undefined && i === from - 1;
      let lineNo = 0;
      let lineStart = 0;
      for await (const line of readLines(seg.path, result, rebuilding && last ? seg.bytes : Infinity)) {
        lineNo++;
        const at = lineStart;
        lineStart = result.goodBytes;
        const rec = this.#parse(line, seg.path, lineNo);
        if (!rec) continue;
        if (rec.t === 'msg') this.#noteFlags(seg, rec.flags);
        // Older segments are read only for where their flags are (`since`); their state is in `from`'s snapshot.
        if (tailOf && at >= tailFrom) (tail ??= []).push(rec);
        else if (i >= from) {
          yield rec;
          if (tail) {
            // `from`'s first record is its snapshot (replayStart): its tail follows it.
            for (const t of tail) yield t;
            tail = undefined;
          }
        }
      }
      if (result.tailBytes > 0) {
        this.#opts.warn('journal_torn_tail', { segment: seg.index, droppedBytes: result.tailBytes, keptBytes: result.goodBytes });
        if (last) {
          await truncate(seg.path, result.goodBytes);
          seg.bytes = result.goodBytes;
        }
      }
    }
    const created = this.#segments.length === 0;
    if (created) this.#segments.push(this.#newSegment(1));
    this.#fh = await this.#opts.files.openAppend(this.#active.path);
    // The first segment's name must be durable before anything in it is acked.
    if (created && this.#opts.fsync) await this.#opts.files.syncDir?.(this.dir);
    // Rebuilding, the durable end stays where it is; `probe` cuts off what lies beyond it.
    if (!rebuilding) this.#active.bytes = await this.#fh.size();
  }

  /** Appends records; resolves once they are written and (by default) fsynced. */
  append(records: readonly StreamRecord[]): Promise<void> {
    if (this.#closed) return Promise.reject(new JournalError(this.dir, 'closed'));
    if (!this.#fh) return Promise.reject(new JournalError(this.dir, 'append before replay'));
    if (this.#failure) return Promise.reject(new JournalError(this.dir, `not writable since the last write failed: ${this.#failure.message}`));
    if (this.#pendingAppends === 0) this.#pendingSince = performance.now();
    for (const r of records) {
      this.#bytes.push(r);
      if (r.t === 'msg' && this.#pendingFirstFlag === undefined && r.flags.length > 0) this.#pendingFirstFlag = Number(r.flags[0]!.id.slice(1));
    }
    this.#pendingAppends++;
    this.#pendingRecords += records.length;
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return done;
  }

  /**
   * After a failure: a durable write of PROBE_BYTES of empty lines (which replay skips), cut back
   * to one, tells whether the disk takes writes again. Not a single byte: on a full disk that fits
   * in the slack of the file's last block, and the journal would flap between writable and failing,
   * rebuilding after every batch. Clears `failure` when it succeeds.
   */
  async probe(): Promise<boolean> {
    if (!this.#failure) return true;
    if (this.#flushing || !this.#fh) return false;
    try {
      // The cut back (or an earlier probe) may have left bytes: the file ends at its last whole record.
      if ((await this.#fh.size()) !== this.#active.bytes) await this.#fh.truncate(this.#active.bytes);
      await writeFully(this.#fh, PROBE);
      if (this.#opts.fsync) await this.#fh.datasync();
      await this.#fh.truncate(this.#active.bytes + 1);
      this.#active.bytes += 1;
      this.#failure = undefined;
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves once everything appended so far is durable. */
  barrier(): Promise<void> {
    if (this.#pendingAppends === 0 && !this.#flushing) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return done;
  }

  /**
   * Flags with a number above `after`, in order, read from the segments (durable or being written;
   * the caller dedupes against live flags by number). Older flags removed by retention are gone.
   */
  async *flagsSince(after: number): AsyncGenerator<Flag> {
    for await (const entry of this.flagEntriesSince(after)) yield entry.flag;
  }

  /** As `flagsSince`, with the text of the message each flag came from. */
  flagEntriesSince(after: number): AsyncGenerator<FlagEntry> {
    return flagEntriesAfter(this.#segments, after);
  }

  /**
   * The oldest flag number still held when retention has removed older segments; undefined while
   * the journal still holds everything it ever recorded (so `since` replays are complete).
   */
  retainedFrom(): number | undefined {
    if (this.#segments.length === 0 || this.#segments[0]!.index <= 1) return undefined;
    for (const seg of this.#segments) if (seg.firstFlag !== undefined) return seg.firstFlag;
    return undefined;
  }

  /** Flushes what is pending and closes the active segment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.barrier().catch(() => undefined);
    // The barrier resolves once its batch is durable; the same flush may go on to rotate and delete
    // old segments. Closed means no more I/O: a journal reopened at once listed a segment this one
    // then deleted (ENOENT in its replay).
    while (this.#running) await this.#running;
    await this.#finishRotation();
    await this.#retaining;
    this.#closed = true;
    await this.#fh?.close();
    this.#fh = undefined;
  }

  get segmentCount(): number {
    return this.#segments.length;
  }

  get #active(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  /** A line as a valid record, or undefined (warned and counted). */
  #parse(line: string, path: string, lineNo: number): StreamRecord | undefined {
    const parsed = parseLine(line);
    if (parsed.ok) return parsed.record;
    this.badRecords++;
    const segment = path.slice(-31);
    if (parsed.damaged) this.#opts.warn('journal_damaged_line', { segment, line: lineNo, bytes: line.length });
    else this.#opts.warn('journal_invalid_record', { segment, line: lineNo, reason: parsed.reason });
    return undefined;
  }

  #newSegment(index: number): Segment {
    return { index, path: join(this.dir, segmentName(index)), bytes: 0, firstFlag: undefined };
  }

  #noteFlags(seg: Segment, flags: readonly Flag[]): void {
    if (seg.firstFlag === undefined && flags.length > 0) seg.firstFlag = Number(flags[0]!.id.slice(1));
  }

  #schedule(): void {
    if (this.#flushing || this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate, not a timer: everything appended in this turn of the event loop shares one fsync.
    setImmediate(() => {
      const run = this.#flush();
      this.#running = run;
      const done = () => {
        if (this.#running === run) this.#running = undefined;
      };
      run.then(done, done);
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    this.#flushing = true;
    while (this.#waiters.length > 0) {
      if (this.#rotation?.ready && this.#active.bytes >= this.#rotation.covers) await this.#switchTo(this.#rotation);
      const buf = this.#bytes.take();
      const waiters = this.#waiters;
      const records = this.#pendingRecords;
      // Noted on the segment the batch is written to (a rotation may come between append and write).
      const firstFlag = this.#pendingFirstFlag;
      const since = this.#pendingSince;
      this.#pendingFirstFlag = undefined;
      this.#pendingAppends = 0;
      this.#waiters = [];
      try {
        const fh = this.#fh;
        if (!fh) throw new JournalError(this.dir, 'closed');
        if (this.#failure) throw new JournalError(this.dir, `not writable since the last write failed: ${this.#failure.message}`);
        if (buf.length > 0) {
          const t0 = performance.now();
          let t1 = t0;
          try {
            await writeFully(fh, buf);
            t1 = performance.now();
            if (this.#opts.fsync) await fh.datasync();
          } catch (err) {
            await this.#cutBack(fh);
            await this.#abortRotation();
            throw err;
          }
          this.#active.bytes += buf.length;
          if (firstFlag !== undefined && this.#active.firstFlag === undefined) this.#active.firstFlag = firstFlag;
          const t2 = performance.now();
          this.#opts.onWrite?.(records, buf.length, (t2 - t0) / 1000, { write: (t1 - t0) / 1000, sync: this.#opts.fsync ? (t2 - t1) / 1000 : 0, wait: Math.max(0, t0 - since) / 1000 });
        }
        this.#pendingRecords -= records;
        for (const w of waiters) w.resolve();
        // A rotation whose own write failed is gone (its file removed): the next one may start.
        if (this.#rotation?.discarded) this.#rotation = undefined;
        if (this.#active.bytes >= this.#opts.segmentBytes && !this.#rotation && !this.#closed) this.#startRotation();
      } catch (err) {
        this.#failure ??= err as Error;
        const e = err instanceof JournalError ? err : new JournalError(this.#active.path, `write failed: ${(err as Error).message}`, err);
        // Everything appended meanwhile was built on these records: it fails with them.
        const later = this.#waiters;
        this.#pendingRecords = 0;
        this.#pendingAppends = 0;
        this.#bytes.clear();
        this.#waiters = [];
        this.#pendingFirstFlag = undefined;
        for (const w of waiters) w.reject(e);
        for (const w of later) w.reject(e);
      } finally {
        this.#bytes.release();
      }
    }
    this.#flushing = false;
  }

  /** A failed write leaves the file ending at its last whole record (best effort; `probe` repeats it). */
  async #cutBack(fh: AppendFile): Promise<void> {
    try {
      await fh.truncate(this.#active.bytes);
    } catch (err) {
      this.#opts.warn('journal_cut_back_failed', { err: (err as Error).message, bytes: this.#active.bytes });
    }
  }

  /**
   * Takes the snapshot now and writes it to the next segment in the background. It counts every
   * record appended so far: those durable, and those pending, which go to the active segment next.
   */
  #startRotation(): void {
    const t0 = performance.now();
    let state: SnapshotState;
    try {
      state = this.#opts.snapshot();
    } catch (err) {
      // Not a write failure: appending goes on in this segment, and the next batch tries again.
      this.#opts.warn('journal_rotate_failed', { err: (err as Error).message });
      return;
    }
    const take = (performance.now() - t0) / 1000;
    const active = this.#active;
    const covers = active.bytes + this.#bytes.length;
    const snapshot: SnapshotState & Pick<SnapshotRecord, 't' | 'tail'> = { t: 'snapshot', ...state, tail: { segment: active.index, from: covers } };
    const { files, fsync, warn, onRotate } = this.#opts;
    this.#rotation = new SegmentRotation({ dir: this.dir, files, fsync, warn, onRotate }, this.#newSegment(active.index + 1), covers, snapshot, take);
  }

  /** Appends go to the rotation's segment from now on; retention runs in the background. */
  async #switchTo(rotation: SegmentRotation): Promise<void> {
    this.#rotation = undefined;
    const old = this.#fh;
    this.#fh = rotation.handOver();
    this.#segments.push(rotation.next);
    await old?.close().catch((err: unknown) => this.#opts.warn('journal_close_failed', { err: (err as Error).message }));
    this.#retaining = this.#retaining.then(() => this.#retain()).catch((err: unknown) => this.#opts.warn('journal_retention_failed', { err: (err as Error).message }));
  }

  /**
   * A batch failed before the switch: its records were cut back, and the snapshot may count them.
   * The rotation's segment goes; no new rotation starts until it is gone (same name).
   */
  async #abortRotation(): Promise<void> {
    const rotation = this.#rotation;
    if (!rotation) return;
    await rotation.abort();
    if (this.#rotation === rotation) this.#rotation = undefined;
  }

  /** Closing: a rotation still writing is waited for, then switched to if it may be, else discarded. */
  async #finishRotation(): Promise<void> {
    const rotation = this.#rotation;
    if (!rotation) return;
    await rotation.done;
    if (rotation.ready && !this.#failure && this.#active.bytes >= rotation.covers) await this.#switchTo(rotation);
    else await this.#abortRotation();
  }

  /**
   * Deletes the oldest segments past the size or age limit, always keeping three: a damaged newest
   * snapshot falls back to the one before it, which needs the segment before it for its tail.
   */
  async #retain(): Promise<void> {
    const now = Date.now();
    let total = this.#segments.reduce((n, s) => n + s.bytes, 0);
    while (this.#segments.length > 3) {
      const oldest = this.#segments[0]!;
      const tooBig = total > this.#opts.retainBytes;
      const tooOld = !tooBig && now - (await stat(oldest.path)).mtimeMs > this.#opts.retainMs;
      if (!tooBig && !tooOld) break;
      await rm(oldest.path, { force: true });
      this.#segments.shift();
      total -= oldest.bytes;
    }
  }
}
