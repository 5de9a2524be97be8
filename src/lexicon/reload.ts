/**
 * Lexicon hot reload for a running server: watches the lexicon folder, waits for the files to
 * settle, compiles off to the side, refuses a result that would lose terms (reload-guard.ts),
 * swaps the new lexicon in, and reports every outcome. The serving lexicon is never touched by a
 * reload that fails or is refused.
 *
 *   const reloader = new LexiconReloader({
 *     dir, compile: () => compileInWorker(dir),
 *     current: () => scanner.lexicon, apply: (l) => scanner.swapLexicon(l),
 *     onOutcome: (o) => metrics.lexiconReloads.inc({ outcome: o.outcome }),
 *   });
 *   reloader.watch();                         // file events → one reload once they settle
 *   await reloader.reload({ trigger: 'SIGHUP' });
 *   await reloader.reload({ force: true });   // accept a change the guard refused
 *   reloader.close();
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { LexiconReloadRefusedError } from '../errors.js';
import type { CompiledLexicon } from './compile.js';
import { DEFAULT_MAX_DROP_SHARE, DEFAULT_MIN_DROPPED, lexiconDrops } from './reload-guard.js';

/** What one reload did. `ms` is the time from its start to its outcome (compile included). */
export type ReloadOutcome =
  | { outcome: 'ok'; trigger: string; forced: boolean; ms: number; lexicon: CompiledLexicon; patterns: number; entries: number }
  | { outcome: 'refused'; trigger: string; ms: number; error: LexiconReloadRefusedError }
  | { outcome: 'failed'; trigger: string; ms: number; error: Error };

export interface LexiconReloaderOptions {
  /** The folder to watch (the one `compile` reads). */
  dir: string;
  /** Loads and compiles the lexicon off the hot path (the server passes `() => compileInWorker(dir)`). */
  compile: () => Promise<CompiledLexicon>;
  /** The lexicon serving now: the guard's baseline. */
  current: () => CompiledLexicon;
  /** Swaps an accepted lexicon in. */
  apply: (lexicon: CompiledLexicon) => void;
  /** Called once per reload with its outcome (log it, count it). */
  onOutcome?: (outcome: ReloadOutcome) => void;
  /** fs.watch failed (at start or later); explicit `reload()` calls still work. */
  onWatchError?: (err: Error) => void;
  /** Quiet time after the last file event before reloading. Default 500 ms. */
  settleMs?: number;
  /** Longest wait from the first event of a burst: files that never stop changing still reload. Default 5000 ms. */
  maxWaitMs?: number;
  /** Largest share of a file's (or all) entries a reload may drop unless forced. Default 0.2. */
  maxDropShare?: number;
  /** Smallest number of lost entries that counts against `maxDropShare`. Default 10. */
  minDropped?: number;
}

export interface ReloadRequest {
  /** Why: logged with the outcome (`SIGHUP`, `file changed`, `admin`). Default `manual`. */
  trigger?: string;
  /** Skip the guard: accept a lexicon that loses files or entries. */
  force?: boolean;
}

export const DEFAULT_SETTLE_MS = 500;
export const DEFAULT_MAX_WAIT_MS = 5000;

interface Queued {
  trigger: string;
  force: boolean;
  promise: Promise<ReloadOutcome>;
  resolve: (o: ReloadOutcome) => void;
}

export class LexiconReloader {
  readonly #opts: LexiconReloaderOptions;
  readonly #settleMs: number;
  readonly #maxWaitMs: number;
  #watcher: FSWatcher | undefined;
  #settle: NodeJS.Timeout | undefined;
  #maxWait: NodeJS.Timeout | undefined;
  #running: Promise<ReloadOutcome> | undefined;
  #queued: Queued | undefined;
  #closed = false;
  /** The current burst of file events named a *.tsv file. */
  #tsvEvent = false;
  /** The *.tsv files (name, inode, size, mtime) as the last reload, or the watch start, found them. */
  #seen = '';

  constructor(options: LexiconReloaderOptions) {
    this.#opts = options;
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.#maxWaitMs = Math.max(options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS, this.#settleMs);
  }

  /** True while a reload is compiling. */
  get busy(): boolean {
    return this.#running !== undefined;
  }

