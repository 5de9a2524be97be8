/**
 * The risk board: one card per stream with a risk gauge moved by `level` events (scaled to the
 * server's thresholds), a sparkline of the stream's flags over the last minutes of event time, its
 * PK state and opponent, a red banner once it is shut down, a pending recommendation in
 * `recommend` mode, and an "ended" tag once the stream sent `end` (until it is heard from again). Sorted and filtered by board-order.ts; only the top cards exist in the DOM, the
 * rest are counted. Drawing happens in `render`, which the page calls once per animation frame.
 */
import { ALL_CARDS, LEVELS, orderCards, matchesCard, type BoardFilter, type Ranked } from './board-order.js';
import { clockTime, data, el, hide, svg, text } from './dom.js';
import { flagAfterEnd, type EndMark } from '../stream/ended.js';
import { CATEGORIES, type Category, type Level, type StreamSummary, type Thresholds } from './wire.js';

const SPARK_WINDOW_MS = 5 * 60_000;
const SPARK_BUCKETS = 30;
const MAX_TIMES = 600;
/** Cards drawn; the rest are counted. Enough to fill a large screen twice over. */
export const MAX_CARDS = 48;
const MAX_HISTORY = 50;
/** The card grid (px): cards at least CARD_MIN wide, CARD_HEIGHT high (console.css fixes it), GAP apart. */
const CARD_MIN = 210;
const CARD_HEIGHT = 168;
const GAP = 8;

export interface CardActions {
  shutdown(stream: string): void;
  restore(stream: string): void;
  confirm(stream: string): void;
  decline(stream: string): void;
  open(stream: string): void;
  /** Something the page did not send changed the board (a card let go): draw it on the next frame. */
  changed(): void;
}

/** A level change the console saw, for the drill-down's history. */
export interface LevelChange {
  level: Level;
  risk: number;
  ts: number | undefined;
}

interface Card extends Ranked {
  stream: string;
  level: Level;
  risk: number;
  pk: boolean;
  opponent: string | undefined;
  shutdownReason: string | undefined;
  /** `recommend` mode: why pkguard recommends shutting it down, while that waits for a moderator. */
  recommended: string | undefined;
  ended: boolean;
  /** The `end` (seq and event time) while ended. */
  endedAt: EndMark | undefined;
  recent: number;
  categories: number[];
  history: LevelChange[];
  /** Event times of the stream's flags, newest last. */
  times: number[];
  /** Newest event time seen for the stream: the sparkline's "now". */
  now: number;
  note: string;
  confirming: boolean;
  /** Disarms an armed Shut down button after 6 s. */
  disarm: ReturnType<typeof setTimeout> | undefined;
  /** The pooled element drawing this card while it is in the top cards. */
  dom: CardDom | undefined;
  /** Bumped on every change; a card is redrawn only when it moved past what was drawn. */
  version: number;
  drawn: number;
}

/** One of the (at most MAX_CARDS) card elements, drawing whichever card is bound to it. */
interface CardDom {
  card: Card | undefined;
  /** The stream it was last filled for: the title and labels change only when it is rebound. */
  bound: string | undefined;
  root: HTMLElement;
  title: HTMLButtonElement;
  pk: HTMLElement;
  pkLabel: HTMLElement;
  opponent: HTMLButtonElement;
  endedTag: HTMLElement;
  recommend: HTMLElement;
  recommendText: HTMLElement;
  banner: HTMLElement;
  gauge: HTMLElement;
  fill: HTMLElement;
  tickWatch: HTMLElement;
  tickAlert: HTMLElement;
  label: HTMLElement;
  spark: SVGPolylineElement;
  sparkCount: HTMLElement;
  shutdown: HTMLButtonElement;
  cancel: HTMLButtonElement;
  restore: HTMLButtonElement;
  note: HTMLElement;
}

export interface BoardCounts {
  total: number;
  shown: number;
  byLevel: Record<Level, number>;
  ended: number;
}

