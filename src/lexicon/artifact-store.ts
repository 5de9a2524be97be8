/**
 * A compiled lexicon from its artifact when that is fresh, else compiled (and the artifact refreshed).
 *
 *   const { lexicon, from } = await openCompiledLexicon({ lexiconDir, log });
 *
 * An artifact is used only when it is whole (digest), of this format, and keyed by this build, these
 * lexicon files and these options (artifact-key.ts). Anything else is logged (`artifact_rejected`,
 * with the coded ArtifactError) and the lexicon is compiled; an artifact of the right build whose
 * lexicon part is stale still lends its fold tables, which saves the half second they take to build.
 * A refreshed artifact is written atomically (temp file + rename); failing to write one is logged,
 * never fatal. The compile modules (and zod, opencc-js, pinyin-pro behind them) are imported only
 * when a compile is needed.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ArtifactError } from '../errors.js';
import { adoptFoldTables, foldTables } from '../normalize/tables.js';
import { decodeArtifact, encodeArtifact, writeFileAtomic, type ArtifactKey } from './artifact-file.js';
import { artifactFileIn, buildKey, cacheDirs, lexiconKey, optionsKey, packageVersion } from './artifact-key.js';
import { decodeFoldTables, decodePayload, encodePayload } from './artifact-payload.js';
import { BUNDLED_LEXICON_DIR } from './bundled.js';
import type { CompiledLexicon } from './compile.js';

export type ArtifactEvent =
  | { event: 'artifact_loaded'; file: string; ms: number }
  | { event: 'artifact_rejected'; file: string; code: string; reason: string; message: string }
  | { event: 'artifact_written'; file: string; bytes: number; ms: number }
  | { event: 'artifact_write_failed'; file: string; message: string }
  | { event: 'lexicon_compiled'; ms: number };

export interface OpenLexiconOptions {
  /** Default: the bundled lexicons. */
  lexiconDir?: string;
  /**
   * The artifact file. Default: one per lexicon folder in the cache folder (artifact-key.ts).
   * `false`: neither read nor write one.
   */
  artifact?: string | false;
  /** Compile options (part of the key). None exist yet; kept so adding one invalidates old artifacts. */
  options?: Readonly<Record<string, unknown>>;
  /** Told what happened to the artifact (load, rejection with its reason, write). */
  log?: (event: ArtifactEvent) => void;
  /** Read only: compile when stale but do not refresh the artifact. */
  readOnly?: boolean;
}

export interface OpenedLexicon {
  lexicon: CompiledLexicon;
  from: 'artifact' | 'compile';
  /** The artifact file read or written, if any. */
  file: string | undefined;
}

/** The files an artifact is read from (in order) and written to (the first that can be). */
function artifactFiles(opts: OpenLexiconOptions, dir: string): string[] {
  if (opts.artifact === false) return [];
  if (opts.artifact !== undefined) return [opts.artifact];
  return cacheDirs().map((c) => artifactFileIn(c, dir));
}

export async function openCompiledLexicon(opts: OpenLexiconOptions = {}): Promise<OpenedLexicon> {
  const dir = opts.lexiconDir ?? BUNDLED_LEXICON_DIR;
  const log = opts.log ?? (() => {});
  const files = artifactFiles(opts, dir);
  const explicit = opts.artifact !== undefined;
  let key: ArtifactKey | undefined;
  try {
    key = { build: buildKey(), lexicon: lexiconKey(dir), options: optionsKey(opts.options ?? {}) };
  } catch {
    key = undefined; // an unreadable folder: the compile below reports it as a LexiconError
  }
  if (key) {
    for (const file of files) {
      const t0 = performance.now();
      const found = tryArtifact(file, key, explicit, log);
      if (found === undefined) continue;
      if ('lexicon' in found) {
        log({ event: 'artifact_loaded', file, ms: Math.round(performance.now() - t0) });
        return { lexicon: found.lexicon, from: 'artifact', file };
      }
      break; // a stale artifact lent its fold tables; compile
    }
  }
  const t0 = performance.now();
  const lexicon = await compileDir(dir);
  log({ event: 'lexicon_compiled', ms: Math.round(performance.now() - t0) });
  // Files edited during the compile: the result matches neither key, so store nothing.
  if (key && !opts.readOnly && files.length > 0 && safeLexiconKey(dir) === key.lexicon) {
    const written = writeLexiconArtifact(files, explicit, key, lexicon, log);
    return { lexicon, from: 'compile', file: written };
  }
  return { lexicon, from: 'compile', file: undefined };
}

/** Compiles a lexicon folder (imports the compile modules on first use). */
export async function compileDir(dir: string): Promise<CompiledLexicon> {
  const [{ compileLexicon }, { loadLexiconDir }] = await Promise.all([import('./compile.js'), import('./load.js')]);
  return compileLexicon(loadLexiconDir(dir));
}

