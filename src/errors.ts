/**
 * Coded errors. Every error pkguard raises on purpose is a `PkguardError` with a stable `code`
 * (`PKG_ERR_*`) and the fields a caller needs to act on it, in the manner of ws `WS_ERR_*`.
 */
/** Every code a `PkguardError` carries: callers branch on these, so they are a closed set. */
export type PkguardErrorCode =
  | 'PKG_ERR_LEXICON_INVALID'
  | 'PKG_ERR_LEXICON_COMPILE'
  | 'PKG_ERR_LEXICON_RELOAD_REFUSED'
  | 'PKG_ERR_PATTERN_INVALID'
  | 'PKG_ERR_INPUT_INVALID'
  | 'PKG_ERR_CONFIG_INVALID'
  | 'PKG_ERR_JOURNAL'
  | 'PKG_ERR_ARTIFACT_INVALID'
  | 'PKG_ERR_ARTIFACT_STALE'
  | 'PKG_ERR_INGEST_CONNECT'
  | 'PKG_ERR_INGEST_REFUSED'
  | 'PKG_ERR_INGEST_UNACKED'
  | 'PKG_ERR_UNAVAILABLE';

export class PkguardError extends Error {
  readonly code: PkguardErrorCode;
  constructor(code: PkguardErrorCode, message: string, options?: { cause?: unknown }) {
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

/** Why the reload guard refused a new lexicon: one file (or the whole lexicon) lost entries. */
export interface LexiconDrop {
  /** `file_missing`: a file serving now is gone; `file_emptied`: it has no entry left; `file_shrunk` / `total_shrunk`: more than the allowed share dropped. */
  kind: 'file_missing' | 'file_emptied' | 'file_shrunk' | 'total_shrunk';
  /** The file's path, or null for `total_shrunk`. */
  file: string | null;
  /** Entries before (serving now) and after (the refused compile) in that file, or in all files. */
  before: number;
  after: number;
  /** Entries of `before` that no file of the new lexicon has any more (lines moved elsewhere are not lost). */
  lost: number;
  /** `lost / before`, 0..1. */
  share: number;
}

/**
 * A hot reload was refused because it would lose a file, empty one or drop too many entries (an
 * editor's non-atomic save caught half-way looks exactly like that). The serving lexicon stays;
 * a forced reload accepts the change. `file` and `share` are those of the first drop listed.
 */
export class LexiconReloadRefusedError extends PkguardError {
  readonly drops: readonly LexiconDrop[];
  readonly file: string | null;
  readonly share: number;
  readonly maxDropShare: number;
  constructor(drops: readonly LexiconDrop[], maxDropShare: number) {
    const first = drops[0]!;
    const what =
      first.kind === 'file_missing'
        ? `${first.file} is gone (${first.lost} of its ${first.before} entries are in no other file)`
        : first.kind === 'file_emptied'
          ? `${first.file} was emptied (${first.before} entries → 0)`
          : `${first.file ?? 'the lexicon'} would lose ${first.lost} of its ${first.before} entries (${Math.round(first.share * 100)}%; at most ${Math.round(maxDropShare * 100)}% allowed)`;
    const more = drops.length > 1 ? ` (and ${drops.length - 1} more)` : '';
    super('PKG_ERR_LEXICON_RELOAD_REFUSED', `lexicon reload refused: ${what}${more}; the current lexicon keeps serving (force the reload to accept it)`);
    this.drops = drops;
    this.file = first.file;
    this.share = first.share;
    this.maxDropShare = maxDropShare;
  }
}

/** The server config (file, field or environment) was refused; `path` is the bad field (`limits.maxBatch`) or empty for the file itself. */
export class ConfigError extends PkguardError {
  readonly file: string | undefined;
  readonly path: string;
  constructor(file: string | undefined, path: string, reason: string) {
    super('PKG_ERR_CONFIG_INVALID', `${file ?? 'config'}: ${path ? `${path}: ` : ''}${reason}`);
    this.file = file;
    this.path = path;
  }
}

/**
 * The journal could not be opened, read or written. `reason` is what a client may be told (the
 * errno, or `closed`); `path` is for the operator's log only, never for the wire.
 */
export class JournalError extends PkguardError {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, message: string, cause?: unknown) {
    super('PKG_ERR_JOURNAL', `journal ${path}: ${message}`, { cause });
    this.path = path;
    this.reason = (cause as NodeJS.ErrnoException | undefined)?.code ?? message;
  }
}

/**
 * Why a compiled lexicon artifact was not used. `PKG_ERR_ARTIFACT_INVALID`: damaged (`truncated`,
 * `magic`, `checksum`, `malformed`) or a value the format cannot carry (`unencodable`, at write).
 * `PKG_ERR_ARTIFACT_STALE`: whole but made for something else (`format_version`, `endianness`, `build`
 * = other pkguard code or dependencies, `lexicon` = other lexicon files, `options`).
 * Either way the lexicon is compiled instead; the error is only logged.
 */
export type ArtifactProblem = 'truncated' | 'magic' | 'checksum' | 'malformed' | 'unencodable' | 'format_version' | 'endianness' | 'build' | 'lexicon' | 'options';
const STALE_PROBLEMS: ReadonlySet<ArtifactProblem> = new Set(['format_version', 'endianness', 'build', 'lexicon', 'options']);

export class ArtifactError extends PkguardError {
  readonly file: string;
  readonly reason: ArtifactProblem;
  constructor(file: string, reason: ArtifactProblem, detail: string) {
    super(STALE_PROBLEMS.has(reason) ? 'PKG_ERR_ARTIFACT_STALE' : 'PKG_ERR_ARTIFACT_INVALID', `lexicon artifact ${file}: ${reason}: ${detail}`);
    this.file = file;
    this.reason = reason;
  }
}

/**
 * `IngestClient.connect` could not open `/ingest`: `status` 401/403 when the server refuses the
 * token (retrying cannot help), 503 while it drains, undefined when it was unreachable.
 */
export class IngestConnectError extends PkguardError {
  readonly url: string;
  readonly status: number | undefined;
  constructor(url: string, status: number | undefined, reason: string) {
    super('PKG_ERR_INGEST_CONNECT', `cannot connect to ${url}: ${reason}`);
    this.url = url;
    this.status = status;
  }
}

/**
 * The server (or, before sending, the client's own check of the same schema: `local`) refused one
 * message for good: sending it again would be refused again. `wireCode` is the wire error code
 * (`invalid_message`, `unknown_type`, `forbidden`, ...); the message names the field.
 */
export class IngestRefusedError extends PkguardError {
  readonly wireCode: string;
  readonly stream: string | undefined;
  readonly seq: number | undefined;
  readonly local: boolean;
  constructor(wireCode: string, message: string, where: { stream?: string | undefined; seq?: number | undefined; local: boolean }) {
    super('PKG_ERR_INGEST_REFUSED', `${where.stream ?? '?'}/${where.seq ?? '?'} refused (${wireCode}): ${message}`);
    this.wireCode = wireCode;
    this.stream = where.stream;
    this.seq = where.seq;
    this.local = where.local;
  }
}

/** Why an `IngestClient` stopped trying to get a message acked. */
export type UnackedReason = 'closed' | 'close_timeout' | 'unauthorized' | 'unreachable';

/**
 * The client gave up on a message before the server acked it. It may or may not have been
 * processed: sending it again (same stream and seq) is safe, the server dedupes.
 */
export class IngestUnackedError extends PkguardError {
  readonly reason: UnackedReason;
  readonly stream: string;
  readonly seq: number;
  constructor(reason: UnackedReason, stream: string, seq: number, detail: string) {
    super('PKG_ERR_INGEST_UNACKED', `${stream}/${seq} not acked (${reason}): ${detail}; send it again later, the server dedupes`);
    this.reason = reason;
    this.stream = stream;
    this.seq = seq;
  }
}

/**
 * Something the server depends on (NATS JetStream in cluster mode) did not answer within `giveUpMs`,
 * retried all the while: `what` names the step. Passing: asking again later can succeed. On the
 * wire this is `unavailable`.
 */
export class UnavailableError extends PkguardError {
  readonly what: string;
  constructor(what: string, giveUpMs: number, cause: unknown) {
    super('PKG_ERR_UNAVAILABLE', `${what}: no answer in ${Math.round(giveUpMs / 1000)} s (last error: ${(cause as Error | undefined)?.message ?? String(cause)})`, { cause });
    this.what = what;
  }
}
