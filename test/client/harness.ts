/**
 * What the client fault tests share: a scripted workload over many streams (seeded, so a failing
 * run can be replayed), its model (the same messages through the library scanner, stream by stream,
 * in order: what the server must have flagged, each flag once), and a pipeline that sends it
 * through `IngestClient` recording every promise's fate.
 */
export { freePort } from '../cluster/harness.js';
import { expect } from 'vitest';
import { prng } from '../../bench/corpus.js';
import { createScanner, IngestClient, type IngestAck } from '../../src/index.js';
import { Client, TOKENS, type ServerProcess } from '../server/harness.js';

export const T0 = 1_790_000_000_000;
const CLAIMS = ['全网最低价', '史上最强', '销量第一', '根治', '加微信', '独家合作'];

/** A type, not an interface: the client's send takes any record. */
export type Msg = {
  type: 'transcript' | 'chat';
  stream: string;
  seq: number;
  ts: number;
  text: string;
  user?: string;
};

/** `total` messages over `streams` streams, streams picked at random (each one's own in order); every 5th stream is chat. */
export function workload(total: number, streams: number, seed: number, prefix = 's'): Msg[] {
  const rand = prng(seed);
  const per = Math.ceil(total / streams);
  const next = new Array<number>(streams).fill(1);
  const live = Array.from({ length: streams }, (_, j) => j);
  const out: Msg[] = [];
  while (out.length < total && live.length > 0) {
    const at = Math.floor(rand() * live.length);
    const j = live[at]!;
    const k = next[j]!++;
    if (k >= per) live.splice(at, 1);
    const stream = `${prefix}${j}`;
    const text = (k + j) % 5 === 0 ? `第${k}句，${CLAIMS[(k * 7 + j) % CLAIMS.length]}` : `第${k}句，大家好，欢迎来到直播间`;
    const ts = T0 + k * 200;
    out.push(j % 5 === 4 ? { type: 'chat', stream, seq: k, ts, text, user: `u${k % 17}` } : { type: 'transcript', stream, seq: k, ts, text });
  }
  return out;
}

/** `stream/seq/category/term/start-end` of one flag: what must appear once whatever the faults. */
export const flagKey = (f: { stream?: string; seq?: number; category: string; term: string; start: number; end: number }) => `${f.stream}/${f.seq}/${f.category}/${f.term}/${f.start}-${f.end}`;

/** The model: the workload through the library scanner (same lexicon), each stream's messages in order. */
export function modelFlags(msgs: readonly Msg[], lexiconDir: string): string[] {
  const scanner = createScanner({ lexiconDir });
  const keys: string[] = [];
  for (const m of msgs) for (const f of scanner.stream(m.stream).push(m.text, { seq: m.seq, ts: m.ts, kind: m.type })) keys.push(flagKey(f));
  return keys.sort();
}

export interface Outcome {
  acks: number;
  duplicates: number;
  /** Messages whose promise rejected, with why. */
  failures: string[];
  /** Messages whose promise settled more than once, or with another message's stream/seq. */
  wrong: string[];
  unsettled: number;
}

/**
 * Sends `msgs` through `client` as a pipeline does (`await ready()` before each send) and records
 * each promise's fate. Resolves with the outcome once every promise has settled.
 */
export async function pipeline(client: IngestClient, msgs: readonly Msg[]): Promise<Outcome> {
  const o: Outcome = { acks: 0, duplicates: 0, failures: [], wrong: [], unsettled: msgs.length };
  const settled = new Uint8Array(msgs.length);
  const settles: Promise<void>[] = [];
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    await client.ready();
    settles.push(
      client.send(m).then(
        (ack: IngestAck) => {
          if (settled[i]++ > 0 || ack.stream !== m.stream || ack.seq !== m.seq) o.wrong.push(`${m.stream}/${m.seq}: ${JSON.stringify(ack)}`);
          o.acks++;
          if (ack.duplicate) o.duplicates++;
          o.unsettled--;
        },
        (err: Error) => {
          if (settled[i]++ > 0) o.wrong.push(`${m.stream}/${m.seq}: settled twice`);
          o.failures.push(`${m.stream}/${m.seq}: ${err.message}`);
          o.unsettled--;
        },
      ),
    );
  }
  await Promise.all(settles);
  return o;
}

/** Every flag the server's journal holds, through the feed's history (ids counted back from the newest). */
export async function journaledFlags(server: ServerProcess, expected: number): Promise<string[]> {
  const feed = await Client.open(server.url('/feed', TOKENS.moderator[0]));
  try {
    feed.send({ type: 'subscribe', history: 100_000 });
    await feed.next(() => feed.of('flag').length >= expected, 60_000).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 500)); // anything beyond the expected count shows up too
    const flags = feed.of('flag').map((m) => m.flag as { id: string; stream: string; seq: number; category: string; term: string; start: number; end: number });
    if (flags.length > 0) expect(flags[0]!.id, 'the history reaches back to the first flag').toBe('f1');
    return flags.map(flagKey).sort();
  } finally {
    feed.close();
  }
}

/** Keys in `got` more often than in `want` (repeats), and keys of `want` missing from `got`. */
export function multisetDiff(got: readonly string[], want: readonly string[]): { extra: string[]; missing: string[] } {
  const count = new Map<string, number>();
  for (const k of want) count.set(k, (count.get(k) ?? 0) + 1);
  const extra: string[] = [];
  for (const k of got) {
    const c = count.get(k) ?? 0;
    if (c === 0) extra.push(k);
    else count.set(k, c - 1);
  }
  const missing = [...count].flatMap(([k, c]) => Array<string>(c).fill(k));
  return { extra, missing };
}


/** Server limits that let one test client run at full speed (the defaults pace a single connection at 5k msg/s). */
export const UNPACED = { ratePerSecond: 1e6, tokenRatePerSecond: 1e6, globalRatePerSecond: 1e6, rateBurst: 1e6, cpuShare: 1, cpuBurstMs: 1000 };
