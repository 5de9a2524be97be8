/**
 * `pkguard ingest [FILE] --url … --token …`: NDJSON ingest messages (FILE, or stdin) to a running
 * server through `IngestClient`, for shell pipelines and incident reproduction. `pkguard replay`
 * is this same pump with its messages paced by their recorded event time.
 *
 * stdout: one NDJSON line per event a caller may act on — a shutdown signal, a refused line, a line
 * given up unacked — and a summary line at the end. stderr: a progress line (sent, acked, rate,
 * errors). Exit codes: 0 every message acked, 1 some refused or not acked, 2 usage or unreadable
 * input, 3 no connection (token refused, server unreachable).
 */
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { IngestClient } from '../client/ingest-client.js';
import { IngestConnectError, IngestRefusedError, IngestUnackedError } from '../errors.js';
import { ndjsonLines } from './ndjson-lines.js';

export interface IngestTarget {
  url: string;
  token: string;
}

export interface PumpOptions extends IngestTarget {
  window: number;
  maxBatch: number;
  /** How long to wait at the end for the last acks. */
  timeoutMs: number;
  /** Progress on stderr. */
  progress: boolean;
}

/** One input line: its number (1-based) and text. */
export interface InputLine {
  line: number;
  text: string;
}

export const INGEST_USAGE = 'usage: pkguard ingest [FILE] [--url ws://HOST:PORT] [--token TOKEN] [--window N] [--batch N] [--timeout S] [--quiet]';

/** Removes `name VALUE` from `args` and returns VALUE. */
export function takeOption(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  args.splice(i, 2);
  return v;
}

/** `--url` and `--token`, with the defaults `npm start` makes work from its folder. */
export function parseTarget(args: string[], env: NodeJS.ProcessEnv): IngestTarget | string {
  const url = takeOption(args, '--url') ?? `ws://127.0.0.1:${env.PKGUARD_PORT ?? 8080}`;
  let token = takeOption(args, '--token') ?? env.PKGUARD_TOKEN;
  if (!token && existsSync('data/tokens.json')) token = (JSON.parse(readFileSync('data/tokens.json', 'utf8')) as { ingest: string[] }).ingest[0];
  if (!token) return 'no token: pass --token, set PKGUARD_TOKEN, or run from the folder where `npm start` wrote data/tokens.json';
  return { url, token };
}

/** The pump's options shared by ingest and replay (`--window`, `--batch`, `--timeout`, `--quiet`). */
export function parsePumpOptions(args: string[], env: NodeJS.ProcessEnv, defaults: { maxBatch: number; progress: boolean }): PumpOptions | string {
  const int = (name: string, fallback: number): number | string => {
    const v = takeOption(args, name);
    if (v === undefined) return fallback;
    const n = Number(v);
    return Number.isInteger(n) && n >= 1 ? n : `${name}: expected a positive integer, got ${v}`;
  };
  const window = int('--window', 1000);
  const maxBatch = int('--batch', defaults.maxBatch);
  const timeout = int('--timeout', 30);
  for (const v of [window, maxBatch, timeout]) if (typeof v === 'string') return v;
  const quiet = args.indexOf('--quiet');
  if (quiet >= 0) args.splice(quiet, 1);
  const target = parseTarget(args, env);
  if (typeof target === 'string') return target;
  return { ...target, window: window as number, maxBatch: maxBatch as number, timeoutMs: (timeout as number) * 1000, progress: defaults.progress && quiet < 0 };
}

export function parseIngestArgs(args: string[], env: NodeJS.ProcessEnv = process.env): (PumpOptions & { file: string | undefined }) | string {
  const opts = parsePumpOptions(args, env, { maxBatch: 500, progress: true });
  if (typeof opts === 'string') return opts;
  const unknown = args.find((a) => a.startsWith('--'));
  if (unknown || args.length > 1) return unknown ? `unknown option ${unknown}\n${INGEST_USAGE}` : INGEST_USAGE;
  return { ...opts, file: args[0] === '-' ? undefined : args[0] };
}

export async function* inputLines(input: Readable): AsyncGenerator<InputLine> {
  let line = 0;
  for await (const text of ndjsonLines(input)) {
    line++;
    if (text.trim() !== '') yield { line, text };
  }
}

