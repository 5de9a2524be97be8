/**
 * What a compiled lexicon artifact is keyed by, and where it lives by default.
 *
 * - `build`: the artifact format version, pkguard's version, the versions of the packages compile
 *   reads (pinyin-pro, opencc-js) and the code of src/lexicon, src/match and src/normalize
 *   (the modules that decide what compile produces, scan-tables included), and src/flag.ts (the
 *   category and severity codes the scan tables hold). A code change that alters a compiled layout
 *   thus invalidates old artifacts even if nobody bumps FORMAT_VERSION. Hashing ~25 small files
 *   costs a few ms per start.
 * - `lexicon`: the lexicon folder as named (compiled entries carry file paths) and every `*.tsv`
 *   file's name and contents: the same files, in the same order, that `loadLexiconDir` reads.
 * - `options`: the compile options as canonical JSON.
 *
 * Default location: `$PKGUARD_CACHE_DIR`, else `$XDG_CACHE_HOME/pkguard`, else `~/.cache/pkguard`,
 * one file per lexicon folder; when that cannot be written (a read-only home), a private folder
 * under the OS temp dir. The package's own folder is never written, so a read-only install works.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FORMAT_VERSION } from './artifact-file.js';

const sha256 = () => createHash('sha256');
const HERE = dirname(fileURLToPath(import.meta.url));
const CODE_DIRS = ['lexicon', 'match', 'normalize'];
/** Single modules elsewhere whose output the artifact carries. */
const CODE_FILES = ['flag'];
const DEPENDENCIES = ['pinyin-pro', 'opencc-js'];

let build: string | undefined;

/** The build part of the key (computed once per process). */
export function buildKey(): string {
  if (build !== undefined) return build;
  const h = sha256().update(`format ${FORMAT_VERSION}\0pkguard ${packageVersion(join(HERE, '..'))}\0`);
  const require = createRequire(import.meta.url);
  for (const dep of DEPENDENCIES) {
    const found = (require.resolve.paths(dep) ?? []).map((p) => join(p, dep, 'package.json')).find((p) => existsSync(p));
    h.update(`${dep} ${found ? String((JSON.parse(readFileSync(found, 'utf8')) as { version?: string }).version) : 'missing'}\0`);
  }
  // The running module's own kind of file: .js when built (not .d.ts or maps), .ts under vitest.
  const ext = extname(fileURLToPath(import.meta.url));
  for (const dir of CODE_DIRS) {
    const folder = join(HERE, '..', dir);
    for (const name of readdirSync(folder).filter((n) => n.endsWith(ext) && !n.endsWith(`.d${ext}`)).sort()) {
      h.update(`${dir}/${name}\0`).update(readFileSync(join(folder, name))).update('\0');
    }
  }
  for (const file of CODE_FILES) h.update(`${file}\0`).update(readFileSync(join(HERE, '..', `${file}${ext}`))).update('\0');
  return (build = h.digest('hex'));
}

/** pkguard's version, from the package.json above src/ (or dist/src/). */
export function packageVersion(srcDir: string = join(HERE, '..')): string {
  for (let dir = srcDir, i = 0; i < 4; dir = dirname(dir), i++) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'pkguard') return String(pkg.version);
  }
  return 'unknown';
}

/**
 * The lexicon part of the key. Throws when the folder cannot be read (the compile then reports it
 * as a LexiconError).
 */
export function lexiconKey(dir: string): string {
  const h = sha256().update(`dir ${dir}\0`);
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.tsv')).sort()) {
    h.update(`${name}\0`).update(readFileSync(join(dir, name))).update('\0');
  }
  return h.digest('hex');
}

/** The options part of the key: sorted-key JSON, so `{a, b}` and `{b, a}` agree. */
export function optionsKey(options: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(options).sort(([a], [b]) => (a < b ? -1 : 1))));
  return sha256().update(canonical).digest('hex');
}

/** The cache folders to try, preferred first. */
export function cacheDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.PKGUARD_CACHE_DIR) return [resolve(env.PKGUARD_CACHE_DIR)];
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user';
  return [join(base, 'pkguard'), join(tmpdir(), `pkguard-${uid}`)];
}

/** The artifact file for a lexicon folder inside a cache folder: one file per folder, named by its path. */
export function artifactFileIn(cacheDir: string, lexiconDir: string): string {
  const id = sha256().update(resolve(lexiconDir)).digest('hex').slice(0, 16);
  return join(cacheDir, `lexicon-${basename(resolve(lexiconDir)).replace(/[^\w.-]/g, '_')}-${id}.pkgl`);
}
