/**
 * pkguard's public library API. Everything exported here is stable; nothing else is public.
 */
import { FlagIdAllocator } from './flag.js';
import { compileLexicon, type CompiledLexicon } from './lexicon/compile.js';
import { loadLexiconDir } from './lexicon/load.js';
import type { AllowEntry, Lexicon, TermEntry } from './lexicon/schema.js';
import { Scanner } from './detect/scanner.js';

export interface ScannerOptions {
  /** A lexicon directory to load instead of the bundled one. */
  lexiconDir?: string;
  /** Entries given in code (file/line optional), instead of a directory. */
  lexicon?: {
    terms: (Omit<TermEntry, 'file' | 'line' | 'options'> & { options?: TermEntry['options']; file?: string; line?: number })[];
    allow?: (Omit<AllowEntry, 'file' | 'line'> & { file?: string; line?: number })[];
  };
  /** First flag number (`f<n>`), so ids can continue after a restart. Default 1. */
  firstFlagId?: number;
}

/** Loads (bundled lexicons by default), compiles and returns a scanner. */
export function createScanner(options: ScannerOptions = {}): Scanner {
  return new Scanner(compileLexicon(resolveLexicon(options)), new FlagIdAllocator(options.firstFlagId ?? 1));
}

/** Compiles a lexicon without building a scanner (for hot reload: compile aside, then `swapLexicon`). */
export function compile(options: Pick<ScannerOptions, 'lexicon' | 'lexiconDir'> = {}): CompiledLexicon {
  return compileLexicon(resolveLexicon(options));
}

function resolveLexicon(options: Pick<ScannerOptions, 'lexicon' | 'lexiconDir'>): Lexicon {
  if (!options.lexicon) return loadLexiconDir(options.lexiconDir);
  return {
    terms: options.lexicon.terms.map((t, i) => ({ file: '<code>', line: i + 1, ...t, options: t.options ?? [] })),
    allow: (options.lexicon.allow ?? []).map((a, i) => ({ file: '<code>', line: i + 1, ...a })),
  };
}

export { Scanner, StreamScanner, type ChunkMeta } from './detect/scanner.js';
export { CATEGORIES, SEVERITIES, type Category, type Flag, type MessageKind, type Severity } from './flag.js';
export { PkguardError, LexiconError, PatternError, InputError, type LexiconProblem } from './errors.js';
export { loadLexiconDir, BUNDLED_LEXICON_DIR } from './lexicon/load.js';
export type { Lexicon, TermEntry, AllowEntry } from './lexicon/schema.js';
export type { CompiledLexicon } from './lexicon/compile.js';
