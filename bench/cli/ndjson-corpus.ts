/**
 * Seeded NDJSON input for `pkguard scan`: lines of 30–60 UTF-16 units of host speech (corpus.ts),
 * a share of them carrying a claim from the bench vocabulary (flagged by the bundled lexicons),
 * chat and transcript kinds mixed; with `streams`, transcript lines belong to interleaved streams.
 * A small share of lines takes the parser's slow roads on purpose: escapes (\" \n \u2028), extra
 * fields, keys in another order.
 *
 *   node dist/bench/cli/ndjson-corpus.js --lines 200000 [--streams 64] [--hits 0.2] > in.ndjson
 */
import { makeLexicon, makeMessages, prng } from '../corpus.js';

export interface NdjsonCorpusOptions {
  lines: number;
  /** Interleaved streams for transcript lines; 0: no `stream` field. */
  streams: number;
  /** Share of host sentences carrying a claim. */
  hits: number;
  seed: number;
  /** Share of lines with an escape, an extra field or another key order. Default 0.02. */
  unusual?: number;
}

export function ndjsonCorpus(o: NdjsonCorpusOptions): string {
  const rnd = prng(o.seed);
  const claims = makeLexicon(500, o.seed).patterns;
  // makeMessages cuts 10–80 units; keep 30–60 by joining short pieces.
  const pieces = makeMessages(o.lines * 60, claims, o.hits, o.seed ^ 0x5bd1e995);
  const out: string[] = [];
  let p = 0;
  for (let i = 0; i < o.lines; i++) {
    const want = 30 + Math.floor(rnd() * 31);
    let text = '';
    while (text.length < want) text += pieces[p++ % pieces.length];
    text = text.slice(0, want);
    if (/[\ud800-\udbff]$/.test(text)) text = text.slice(0, -1);
    const chat = rnd() < 0.4;
    const id = `m${i}`;
    const unusual = rnd() < (o.unusual ?? 0.02);
    if (unusual) {
      const k = Math.floor(rnd() * 4);
      if (k === 0) out.push(JSON.stringify({ id, text: `"${text}"\n\u2028`, kind: 'chat' }));
      else if (k === 1) out.push(JSON.stringify({ text, id, kind: chat ? 'chat' : 'transcript' }));
      else if (k === 2) out.push(JSON.stringify({ id, text, kind: 'chat', user: `u${i % 97}`, ts: i }));
      else out.push(`{ "id" : ${JSON.stringify(id)} , "text" : ${JSON.stringify(text)} }`);
      continue;
    }
    if (chat || o.streams === 0) out.push(`{"id":"${id}","text":${JSON.stringify(text)},"kind":"${chat ? 'chat' : 'transcript'}"}`);
    else out.push(`{"id":"${id}","text":${JSON.stringify(text)},"kind":"transcript","stream":"s${Math.floor(rnd() * o.streams)}"}`);
  }
  return out.join('\n') + '\n';
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/dist\//, '/'))) {
  process.stdout.write(ndjsonCorpus({ lines: arg('--lines', 200_000), streams: arg('--streams', 0), hits: arg('--hits', 0.2), seed: arg('--seed', 7) }));
}