export class StreamBoard {
  readonly #root: HTMLElement;
  readonly #more: HTMLElement;
  readonly #actions: CardActions;
  readonly #cards = new Map<string, Card>();
  #thresholds: Thresholds = { watch: 3, alert: 8, shutdown: 16 };
  #visible: (stream: string) => boolean = () => true;
  #filter: BoardFilter = ALL_CARDS;
  #order: string[] = [];
  /** The card the pointer is over / that holds the focus: it keeps its place while read. */
  #hovered: string | undefined;
  #focused: string | undefined;
  /** Newest event time seen on any stream: the "recent flags" window ends here. */
  #now = 0;
  counts: BoardCounts = { total: 0, shown: 0, byLevel: { normal: 0, watch: 0, alert: 0, shutdown: 0 }, ended: 0 };
  /** Set by any change; `render` does nothing until then (scrolling the feed must not redraw cards). */
  #dirty = true;
  /** The board's width (from a ResizeObserver: never read during a frame) and the width placed at. */
  #width: number;
  #placedWidth = -1;
  /**
   * The card elements, reused: a card entering the top cards takes the element of one that left
   * (refilled, not rebuilt), so the elements, and their compositor layers, stay the same as cards
   * come and go. A fresh element costs a style, layout, paint and a new layer; a re-sort none.
   */
  readonly #doms: CardDom[] = [];

