/**
 * The flag list, virtualised: rows have a fixed height and only the rows in view (plus a margin)
 * exist in the DOM, recycled as the list scrolls, so 10,000 flags cost as much as 30. When new
 * flags arrive while the moderator has scrolled down, the row they are reading stays in place.
 */
import { clockTime, data, el, hide, text } from './dom.js';
import type { FlagEntry, FlagStore } from './flag-store.js';
import { carriedSnippet, snippet } from './highlight.js';

export const ROW_HEIGHT = 58;
const OVERSCAN = 6;

interface Row {
  root: HTMLElement;
  time: HTMLElement;
  stream: HTMLElement;
  category: HTMLElement;
  severity: HTMLElement;
  term: HTMLElement;
  /** Who said it: the chat viewer (`@user`) or the transcript's speaker other than the host. */
  who: HTMLElement;
  tags: HTMLElement;
  note: HTMLElement;
  dismiss: HTMLButtonElement;
  prev: HTMLElement;
  prevBefore: HTMLElement;
  prevMatch: HTMLElement;
  before: HTMLElement;
  match: HTMLElement;
  after: HTMLElement;
  entry: FlagEntry | undefined;
  /** What the row shows and where, so an unchanged row is not rewritten. */
  shown: string;
  top: number;
}

export class FeedView {
  readonly #viewport: HTMLElement;
  readonly #spacer: HTMLElement;
  readonly #store: FlagStore;
  readonly #onDismiss: (e: FlagEntry) => void;
  readonly #rows: Row[] = [];
  #anchor: { entry: FlagEntry; offset: number } | undefined;
  /** The row keyboard triage acts on (kept by entry, so it stays put as flags arrive). */
  #selected: FlagEntry | undefined;
  /** Flags that arrived above the moderator's place while scrolled down (the "new flags" pill). */
  unseenAbove = 0;