export async function runIngest(opts: PumpOptions & { file: string | undefined }, out: (line: string) => void): Promise<number> {
  const input = opts.file === undefined ? process.stdin : createReadStream(opts.file);
  const unreadable = new Promise<string>((resolve) => input.once('error', (err: Error) => resolve(err.message)));
  return pump(opts, inputLines(input), out, 'ingest', unreadable);
}

/**
 * Sends every line through one `IngestClient` and waits for their answers. Each line's fate is
 * reported: acked (counted), refused or given up (a stdout line naming it).
 */
export async function pump(opts: PumpOptions, lines: AsyncIterable<InputLine>, out: (line: string) => void, name: string, unreadable?: Promise<string>): Promise<number> {
  let client: IngestClient;
  try {
    client = await IngestClient.connect(opts.url, opts.token, { window: opts.window, maxBatch: opts.maxBatch });
  } catch (err) {
    process.stderr.write(`pkguard ${name}: ${(err as Error).message}\n`);
    return err instanceof IngestConnectError ? 3 : 70;
  }
  let shutdowns = 0;
  let badLines = 0;
  let readError: string | undefined;
  void unreadable?.then((m) => (readError = m));
  client.on('shutdown', (s) => {
    shutdowns++;
    out(JSON.stringify({ type: 'shutdown', stream: s.stream, reason: s.reason, epoch: s.epoch, flagIds: s.flagIds }));
  });
  const started = performance.now();
  const progress = opts.progress ? new Progress(name, client, started) : undefined;
  const onFail = (line: number) => (err: unknown) => {
    if (err instanceof IngestRefusedError) out(JSON.stringify({ type: 'refused', line, stream: err.stream, seq: err.seq, code: err.wireCode, error: err.message }));
    else if (err instanceof IngestUnackedError) out(JSON.stringify({ type: 'unacked', line, stream: err.stream, seq: err.seq, reason: err.reason }));
    else out(JSON.stringify({ type: 'unacked', line, error: String(err) }));
  };
  try {
    for await (const { line, text } of lines) {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(text) as Record<string, unknown>;
      } catch (err) {
        badLines++;
        out(JSON.stringify({ type: 'refused', line, code: 'invalid_json', error: `line ${line}: ${(err as Error).message}` }));
        continue;
      }
      await client.ready();
      client.send(msg).catch(onFail(line));
    }
  } catch (err) {
    readError = (err as Error).message;
  }
  const closed = await client.close({ timeoutMs: opts.timeoutMs });
  progress?.stop();
  await new Promise((r) => setImmediate(r)); // the rejections of given-up messages print first
  const s = closed.stats;
  out(JSON.stringify({ type: 'summary', sent: s.sent, acked: s.acked, duplicates: s.duplicates, refused: s.refused + badLines, unanswered: s.givenUp, shutdowns, reconnects: s.reconnects, resent: s.resent, seconds: +((performance.now() - started) / 1000).toFixed(2) }));
  if (readError !== undefined) {
    process.stderr.write(`pkguard ${name}: input unreadable: ${readError}\n`);
    return 2;
  }
  return s.refused + badLines > 0 || s.givenUp > 0 ? 1 : 0;
}

/** The stderr progress line: rewritten in place on a terminal, a line every 5 s otherwise. */
class Progress {
  readonly #timer: NodeJS.Timeout;
  readonly #tty = process.stderr.isTTY === true;
  #lastAcked = 0;
  #lastAt: number;

  constructor(
    readonly name: string,
    readonly client: IngestClient,
    readonly started: number,
  ) {
    this.#lastAt = started;
    this.#timer = setInterval(() => this.#print(false), this.#tty ? 1000 : 5000).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#print(true);
  }

  #print(final: boolean): void {
    const s = this.client.stats;
    const now = performance.now();
    const rate = final ? s.acked / Math.max(0.001, (now - this.started) / 1000) : (s.acked - this.#lastAcked) / Math.max(0.001, (now - this.#lastAt) / 1000);
    this.#lastAcked = s.acked;
    this.#lastAt = now;
    const text = `${this.name}: sent ${s.sent} acked ${s.acked} (dup ${s.duplicates}) ${Math.round(rate)}/s${final ? ' avg' : ''} refused ${s.refused} unacked ${s.unacked} given-up ${s.givenUp} reconnects ${s.reconnects} [${this.client.state}]`;
    process.stderr.write(this.#tty ? `\r${text}\x1b[K${final ? '\n' : ''}` : `${text}\n`);
  }
}
