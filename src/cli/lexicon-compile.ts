/**
 * `pkguard lexicon compile [--lexicons DIR] [--out FILE]`: compiles a lexicon folder and writes its
 * artifact (lexicon/artifact-file.ts), where `scan` and `serve` look for it by default, or to FILE.
 * Always compiles, even when a fresh artifact exists: this is the command that refreshes it.
 */
import { LexiconError } from '../errors.js';
import { artifactFileIn, buildKey, cacheDirs, lexiconKey, optionsKey } from '../lexicon/artifact-key.js';
import { compileDir, writeLexiconArtifact, type ArtifactEvent } from '../lexicon/artifact-store.js';
import { BUNDLED_LEXICON_DIR } from '../lexicon/bundled.js';

export interface LexiconCompileArgs {
  lexiconDir: string | undefined;
  out: string | undefined;
}

/** Exit code: 0 written, 1 lexicons refused, 73 the artifact could not be written (EX_CANTCREAT). */
export async function runLexiconCompile(args: LexiconCompileArgs, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const dir = args.lexiconDir ?? BUNDLED_LEXICON_DIR;
  const t0 = performance.now();
  const keyOf = () => {
    try {
      return lexiconKey(dir);
    } catch {
      return undefined; // an unreadable folder: the compile reports it as a LexiconError
    }
  };
  const before = keyOf();
  let lexicon;
  try {
    lexicon = await compileDir(dir);
  } catch (e) {
    if (e instanceof LexiconError) {
      err(`pkguard lexicon compile: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const key = { build: buildKey(), lexicon: before ?? '', options: optionsKey({}) };
  if (before === undefined || keyOf() !== before) {
    err('pkguard lexicon compile: the lexicon files changed while compiling; run it again');
    return 1;
  }
  const compileMs = Math.round(performance.now() - t0);
  const events: ArtifactEvent[] = [];
  const files = args.out !== undefined ? [args.out] : cacheDirs().map((c) => artifactFileIn(c, dir));
  const file = writeLexiconArtifact(files, args.out !== undefined, key, lexicon, (e) => events.push(e));
  for (const e of events) if (e.event === 'artifact_write_failed') err(`pkguard lexicon compile: cannot write ${e.file}: ${e.message}`);
  if (file === undefined) return 73;
  const written = events.find((e) => e.event === 'artifact_written');
  const entries = Object.values(lexicon.fileEntries).reduce((a, b) => a + b, 0);
  out(JSON.stringify({ artifact: file, bytes: written?.event === 'artifact_written' ? written.bytes : undefined, lexicons: dir, patterns: lexicon.automaton.patternCount, entries, compileMs }));
  return 0;
}
