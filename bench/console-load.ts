/**
 * The load a moderator's board is tried with, shared by `npm run bench:console` (board mode) and
 * the board's browser tests: N live streams, each seeded with one flagged line, then flags at a
 * steady rate skewed towards a few hot streams (so levels spread from normal to shut down), some
 * streams in PK sessions, and a few hostile stream ids, viewer names and texts that must stay text.
 * Deterministic (a seeded generator), so a failing run can be replayed.
 */

/** Stream ids, viewer names and texts that would run script if the page ever parsed them as HTML. */
export const HOSTILE = {
  streams: ['<img src=x onerror=alert(1)>', '"><svg onload=alert(2)>'],
  user: '<script>alert(3)</script>',
  text: '<b onmouseover=alert(4)>全网最低价</b><img src=x onerror=alert(5)>',
};

/** Flagged lines, by what they are meant to raise; the last is a critical claim (shuts a stream down). */
const LINES = ['今天这款全网最低价', '这个系列销量第一', '效果史上最强哦', '想要的私聊加我微信', '库存不多全网最低价了', '喝了能治癌'];

export type LoadMessage =
  | { type: 'transcript'; stream: string; seq: number; ts: number; text: string; speaker?: 'guest' | 'opponent' }
  | { type: 'chat'; stream: string; seq: number; ts: number; text: string; user: string }
  | { type: 'pk'; stream: string; seq: number; ts: number; state: 'start'; opponent: string };

export class BoardLoad {
  readonly streams: string[];
  readonly #seqs = new Map<string, number>();
  #rng: number;
  #sent = 0;

  constructor(count: number, seed = 20) {
    this.#rng = seed;
    const width = String(count - 1).length;
    this.streams = Array.from({ length: count - HOSTILE.streams.length }, (_, i) => `room-${String(i).padStart(width, '0')}`).concat(HOSTILE.streams);
  }

  #seq(stream: string): number {
    const n = (this.#seqs.get(stream) ?? 0) + 1;
    this.#seqs.set(stream, n);
    return n;
  }

  /** A uniform in [0, 1) (mulberry32). */
  #random(): number {
    let t = (this.#rng = (this.#rng + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** One flagged line per stream, and every 25th stream in a PK session with its neighbour. */
  seed(ts = Date.now()): LoadMessage[] {
    const out: LoadMessage[] = [];
    this.streams.forEach((stream, i) => {
      if (i % 25 === 0) out.push({ type: 'pk', stream, seq: this.#seq(stream), ts, state: 'start', opponent: this.streams[(i + 1) % this.streams.length]! });
      out.push(this.#line(stream, LINES[i % 5]!, ts));
    });
    return out;
  }

  /** The next `n` flagged lines: a third on the 30 hottest streams, the rest anywhere; one in 150 a critical claim. */
  next(n: number, ts = Date.now()): LoadMessage[] {
    const out: LoadMessage[] = [];
    for (let k = 0; k < n; k++) {
      const hot = this.#random() < 0.33;
      const stream = this.streams[Math.floor(this.#random() * (hot ? 30 : this.streams.length))]!;
      const critical = ++this.#sent % 150 === 0;
      out.push(this.#line(stream, critical ? LINES[5]! : LINES[Math.floor(this.#random() * 5)]!, ts));
    }
    return out;
  }

  #line(stream: string, text: string, ts: number): LoadMessage {
    const seq = this.#seq(stream);
    const hostile = HOSTILE.streams.includes(stream);
    // Every 7th line is chat from a viewer (the hostile streams' viewers have hostile names and text).
    if (seq % 7 === 3 || hostile) return { type: 'chat', stream, seq, ts, user: hostile ? HOSTILE.user : `viewer${seq % 97}`, text: hostile ? HOSTILE.text : text };
    return seq % 11 === 5 ? { type: 'transcript', stream, seq, ts, text, speaker: 'guest' } : { type: 'transcript', stream, seq, ts, text };
  }
}

/**
 * Runs in the page: the board's cards in the order drawn, with what the order is by. Pass to
 * `page.evaluate`; plain DOM reads only.
 */
export function readBoard(): { stream: string; level: string; risk: number; recent: number; pk: boolean; ended: boolean; label: string; banner: string }[] {
  const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<any> } }).document;
  // In drawn order: the board places cards by their rank (CSS `order`), not by where they are in the DOM.
  const drawn = Array.from(doc.querySelectorAll('#cards .card')).sort((a: any, b: any) => Number(a.dataset.rank) - Number(b.dataset.rank));
  return drawn.map((c: any) => ({
    stream: c.dataset.stream,
    level: c.dataset.level,
    risk: Number(c.querySelector('.gauge').dataset.risk),
    recent: Number(c.dataset.recent),
    pk: !c.querySelector('.pk').hidden,
    ended: c.dataset.ended === 'true',
    label: c.querySelector('.gauge-label').textContent,
    banner: c.querySelector('.banner').hidden ? '' : c.querySelector('.banner').textContent,
  }));
}

const RANK: Record<string, number> = { normal: 0, watch: 1, alert: 2, shutdown: 3 };

/** Where `cards` break the board's order (level, live before ended, risk, recent flags, id), skipping `pinned`; [] when sorted. */
export function orderBreaks(cards: readonly { stream: string; level: string; risk: number; recent: number; ended?: boolean }[], pinned?: string): string[] {
  const list = cards.filter((c) => c.stream !== pinned);
  const out: string[] = [];
  for (let i = 1; i < list.length; i++) {
    const a = list[i - 1]!;
    const b = list[i]!;
    const cmp = RANK[b.level]! - RANK[a.level]! || Number(a.ended ?? false) - Number(b.ended ?? false) || b.risk - a.risk || b.recent - a.recent || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);
    if (cmp > 0) out.push(`${a.stream}(${a.level} ${a.risk} ${a.recent}) before ${b.stream}(${b.level} ${b.risk} ${b.recent})`);
  }
  return out;
}
