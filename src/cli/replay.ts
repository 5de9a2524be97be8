/**
 * `pkguard replay FILE [--speed N|max] [--url ws://host:port] [--token T] [--batch N]`: sends a
 * recorded NDJSON session (ingest messages with event-time `ts`) to a running server at the
 * recorded pace times N. It is `pkguard ingest` (the same pump, the same `IngestClient`: reconnects,
 * re-sends, reports every message's fate) with each line held until its recorded time.
 * Exit codes: 0 all acked, 1 some message was refused or unanswered, 2 usage or an unreadable file,
 * 3 no connection.
 */
import { readFileSync } from 'node:fs';
import { parsePumpOptions, pump, takeOption, type InputLine, type PumpOptions } from './ingest.js';

export const REPLAY_USAGE = 'usage: pkguard replay FILE [--speed N|max] [--url ws://HOST:PORT] [--token TOKEN] [--batch N]';

export interface ReplayOptions extends PumpOptions {
  file: string;
  speed: number; // Infinity: as fast as acks allow
}

export function parseReplayArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ReplayOptions | string {
  const speedArg = takeOption(args, '--speed') ?? '1';
  const speed = speedArg === 'max' ? Infinity : Number(speedArg);
  if (!(speed > 0)) return `--speed: expected a positive number or "max", got ${speedArg}`;
  // Replay prints its summary and signals, not a progress line, unless asked to.
  const progress = args.indexOf('--progress');
  if (progress >= 0) args.splice(progress, 1);
  const opts = parsePumpOptions(args, env, { maxBatch: 500, progress: progress >= 0 });
  if (typeof opts === 'string') return opts;
  const file = args.shift();
  if (!file || args.length > 0) return REPLAY_USAGE;
  return { ...opts, file, speed };
}

export async function runReplay(opts: ReplayOptions, out: (line: string) => void): Promise<number> {
  let lines: (InputLine & { ts: number })[];
  try {
    lines = readFileSync(opts.file, 'utf8')
      .split('\n')
      .map((text, i) => ({ line: i + 1, text }))
      .filter((l) => l.text.trim() !== '')
      .map((l) => {
        const m = JSON.parse(l.text) as { ts?: unknown };
        if (typeof m.ts !== 'number') throw new Error(`line ${l.line}: ts: expected number`);
        return { ...l, ts: m.ts };
      });
  } catch (err) {
    process.stderr.write(`pkguard replay: ${opts.file}: ${(err as Error).message}\n`);
    return 2;
  }
  return pump(opts, paced(lines, opts.speed), out, 'replay');
}

/** Each line at its recorded time (relative to the first) divided by `speed`. */
async function* paced(lines: (InputLine & { ts: number })[], speed: number): AsyncGenerator<InputLine> {
  const started = performance.now();
  const ts0 = lines[0]?.ts ?? 0;
  for (const l of lines) {
    const wait = Number.isFinite(speed) ? (l.ts - ts0) / speed - (performance.now() - started) : 0;
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    yield l;
  }
}