  /** Starts watching `dir`; a burst of file events becomes one reload once the files settle. */
  watch(): void {
    if (this.#watcher || this.#closed) return;
    this.#seen = this.#fingerprint();
    try {
      this.#watcher = watch(this.#opts.dir, (_event, name) => this.#onFileEvent(name));
      this.#watcher.on('error', (err) => this.#opts.onWatchError?.(err));
    } catch (err) {
      this.#opts.onWatchError?.(err as Error);
    }
  }

  /**
   * Reloads now (pending file events are folded in). While a reload runs, further requests are
   * coalesced into one more reload after it, which reads the files as they are then; every caller
   * gets the outcome of the reload that covers its request. Never rejects.
   */
  reload(request: ReloadRequest = {}): Promise<ReloadOutcome> {
    const trigger = request.trigger ?? 'manual';
    const force = request.force === true;
    this.#clearTimers();
    this.#tsvEvent = false;
    if (!this.#running) return this.#start(trigger, force);
    if (!this.#queued) {
      let resolve!: (o: ReloadOutcome) => void;
      const promise = new Promise<ReloadOutcome>((r) => (resolve = r));
      this.#queued = { trigger, force, promise, resolve };
    } else {
      this.#queued.force ||= force;
      if (!this.#queued.trigger.split(', ').includes(trigger)) this.#queued.trigger += `, ${trigger}`;
    }
    return this.#queued.promise;
  }

  /** Stops watching and drops pending file events. A reload already running still completes. */
  close(): void {
    this.#closed = true;
    this.#clearTimers();
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  #onFileEvent(name: string | Buffer | null): void {
    if (this.#closed) return;
    if (name !== null && String(name).endsWith('.tsv')) this.#tsvEvent = true;
    clearTimeout(this.#settle);
    this.#settle = setTimeout(() => this.#fire(), this.#settleMs);
    this.#maxWait ??= setTimeout(() => this.#fire(), this.#maxWaitMs);
  }

  #fire(): void {
    const tsv = this.#tsvEvent;
    this.#tsvEvent = false;
    this.#clearTimers();
    // Editors also write swap files, backups and probes (.x.tsv.swp, x.tsv~, 4913), which the
    // loader never reads: an event naming no *.tsv reloads only if some *.tsv really changed. That
    // still catches a folder whose files are swapped in by a symlink (a Kubernetes ConfigMap
    // renames `..data`): their inodes change. Only a *.tsv event skips the check, since a
    // same-size rewrite may keep the mtime on a coarse-clock file system.
    if (!tsv && this.#fingerprint() === this.#seen) return;
    void this.reload({ trigger: 'file changed' });
  }

  /** Name, inode, size and mtime of every *.tsv (through symlinks): cheap, no file is read. */
  #fingerprint(): string {
    let names: string[];
    try {
      names = readdirSync(this.#opts.dir).filter((n) => n.endsWith('.tsv')).sort();
    } catch (err) {
      return `unreadable: ${(err as Error).message}`;
    }
    return names
      .map((n) => {
        try {
          const st = statSync(join(this.#opts.dir, n));
          return `${n}:${st.ino}:${st.size}:${st.mtimeMs}`;
        } catch {
          return `${n}:gone`;
        }
      })
      .join('\n');
  }

  #clearTimers(): void {
    clearTimeout(this.#settle);
    clearTimeout(this.#maxWait);
    this.#settle = undefined;
    this.#maxWait = undefined;
  }

  #start(trigger: string, force: boolean): Promise<ReloadOutcome> {
    const running = this.#run(trigger, force).then((outcome) => {
      this.#running = undefined;
      const next = this.#queued;
      this.#queued = undefined;
      if (next) void this.#start(next.trigger, next.force).then(next.resolve);
      return outcome;
    });
    this.#running = running;
    return running;
  }

  async #run(trigger: string, force: boolean): Promise<ReloadOutcome> {
    const t0 = performance.now();
    if (this.#watcher) this.#seen = this.#fingerprint(); // before the compile reads: a later change differs
    const ms = () => Math.round(performance.now() - t0);
    let outcome: ReloadOutcome;
    try {
      const next = await this.#opts.compile();
      const maxDropShare = this.#opts.maxDropShare ?? DEFAULT_MAX_DROP_SHARE;
      const drops = force ? [] : lexiconDrops(this.#opts.current(), next, { maxDropShare, minDropped: this.#opts.minDropped ?? DEFAULT_MIN_DROPPED });
      if (drops.length > 0) {
        outcome = { outcome: 'refused', trigger, ms: ms(), error: new LexiconReloadRefusedError(drops, maxDropShare) };
      } else {
        this.#opts.apply(next);
        const entries = Object.values(next.fileEntries).reduce((a, b) => a + b, 0);
        outcome = { outcome: 'ok', trigger, forced: force, ms: ms(), lexicon: next, patterns: next.automaton.patternCount, entries };
      }
    } catch (err) {
      outcome = { outcome: 'failed', trigger, ms: ms(), error: err instanceof Error ? err : new Error(String(err)) };
    }
    try {
      this.#opts.onOutcome?.(outcome);
    } catch {
      // A failing logger must not turn a finished reload into an unhandled rejection.
    }
    return outcome;
  }
}
