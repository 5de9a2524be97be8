/**
 * The few file operations the journal's writer needs, behind an interface, so tests can inject
 * short writes, ENOSPC and EIO at chosen points (faulty-files.ts) without root or a full disk.
 */
import { open } from 'node:fs/promises';

export interface AppendFile {
  /** One `write(2)`: it may write fewer bytes than asked (a short write), or fail. */
  write(buf: Buffer, offset: number, length: number): Promise<number>;
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  /** Current size in bytes. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export interface SegmentFiles {
  /** Opens (creating) a file for appending. */
  openAppend(path: string): Promise<AppendFile>;
  /**
   * fsyncs a directory, so that files created in it survive a power cut: an fsync of a new file
   * makes its data durable, not (by POSIX, and not on every filesystem) its name in the directory.
   */
  syncDir?(dir: string): Promise<void>;
}

export const nodeFiles: SegmentFiles = {
  async syncDir(dir) {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  async openAppend(path) {
    const fh = await open(path, 'a');
    return {
      write: async (buf, offset, length) => (await fh.write(buf, offset, length)).bytesWritten,
      datasync: () => fh.datasync(),
      truncate: (length) => fh.truncate(length),
      size: async () => (await fh.stat()).size,
      close: () => fh.close(),
    };
  },
};

/** Writes all of `buf`, looping on short writes; a write that makes no progress is an error. */
export async function writeFully(file: AppendFile, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const n = await file.write(buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error(`write made no progress at byte ${off} of ${buf.length}`), { code: 'EIO' });
    off += n;
  }
}
