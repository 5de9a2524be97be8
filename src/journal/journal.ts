/**
 * The append-only journal, the file `StreamLog`: NDJSON segments in one directory, appended with
 * group commit (every record appended while a write+fsync is in flight goes out in the next single
 * write+fsync), so a caller acks only after `append` resolves and a crash loses nothing acked.
 *
 * Layout: `<dir>/segment-<12 digits>.ndjson`. A segment is rotated past `segmentBytes`; the new one
 * starts with a snapshot record (see records.ts), so retention can delete whole old segments by
 * total size and age without losing state. Retention keeps two segments with intact snapshots, so a
 * damaged snapshot falls back to the one before it. A torn last line (a crash mid-write) is cut off
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
}


export { JournalError } from '../errors.js';

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

type ResolvedOptions = Required<Omit<JournalOptions, 'snapshot' | 'warn' | 'onWrite'>> & Pick<JournalOptions, 'snapshot' | 'warn' | 'onWrite'>;

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
  /**
   * The segment the last rotation started, until a batch is durable in it: its snapshot was taken
   * from state that may include records still pending, so if their write fails it must go.
   */
  #unconfirmed: Segment | undefined;
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
    const from = await replayStart(this.#segments, this.#opts.warn);
    for (let i = 0; i < this.#segments.length; i++) {
      const seg = this.#segments[i]!;
      const last = i === this.#segments.length - 1;
      const result: LineReadResult = { tailBytes: 0, goodBytes: 0 };
      let lineNo = 0;
      for await (const line of readLines(seg.path, result, rebuilding && last ? seg.bytes : Infinity)) {
        lineNo++;
        const rec = this.#parse(line, seg.path, lineNo);
        if (!rec) continue;
        if (rec.t === 'msg') this.#noteFlags(seg, rec.flags);
        // Older segments are read only for where their flags are (`since`); their state is in `from`'s snapshot.
        if (i >= from) yield rec;
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
            if (this.#unconfirmed === this.#active) await this.#undoRotation();
            throw err;
          }
          this.#unconfirmed = undefined;
          this.#active.bytes += buf.length;
          if (firstFlag !== undefined && this.#active.firstFlag === undefined) this.#active.firstFlag = firstFlag;
          const t2 = performance.now();
          this.#opts.onWrite?.(records, buf.length, (t2 - t0) / 1000, { write: (t1 - t0) / 1000, sync: this.#opts.fsync ? (t2 - t1) / 1000 : 0, wait: Math.max(0, t0 - since) / 1000 });
        }
        this.#pendingRecords -= records;
        for (const w of waiters) w.resolve();
        if (this.#active.bytes >= this.#opts.segmentBytes) await this.#rotate().catch((err: unknown) => this.#opts.warn('journal_rotate_failed', { err: (err as Error).message }));
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
   * The first batch after a rotation failed: the new segment's snapshot counts it (it was pending
   * when the snapshot was taken), so the segment goes and appending goes back to the one before.
   * Otherwise, once retention made that snapshot the start of replay, a restart would hold the
   * failed batch's seqs as processed and its shutdowns as done, though none was acked or signalled.
   */
  async #undoRotation(): Promise<void> {
    const seg = this.#segments.pop()!;
    this.#unconfirmed = undefined;
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
    await rm(seg.path, { force: true }).catch((err: unknown) => this.#opts.warn('journal_undo_rotation_failed', { segment: seg.index, err: (err as Error).message }));
    // A failure here leaves no file open: the rebuild's replay opens the active segment again.
    this.#fh = await this.#opts.files.openAppend(this.#active.path).catch(() => undefined);
  }

  /** Starts a new segment with a snapshot, then applies retention to the old ones. */
  async #rotate(): Promise<void> {
    const next = this.#newSegment(this.#active.index + 1);
    const snapshot: SnapshotRecord = { t: 'snapshot', ...this.#opts.snapshot() };
    // Appends made before the snapshot was taken and not yet written are in it (see #undoRotation).
    const coversPending = this.#pendingAppends > 0;
    const buf = Buffer.from(JSON.stringify(snapshot) + '\n', 'utf8');
    const fh = await this.#opts.files.openAppend(next.path);
    try {
      await writeFully(fh, buf);
      if (this.#opts.fsync) {
        await fh.datasync();
        // The new segment's name too, before anything appended to it is acked.
        await this.#opts.files.syncDir?.(this.dir);
      }
    } catch (err) {
      // No new segment: keep appending to the current one, and try again after the next batch.
      await fh.close().catch(() => undefined);
      await rm(next.path, { force: true });
      throw err;
    }
    next.bytes = buf.length;
    await this.#fh?.close();
    this.#fh = fh;
    this.#segments.push(next);
    if (coversPending) this.#unconfirmed = next;
    await this.#retain();
  }

  /** Deletes the oldest segments past the size or age limit, always keeping two (a damaged snapshot falls back to the older one). */
  async #retain(): Promise<void> {
    const now = Date.now();
    let total = this.#segments.reduce((n, s) => n + s.bytes, 0);
    while (this.#segments.length > 2) {
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