  constructor(viewport: HTMLElement, store: FlagStore, onDismiss: (e: FlagEntry) => void) {
    this.#viewport = viewport;
    this.#store = store;
    this.#onDismiss = onDismiss;
    this.#spacer = el('div', 'feed-spacer');
    viewport.append(this.#spacer);
    viewport.addEventListener('scroll', () => this.render(), { passive: true });
  }

  get selected(): FlagEntry | undefined {
    return this.#selected;
  }

  /**
   * Moves the selection `step` rows (+1: the next, older flag; -1: the previous, newer one) and
   * scrolls it into view. Without a selection it starts at the first row in view.
   */
  move(step: number): FlagEntry | undefined {
    const store = this.#store;
    if (store.size === 0) return undefined;
    const current = this.#selected ? store.indexOf(this.#selected) : -1;
    const i = current < 0 ? Math.min(store.size - 1, Math.floor(this.#viewport.scrollTop / ROW_HEIGHT)) : Math.max(0, Math.min(store.size - 1, current + step));
    this.#selected = store.at(i);
    const top = i * ROW_HEIGHT;
    const view = this.#viewport.clientHeight || 600;
    if (top < this.#viewport.scrollTop) this.#viewport.scrollTop = top;
    else if (top + ROW_HEIGHT > this.#viewport.scrollTop + view) this.#viewport.scrollTop = top + ROW_HEIGHT - view;
    this.render();
    return this.#selected;
  }

  scrollToTop(): void {
    this.#viewport.scrollTop = 0;
    this.unseenAbove = 0;
    this.render();
  }

  /** Remembers the first visible row before the store changes, so `render` can keep it in place. */
  anchor(): void {
    const top = this.#viewport.scrollTop;
    if (top <= 0) {
      this.#anchor = undefined; // at the top: stay there and let new flags come in above
      return;
    }
    const i = Math.floor(top / ROW_HEIGHT);
    const entry = this.#store.at(i);
    this.#anchor = entry ? { entry, offset: top - i * ROW_HEIGHT } : undefined;
  }

  render(): void {
    const store = this.#store;
    const height = `${store.size * ROW_HEIGHT}px`;
    if (this.#spacer.style.height !== height) this.#spacer.style.height = height;
    if (this.#anchor) {
      const before = Math.floor((this.#viewport.scrollTop - this.#anchor.offset) / ROW_HEIGHT);
      const i = store.indexOf(this.#anchor.entry);
      if (i >= 0) {
        this.#viewport.scrollTop = i * ROW_HEIGHT + this.#anchor.offset;
        if (i > before) this.unseenAbove += i - before;
      }
      this.#anchor = undefined;
    }
    if (this.#viewport.scrollTop < ROW_HEIGHT) this.unseenAbove = 0;
    const viewHeight = this.#viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(this.#viewport.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(store.size, Math.ceil((this.#viewport.scrollTop + viewHeight) / ROW_HEIGHT) + OVERSCAN);
    const needed = last - first;
    while (this.#rows.length < needed) this.#rows.push(this.#makeRow());
    // A row keeps its flag while that flag stays in view: when flags arrive at the top the rows only
    // move down (a transform, no relayout) and only the rows for new flags are written.
    const want = new Map<FlagEntry, number>();
    for (let i = first; i < last; i++) {
      const entry = store.at(i);
      if (entry) want.set(entry, i);
    }
    const free: Row[] = [];
    for (const row of this.#rows) {
      const i = row.entry && !row.root.hidden ? want.get(row.entry) : undefined;
      if (i === undefined) free.push(row);
      else {
        want.delete(row.entry!);
        this.#place(row, i);
        this.#fill(row, row.entry!);
      }
    }
    for (const [entry, i] of want) {
      const row = free.pop()!;
      if (row.root.hidden) row.root.hidden = false;
      this.#place(row, i);
      this.#fill(row, entry);
    }
    for (const row of free) {
      if (!row.root.hidden) row.root.hidden = true;
      if (row.entry) {
        // A hidden row names no flag: the flag's id belongs to the row that shows it.
        row.entry = undefined;
        row.shown = '';
        delete row.root.dataset.flagId;
      }
    }
  }

  /** Rows are not in DOM order (a row keeps its flag as the list moves): position is said with aria. */
  #place(row: Row, i: number): void {
    const top = i * ROW_HEIGHT;
    if (row.top !== top) {
      row.top = top;
      row.root.style.transform = `translateY(${top}px)`;
      row.root.setAttribute('aria-posinset', String(i + 1));
    }
  }

  #makeRow(): Row {
    const root = el('div', 'flag-row');
    root.setAttribute('role', 'listitem');
    const head = el('div', 'flag-head');
    const time = el('span', 'time');
    const stream = el('span', 'stream');
    const category = el('span', 'badge category');
    const severity = el('span', 'badge severity');
    const term = el('span', 'term');
    const who = el('span', 'who');
    const tags = el('span', 'tags');
    const note = el('span', 'note');
    const dismiss = el('button', 'dismiss', 'Dismiss');
    dismiss.type = 'button';
    head.append(time, stream, category, severity, term, who, tags, note, dismiss);
    const body = el('div', 'flag-text');
    const prev = el('span', 'prev');
    const prevBefore = el('span', 'prev-before');
    const prevMatch = el('mark', 'carried');
    prev.append(prevBefore, prevMatch, el('span', 'seam', ' ⏎ '));
    const before = el('span', 'before');
    const match = el('mark', 'match');
    const after = el('span', 'after');
    body.append(prev, before, match, after);
    root.append(head, body);
    const row: Row = { root, time, stream, category, severity, term, who, tags, note, dismiss, prev, prevBefore, prevMatch, before, match, after, entry: undefined, shown: '', top: -1 };
    dismiss.addEventListener('click', () => {
      if (row.entry) this.#onDismiss(row.entry);
    });
    this.#viewport.append(root);
    return row;
  }

  #fill(row: Row, e: FlagEntry): void {
    const selected = e === this.#selected;
    const key = `${e.flag.id}|${e.dismissed ? 1 : 0}|${e.retracted ? 1 : 0}|${selected ? 1 : 0}|${e.note}`;
    row.entry = e;
    if (row.shown === key) return;
    row.shown = key;
    const f = e.flag;
    row.root.dataset.flagId = f.id;
    data(row.root, 'category', f.category);
    data(row.root, 'severity', f.severity);
    row.root.classList.toggle('dismissed', e.dismissed);
    row.root.classList.toggle('retracted', e.retracted);
    row.root.classList.toggle('selected', selected);
    if (selected) row.root.setAttribute('aria-current', 'true');
    else row.root.removeAttribute('aria-current');
    text(row.time, clockTime(f.ts));
    text(row.stream, f.stream ?? '');
    text(row.category, f.category);
    data(row.category, 'category', f.category);
    text(row.severity, f.severity);
    data(row.severity, 'severity', f.severity);
    text(row.term, f.term);
    // Stream text: textContent only. A viewer's name is whatever the viewer chose.
    text(row.who, f.user !== undefined ? `@${f.user}` : f.speaker !== undefined && f.speaker !== 'host' ? f.speaker : '');
    text(row.tags, [f.kind === 'chat' ? 'chat' : '', f.evasion ? 'evasion' : '', f.via === 'pinyin' ? 'pinyin' : '', e.retracted ? 'retracted' : f.partial ? 'partial' : ''].filter(Boolean).join(' · '));
    text(row.note, e.note);
    row.dismiss.disabled = e.dismissed || e.retracted;
    text(row.dismiss, e.dismissed ? 'Dismissed' : 'Dismiss');
    const s = snippet(e.text || f.matched, e.text ? f.start : 0, e.text ? f.end : f.matched.length);
    text(row.before, s.before);
    text(row.match, s.match);
    text(row.after, s.after);
    // The whole message on hover (the row shows a window around the match); a title is text, not markup.
    row.root.title = f.carried !== undefined && e.prev !== undefined ? `${e.prev} ⏎ ${e.text}` : e.text;
    hide(row.prev, f.carried === undefined);
    if (f.carried !== undefined) {
      const c = carriedSnippet(e.prev, f.carried);
      text(row.prevBefore, c.before);
      text(row.prevMatch, c.match);
    }
  }
}
