/**
 * The backtest's read loop as it was before session 9 (readLines → an async generator per line →
 * JSON.parse of every line with text), kept only so `bench:backtest --ab` can measure old against
 * new in one process on one journal. Same tally and scanner; not used by the product.
 */
import type { Scanner } from '../src/detect/scanner.js';
import { dismissedFlags, journalSegments, type RecordedMessage } from '../src/backtest/journal-messages.js';
import { BacktestTally, type BacktestResult } from '../src/backtest/tally.js';
import { readLines } from '../src/journal/lines.js';

function parse(line: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

type Item = { t: 'msg'; msg: RecordedMessage } | { t: 'untold'; partial: boolean } | { t: 'end'; stream: string } | { t: 'bad' };

async function* items(dir: string): AsyncGenerator<Item> {
  for (const seg of journalSegments(dir)) {
    for await (const line of readLines(seg.path)) {
      if (line.startsWith('{"t":"end"')) {
        const v = parse(line);
        yield typeof v?.stream === 'string' ? { t: 'end', stream: v.stream } : { t: 'bad' };
        continue;
      }
      if (!line.startsWith('{"t":"msg"')) continue;
      if (!line.includes('"text":')) {
        yield { t: 'untold', partial: line.includes('"final":false') };
        continue;
      }
      const v = parse(line);
      yield v ? { t: 'msg', msg: v as unknown as RecordedMessage } : { t: 'bad' };
    }
  }
}

/** The old loop (partial-flag matching left out: the bench journal's partials carry few flags). */
export async function baselineBacktest(dir: string, scanner: Scanner): Promise<BacktestResult> {
  const started = performance.now();
  const tally = new BacktestTally(dismissedFlags(journalSegments(dir)));
  const counted = tally.messages;
  for await (const item of items(dir)) {
    if (item.t === 'bad') counted.bad++;
    else if (item.t === 'end') scanner.endStream(item.stream);
    else {
      counted.read++;
      if (item.t === 'untold') {
        if (item.partial) counted.partials++;
        else counted.withoutText++;
        continue;
      }
      const msg = item.msg;
      if (!msg.final) {
        counted.partials++;
        continue;
      }
      const meta = { kind: msg.kind, seq: msg.seq };
      const flags = msg.kind === 'chat' ? scanner.scan(msg.text!, { ...meta, stream: msg.stream }) : scanner.stream(msg.stream).push(msg.text!, meta);
      tally.compare(msg, msg.text!, flags);
    }
  }
  return tally.result((performance.now() - started) / 1000);
}
