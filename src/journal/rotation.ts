/**
 * One rotation's new segment, written in the background (journal.ts decides when to start one and
 * when appends switch to it). The snapshot was taken when the rotation began; it is stringified a
 * slice at a time (snapshot-line.ts), written and made durable, name included, while batches go
 * on into the old segment. Then the rotation is `ready`; the journal hands its file over at the
 * switch, or aborts it (a batch failed: the snapshot may count records that were cut back).
 *
 * writing → ready → handed over, or → discarded (its file removed); never rejects.
 */
import { rm } from 'node:fs/promises';
import { writeFully, type AppendFile, type SegmentFiles } from './files.js';
import type { Segment, Warn } from './segment-reader.js';
import { snapshotLine } from './snapshot-line.js';

/** Where one rotation's time went, in seconds (see `JournalOptions.onRotate`). */
export interface RotationDetail {
  /** Taking the state (`JournalOptions.snapshot`): the event loop is held for all of it. */
  take: number;
  /** Stringifying it, in slices between which the loop runs: the longest slice, and all of them. */
  sliceMax: number;
  stringify: number;
  /** Open, write, fdatasync and the directory's fsync of the new segment. */
  write: number;
  bytes: number;
}

export interface RotationIo {
  dir: string;
  files: SegmentFiles;
  fsync: boolean;
  warn: Warn;
  onRotate?: ((detail: RotationDetail) => void) | undefined;
}

export class SegmentRotation {
  readonly next: Segment;
  /** The active segment's size once every record the snapshot counts is in it: appends switch only when that much is durable. */
  readonly covers: number;
  /** Settles when the background write is done, ready or not. */
  readonly done: Promise<void>;
  readonly #io: RotationIo;
  #fh: AppendFile | undefined;
  #ready = false;
  #aborted = false;
  #discarded = false;

  /** `snapshot`: the record, already taken (`take` seconds); `covers` as above. */
  constructor(io: RotationIo, next: Segment, covers: number, snapshot: object, take: number) {
    this.#io = io;
    this.next = next;
    this.covers = covers;
    this.done = this.#write(snapshot, take);
  }

  /** Its snapshot is durable, name included: appends may switch to it. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Gone: its write failed or it was aborted, and its file is removed. */
  get discarded(): boolean {
    return this.#discarded;
  }

  /** The new segment's open file, for the journal to append to from now on (call once, when ready). */
  handOver(): AppendFile {
    const fh = this.#fh!;
    this.#fh = undefined;
    this.#ready = false;
    return fh;
  }

  /** Abandons it: the segment goes, now if its write is done, else once it is. Resolves when it is gone. */
  async abort(): Promise<void> {
    this.#aborted = true;
    await this.done;
    if (!this.#discarded) await this.#discard();
  }

  async #write(snapshot: object, take: number): Promise<void> {
    const io = this.#io;
    try {
      const t0 = performance.now();
      const sliceMax = { ms: 0 };
      const buf = await snapshotLine(snapshot, undefined, sliceMax);
      const t1 = performance.now();
      if (this.#aborted) return;
      const fh = (this.#fh = await io.files.openAppend(this.next.path));
      await writeFully(fh, buf);
      if (io.fsync) {
        await fh.datasync();
        // The new segment's name too, before anything appended to it is acked.
        await io.files.syncDir?.(io.dir);
      }
      if (this.#aborted) return;
      this.next.bytes = buf.length;
      this.#ready = true;
      io.onRotate?.({ take, sliceMax: sliceMax.ms / 1000, stringify: (t1 - t0) / 1000, write: (performance.now() - t1) / 1000, bytes: buf.length });
    } catch (err) {
      io.warn('journal_rotate_failed', { err: (err as Error).message });
      this.#aborted = true;
    } finally {
      if (this.#aborted) await this.#discard();
    }
  }

  async #discard(): Promise<void> {
    this.#ready = false;
    await this.#fh?.close().catch(() => undefined);
    this.#fh = undefined;
    await rm(this.next.path, { force: true }).catch((err: unknown) => this.#io.warn('journal_undo_rotation_failed', { segment: this.next.index, err: (err as Error).message }));
    this.#discarded = true;
  }
}