  constructor(root: HTMLElement, more: HTMLElement, actions: CardActions) {
    this.#root = root;
    this.#more = more;
    this.#actions = actions;
    this.#width = root.clientWidth;
    new ResizeObserver((entries) => {
      const width = Math.floor(entries[entries.length - 1]!.contentRect.width);
      if (width === this.#width) return;
      this.#width = width;
      this.#dirty = true;
      this.#actions.changed();
    }).observe(root);
    const streamOf = (t: EventTarget | null) => ((t as Element | null)?.closest?.('.card') as HTMLElement | null)?.dataset.stream;
    // The pointer's own moves only: cards moving under a still pointer must not move the pin.
    let at = '';
    root.addEventListener('pointermove', (ev) => {
      const where = `${ev.clientX},${ev.clientY}`;
      if (where === at) return;
      at = where;
      const stream = streamOf(ev.target);
      if (stream !== this.#hovered) this.#pin('hover', stream);
    });
    root.addEventListener('pointerleave', () => {
      at = '';
      this.#pin('hover', undefined);
    });
    root.addEventListener('focusin', (ev) => this.#pin('focus', streamOf(ev.target)));
    root.addEventListener('focusout', (ev) => this.#pin('focus', streamOf(ev.relatedTarget)));
  }

  #pin(how: 'hover' | 'focus', stream: string | undefined): void {
    if (how === 'hover') this.#hovered = stream;
    else this.#focused = stream;
    // Letting go may let the card move to where it now belongs.
    if (stream === undefined || this.pinned !== stream) {
      this.#dirty = true;
      this.#actions.changed();
    }
  }

  /** The card kept in place, if any. */
  get pinned(): string | undefined {
    return this.#focused ?? this.#hovered;
  }

  setFilter(f: BoardFilter): void {
    this.#filter = f;
    this.#dirty = true;
  }

  setThresholds(t: Thresholds): void {
    this.#thresholds = t;
    for (const c of this.#cards.values()) this.#touch(c);
  }

  setVisible(visible: (stream: string) => boolean): void {
    this.#visible = visible;
    this.#dirty = true;
  }

  summary(s: StreamSummary): void {
    const c = this.#card(s.stream);
    c.level = s.level;
    c.risk = s.risk;
    c.pk = s.pk;
    c.opponent = s.pk ? s.opponent : undefined;
    if (s.level !== 'shutdown') c.shutdownReason = undefined;
    else c.shutdownReason = s.reason ?? c.shutdownReason ?? 'shut down';
    c.recommended = s.level === 'shutdown' ? undefined : s.recommended;
    c.ended = s.ended !== undefined;
    c.endedAt = s.ended;
    if (c.history.length === 0) c.history.push({ level: s.level, risk: s.risk, ts: undefined });
  }

  level(stream: string, level: Level, risk: number, ts?: number): void {
    const c = this.#card(stream);
    c.level = level;
    c.risk = risk;
    c.history.push({ level, risk, ts });
    if (c.history.length > MAX_HISTORY) c.history.shift();
    if (ts !== undefined) this.#seen(c, ts);
  }

  recommend(stream: string, reason: string): void {
    const c = this.#card(stream);
    if (c.shutdownReason === undefined) c.recommended = reason;
  }

  decline(stream: string): void {
    this.#card(stream).recommended = undefined;
  }

  /**
   * The stream sent `end`: ended until a flag past the end or a PK start says it is live again (its
   * last PK state stays on the card: who it was up against).
   * The server's feed state (src/server/feed-state.ts, applySignal) folds the same frames the same
   * way, so a reloaded page shows what this one does. A shut-down stream keeps its banner.
   */
  end(stream: string, seq: number, ts: number): void {
    const c = this.#card(stream);
    c.ended = true;
    c.endedAt = { seq, ts };
    this.#seen(c, ts);
  }

  /** Streams waiting for a moderator to confirm or decline pkguard's shutdown recommendation, riskiest first. */
  recommendations(): { stream: string; reason: string; risk: number }[] {
    const out: { stream: string; reason: string; risk: number }[] = [];
    for (const c of this.#cards.values()) if (c.recommended !== undefined) out.push({ stream: c.stream, reason: c.recommended, risk: c.risk });
    return out.sort((a, b) => b.risk - a.risk || (a.stream < b.stream ? -1 : 1));
  }

  /** What the drill-down shows from the console's own state. */
  info(stream: string): { level: Level; risk: number; pk: boolean; opponent: string | undefined; reason: string | undefined; recommended: string | undefined; ended: boolean; endedAt: { seq: number; ts: number } | undefined; history: readonly LevelChange[] } | undefined {
    const c = this.#cards.get(stream);
    return c && { level: c.level, risk: c.risk, pk: c.pk, opponent: c.opponent, reason: c.shutdownReason, recommended: c.recommended, ended: c.ended, endedAt: c.endedAt, history: c.history };
  }

  pk(stream: string, state: 'start' | 'end', opponent?: string): void {
    const c = this.#card(stream);
    c.pk = state === 'start';
    if (c.pk) {
      c.ended = false;
      c.endedAt = undefined;
    }
    c.opponent = c.pk ? opponent : undefined;
  }

  flag(stream: string | undefined, ts: number | undefined, category?: Category, seq?: number): void {
    if (stream === undefined) return;
    const c = this.#card(stream);
    // Heard from again, if the flag is past the end (a replayed older flag is not): the server's rule.
    if (c.endedAt && flagAfterEnd({ seq, ts }, c.endedAt)) {
      c.ended = false;
      c.endedAt = undefined;
    }
    const k = category === undefined ? -1 : CATEGORIES.indexOf(category);
    if (k >= 0) c.categories[k]!++;
    if (ts === undefined) return;
    this.#seen(c, ts);
    const t = c.times;
    // Usually in order; a replayed older flag is placed where it belongs.
    let i = t.length;
    while (i > 0 && t[i - 1]! > ts) i--;
    t.splice(i, 0, ts);
    if (t.length > MAX_TIMES) t.splice(0, t.length - MAX_TIMES);
  }

  shutdown(stream: string, reason: string): void {
    const c = this.#card(stream);
    c.level = 'shutdown';
    c.shutdownReason = reason;
    c.recommended = undefined;
    c.confirming = false;
  }

  restore(stream: string): void {
    const c = this.#card(stream);
    c.shutdownReason = undefined;
    if (c.level === 'shutdown') c.level = 'normal';
  }

  note(stream: string, text: string): void {
    this.#card(stream).note = text;
  }

  isShutDown(stream: string): boolean {
    return this.#cards.get(stream)?.shutdownReason !== undefined;
  }

  /** Streams shut down now, for the page banner. */
  shutDown(): { stream: string; reason: string }[] {
    const out: { stream: string; reason: string }[] = [];
    for (const c of this.#cards.values()) if (c.shutdownReason !== undefined) out.push({ stream: c.stream, reason: c.shutdownReason });
    return out;
  }

  get knownStreams(): string[] {
    return [...this.#cards.keys()];
  }

  render(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    const byLevel: Record<Level, number> = { normal: 0, watch: 0, alert: 0, shutdown: 0 };
    let ended = 0;
    const shown: Card[] = [];
    const from = this.#now - SPARK_WINDOW_MS;
    for (const c of this.#cards.values()) {
      byLevel[c.level]++;
      if (c.ended) ended++;
      c.recent = recentCount(c.times, from);
      if (this.#visible(c.stream) && matchesCard(this.#filter, c)) shown.push(c);
    }
    this.counts = { total: this.#cards.size, shown: shown.length, byLevel, ended };
    const top = orderCards(shown, this.pinned, this.#order).slice(0, MAX_CARDS);
    const inTop = new Set(top);
    for (const d of this.#doms) {
      if (d.card && !inTop.has(d.card)) {
        d.card.dom = undefined;
        d.card = undefined;
      }
    }
    const free = this.#doms.filter((d) => d.card === undefined);
    for (const c of top) {
      if (!c.dom) {
        const d = free.pop() ?? this.#build();
        d.card = c;
        c.dom = d;
        c.drawn = -1;
      }
      this.#fill(c);
      // The recent count moves with time, not only with the card: kept current for what reads the order.
      const recent = String(c.recent);
      if (c.dom!.root.dataset.recent !== recent) c.dom!.root.dataset.recent = recent;
    }
    // Elements no card took (fewer cards shown than before) leave the page until needed.
    for (const d of free) d.root.remove();
    const order = top.map((c) => c.stream);
    if (this.#placedWidth !== this.#width || order.length !== this.#order.length || order.some((s, i) => s !== this.#order[i])) {
      this.#place(top);
      this.#order = order;
    }
    const rest = shown.length - top.length;
    text(this.#more, rest > 0 ? `+${rest} more streams not drawn (narrow with the board filters)` : '');
  }

  /**
   * Puts the cards in order without moving them in the DOM or relaying them out: a card keeps its
   * element while it stays in the top cards, and its place on the grid is a whole-pixel
   * `translate` (its rank is `data-rank`, which tests and the bench read). Each card is its own
   * composited layer (`will-change: transform`), so a re-sort only moves layers: no layout, no
   * paint. Re-inserting nodes in order (before) rebuilt and repainted every moved card, and a grid
   * placement (CSS `order`) repainted all 48 on every re-sort (fractional column offsets).
   */
  #place(top: readonly Card[]): void {
    const root = this.#root;
    const width = (this.#placedWidth = this.#width);
    const cols = Math.max(1, Math.floor((width + GAP) / (CARD_MIN + GAP)));
    const cardWidth = Math.max(CARD_MIN, Math.floor((width - GAP * (cols - 1)) / cols));
    const rows = Math.ceil(top.length / cols);
    const cw = `${cardWidth}px`;
    if (root.style.getPropertyValue('--card-w') !== cw) root.style.setProperty('--card-w', cw);
    const height = `${Math.max(0, rows * (CARD_HEIGHT + GAP) - GAP)}px`;
    if (root.style.height !== height) root.style.height = height;
    top.forEach((c, i) => {
      const node = c.dom!.root;
      const rank = String(i);
      if (node.dataset.rank !== rank) node.dataset.rank = rank;
      const at = `translate(${(i % cols) * (cardWidth + GAP)}px, ${Math.floor(i / cols) * (CARD_HEIGHT + GAP)}px)`;
      if (node.style.transform !== at) node.style.transform = at;
      if (node.parentElement !== root) root.append(node);
    });
  }

  /** Streams in board order as drawn (the first MAX_CARDS). */
  get order(): readonly string[] {
    return this.#order;
  }

  /** The card of `stream` (created on first use), marked as changed: every caller is about to change it. */
  #card(stream: string): Card {
    let c = this.#cards.get(stream);
    if (!c) {
      c = { stream, level: 'normal', risk: 0, pk: false, opponent: undefined, shutdownReason: undefined, recommended: undefined, ended: false, endedAt: undefined, recent: 0, categories: [0, 0, 0, 0], history: [], times: [], now: 0, note: '', confirming: false, disarm: undefined, dom: undefined, version: 0, drawn: -1 };
      this.#cards.set(stream, c);
    }
    c.version++;
    this.#dirty = true;
    return c;
  }

  #seen(c: Card, ts: number): void {
    c.now = Math.max(c.now, ts);
    if (ts > this.#now) this.#now = ts;
  }

  #touch(c: Card): void {
    c.version++;
    this.#dirty = true;
  }

  /** Draws a card on its element (bound by `render`) when it changed since last drawn there. */
  #fill(c: Card): void {
    if (c.drawn === c.version) return;
    c.drawn = c.version;
    const d = c.dom!;
    const t = this.#thresholds;
    if (d.bound !== c.stream) {
      d.bound = c.stream;
      d.root.dataset.stream = c.stream;
      text(d.title, c.stream);
      d.title.title = `open ${c.stream}`;
      d.gauge.setAttribute('aria-label', `risk of ${c.stream}`);
    }
    data(d.root, 'level', c.level);
    d.root.classList.toggle('is-shutdown', c.shutdownReason !== undefined);
    d.root.classList.toggle('is-ended', c.ended);
    data(d.root, 'ended', String(c.ended));
    hide(d.endedTag, !c.ended);
    text(d.endedTag, c.ended ? `ended ${clockTime(c.endedAt?.ts)}` : '');
    text(d.pkLabel, c.pk ? (c.opponent ? 'PK vs ' : 'PK') : '');
    hide(d.pk, !c.pk);
    text(d.opponent, c.opponent ?? '');
    hide(d.opponent, !c.pk || c.opponent === undefined);
    hide(d.recommend, c.recommended === undefined);
    text(d.recommendText, c.recommended !== undefined ? `pkguard recommends shutdown: ${c.recommended}` : '');
    hide(d.banner, c.shutdownReason === undefined);
    text(d.banner, c.shutdownReason !== undefined ? `SHUT DOWN: ${c.shutdownReason}` : '');
    d.banner.title = d.banner.textContent; // the whole reason on hover: the banner is one line
    const frac = Math.min(1, Math.max(0, c.risk / t.shutdown));
    // A transform, not a width: the gauge moves without relayout, and its transition runs on the compositor.
    const scale = `scaleX(${frac.toFixed(3)})`;
    if (d.fill.style.transform !== scale) d.fill.style.transform = scale;
    const watch = `${((t.watch / t.shutdown) * 100).toFixed(1)}%`;
    if (d.tickWatch.style.left !== watch) d.tickWatch.style.left = watch;
    const alert = `${((t.alert / t.shutdown) * 100).toFixed(1)}%`;
    if (d.tickAlert.style.left !== alert) d.tickAlert.style.left = alert;
    data(d.gauge, 'level', c.level);
    data(d.gauge, 'risk', String(c.risk));
    d.gauge.setAttribute('aria-valuenow', String(c.risk));
    d.gauge.setAttribute('aria-valuemax', String(t.shutdown));
    text(d.label, `${c.ended ? 'ended · ' : ''}${c.level} · risk ${c.risk.toFixed(1)}`);
    const counts = this.#buckets(c);
    const max = Math.max(1, ...counts);
    d.spark.setAttribute('points', counts.map((n, i) => `${((i / (SPARK_BUCKETS - 1)) * 100).toFixed(1)},${(22 - (n / max) * 20).toFixed(1)}`).join(' '));
    const total = counts.reduce((a, b) => a + b, 0);
    text(d.sparkCount, `${total} in 5 min`);
    hide(d.shutdown, c.shutdownReason !== undefined);
    text(d.shutdown, c.confirming ? 'Confirm shutdown' : 'Shut down');
    d.shutdown.classList.toggle('confirm', c.confirming);
    hide(d.cancel, !c.confirming || c.shutdownReason !== undefined);
    hide(d.restore, c.shutdownReason === undefined);
    text(d.note, c.note);
  }

  #buckets(c: Card): number[] {
    const counts = new Array<number>(SPARK_BUCKETS).fill(0);
    const from = c.now - SPARK_WINDOW_MS;
    const width = SPARK_WINDOW_MS / SPARK_BUCKETS;
    for (let i = c.times.length - 1; i >= 0 && c.times[i]! > from; i--) {
      const b = Math.min(SPARK_BUCKETS - 1, Math.floor((c.times[i]! - from) / width));
      counts[b]!++;
    }
    return counts;
  }

  /** A new card element; its buttons act on whichever card is bound to it when clicked. */
  #build(): CardDom {
    const root = el('article', 'card');
    root.tabIndex = -1;
    const head = el('header', 'card-head');
    // The title opens the stream's drill-down; the opponent opens the opponent's.
    const title = el('button', 'card-title link');
    const pk = el('span', 'pk');
    const pkLabel = el('span', 'pk-label');
    const opponent = el('button', 'opponent link');
    pk.append(pkLabel, opponent);
    const endedTag = el('span', 'ended-tag');
    head.append(title, pk, endedTag);
    const recommend = el('div', 'recommend');
    const recommendText = el('span', 'recommend-text');
    const confirm = el('button', 'confirm-rec', 'Confirm shutdown');
    const decline = el('button', 'decline-rec', 'Decline');
    recommend.append(recommendText, confirm, decline);
    const banner = el('div', 'banner');
    banner.setAttribute('role', 'alert');
    const gauge = el('div', 'gauge');
    gauge.setAttribute('role', 'meter');
    gauge.setAttribute('aria-valuemin', '0');
    const fill = el('div', 'fill');
    const tickWatch = el('span', 'tick');
    const tickAlert = el('span', 'tick');
    gauge.append(fill, tickWatch, tickAlert);
    const label = el('div', 'gauge-label');
    const sparkBox = el('div', 'spark');
    const sparkSvg = svg('svg', { viewBox: '0 0 100 24', preserveAspectRatio: 'none', 'aria-hidden': 'true' });
    const spark = svg('polyline', { fill: 'none', 'stroke-width': '1.5', 'vector-effect': 'non-scaling-stroke' });
    sparkSvg.append(spark);
    const sparkCount = el('span', 'spark-count');
    sparkBox.append(sparkSvg, sparkCount);
    const actions = el('div', 'card-actions');
    const shutdown = el('button', 'shutdown', 'Shut down');
    const cancel = el('button', 'cancel', 'Cancel');
    const restore = el('button', 'restore', 'Restore');
    for (const b of [shutdown, cancel, restore, title, opponent, confirm, decline]) b.type = 'button';
    const note = el('div', 'note');
    note.setAttribute('aria-live', 'polite');
    actions.append(shutdown, cancel, restore);
    root.append(head, banner, recommend, gauge, label, sparkBox, actions, note);
    const d: CardDom = { card: undefined, bound: undefined, root, title, pk, pkLabel, opponent, endedTag, recommend, recommendText, banner, gauge, fill, tickWatch, tickAlert, label, spark, sparkCount, shutdown, cancel, restore, note };
    const on = (button: HTMLElement, act: (c: Card) => void) =>
      button.addEventListener('click', () => {
        if (d.card) act(d.card);
      });
    on(title, (c) => this.#actions.open(c.stream));
    on(opponent, (c) => {
      if (c.opponent !== undefined) this.#actions.open(c.opponent);
    });
    on(confirm, (c) => this.#actions.confirm(c.stream));
    on(decline, (c) => this.#actions.decline(c.stream));
    // A shutdown takes a stream off the air: the first click only arms it (for 6 s).
    on(shutdown, (c) => {
      clearTimeout(c.disarm);
      if (!c.confirming) {
        c.confirming = true;
        c.note = 'Click again to shut this stream down';
        this.#touch(c);
        c.disarm = setTimeout(() => {
          c.confirming = false;
          c.note = '';
          this.#touch(c);
          this.render();
        }, 6000);
      } else {
        c.confirming = false;
        this.#touch(c);
        this.#actions.shutdown(c.stream);
      }
      this.render();
    });
    on(cancel, (c) => {
      c.confirming = false;
      c.note = '';
      this.#touch(c);
      clearTimeout(c.disarm);
      this.render();
    });
    on(restore, (c) => this.#actions.restore(c.stream));
    this.#doms.push(d);
    return d;
  }
}

/** Flags at or after `from` in ascending `times` (binary search: 1,000 cards per frame stay cheap). */
function recentCount(times: readonly number[], from: number): number {
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= from) lo = mid + 1;
    else hi = mid;
  }
  return times.length - lo;
}

export { LEVELS };
