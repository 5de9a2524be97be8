/**
 * The node subjects' history (node-commit.ts), read from JetStream once for all the partitions a
 * node replays, not once per partition.
 *
 * On node subjects a partition's records are spread over every node's batches, so each partition's
 * replay reads every node batch after its snapshot (node-subject-replay.ts keeps its own). A node
 * taking a dead peer's partitions replays a score of them over the same stretch: read and parsed
 * per partition, that was the stretch times the partitions (rebuild.test with the node layout: 2
 * of 64 partitions rebuilt in 150 s, against 8-14 s on the per-partition layout).
 *
 * Here the stretch is read in chunks of about `chunkBytes` (each from a sequence to the last
 * message read: every node-subject message between the two is in it), kept while they fit in
 * `cacheBytes`, and each message's JSON is parsed once, by its first reader. A reader wanting a
 * sequence no chunk holds waits for a fetch already under way that starts at or before it, then
 * fetches its own. Chunks being read are never evicted; the others leave least recently used first.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { REPLAY_PULL } from './node-subject-replay.js';
import { readRange } from './range-reader.js';
import type { Subjects } from './subjects.js';

/** A node-subject message as replay reads it (node-subject-replay.ts NodeMsg). */
export interface TailMsg {
  readonly subject: string;
  readonly seq: number;
  readonly headers: { get(k: string): string } | undefined;
  json<T>(): T;
}

interface Chunk {
  from: number;
  to: number;
  msgs: CachedMsg[];
  bytes: number;
  readers: number;
  usedAt: number;
}

/** Parsed objects weigh several times their JSON: a chunk counts this many times its bytes. */
const PARSED_WEIGHT = 4;

class CachedMsg implements TailMsg {
  readonly subject: string;
  readonly seq: number;
  readonly headers: { get(k: string): string } | undefined;
  #data: Uint8Array | undefined;
  #body: unknown;

  constructor(m: JsMsg) {
    this.subject = m.subject;
    this.seq = m.seq;
    this.headers = m.headers;
    this.#data = m.data;
  }

  json<T>(): T {
    if (this.#data !== undefined) {
      const data = this.#data;
      this.#data = undefined;
      this.#body = JSON.parse(new TextDecoder().decode(data));
    }
    return this.#body as T;
  }
}

export interface NodeTailOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  subjects: Subjects;
  /** Cached chunks are evicted past this (their JSON bytes × PARSED_WEIGHT). Default 256 MiB. */
  cacheBytes?: number;
  /** A chunk ends at the first message that brings it to this many bytes. Default 4 MiB. */
  chunkBytes?: number;
  onRetry?: (reason: string, detail: string) => void;
}

export class NodeTail {
  readonly #o: NodeTailOptions;
  readonly #cacheBytes: number;
  readonly #chunkBytes: number;
  #chunks: Chunk[] = [];
  readonly #fetching = new Set<{ from: number; done: Promise<unknown> }>();
  #weight = 0;
  /** Messages fetched from JetStream, and handed to readers: their ratio is the sharing. */
  fetched = 0;
  handed = 0;

  constructor(o: NodeTailOptions) {
    this.#o = o;
    this.#cacheBytes = o.cacheBytes ?? 256 * 1024 * 1024;
    this.#chunkBytes = o.chunkBytes ?? 4 * 1024 * 1024;
  }

  /** Bytes the cache holds now (weighted as for eviction). */
  get cachedBytes(): number {
    return this.#weight;
  }

  /** Every node-subject message with `from` ≤ seq ≤ `to`, in sequence order; `to` must be one. */
  async *read(from: number, to: number): AsyncGenerator<TailMsg> {
    let cursor = Math.max(1, from);
    while (cursor <= to) {
      const chunk = await this.#chunkAt(cursor, to);
      chunk.readers++;
      try {
        for (let i = firstAtOrAfter(chunk.msgs, cursor); i < chunk.msgs.length; i++) {
          const m = chunk.msgs[i]!;
          if (m.seq > to) return;
          this.handed++;
          yield m;
        }
      } finally {
        chunk.readers--;
        chunk.usedAt = Date.now();
      }
      cursor = chunk.to + 1;
      this.#evict();
    }
  }

  /** Drops every cached chunk not being read (a replay wave is over). */
  clear(): void {
    this.#chunks = this.#chunks.filter((c) => c.readers > 0);
    this.#weight = this.#chunks.reduce((n, c) => n + c.bytes * PARSED_WEIGHT, 0);
  }

  async #chunkAt(cursor: number, to: number): Promise<Chunk> {
    for (;;) {
      const held = this.#find(cursor);
      if (held) return held;
      // A fetch under way from at or before the cursor may bring it: wait for that one first.
      let earlier: Promise<unknown> | undefined;
      for (const f of this.#fetching) if (f.from <= cursor) earlier = f.done;
      if (!earlier) break;
      await earlier.catch(() => undefined);
    }
    const fetch = { from: cursor, done: this.#fetch(cursor, to) };
    this.#fetching.add(fetch);
    try {
      return await fetch.done;
    } finally {
      this.#fetching.delete(fetch);
    }
  }

  #find(seq: number): Chunk | undefined {
    let best: Chunk | undefined;
    for (const c of this.#chunks) if (c.from <= seq && seq <= c.to && (!best || c.to > best.to)) best = c;
    return best;
  }

  async #fetch(from: number, to: number): Promise<Chunk> {
    const msgs: CachedMsg[] = [];
    let bytes = 0;
    let last = from - 1;
    const o = this.#o;
    for await (const m of readRange({ js: o.js, jsm: o.jsm, stream: o.subjects.eventsStream, filter: o.subjects.nodeBatchesAll(), from, to, batch: REPLAY_PULL.nodes, ...(o.onRetry ? { onRetry: o.onRetry } : {}) })) {
      msgs.push(new CachedMsg(m));
      bytes += m.data.length;
      last = m.seq;
      if (m.seq >= to || bytes >= this.#chunkBytes) break;
    }
    this.fetched += msgs.length;
    // Every node-subject message from `from` to the last one read (the range reader skips none).
    const chunk: Chunk = { from, to: last, msgs, bytes, readers: 0, usedAt: Date.now() };
    this.#chunks.push(chunk);
    this.#weight += bytes * PARSED_WEIGHT;
    return chunk;
  }

  #evict(): void {
    if (this.#weight <= this.#cacheBytes) return;
    const idle = this.#chunks.filter((c) => c.readers === 0).sort((a, b) => a.usedAt - b.usedAt);
    for (const c of idle) {
      if (this.#weight <= this.#cacheBytes) break;
      this.#chunks.splice(this.#chunks.indexOf(c), 1);
      this.#weight -= c.bytes * PARSED_WEIGHT;
    }
  }
}

function firstAtOrAfter(msgs: readonly CachedMsg[], seq: number): number {
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (msgs[mid]!.seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
