/**
 * `pkguard scan [FILE]`: NDJSON in (stdin or FILE), exactly one NDJSON line out per input line, in
 * order. A line that is not valid JSON or not a valid request gets `{"id":…,"error":…}` (id null
 * when it cannot be read) and scanning goes on. Transcript lines with a `stream` are consecutive
 * chunks of that stream; chat lines are always scanned on their own.
 *
 * Two roads, one result: the common line shape is read by scan-request.ts and its answer written by
 * hand; every other line (escapes, other value types, errors) goes through JSON.parse, the zod
 * schema and JSON.stringify. Tests hold the two to byte-for-byte equality (test/cli/scan-fast.test.ts).
 */
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';
import type { z as Z } from 'zod';
import { attribute, SPEAKER_VALUES } from '../detect/attribution.js';
import { Scanner, type ChunkMeta } from '../detect/scanner.js';
import { FlagIdAllocator, type Flag } from '../flag.js';
import { openCompiledLexicon } from '../lexicon/artifact-store.js';
import { fileChunks, LineCursor, ndjsonBlocks, type ByteSource } from './ndjson-lines.js';
import { KIND_CHAT, KIND_TRANSCRIPT, readRequest, RequestFields } from './scan-request.js';

/**
 * The request schema, built on first use: zod's import costs ~100 ms at start-up, and only the
 * JSON.parse road (unusual or invalid lines) needs it.
 */
let schema: ReturnType<typeof buildSchema> | undefined;
function buildSchema() {
  const { z } = createRequire(import.meta.url)('zod') as { z: typeof Z };
  return z.object({
    id: z.string(),
    text: z.string(),
    kind: z.enum(['transcript', 'chat']).optional(),
    stream: z.string().optional(),
    // Who said it, kept on the flags as the server keeps them (detect/attribution.ts).
    user: z.string().optional(),
    speaker: z.enum(SPEAKER_VALUES).optional(),
  });
}
export function scanRequestSchema() {
  return (schema ??= buildSchema());
}

/** Longest input line accepted; longer lines get an error line (the stream of lines goes on). */
export const MAX_LINE_UNITS = 4 * 1024 * 1024;

/**
 * The scanner `pkguard scan` uses: its lexicon from the compiled artifact when fresh, else compiled
 * (and the artifact refreshed). A rejected artifact or a failed write is reported through `warn`.
 */
export async function openScanScanner(
  lexiconDir: string | undefined,
  artifact: string | undefined,
  warn: (message: string) => void,
  ids = new FlagIdAllocator(1),
): Promise<Scanner> {
  const { lexicon } = await openCompiledLexicon({
    lexiconDir,
    artifact,
    log: (e) => {
      if (e.event === 'artifact_rejected') warn(`pkguard scan: ${e.message} (${e.code}); compiling the lexicons instead`);
      else if (e.event === 'artifact_write_failed') warn(`pkguard scan: could not write the lexicon artifact ${e.file}: ${e.message}`);
    },
  });
  return new Scanner(lexicon, ids);
}

const META_NONE: ChunkMeta = Object.freeze({});
const META_TRANSCRIPT: ChunkMeta = Object.freeze({ kind: 'transcript' });
const META_CHAT: ChunkMeta = Object.freeze({ kind: 'chat' });
const fields = new RequestFields();

/** The output line for one input line (either road). */
export function scanLine(scanner: Scanner, line: string): string {
  // A line naming a user or speaker takes the parsed road, which validates and keeps them.
  if (line.length > MAX_LINE_UNITS || !readRequest(line, fields) || fields.attributed) return scanLineParsed(scanner, line);
  const { text, kind, stream } = fields;
  const meta = kind === KIND_CHAT ? META_CHAT : kind === KIND_TRANSCRIPT ? META_TRANSCRIPT : META_NONE;
  const flags =
    stream !== undefined && kind !== KIND_CHAT
      ? scanner.stream(stream).push(text, meta)
      : scanner.scan(text, stream !== undefined ? { ...meta, stream } : meta);
  // The id holds nothing JSON.stringify would escape (readRequest checked), so this is its output.
  return flags.length === 0 ? `{"id":"${fields.id}","flags":[]}` : `{"id":"${fields.id}","flags":${JSON.stringify(flags satisfies Flag[])}}`;
}

