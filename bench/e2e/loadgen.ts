/**
 * The load generator, run as its own process (`fork`) so its CPU is not the server's: N streams
 * over C ingest connections at R messages/s per stream, plus one moderator feed connection.
 *
 * Open model, coordinated-omission aware: message k of a connection is due at
 * `start + k / connectionRate`, and its latency runs from that due time, not from when the
 * generator got round to sending it. If the server (or the generator) falls behind, the backlog
 * shows up as latency instead of silently lowering the offered load.
 */
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import WebSocket from 'ws';
import { IngestSocket } from '../../src/client/ingest-socket.js';
import { ownerOfStream } from '../../src/node/owner-of.js';
import { TextPool } from './text.js';

export interface LoadConfig {
  url: string;
  /** Connection c goes to `urls[c % urls.length]` (several server processes, each reached directly); default: all to `url`. */
  urls?: string[];
  ingestToken: string;
  moderatorToken: string;
  streams: number;
  connections: number;
  /** Messages per second per stream. */
  rate: number;
  batch: number;
  durationS: number;
  warmupS: number;
  /** Share of messages that are viewer chat. */
  chatShare: number;
  chars: number;
  violationRate: number;
  evasionRate: number;
  seed: number;
  /** The server runs this many owner processes: each connection carries streams of one owner and names them (`?streams=`), so none is forwarded. */
  owners?: number;
}

export interface HistogramSummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface SecondSample {
  t: number;
  /** Epoch second the sample ended at (wall clock), to line up with the server's own seconds. */
  second: number;
  sent: number;
  acked: number;
  errors: number;
  flags: number;
  ackP99: number;
  ackP999: number;
  ackMax: number;
}

export interface LoadResult {
  sent: number;
  acked: number;
  errors: number;
  errorCodes: Record<string, number>;
  unanswered: number;
  /** Acked during the measured window (after warm-up), and the UTF-16 units they carried. */
  measuredAcked: number;
  measuredChars: number;
  measuredSeconds: number;
  ack: HistogramSummary;
  flag: HistogramSummary;
  timeline: SecondSample[];
  /** How far behind schedule the generator itself got (ms): if large, the generator saturated, not the server. */
  generatorLagMs: number;
}

// Due times kept per stream: more than any stream has outstanding (4,096 is 160 s of a stream at
// 25 msg/s). 1 << 15 was 0.6 GB of typed arrays for 2,000 streams, zero-filled while the server warmed up.
const RING = 1 << 12;

/** Milliseconds summary of a histogram recorded in microseconds. */
export function summarize(h: RecordableHistogram): HistogramSummary {
  const ms = (v: number) => Math.round(v) / 1000;
  if (h.count === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return { count: h.count, p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), p999: ms(h.percentile(99.9)), max: ms(h.max) };
}

/**
 * Stream indices per connection; each connection sends its streams in turn. One owner: dealt
 * round-robin. Several: connection c carries streams of owner c mod `owners` only (dealt round-robin
 * among that owner's connections), the streams a real client would group by `streamsByOwner`.
 */
export function dealStreams(streams: number, connections: number, owners: number): number[][] {
  const out = Array.from({ length: connections }, () => [] as number[]);
  if (owners <= 1) {
    for (let s = 0; s < streams; s++) out[s % connections]!.push(s);
    return out;
  }
  const seen = new Array<number>(owners).fill(0);
  for (let s = 0; s < streams; s++) {
    const o = ownerOfStream(`s${s}`, owners);
    // Connections of owner o are o, o + owners, ...; with fewer connections than owners, any.
    const ofOwner = Math.ceil((connections - o) / owners);
    const c = ofOwner > 0 ? o + (seen[o]!++ % ofOwner) * owners : s % connections;
    out[c]!.push(s);
  }
  return out;
}

/**
 * Whole frames of `batch` messages a connection sending `rate` messages/s owes `elapsedS` seconds
 * in, having sent `sent`. A frame leaves when its last message is due, as a pipeline that sends
 * every `batch` messages would send it. (Sending whatever was due each millisecond made frames of
 * 1-3 messages at 40k msg/s over 20 connections: the server paid its per-frame costs, WebSocket
 * framing, parse, ack frame and syscalls, ten times as often as the setup says.)
 */
export function batchesDue(elapsedS: number, rate: number, sent: number, batch: number, lead = 0): number {
  return Math.max(0, Math.floor((Math.floor(elapsedS * rate + lead) - sent) / batch));
}

