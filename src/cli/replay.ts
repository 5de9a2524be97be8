/**
 * `pkguard replay FILE [--speed N|max] [--url ws://host:port] [--token T] [--batch N]`: sends a
 * recorded NDJSON session (ingest messages with event-time `ts`) to a running server at the
 * recorded pace times N, and prints a JSON summary. The token defaults to `PKGUARD_TOKEN` or the
 * ingest token in `./data/tokens.json` (what `npm start` generated).
 * Exit codes: 0 all acked, 1 some message was refused or unanswered, 2 usage or an unreadable file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { IngestClient } from '../client/ingest-client.js';

interface Recorded {
  ts: number;
  [k: string]: unknown;
}

export interface ReplayOptions {
  file: string;
  speed: number; // Infinity: as fast as acks allow
  url: string;
  token: string;
  batch: number;
}

export function parseReplayArgs(args: string[], env: NodeJS.ProcessEnv = process.env): ReplayOptions | string {
  const take = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const speedArg = take('--speed') ?? '1';
  const speed = speedArg === 'max' ? Infinity : Number(speedArg);
  if (!(speed > 0)) return `--speed: expected a positive number or "max", got ${speedArg}`;
  const batch = Number(take('--batch') ?? '1');
  if (!Number.isInteger(batch) || batch < 1) return `--batch: expected a positive integer`;
  const url = take('--url') ?? `ws://127.0.0.1:${env.PKGUARD_PORT ?? 8080}`;
  let token = take('--token') ?? env.PKGUARD_TOKEN;
  if (!token && existsSync('data/tokens.json')) token = (JSON.parse(readFileSync('data/tokens.json', 'utf8')) as { ingest: string[] }).ingest[0];
  if (!token) return 'no token: pass --token, set PKGUARD_TOKEN, or run from the folder where `npm start` wrote data/tokens.json';
  const file = args.shift();
  if (!file || args.length > 0) return `usage: pkguard replay FILE [--speed N|max] [--url ws://host:port] [--token T] [--batch N]`;
  return { file, speed, url, token, batch };
}

export async function runReplay(opts: ReplayOptions, out: (line: string) => void): Promise<number> {
  let messages: Recorded[];
  try {
    messages = readFileSync(opts.file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l, i) => {
        const m = JSON.parse(l) as Recorded;
        if (typeof m.ts !== 'number') throw new Error(`line ${i + 1}: ts: expected number`);
        return m;
      });
  } catch (err) {
    process.stderr.write(`pkguard replay: ${opts.file}: ${(err as Error).message}\n`);
    return 2;
  }
  let shutdowns = 0;
  let duplicates = 0;
  const refused: string[] = [];
  const client = await IngestClient.connect(opts.url, opts.token, {
    ack: (_s, _q, dup) => void (dup && duplicates++),
    error: (e) => void refused.push(`${e.code}: ${e.message}`),
    shutdown: (s) => {
      shutdowns++;
      out(JSON.stringify({ type: 'shutdown', stream: s.stream, reason: s.reason, epoch: s.epoch }));
    },
  });
  const started = performance.now();
  const ts0 = messages[0]?.ts ?? 0;
  for (let i = 0; i < messages.length; ) {
    const due = Number.isFinite(opts.speed) ? (messages[i]!.ts - ts0) / opts.speed : 0;
    const wait = due - (performance.now() - started);
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const batch = messages.slice(i, i + opts.batch);
    client.send(batch);
    i += batch.length;
    // At full speed, keep a bounded number outstanding rather than queueing the whole file.
    while (client.outstanding > 5000) await new Promise((r) => setTimeout(r, 1));
  }
  const deadline = Date.now() + 30_000;
  while (client.outstanding > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 50)); // a shutdown signal follows its message's ack
  await client.close();
  const summary = { sent: client.sent, acked: client.acked, duplicates, refused: refused.length, unanswered: client.outstanding, shutdowns, seconds: +((performance.now() - started) / 1000).toFixed(2) };
  out(JSON.stringify({ type: 'summary', ...summary, ...(refused.length ? { firstRefusal: refused[0] } : {}) }));
  return refused.length > 0 || client.outstanding > 0 ? 1 : 0;
}
