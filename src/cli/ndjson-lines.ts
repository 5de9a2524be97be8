/**
 * NDJSON lines of a byte stream: split at `\n` only, a `\r` before it dropped (CRLF files).
 * Not node:readline: from Node 22 on it also breaks lines at U+2028 and U+2029, which JSON allows
 * raw inside strings (ASR text carries them), so one request came out as several broken lines.
 * A long line is gathered in parts and joined once: searching only each new chunk for `\n` keeps
 * a 4 MiB line linear.
 *
 * `ndjsonBatches` yields the complete lines of each input chunk together: the scan CLI handles a
 * chunk's few hundred lines in one synchronous pass (an await per line cost more than parsing it).
 */
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export async function* ndjsonBatches(input: Readable): AsyncGenerator<string[]> {
  const decoder = new StringDecoder('utf8');
  let parts: string[] = [];
  const take = (last: string): string => {
    parts.push(last);
    const line = parts.length === 1 ? last : parts.join('');
    parts = [];
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
    const batch: string[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      batch.push(take(text.slice(start, nl)));
      start = nl + 1;
    }
    if (start < text.length) parts.push(text.slice(start));
    if (batch.length > 0) yield batch;
  }
  const tail = decoder.end();
  if (tail.length > 0 || parts.length > 0) yield [take(tail)];
}

export async function* ndjsonLines(input: Readable): AsyncGenerator<string> {
  for await (const batch of ndjsonBatches(input)) yield* batch;
}
