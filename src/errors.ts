/**
 * Coded errors. Every error pkguard raises on purpose is a `PkguardError` with a stable `code`
 * (`PKG_ERR_*`) and the fields a caller needs to act on it, in the manner of ws `WS_ERR_*`.
 */
export class PkguardError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** One problem found in a lexicon file; `line` is 1-based, `entry` the raw line text. */
export interface LexiconProblem {
  file: string;
  line: number;
  entry: string;
  reason: string;
}

/** A lexicon file (or directory) was refused. `problems` lists every bad entry, not only the first. */
export class LexiconError extends PkguardError {
  readonly problems: readonly LexiconProblem[];
  constructor(problems: readonly LexiconProblem[]) {
    const first = problems[0];
    const where = first ? `${first.file}:${first.line}: ${first.reason}` : 'no problems listed';
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    super('PKG_ERR_LEXICON_INVALID', `invalid lexicon: ${where}${more}`);
    this.problems = problems;
  }
}

/** A pattern the automaton builder cannot take (empty after normalization, too long). */
export class PatternError extends PkguardError {
  readonly pattern: string;
  readonly reason: string;
  constructor(pattern: string, reason: string) {
    super('PKG_ERR_PATTERN_INVALID', `invalid pattern ${JSON.stringify(pattern)}: ${reason}`);
    this.pattern = pattern;
    this.reason = reason;
  }
}

/** Text handed to the scanner was not a string. */
export class InputError extends PkguardError {
  readonly field: string;
  constructor(field: string, reason: string) {
    super('PKG_ERR_INPUT_INVALID', `${field}: ${reason}`);
    this.field = field;
  }
}