interface ScanRequest {
  id: string;
  text: string;
  kind?: 'transcript' | 'chat';
  stream?: string;
  user?: string;
  speaker?: (typeof SPEAKER_VALUES)[number];
}

/**
 * What the schema accepts, checked by hand so a valid line on this road does not load zod (its
 * import is a tenth of a second); anything this rejects goes to the schema, which words the error.
 */
function isScanRequest(value: unknown): value is ScanRequest {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.text === 'string' &&
    (v.kind === undefined || v.kind === 'transcript' || v.kind === 'chat') &&
    (v.stream === undefined || typeof v.stream === 'string') &&
    (v.user === undefined || typeof v.user === 'string') &&
    (v.speaker === undefined || (SPEAKER_VALUES as readonly unknown[]).includes(v.speaker))
  );
}

/** The JSON.parse road: any line, valid or not. */
export function scanLineParsed(scanner: Scanner, line: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return JSON.stringify({ id: null, error: `invalid JSON: ${(err as Error).message}` });
  }
  const id = typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : null;
  if (line.length > MAX_LINE_UNITS) return JSON.stringify({ id, error: `line longer than ${MAX_LINE_UNITS} characters` });
  let req: ScanRequest;
  if (isScanRequest(value)) req = value;
  else {
    const parsed = scanRequestSchema().safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const path = issue.path.join('.');
      return JSON.stringify({ id, error: path ? `${path}: ${issue.message}` : issue.message });
    }
    req = parsed.data;
  }
  const meta = req.kind ? { kind: req.kind } : {};
  const flags =
    req.stream !== undefined && req.kind !== 'chat'
      ? scanner.stream(req.stream).push(req.text, meta)
      : scanner.scan(req.text, req.stream !== undefined ? { ...meta, stream: req.stream } : meta);
  return JSON.stringify({ id: req.id, flags: attribute(flags, req) });
}

/** A line of nothing but whitespace is skipped (no output line). */
export function blank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) !== 0x7b && line.trim() === '');
}

/** The answers to a block of lines (ndjson-lines.ts), each ending in `\n`, blank lines skipped. */
export function scanBlock(scanner: Scanner, block: string, cursor = new LineCursor()): string {
  let out = '';
  for (let at = 0; at < block.length; at = cursor.end) {
    const line = cursor.next(block, at);
    if (!blank(line)) out += scanLine(scanner, line) + '\n';
  }
  return out;
}

/** Writes `text`, waiting for `drain` when the destination asks for it. */
export async function writeOut(output: Writable, text: string): Promise<void> {
  if (text.length > 0 && !output.write(text)) await new Promise((r) => output.once('drain', r));
}

/** Runs the scan loop; resolves with the exit code (0, or 1 when the input cannot be read). */
export async function runScan(scanner: Scanner, input: ByteSource, output: Writable, onError: (msg: string) => void): Promise<number> {
  const cursor = new LineCursor();
  try {
    // A block's lines are scanned in one synchronous pass and their answers written in one write
    // (a pipe that sends a line and waits gets its answer at once).
    for await (const blocks of ndjsonBlocks(input)) {
      let more = true;
      for (const block of blocks) {
        const out = scanBlock(scanner, block, cursor);
        if (out.length > 0) more = output.write(out);
      }
      if (!more) await new Promise((r) => output.once('drain', r));
    }
  } catch (err) {
    onError(`pkguard scan: cannot read input: ${(err as Error).message}`);
    return 1;
  }
  return 0;
}

/**
 * Worker threads for `--workers VALUE`, or a usage error message. The default is none: measured on
 * the shared 2-core machine, two workers cost 1.7-1.9× the CPU of the main thread alone for 200,000
 * lines (each worker loads the lexicon and warms its JIT on half the lines) and were not faster
 * (README "CLI: pkguard scan").
 */
export function scanWorkers(value: string | undefined): number | string {
  if (value === undefined) return 0;
  if (!/^\d{1,2}$/.test(value) || Number(value) > 64) return `pkguard scan: --workers takes a number from 0 to 64, not ${value}`;
  return Number(value);
}

/** FILE, or stdin: read by fileChunks when it is a regular file (no stream, no thread pool). */
export function openInput(file: string | undefined): ByteSource {
  if (file && file !== '-') return fileChunks(file);
  return stdinIsFile() ? fileChunks(0) : process.stdin;
}

function stdinIsFile(): boolean {
  try {
    return fstatSync(0).isFile();
  } catch {
    return false;
  }
}
