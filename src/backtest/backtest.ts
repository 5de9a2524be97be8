/**
 * `runBacktest`: replays a journal's recorded messages through a candidate lexicon's scanner, each
 * stream's final transcript chunks in order with their cross-chunk carry (as the server scans them),
 * chat on its own, and tallies what the candidate would have flagged differently.
 */
import type { Scanner } from '../detect/scanner.js';
import type { Flag } from '../flag.js';
import { BacktestTally, type BacktestResult } from './tally.js';
import { dismissedFlags, journalItems, journalSegments } from './journal-messages.js';

export interface BacktestProgress {
  bytes: number;
  totalBytes: number;
  messages: number;
}

export interface BacktestOptions {
  /** The journal directory (`journal.dir` of the server that wrote it). Read only. */
  journalDir: string;
  /** A scanner over the candidate lexicon; its stream state is used and left behind. */
  candidate: Scanner;
  /** Examples kept per term and direction. Default 3. */
  examplesPerTerm?: number;
  /** Called every `progressEvery` messages and once at the end. */
  onProgress?: (p: BacktestProgress) => void;
  progressEvery?: number;
}

export async function runBacktest(opts: BacktestOptions): Promise<BacktestResult> {
  const started = performance.now();
  const segments = journalSegments(opts.journalDir);
  const totalBytes = segments.reduce((n, s) => n + s.bytes, 0);
  const tally = new BacktestTally(await dismissedFlags(segments), opts.examplesPerTerm);
  const scanner = opts.candidate;
  const every = opts.progressEvery ?? 20_000;
  const progress = { bytes: 0, totalBytes, messages: 0 };
  const counted = tally.messages;
  // Flags raised on partial hypotheses, per stream and seq, until the final chunk of that seq.
  const partialFlags = new Map<string, Map<number, Flag[]>>();
  for await (const item of journalItems(segments, (b) => (progress.bytes += b))) {
    if (item.t === 'bad') {
      counted.bad++;
      continue;
    }
    if (item.t === 'end') {
      scanner.endStream(item.stream);
      partialFlags.delete(item.stream);
      continue;
    }
    counted.read++;
    if (++progress.messages % every === 0) opts.onProgress?.(progress);
    if (item.t === 'untold') {
      if (item.partial) counted.partials++;
      else counted.withoutText++;
      continue;
    }
    const msg = item.msg;
    if (!msg.final) {
      // A hypothesis the final chunk replaced: the final's text is what gets compared.
      counted.partials++;
      if (msg.flags.length > 0) keepPartialFlags(partialFlags, msg.stream, msg.seq, msg.flags);
      continue;
    }
    const text = msg.text;
    if (text === undefined) {
      counted.withoutText++;
      continue;
    }
    const meta = { kind: msg.kind, seq: msg.seq };
    const flags = msg.kind === 'chat' ? scanner.scan(text, { ...meta, stream: msg.stream }) : scanner.stream(msg.stream).push(text, meta);
    tally.compare(msg, text, flags, msg.kind === 'transcript' ? takePartialFlags(partialFlags, msg.stream, msg.seq) : undefined);
  }
  opts.onProgress?.(progress);
  return tally.result((performance.now() - started) / 1000);
}

/** Seqs remembered per stream: an ASR engine revises only its last few chunks. */
const MAX_PENDING_SEQS = 32;

function keepPartialFlags(pending: Map<string, Map<number, Flag[]>>, stream: string, seq: number, flags: readonly Flag[]): void {
  let seqs = pending.get(stream);
  if (!seqs) pending.set(stream, (seqs = new Map()));
  const list = seqs.get(seq);
  if (list) list.push(...flags);
  else {
    seqs.set(seq, flags.slice());
    if (seqs.size > MAX_PENDING_SEQS) seqs.delete(seqs.keys().next().value!);
  }
}

function takePartialFlags(pending: Map<string, Map<number, Flag[]>>, stream: string, seq: number): Flag[] | undefined {
  const seqs = pending.get(stream);
  if (!seqs) return undefined;
  const flags = seqs.get(seq);
  for (const s of seqs.keys()) if (s <= seq) seqs.delete(s);
  if (seqs.size === 0) pending.delete(stream);
  return flags;
}
