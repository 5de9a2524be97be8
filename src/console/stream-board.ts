/**
 * One card per stream: a risk gauge moved by `level` events (scaled to the server's thresholds),
 * a sparkline of the stream's flags over the last minutes of its event time, its PK state and
 * opponent, and a red banner once it is shut down. Cards of shut-down and riskiest streams come first.
 */
import { el, svg } from './dom.js';
import type { Level, StreamSummary, Thresholds } from './wire.js';

const SPARK_WINDOW_MS = 5 * 60_000;
const SPARK_BUCKETS = 30;
const MAX_TIMES = 600;
const MAX_CARDS = 60;
const LEVEL_RANK: Record<Level, number> = { normal: 0, watch: 1, alert: 2, shutdown: 3 };

export interface CardActions {
  shutdown(stream: string): void;
  restore(stream: string): void;
}

interface Card {
  stream: string;
  level: Level;
  risk: number;
  pk: boolean;
  opponent: string | undefined;
  shutdownReason: string | undefined;
  /** Event times of the stream's flags, newest last. */
  times: number[];
  /** Newest event time seen for the stream: the sparkline's "now". */
  now: number;
  note: string;
  confirming: boolean;
  dom: CardDom | undefined;
  /** Bumped on every change; a card is redrawn only when it moved past what was drawn. */
  version: number;
  drawn: number;
}

interface CardDom {
  root: HTMLElement;
  title: HTMLElement;
  pk: HTMLElement;
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

export class StreamBoard {
  readonly #root: HTMLElement;
  readonly #more: HTMLElement;
  readonly #actions: CardActions;
  readonly #cards = new Map<string, Card>();
  #thresholds: Thresholds = { watch: 3, alert: 8, shutdown: 16 };
  #visible: (stream: string) => boolean = () => true;
  #order: string[] = [];
  /** Set by any change; `render` does nothing until then (scrolling the feed must not redraw cards). */
  #dirty = true;

  constructor(root: HTMLElement, more: HTMLElement, actions: CardActions) {
    this.#root = root;
    this.#more = more;
    this.#actions = actions;
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
  }

  level(stream: string, level: Level, risk: number, ts?: number): void {
    const c = this.#card(stream);
    c.level = level;
    c.risk = risk;
    if (ts !== undefined) c.now = Math.max(c.now, ts);
  }

  pk(stream: string, state: 'start' | 'end', opponent?: string): void {
    const c = this.#card(stream);
    c.pk = state === 'start';
    c.opponent = c.pk ? opponent : undefined;
  }

  flag(stream: string | undefined, ts: number | undefined): void {
    if (stream === undefined) return;
    const c = this.#card(stream);
    if (ts === undefined) return;
    c.now = Math.max(c.now, ts);
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
    const shown = [...this.#cards.values()].filter((c) => this.#visible(c.stream));
    shown.sort((a, b) => LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || b.risk - a.risk || (a.stream < b.stream ? -1 : 1));
    const top = shown.slice(0, MAX_CARDS);
    for (const c of top) this.#fill(c);
    const order = top.map((c) => c.stream);
    if (order.join('\u0000') !== this.#order.join('\u0000')) {
      this.#root.replaceChildren(...top.map((c) => c.dom!.root));
      this.#order = order;
    }
    this.#more.textContent = shown.length > MAX_CARDS ? `+${shown.length - MAX_CARDS} more streams (narrow with the stream filter)` : '';
  }

  /** The card of `stream` (created on first use), marked as changed: every caller is about to change it. */
  #card(stream: string): Card {
    let c = this.#cards.get(stream);
    if (!c) {
      c = { stream, level: 'normal', risk: 0, pk: false, opponent: undefined, shutdownReason: undefined, times: [], now: 0, note: '', confirming: false, dom: undefined, version: 0, drawn: -1 };
      this.#cards.set(stream, c);
    }
    c.version++;
    this.#dirty = true;
    return c;
  }

  #touch(c: Card): void {
    c.version++;
    this.#dirty = true;
  }

