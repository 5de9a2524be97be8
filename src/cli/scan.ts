/**
 * `pkguard scan [FILE]`: NDJSON in (stdin or FILE), exactly one NDJSON line out per input line, in
 * order. A line that is not valid JSON or not a valid request gets `{"id":…,"error":…}` (id null
 * when it cannot be read) and scanning goes on. Transcript lines with a `stream` are consecutive
 * chunks of that stream; chat lines are always scanned on their own.
 */
import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import { Scanner } from '../detect/scanner.js';
import { FlagIdAllocator } from '../flag.js';
import { openCompiledLexicon } from '../lexicon/artifact-store.js';
import { ndjsonLines } from './ndjson-lines.js';

/**
 * The scanner `pkguard scan` uses: its lexicon from the compiled artifact when fresh, else compiled
 * (and the artifact refreshed). A rejected artifact or a failed write is reported through `warn`.
 */
export async function openScanScanner(lexiconDir: string | undefined, artifact: string | undefined, warn: (message: string) => void): Promise<Scanner> {
  const { lexicon } = await openCompiledLexicon({
    lexiconDir,
    artifact,
    log: (e) => {
      if (e.event === 'artifact_rejected') warn(`pkguard scan: ${e.message} (${e.code}); compiling the lexicons instead`);
      else if (e.event === 'artifact_write_failed') warn(`pkguard scan: could not write the lexicon artifact ${e.file}: ${e.message}`);
    },
  });
  return new Scanner(lexicon, new FlagIdAllocator(1));
}

export const scanRequestSchema = z.object({
  id: z.string(),
  text: z.string(),
  kind: z.enum(['transcript', 'chat']).optional(),
  stream: z.string().optional(),
});

/** Longest input line accepted; longer lines get an error line (the stream of lines goes on). */
export const MAX_LINE_UNITS = 4 * 1024 * 1024;

export function scanLine(scanner: Scanner, line: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return JSON.stringify({ id: null, error: `invalid JSON: ${(err as Error).message}` });
  }
  const id = typeof value === 'object' && value !== null && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : null;
  if (line.length > MAX_LINE_UNITS) return JSON.stringify({ id, error: `line longer than ${MAX_LINE_UNITS} characters` });
  const parsed = scanRequestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join('.');
    return JSON.stringify({ id, error: path ? `${path}: ${issue.message}` : issue.message });
  }
  const req = parsed.data;
  const meta = req.kind ? { kind: req.kind } : {};
  const flags =
    req.stream !== undefined && req.kind !== 'chat'
      ? scanner.stream(req.stream).push(req.text, meta)
      : scanner.scan(req.text, req.stream !== undefined ? { ...meta, stream: req.stream } : meta);
  return JSON.stringify({ id: req.id, flags });
}

/** Runs the scan loop; resolves with the exit code (0, or 1 when the input cannot be read). */
export async function runScan(scanner: Scanner, input: Readable, output: Writable, onError: (msg: string) => void): Promise<number> {
  const lines = ndjsonLines(input);
  let buffered: string[] = [];
  const flush = () => {
    if (buffered.length === 0) return true;
    const ok = output.write(buffered.join('\n') + '\n');
    buffered = [];
    return ok;
  };
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue;
      buffered.push(scanLine(scanner, line));
      if (buffered.length >= 256 && !flush()) await new Promise((r) => output.once('drain', r));
    }
  } catch (err) {
    flush();
    onError(`pkguard scan: cannot read input: ${(err as Error).message}`);
    return 1;
  }
  flush();
  return 0;
}

export function openInput(file: string | undefined): Readable {
  return file && file !== '-' ? createReadStream(file) : process.stdin;
}
