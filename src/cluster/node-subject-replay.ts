/**
 * A partition's records on the node subjects (node-commit.ts), for its replay: in stream sequence
 * order, a node batch's records of partition p (its `at`: partition and record count, run by run) count only while that node's term of p stands: from
 * the batch that lists p in `took` (or from the start of the replay, for the term the snapshot was
 * taken in) to the next `taken p` marker on that node's subject. Fencing already keeps a node from
 * storing p's records after a marker; a record found there anyway is dropped and counted
 * (`fencedRecords`), never replayed.
 *
 * Flag ids are given over the whole node batch (events.ts batchRecords: `seq * 1000 + i`, `i`
 * counting every partition's flags in it), exactly as the events reader and `since` give them.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { StreamRecord } from '../stream/records.js';
import { batchRecords, H_PARTS, isBatchV2, type BatchEvent } from './events.js';
import type { Subjects } from './subjects.js';
import { isTakenMarker } from './takeover-markers.js';

interface NodeMsg {
  subject: string;
  seq: number;
  headers?: { get(k: string): string } | undefined;
  json<T>(): T;
}

const NONE: readonly StreamRecord[] = [];

/**
 * Messages per pull of a replay. Node batches are ~40 KB each: 1,000 of them asked for 40 MB per
 * pull, four replays at once 160 MB. (Not `max_bytes`: the client then waits out each pull's expiry
 * unless the bytes are filled, 3 s per 100 messages in a test.)
 */
export const REPLAY_PULL = { partition: 1000, nodes: 100 } as const;

export class NodeSubjectReplay {
  readonly #subjects: Subjects;
  readonly #p: number;
  readonly #partPrefix: string;
  /** Nodes whose term of p a marker ended (until they list p in `took` again). */
  readonly #ended = new Set<string>();
  /** Records of p found after their node's term ended (fencing should make this 0). */
  fencedRecords = 0;

  constructor(subjects: Subjects, p: number) {
    this.#subjects = subjects;
    this.#p = p;
    this.#partPrefix = `${subjects.prefix}.ev.${p}.`;
  }

  /**
   * p's records in a message of the events stream: undefined for p's own subjects (the
   * per-partition layout, replayed as before), an empty list for anything else not p's.
   */
  read(m: NodeMsg): readonly StreamRecord[] | undefined {
    if (m.subject.startsWith(this.#partPrefix)) return undefined;
    const node = this.#subjects.nodeOfSubject(m.subject);
    if (node === undefined) return NONE; // another partition's subject
    const parts = partsOf(m);
    if (parts !== undefined && !parts.has(this.#p)) return NONE;
    let body: unknown;
    try {
      body = m.json();
    } catch {
      return NONE;
    }
    if (isTakenMarker(body)) {
      if (body.p === this.#p) this.#ended.add(node);
      return NONE;
    }
    if (!isBatchV2(body)) return NONE;
    const took = (body as { took?: unknown }).took;
    if (Array.isArray(took) && took.includes(this.#p)) this.#ended.delete(node);
    const mine = byPartition(body, m.seq).get(this.#p);
    if (mine === undefined) return NONE;
    if (this.#ended.has(node)) {
      this.fencedRecords += mine.length;
      return NONE;
    }
    return mine;
  }
}

/*
 * Per message and per parsed batch, worked out once: a message read through the node's shared
 * reader (node-tail.ts) is the same object, with the same parsed body, for every partition reading
 * it, and a score of them do: without this each of them split the header and passed over every
 * record of the batch (for its flag ids) again.
 */
const partsMemo = new WeakMap<object, ReadonlySet<number> | null>();
const recordsMemo = new WeakMap<object, Map<number, StreamRecord[]>>();

/** The partitions a node batch's header says it carries (undefined: no header, read the body). */
function partsOf(m: NodeMsg): ReadonlySet<number> | undefined {
  let parts = partsMemo.get(m);
  if (parts === undefined) {
    const header = m.headers?.get(H_PARTS);
    parts = header !== undefined && header !== '' ? new Set(header.split(',').map(Number)) : null;
    partsMemo.set(m, parts);
  }
  return parts ?? undefined;
}

/** A node batch's records by partition (its `at`: partition and record count, run by run), flag ids given. */
function byPartition(body: object, seq: number): Map<number, StreamRecord[]> {
  let out = recordsMemo.get(body);
  if (out) return out;
  out = new Map();
  const at = (body as { at?: unknown }).at;
  if (Array.isArray(at)) {
    const records = batchRecords(body as BatchEvent, seq);
    for (let k = 0, i = 0; k + 1 < at.length; k += 2) {
      const p = at[k] as number;
      const n = Number(at[k + 1]);
      let list = out.get(p);
      if (!list) out.set(p, (list = []));
      for (let j = i; j < i + n && j < records.length; j++) list.push(records[j]!);
      i += n;
    }
  }
  recordsMemo.set(body, out);
  return out;
}

/**
 * The highest sequence on any node subject (0: none), by the stream's per-subject index: the node
 * subjects by name (stream info with a subject filter), then each one's last message. Not
 * `last_by_subj` on the wildcard: nats-server 2.9 scans the stream's messages for that (with it,
 * rebuild.test's 64 replays over 256k events took 115-150 s instead of 14 s and lost a lease).
 */
export async function nodeSubjectsLastSeq(jsm: JetStreamManager, subjects: Subjects): Promise<number> {
  const info = await jsm.streams.info(subjects.eventsStream, { subjects_filter: subjects.nodeBatchesAll() });
  let last = 0;
  for (const subject of Object.keys(info.state.subjects ?? {})) {
    try {
      const sm = await jsm.streams.getMessage(subjects.eventsStream, { last_by_subj: subject });
      if (sm && sm.seq > last) last = sm.seq;
    } catch (err) {
      if (!/no message found|not found/i.test((err as Error).message)) throw err;
    }
  }
  return last;
}

/**
 * Ordered reads of the same stream merged in sequence order; each read ends after its message at
 * `last` (a read must take the message at its `last`).
 */
export async function* mergeBySeq<M extends { seq: number }>(reads: readonly { iter: AsyncIterable<M>; last: number }[]): AsyncGenerator<M> {
  const open = reads.map((r) => ({ it: r.iter[Symbol.asyncIterator](), last: r.last, head: undefined as M | undefined, done: false, finished: false }));
  const fill = async (o: (typeof open)[number]) => {
    if (o.done || o.head) return;
    const n = await o.it.next();
    if (n.done) o.done = o.finished = true;
    else o.head = n.value;
  };
  try {
    for (;;) {
      await Promise.all(open.map(fill));
      let next: (typeof open)[number] | undefined;
      for (const o of open) if (o.head && (!next || o.head.seq < next.head!.seq)) next = o;
      if (!next) return;
      const m = next.head!;
      next.head = undefined;
      if (m.seq >= next.last) next.done = true;
      yield m;
    }
  } finally {
    // A read left before its end is told so (a generator's own cleanup runs then); not awaited:
    // a consumer's iterator is stopped by its owner.
    for (const o of open) if (!o.finished) void o.it.return?.(undefined)?.catch(() => {});
  }
}
