/**
 * The Flag: one finding, the same shape in the library, the CLI, on the wire and in the journal.
 * `start`/`end` are UTF-16 offsets into the ORIGINAL text of the message the flag belongs to,
 * so `text.slice(start, end) === matched`.
 */
export const CATEGORIES = ['extreme', 'exclusive', 'medical', 'contact'] as const;
export type Category = (typeof CATEGORIES)[number];

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type MessageKind = 'transcript' | 'chat';

export interface Flag {
  /** Unique per scanner (or per server journal): `f<number>` */
  id: string;
  stream?: string;
  seq?: number;
  category: Category;
  /** The canonical lexicon phrase, or the detector name (`phone`, `qq`, `url`, `email`, `wechat_id`). */
  term: string;
  /** `text.slice(start, end)` of the original message. */
  matched: string;
  start: number;
  end: number;
  severity: Severity;
  kind?: MessageKind;
  ts?: number;
  /** True when the match needed de-obfuscation (noise, homophones, pinyin, traditional, styled digits...). */
  evasion: boolean;
  /** Which lane found it: the folded characters, their pinyin, or a pattern detector. */
  via: 'text' | 'pinyin' | 'detector';
  /** For a phrase split across chunks: the part of it that arrived in earlier chunk(s). */
  carried?: string;
  /** Chat: the viewer who wrote it (the chat message's `user`). */
  user?: string;
  /** Transcript: who said it, when the pipeline knows (`host`, `guest`, `opponent`). */
  speaker?: 'host' | 'guest' | 'opponent';
  /** Raised on a partial ASR hypothesis (`final:false`); a `retract` follows if the final drops it. */
  partial?: true;
}

/** Allocates flag ids `f1, f2, ...`; a journal can seed it so ids continue after a restart. */
export class FlagIdAllocator {
  #next: number;
  /**
   * Several owner processes (src/node) share one id space by residue class: owner i of N hands out
   * only numbers n with (n - 1) mod N = i, so ids are unique across the node without talking.
   */
  readonly #step: number;
  readonly #owner: number;
  constructor(next = 1, classes: { owner: number; of: number } = { owner: 0, of: 1 }) {
    this.#step = classes.of;
    this.#owner = classes.owner;
    this.#next = this.#inClass(next);
  }
  next(): string {
    const n = this.#next;
    this.#next += this.#step;
    return `f${n}`;
  }
  peek(): number {
    return this.#next;
  }
  /** Continues from `next` (a rebuild from the journal), or the first number of its class at or above it. */
  reset(next: number): void {
    this.#next = this.#inClass(next);
  }
  /** The first number at or above `n` this allocator may hand out. */
  #inClass(n: number): number {
    if (this.#step === 1) return n;
    const off = (((this.#owner + 1 - n) % this.#step) + this.#step) % this.#step;
    return n + off;
  }
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** A category's index in CATEGORIES: the code the scan's typed columns hold for it. */
export function categoryIndex(c: Category): number {
  return CATEGORIES.indexOf(c);
}
