/**
 * The records the processor appends, as it appends them: one `append` per ingest frame (1-8
 * messages), each message a `MessageRecord` with ~40 Chinese characters of host speech or chat
 * (bench/e2e/text.ts), 3% of them raising a flag (and then, half the time, an escalation `level`
 * record after it), over `streams` live streams. Seeded: every contender gets the same records.
 */
import type { Flag } from '../../src/flag.js';
import type { StreamRecord } from '../../src/stream/records.js';
import { prng } from '../corpus.js';
import { TextPool } from '../e2e/text.js';

export const FLAG_RATE = 0.03;

export class Workload {
  readonly #rnd: () => number;
  readonly #texts: TextPool;
  readonly #streams: string[];
  readonly #seqs: number[];
  #flag = 1;
  #ts = 1_790_000_000_000;

  constructor(seed: number, streams = 200) {
    this.#rnd = prng(seed);
    this.#texts = new TextPool({ chars: 40, violationRate: FLAG_RATE, evasionRate: 0.3, seed }, 2048);
    this.#streams = Array.from({ length: streams }, (_, i) => `room-${String(100000 + i * 7919)}`);
    this.#seqs = this.#streams.map(() => 0);
  }

  /** One frame's records: 1-8 messages of one stream (a frame comes from one connection). */
  frame(): StreamRecord[] {
    const out: StreamRecord[] = [];
    const n = 1 + Math.floor(this.#rnd() * 8);
    const si = Math.floor(this.#rnd() * this.#streams.length);
    for (let i = 0; i < n; i++) this.#message(si, out);
    return out;
  }

  /** At least `count` records, as frames. */
  records(count: number): StreamRecord[] {
    const out: StreamRecord[] = [];
    while (out.length < count) out.push(...this.frame());
    return out;
  }

  #message(si: number, out: StreamRecord[]): void {
    const rnd = this.#rnd;
    const stream = this.#streams[si]!;
    const seq = ++this.#seqs[si]!;
    const ts = (this.#ts += Math.floor(rnd() * 5));
    const chat = rnd() < 0.4;
    const kind = chat ? 'chat' : 'transcript';
    const text = chat ? this.#texts.nextChat() + this.#texts.nextTranscript().slice(0, 26) : this.#texts.nextTranscript();
    const flags: Flag[] = [];
    if (rnd() < FLAG_RATE) {
      const start = Math.floor(rnd() * Math.max(1, text.length - 5));
      const end = Math.min(text.length, start + 2 + Math.floor(rnd() * 4));
      flags.push({ id: `f${this.#flag++}`, stream, seq, category: rnd() < 0.5 ? 'extreme' : 'contact', term: text.slice(start, end), matched: text.slice(start, end), start, end, severity: rnd() < 0.2 ? 'high' : 'medium', kind, ts, evasion: rnd() < 0.3, via: 'text' });
    }
    out.push({ t: 'msg', stream, seq, ts, kind, final: true, flags, text });
    if (flags.length > 0 && rnd() < 0.5) out.push({ t: 'level', stream, level: 'watch', risk: Math.round(rnd() * 100) / 10, ts });
  }
}
