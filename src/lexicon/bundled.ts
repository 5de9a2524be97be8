/**
 * Where the bundled lexicons are. Its own module, free of the loader's imports (zod), so the CLI can
 * name the folder without paying for the parser when a compiled artifact is fresh.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The lexicons shipped with the package (`<package root>/lexicons`). */
export const BUNDLED_LEXICON_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), findUp());

function findUp(): string {
  // src/lexicon -> ../../lexicons when run from source, dist/src/lexicon -> ../../../lexicons when built.
  return import.meta.url.includes('/dist/') ? '../../../lexicons' : '../../lexicons';
}