/**
 * How many messages ahead of the common schedule connection `c` of `connections` runs: its frames
 * are due spread over a batch's interval, as independent pipelines' would be. In phase, all 20
 * connections' frames came due at the same instant: at 1,000 msg/s a burst of 400 messages every
 * 400 ms, and the last connection's ack waited behind the other 19 (ack p50 25 ms, against 3.5 ms
 * for the same rate on one connection).
 */
export function phaseLead(c: number, connections: number, batch: number): number {
  return (batch * c) / connections;
}

/**
 * When the frame of messages `sent + 1 … sent + n` is due, in ms from the start: its last message's
 * due time. Its messages' latencies run from there (the wait to fill a batch is the client's).
 */
export function frameDueMs(sent: number, n: number, rate: number, lead = 0): number {
  return ((sent + n - lead) / rate) * 1000;
}

export async function runLoad(cfg: LoadConfig, progress: (s: SecondSample) => void): Promise<LoadResult> {
  const pool = new TextPool({ chars: cfg.chars, violationRate: cfg.violationRate, evasionRate: cfg.evasionRate, seed: cfg.seed });
  /** Each pool text as a JSON string, made once (the pool repeats): the generator's CPU is taken from the server's machine. */
  const quotedText = new Map<string, string>();
  const due = Array.from({ length: cfg.streams }, () => new Float64Array(RING));
  const flagged = Array.from({ length: cfg.streams }, () => new Uint8Array(RING));
  // Seqs start at the wall clock in ms, so a later run against the same server (find-max steps,
  // --url) is never taken for re-sends of an earlier one and deduplicated away.
  const seqs = new Float64Array(cfg.streams).fill(Date.now());
  const ackHist = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
  const flagHist = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
  let secondHist = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
  const errorCodes: Record<string, number> = {};
  let measuring = false;
  let acked = 0;
  let errors = 0;
  let flags = 0;
  let chars = 0;
  void chars;
  const streamIndex = (name: string) => Number(name.slice(1));

  const onAck = (stream: string, seq: number) => {
    acked++;
    const i = streamIndex(stream);
    const us = Math.max(1, Math.round((performance.now() - due[i]![seq % RING]!) * 1000));
    secondHist.record(us);
    if (measuring) ackHist.record(us);
  };
  const perConn = dealStreams(cfg.streams, cfg.connections, cfg.owners ?? 1);
  const clients = await Promise.all(
    Array.from({ length: cfg.connections }, (_, c) =>
      IngestSocket.connect(cfg.urls?.length ? cfg.urls[c % cfg.urls.length]! : cfg.url, cfg.ingestToken, {
        ack: onAck,
        error: (e) => {
          errors++;
          errorCodes[e.code] = (errorCodes[e.code] ?? 0) + 1;
        },
      }, (cfg.owners ?? 1) > 1 ? { streams: perConn[c]!.map((s) => `s${s}`) } : {}),
    ),
  );
  const feedUrl = new URL('/feed', cfg.url);
  const feed = new WebSocket(feedUrl, { headers: { authorization: `Bearer ${cfg.moderatorToken}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    feed.once('open', () => {
      feed.send(JSON.stringify({ type: 'subscribe' })); // live at once, not after the hold for a subscribe
      resolve(undefined);
    });
    feed.once('error', reject);
  });
  feed.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString()) as { type: string; flag?: { stream: string; seq: number } };
    if (m.type !== 'flag' || !m.flag) return;
    flags++;
    const i = streamIndex(m.flag.stream);
    const slot = m.flag.seq % RING;
    if (flagged[i]![slot]) return; // latency of the first flag of a message
    flagged[i]![slot] = 1;
    if (measuring) flagHist.record(Math.max(1, Math.round((performance.now() - due[i]![slot]!) * 1000)));
  });

  const connRate = perConn.map((ss) => ss.length * cfg.rate);
  const sentPerConn = new Float64Array(clients.length);
  const cursor = new Int32Array(clients.length);
  const start = performance.now();
  const warmupEnd = start + cfg.warmupS * 1000;
  const end = warmupEnd + cfg.durationS * 1000;
  let measuredSent = 0;
  let measuredChars = 0;
  let measuredAckedAtStart = 0;
  // Samples close on wall-clock second boundaries, as the server's runtime seconds do.
  let currentSecond = Math.floor(Date.now() / 1000);
  let lastSent = 0;
  let lastAcked = 0;
  let lastErrors = 0;
  let lastFlags = 0;
  let lag = 0;
  const timeline: SecondSample[] = [];
  const chatEvery = cfg.chatShare > 0 ? Math.max(1, Math.round(1 / cfg.chatShare)) : 0;
  let total = 0;

  while (true) {
    const now = performance.now();
    if (now >= end) break;
    if (!measuring && now >= warmupEnd) {
      measuring = true;
      measuredAckedAtStart = acked;
    }
    for (let c = 0; c < clients.length; c++) {
      if (connRate[c] === 0) continue;
      const elapsed = (now - start) / 1000;
      const lead = phaseLead(c, clients.length, cfg.batch);
      for (let b = batchesDue(elapsed, connRate[c]!, sentPerConn[c]!, cfg.batch, lead); b > 0; b--) {
        const n = cfg.batch;
        const dueAt = start + frameDueMs(sentPerConn[c]!, n, connRate[c]!, lead);
        let frame = n > 1 ? '[' : '';
        for (let k = 0; k < n; k++) {
          const streams = perConn[c]!;
          const s = streams[cursor[c]!]!;
          cursor[c] = (cursor[c]! + 1) % streams.length;
          const seq = ++seqs[s]!;
          due[s]![seq % RING] = dueAt;
          flagged[s]![seq % RING] = 0;
          const chat = chatEvery > 0 && ++total % chatEvery === 0;
          const text = chat ? pool.nextChat() : pool.nextTranscript();
          let quoted = quotedText.get(text);
          if (quoted === undefined) quotedText.set(text, (quoted = JSON.stringify(text)));
          chars += text.length;
          if (measuring) measuredChars += text.length;
          const ts = Math.round(dueAt);
          frame += (k > 0 ? ',' : '') + (chat ? `{"type":"chat","stream":"s${s}","seq":${seq},"ts":${ts},"user":"u${seq}","text":${quoted}}` : `{"type":"transcript","stream":"s${s}","seq":${seq},"ts":${ts},"text":${quoted}}`);
        }
        if (n > 1) frame += ']';
        clients[c]!.sendFrame(frame, n);
        sentPerConn[c]! += n;
        if (measuring) measuredSent += n;
      }
      // Behind schedule: the next whole batch was already due.
      lag = Math.max(lag, now - (start + frameDueMs(sentPerConn[c]!, cfg.batch, connRate[c]!, lead)));
    }
    const wallSecond = Math.floor(Date.now() / 1000);
    if (wallSecond !== currentSecond) {
      const sentNow = clients.reduce((a, cl) => a + cl.sent, 0);
      const h = summarize(secondHist);
      const sample: SecondSample = { t: Math.round((now - start) / 1000), second: wallSecond, sent: sentNow - lastSent, acked: acked - lastAcked, errors: errors - lastErrors, flags: flags - lastFlags, ackP99: h.p99, ackP999: h.p999, ackMax: h.max };
      timeline.push(sample);
      progress(sample);
      secondHist = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
      currentSecond = wallSecond;
      lastSent = sentNow;
      lastAcked = acked;
      lastErrors = errors;
      lastFlags = flags;
    }
    // Sleep about a millisecond (not a busy loop: the generator shares the machine with the
    // server); lateness is counted as latency from the due time anyway.
    await new Promise((r) => setTimeout(r, 1));
  }
  const measuredSeconds = (performance.now() - warmupEnd) / 1000;
  const measuredAcked = acked - measuredAckedAtStart;
  // Let the outstanding messages be answered before reading the totals.
  const drainUntil = performance.now() + 10_000;
  while (clients.some((c) => c.outstanding > 0) && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  const sent = clients.reduce((a, c) => a + c.sent, 0);
  const unanswered = clients.reduce((a, c) => a + c.outstanding, 0);
  await Promise.all(clients.map((c) => c.close()));
  feed.close();
  return {
    sent,
    acked,
    errors,
    errorCodes,
    unanswered,
    measuredAcked,
    measuredChars: Math.round(measuredChars * Math.min(1, measuredAcked / Math.max(1, measuredSent))),
    measuredSeconds,
    ack: summarize(ackHist),
    flag: summarize(flagHist),
    timeline,
    generatorLagMs: Math.round(lag),
  };
}
