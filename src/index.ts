/**
 * pkguard's public library API. Everything exported here is stable; nothing else is public.
 */
import { InputError } from './errors.js';
import { FlagIdAllocator } from './flag.js';
import { compileLexicon, type CompiledLexicon } from './lexicon/compile.js';
import { loadLexiconDir, validateLexicon, type LexiconInput } from './lexicon/load.js';
import type { Lexicon } from './lexicon/schema.js';
import { Scanner } from './detect/scanner.js';

export interface ScannerOptions {
  /** A lexicon directory to load instead of the bundled one. */
  lexiconDir?: string;
  /**
   * Entries given in code instead of a directory, validated with the file schema:
   * `{ terms: [{ phrase, category, severity, options? }], allow?: [{ phrase, categories? }] }`.
   */
  lexicon?: LexiconInput;
  /** First flag number (`f<n>`), so ids can continue after a restart. Default 1. */
  firstFlagId?: number;
  /**
   * Most flags one message (or stream chunk) raises; past it the most severe are kept, earliest
   * first. Default 100 (DESIGN "Cost stays with the sender").
   */
  maxFlagsPerMessage?: number;
}

/** Loads (bundled lexicons by default), compiles and returns a scanner. */
export function createScanner(options: ScannerOptions = {}): Scanner {
  const cap = options.maxFlagsPerMessage;
  if (cap !== undefined && !(Number.isInteger(cap) && cap >= 1)) throw new InputError('maxFlagsPerMessage', `expected a positive integer, received ${String(cap)}`);
  return new Scanner(compileLexicon(resolveLexicon(options)), new FlagIdAllocator(options.firstFlagId ?? 1), options.maxFlagsPerMessage);
}

/** Compiles a lexicon without building a scanner (for hot reload: compile aside, then `swapLexicon`). */
export function compile(options: Pick<ScannerOptions, 'lexicon' | 'lexiconDir'> = {}): CompiledLexicon {
  return compileLexicon(resolveLexicon(options));
}

function resolveLexicon(options: Pick<ScannerOptions, 'lexicon' | 'lexiconDir'>): Lexicon {
  return options.lexicon ? validateLexicon(options.lexicon) : loadLexiconDir(options.lexiconDir);
}

export { Scanner, StreamScanner, type ChunkMeta } from './detect/scanner.js';
export { CATEGORIES, SEVERITIES, type Category, type Flag, type MessageKind, type Severity } from './flag.js';
export { PkguardError, LexiconError, PatternError, InputError, type LexiconProblem, type PkguardErrorCode } from './errors.js';
export { loadLexiconDir, validateLexicon, BUNDLED_LEXICON_DIR, type LexiconInput } from './lexicon/load.js';
export type { Lexicon, TermEntry, AllowEntry } from './lexicon/schema.js';
export type { CompiledLexicon } from './lexicon/compile.js';
export { ownerOfStream } from './node/owner-of.js';
export { streamsByOwner } from './node/connection-hint.js';
export { IngestClient, type IngestClientOptions, type IngestClientStats, type IngestClientEvents, type ConnectionState, type CloseResult, type IngestAck, type ShutdownSignal } from './client/ingest-client.js';
export { IngestConnectError, IngestRefusedError, IngestUnackedError, type UnackedReason } from './errors.js';
export { SPEAKERS, type Speaker } from './protocol/ingest.js';
export { openCompiledLexicon, type OpenLexiconOptions, type OpenedLexicon, type ArtifactEvent } from './lexicon/artifact-store.js';
export { ArtifactError, type ArtifactProblem } from './errors.js';
export { UnavailableError } from './errors.js';