/**
 * Reads one artifact: the lexicon when fresh, `{}` when it was stale but lent its fold tables,
 * undefined when missing or unusable.
 */
function tryArtifact(file: string, key: ArtifactKey, explicit: boolean, log: (e: ArtifactEvent) => void): { lexicon: CompiledLexicon } | {} | undefined {
  let bytes: Buffer;
  try {
    if (!explicit && !privateDir(dirname(file))) return undefined;
    bytes = readFileSync(file);
  } catch {
    return undefined; // none yet
  }
  try {
    const contents = decodeArtifact(file, bytes);
    const got = contents.header.key;
    for (const part of ['build', 'options', 'lexicon'] as const) {
      if (got?.[part] === key[part]) continue;
      const stale = new ArtifactError(file, part, `made for another ${part === 'build' ? 'pkguard build' : part === 'lexicon' ? 'set of lexicon files' : 'set of compile options'}`);
      if (part !== 'build') adoptFoldTables(decodeFoldTables(contents.meta, contents.sections, contents.lazyMeta));
      throw stale;
    }
    const payload = decodePayload(contents.meta, contents.sections, contents.lazyMeta);
    adoptFoldTables(payload.fold);
    return { lexicon: payload.lexicon };
  } catch (err) {
    const e = err instanceof ArtifactError ? err : new ArtifactError(file, 'malformed', (err as Error).message);
    log({ event: 'artifact_rejected', file, code: e.code, reason: e.reason, message: e.message });
    return e.reason === 'lexicon' || e.reason === 'options' ? {} : undefined;
  }
}

/** Writes the artifact to the first of `files` that can be written; returns it, or undefined. */
export function writeLexiconArtifact(files: readonly string[], explicit: boolean, key: ArtifactKey, lexicon: CompiledLexicon, log: (e: ArtifactEvent) => void): string | undefined {
  const t0 = performance.now();
  let bytes: Buffer;
  try {
    const { meta, lazy, sections } = encodePayload(foldTables(), lexicon);
    bytes = encodeArtifact(packageVersion(), key, meta, sections, lazy);
  } catch (err) {
    log({ event: 'artifact_write_failed', file: files[0] ?? '', message: (err as Error).message });
    return undefined;
  }
  for (const file of files) {
    try {
      if (explicit) mkdirSync(dirname(file), { recursive: true });
      else if (!privateDir(dirname(file), true)) throw new Error(`${dirname(file)} is not a private folder of this user`);
      writeFileAtomic(file, bytes);
      if (!explicit) pruneCache(dirname(file), file);
      log({ event: 'artifact_written', file, bytes: bytes.length, ms: Math.round(performance.now() - t0) });
      return file;
    } catch (err) {
      log({ event: 'artifact_write_failed', file, message: (err as Error).message });
    }
  }
  return undefined;
}

/**
 * A cache folder another user cannot write (created 0700 when `create`): an artifact is trusted
 * data (a planted one could empty the lexicon), so one in a shared temp dir must be ours alone.
 */
function privateDir(dir: string, create = false): boolean {
  try {
    if (create) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    }
    const st = statSync(dir);
    if (!st.isDirectory()) return false;
    if (typeof process.getuid !== 'function') return true;
    if (st.uid !== process.getuid()) return false;
    if ((st.mode & 0o022) !== 0) {
      if (!create) return false;
      chmodSync(dir, st.mode & ~0o022);
    }
    return true;
  } catch {
    return false;
  }
}

/** Most artifacts a cache folder keeps (one per lexicon folder: temp folders of tests come and go). */
const CACHE_KEEP = 32;
const STRAY_TMP_MS = 3600_000;

/** Drops the least recently written artifacts past CACHE_KEEP, and temp files a crash left behind. */
function pruneCache(dir: string, keep: string): void {
  try {
    const now = Date.now();
    const found = readdirSync(dir)
      .filter((n) => n.startsWith('lexicon-') && (n.endsWith('.pkgl') || n.endsWith('.tmp')))
      .map((n) => ({ path: join(dir, n), mtime: statSync(join(dir, n)).mtimeMs, tmp: n.endsWith('.tmp') }));
    for (const f of found) if (f.tmp && now - f.mtime > STRAY_TMP_MS) rmSync(f.path, { force: true });
    const artifacts = found.filter((f) => !f.tmp && f.path !== keep).sort((a, b) => b.mtime - a.mtime);
    for (const f of artifacts.slice(CACHE_KEEP - 1)) rmSync(f.path, { force: true });
  } catch {
    // Pruning is housekeeping: another process may be pruning the same folder.
  }
}

function safeLexiconKey(dir: string): string | undefined {
  try {
    return lexiconKey(dir);
  } catch {
    return undefined;
  }
}