  #fill(c: Card): void {
    if (c.dom && c.drawn === c.version) return;
    c.drawn = c.version;
    const d = (c.dom ??= this.#build(c));
    const t = this.#thresholds;
    d.root.dataset.level = c.level;
    d.root.classList.toggle('is-shutdown', c.shutdownReason !== undefined);
    d.pk.textContent = c.pk ? (c.opponent ? `PK vs ${c.opponent}` : 'PK') : '';
    d.pk.hidden = !c.pk;
    d.banner.hidden = c.shutdownReason === undefined;
    d.banner.textContent = c.shutdownReason !== undefined ? `SHUT DOWN: ${c.shutdownReason}` : '';
    const frac = Math.min(1, Math.max(0, c.risk / t.shutdown));
    d.fill.style.width = `${(frac * 100).toFixed(1)}%`;
    d.tickWatch.style.left = `${((t.watch / t.shutdown) * 100).toFixed(1)}%`;
    d.tickAlert.style.left = `${((t.alert / t.shutdown) * 100).toFixed(1)}%`;
    d.gauge.dataset.level = c.level;
    d.gauge.dataset.risk = String(c.risk);
    d.gauge.setAttribute('aria-valuenow', String(c.risk));
    d.gauge.setAttribute('aria-valuemax', String(t.shutdown));
    d.label.textContent = `${c.level} · risk ${c.risk.toFixed(1)}`;
    const counts = this.#buckets(c);
    const max = Math.max(1, ...counts);
    d.spark.setAttribute('points', counts.map((n, i) => `${((i / (SPARK_BUCKETS - 1)) * 100).toFixed(1)},${(22 - (n / max) * 20).toFixed(1)}`).join(' '));
    const total = counts.reduce((a, b) => a + b, 0);
    d.sparkCount.textContent = `${total} in 5 min`;
    d.shutdown.hidden = c.shutdownReason !== undefined;
    d.shutdown.textContent = c.confirming ? 'Confirm shutdown' : 'Shut down';
    d.shutdown.classList.toggle('confirm', c.confirming);
    d.cancel.hidden = !c.confirming || c.shutdownReason !== undefined;
    d.restore.hidden = c.shutdownReason === undefined;
    d.note.textContent = c.note;
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

  #build(c: Card): CardDom {
    const root = el('article', 'card');
    root.dataset.stream = c.stream;
    const head = el('header', 'card-head');
    const title = el('h3', 'card-title', c.stream);
    const pk = el('span', 'pk');
    head.append(title, pk);
    const banner = el('div', 'banner');
    banner.setAttribute('role', 'alert');
    const gauge = el('div', 'gauge');
    gauge.setAttribute('role', 'meter');
    gauge.setAttribute('aria-valuemin', '0');
    gauge.setAttribute('aria-label', `risk of ${c.stream}`);
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
    for (const b of [shutdown, cancel, restore]) b.type = 'button';
    const note = el('div', 'note');
    note.setAttribute('aria-live', 'polite');
    actions.append(shutdown, cancel, restore);
    root.append(head, banner, gauge, label, sparkBox, actions, note);
    // A shutdown takes a stream off the air: the first click only arms it (for 6 s).
    let disarm: ReturnType<typeof setTimeout> | undefined;
    shutdown.addEventListener('click', () => {
      if (!c.confirming) {
        c.confirming = true;
        c.note = 'Click again to shut this stream down';
        this.#touch(c);
        clearTimeout(disarm);
        disarm = setTimeout(() => {
          c.confirming = false;
          c.note = '';
          this.#touch(c);
          this.render();
        }, 6000);
      } else {
        c.confirming = false;
        this.#touch(c);
        clearTimeout(disarm);
        this.#actions.shutdown(c.stream);
      }
      this.render();
    });
    cancel.addEventListener('click', () => {
      c.confirming = false;
      c.note = '';
      this.#touch(c);
      clearTimeout(disarm);
      this.render();
    });
    restore.addEventListener('click', () => this.#actions.restore(c.stream));
    return { root, title, pk, banner, gauge, fill, tickWatch, tickAlert, label, spark, sparkCount, shutdown, cancel, restore, note };
  }
}
