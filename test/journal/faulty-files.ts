/**
 * A `SegmentFiles` that injects faults, deterministically, for the journal's writer:
 *
 * - at a chosen call of `write`, `datasync` or `truncate` (counted over all files, 1-based): fail
 *   with ENOSPC or EIO, or (for `write`) write only some bytes and return that short count;
 * - "disk full": from `fill(left)` on, writes take at most `left` more bytes (a straddling write
 *   is short, the next one gets ENOSPC) until `release()`; a truncate gives space back;
 * - a durability model: bytes count as on disk only once a `datasync` covering them succeeded,
 *   and a new file only once its directory was fsynced (`syncDir`);
 *   a failed `datasync` poisons what it did not make durable (Linux may drop those dirty pages and
 *   report the file clean afterwards: fsyncgate). `powerLoss()` rewrites every file it has seen as
 *   a power cut would leave it: cut at its last synced byte, poisoned bytes zeroed.
 *
 * Everything else goes to node:fs, so a real journal directory is read back afterwards.
 */
import { closeSync, existsSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { nodeFiles, type AppendFile, type SegmentFiles } from '../../src/journal/files.js';

export type FaultOp = 'write' | 'datasync' | 'truncate';
export type FaultKind = 'ENOSPC' | 'EIO' | 'short';

export interface Fault {
  op: FaultOp;
  /** The call of `op` (counted over all files since the layer was made, 1-based) that fails. */
  at: number;
  kind: FaultKind;
  /** For `short`: how many bytes that write takes (default: half of what it was asked, at least 1). */
  bytes?: number;
}

export interface FiredFault extends Fault {
  path: string;
}

const errno = (code: 'ENOSPC' | 'EIO', op: string, path: string) =>
  Object.assign(new Error(`${code}: ${code === 'ENOSPC' ? 'no space left on device' : 'i/o error'}, ${op} '${path}'`), { code, syscall: op, path });

interface FileModel {
  /** Bytes a successful datasync covered. */
  synced: number;
  /** Ranges [from, to) a failed datasync left non-durable. */
  poisoned: [number, number][];
}

export class FaultyFiles implements SegmentFiles {
  readonly calls: Record<FaultOp, number> = { write: 0, datasync: 0, truncate: 0 };
  readonly fired: FiredFault[] = [];
  #faults: Fault[] = [];
  /** Bytes the "disk" still takes; undefined: unlimited. */
  #left: number | undefined;
  #fillAt: { at: number; left: number } | undefined;
  #pauses: { op: FaultOp; at: number; arrived: () => void; gate: Promise<void> }[] = [];
  /** Files created whose directory entry no directory fsync has covered yet. */
  readonly #created = new Set<string>();
  readonly #files = new Map<string, FileModel>();

  constructor(faults: readonly Fault[] = []) {
    this.#faults = [...faults];
  }

  /** Fails the `n`-th call of `op` from now (1: the next one). */
  failNext(op: FaultOp, kind: FaultKind, n = 1, bytes?: number): void {
    this.#faults.push({ op, at: this.calls[op] + n, kind, ...(bytes !== undefined ? { bytes } : {}) });
  }

  /** The disk fills: only `left` more bytes can be written, until `release()`. */
  fill(left = 0): void {
    this.#left = left;
  }

  /**
   * Holds the `at`-th call of `op` until `resume()` (a slow disk): lets a test append while a
   * write is in flight. `reached` resolves when the call arrives.
   */
  pauseAt(op: FaultOp, at: number): { reached: Promise<void>; resume: () => void } {
    let arrived!: () => void;
    let resume!: () => void;
    const reached = new Promise<void>((r) => (arrived = r));
    const gate = new Promise<void>((r) => (resume = r));
    this.#pauses.push({ op, at, arrived, gate });
    return { reached, resume };
  }

  /** The disk fills at the `at`-th write call (counted as faults are): from it on, only `left` more bytes. */
  fillAtWrite(at: number, left = 0): void {
    this.#fillAt = { at, left };
  }

  release(): void {
    this.#left = undefined;
    this.#fillAt = undefined;
  }

  get full(): boolean {
    return this.#left !== undefined && this.#left <= 0;
  }

  /** Faults scheduled and not yet fired. */
  get armed(): number {
    return this.#faults.length;
  }

  async openAppend(path: string): Promise<AppendFile> {
    if (!existsSync(path)) this.#created.add(path);
    const inner = await nodeFiles.openAppend(path);
    let model = this.#files.get(path);
    // A file first seen here (written before this layer existed) is on disk as it is.
    if (!model) this.#files.set(path, (model = { synced: await inner.size(), poisoned: [] }));
    const m = model;
    return {
      write: async (buf, offset, length) => {
        const fault = this.#take('write', path);
        await this.#pause('write', this.calls.write);
        if (this.#fillAt && this.calls.write >= this.#fillAt.at) {
          this.#left = this.#fillAt.left;
          this.#fillAt = undefined;
        }
        if (fault?.kind === 'ENOSPC' || fault?.kind === 'EIO') throw errno(fault.kind, 'write', path);
        // A replay may have cut the file through node:fs meanwhile.
        this.#clip(m, await inner.size());
        let n = length;
        if (fault?.kind === 'short') n = Math.max(1, Math.min(length - 1, fault.bytes ?? Math.floor(length / 2)));
        if (this.#left !== undefined) {
          if (this.#left <= 0) throw errno('ENOSPC', 'write', path);
          n = Math.min(n, this.#left);
          this.#left -= n;
        }
        return inner.write(buf, offset, n);
      },
      datasync: async () => {
        const fault = this.#take('datasync', path);
        await this.#pause('datasync', this.calls.datasync);
        const size = await inner.size();
        if (fault && fault.kind !== 'short') {
          if (size > m.synced) m.poisoned.push([m.synced, size]);
          throw errno(fault.kind, 'fdatasync', path);
        }
        await inner.datasync();
        m.synced = size;
      },
      truncate: async (length) => {
        const fault = this.#take('truncate', path);
        await this.#pause('truncate', this.calls.truncate);
        if (fault && fault.kind !== 'short') throw errno(fault.kind, 'ftruncate', path);
        const before = await inner.size();
        await inner.truncate(length);
        if (this.#left !== undefined && before > length) this.#left += before - length;
        this.#clip(m, length);
      },
      size: () => inner.size(),
      close: () => inner.close(),
    };
  }

  async syncDir(dir: string): Promise<void> {
    for (const path of this.#created) if (dirname(path) === dir) this.#created.delete(path);
    await nodeFiles.syncDir!(dir);
  }

  /**
   * Every file this layer opened, as a power cut would leave it: a file created since the last
   * fsync of its directory is gone (its entry was never durable), what no successful datasync
   * covered is gone, what a failed one left behind reads as zeros. Returns the bytes lost per file.
   */
  powerLoss(): Record<string, number> {
    const lost: Record<string, number> = {};
    for (const path of this.#created) {
      if (!existsSync(path)) continue;
      lost[path] = statSync(path).size;
      rmSync(path);
    }
    this.#created.clear();
    for (const [path, m] of this.#files) {
      if (!existsSync(path) || path in lost) continue;
      const size = statSync(path).size;
      const keep = Math.min(size, m.synced);
      if (keep < size) truncateSync(path, keep);
      const fd = openSync(path, 'r+');
      try {
        for (const [from, to] of m.poisoned) {
          const end = Math.min(to, keep);
          if (end > from) writeSync(fd, Buffer.alloc(end - from, 0), 0, end - from, from);
        }
      } finally {
        closeSync(fd);
      }
      lost[path] = size - keep;
    }
    return lost;
  }

  /** The layer's view of a file after something else (a replay) cut it. */
  #clip(m: FileModel, length: number): void {
    m.synced = Math.min(m.synced, length);
    m.poisoned = m.poisoned.filter(([from]) => from < length).map(([from, to]) => [from, Math.min(to, length)] as [number, number]);
  }

  async #pause(op: FaultOp, n: number): Promise<void> {
    const i = this.#pauses.findIndex((p) => p.op === op && p.at === n);
    if (i < 0) return;
    const [p] = this.#pauses.splice(i, 1);
    p!.arrived();
    await p!.gate;
  }

  #take(op: FaultOp, path: string): Fault | undefined {
    const n = ++this.calls[op];
    const i = this.#faults.findIndex((f) => f.op === op && f.at === n);
    if (i < 0) return undefined;
    const [fault] = this.#faults.splice(i, 1);
    this.fired.push({ ...fault!, path });
    return fault;
  }
}
