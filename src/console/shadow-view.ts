/**
 * The live/shadow difference in the moderator console: when the server scans a shadow lexicon
 * (`lexicons.shadow`) and the console subscribed with `shadow: true`, each `shadow` frame says what
 * the candidate raised on a message, which of those no live flag matches (gained) and which live
 * flags it would not raise (lost). This panel counts both per category, lists the latest changes,
 * and offers the `promote` command (with confirmation; the server's reload guard may refuse it).
 * The panel stays hidden until a shadow frame arrives (no shadow lexicon: nothing changes on the page).
 * Stream text goes in through `textContent` only.
 */
import { el } from './dom.js';

interface ShadowFlag {
  id: string;
  category: string;
  term: string;
  matched?: string;
}

/** The feed's `shadow` frame (README "Shadow lexicon"). */
export interface ShadowFrame {
  type: 'shadow';
  stream: string;
  seq: number;
  kind?: string;
  ts?: number;
  text?: string;
  flags: ShadowFlag[];
  gained: string[];
  lost: ShadowFlag[];
}

const RECENT = 30;

/** The subscribe message with the shadow option: old servers ignore the field. */
export function withShadow<T extends object>(subscribe: T): T & { shadow: true } {
  return { ...subscribe, shadow: true };
}

export class ShadowView {
  readonly #root: HTMLElement;
  readonly #counts: HTMLElement;
  readonly #list: HTMLElement;
  readonly #answer: HTMLElement;
  readonly #send: (message: object) => boolean;
  readonly #byCategory = new Map<string, { gained: number; lost: number; shadow: number }>();
  #messages = 0;
  #confirming = false;

  constructor(parent: HTMLElement, send: (message: object) => boolean) {
    this.#send = send;
    this.#root = el('section', 'shadow-view');
    this.#root.setAttribute('aria-label', 'Shadow lexicon');
    this.#root.hidden = true;
    const head = el('div', 'shadow-head');
    head.append(el('strong', '', 'Shadow lexicon vs live'));
    const promote = el('button', 'shadow-promote', 'Promote to live…');
    promote.type = 'button';
    promote.addEventListener('click', () => this.#promote(promote));
    this.#answer = el('span', 'shadow-answer');
    head.append(promote, this.#answer);
    this.#counts = el('table', 'shadow-counts');
    this.#list = el('ol', 'shadow-list');
    this.#root.append(head, this.#counts, this.#list);
    this.#root.style.cssText = 'border-top:1px solid var(--line,#2a3038);padding:6px 14px;max-height:30vh;overflow:auto;font-size:13px';
    parent.append(this.#root);
  }

  /** Takes the messages this view owns (shadow frames, answers to `promote`); false for anything else. */
  take(m: { type: string; command?: string }): boolean {
    if (m.type === 'shadow') {
      this.add(m as unknown as ShadowFrame);
      return true;
    }
    if ((m.type === 'ok' || m.type === 'error') && m.command === 'promote') {
      const e = m as { type: string; message?: string };
      this.#answer.textContent = m.type === 'ok' ? 'promoted: the candidate is the live lexicon now' : `refused: ${e.message ?? ''}`;
      return true;
    }
    return false;
  }

  add(f: ShadowFrame): void {
    this.#root.hidden = false;
    this.#messages++;
    const gained = new Set(f.gained);
    for (const x of f.flags) this.#cat(x.category).shadow++;
    for (const x of f.flags) if (gained.has(x.id)) this.#cat(x.category).gained++;
    for (const x of f.lost) this.#cat(x.category).lost++;
    for (const x of f.flags) if (gained.has(x.id)) this.#row(f, x, 'gained');
    for (const x of f.lost) this.#row(f, x, 'lost');
    this.#renderCounts();
  }

  #cat(c: string) {
    let v = this.#byCategory.get(c);
    if (!v) this.#byCategory.set(c, (v = { gained: 0, lost: 0, shadow: 0 }));
    return v;
  }

  #row(f: ShadowFrame, x: ShadowFlag, change: 'gained' | 'lost'): void {
    const li = el('li', `shadow-${change}`);
    li.append(el('b', '', change === 'gained' ? '+ ' : '− '), el('span', '', `${x.category} “${x.term}” · ${f.stream} #${f.seq} · `), el('span', 'shadow-text', (f.text ?? '').slice(0, 80)));
    li.style.color = change === 'gained' ? '#7bd88f' : '#f07a2a';
    this.#list.prepend(li);
    while (this.#list.childElementCount > RECENT) this.#list.lastElementChild!.remove();
  }

  #renderCounts(): void {
    const rows = [el('tr')];
    rows[0]!.append(...['category', 'shadow flags', 'gained', 'lost'].map((h) => el('th', '', h)));
    for (const [c, v] of [...this.#byCategory].sort()) {
      const tr = el('tr');
      tr.append(el('td', '', c), el('td', '', String(v.shadow)), el('td', '', `+${v.gained}`), el('td', '', `−${v.lost}`));
      rows.push(tr);
    }
    this.#counts.replaceChildren(...rows);
    this.#counts.title = `${this.#messages} messages compared since this page opened`;
  }

  /** Two clicks: the first asks for confirmation, the second sends. */
  #promote(button: HTMLButtonElement): void {
    if (!this.#confirming) {
      this.#confirming = true;
      button.textContent = 'Confirm: make the shadow lexicon live';
      this.#answer.textContent = '';
      return;
    }
    this.#confirming = false;
    button.textContent = 'Promote to live…';
    this.#answer.textContent = this.#send({ type: 'promote' }) ? 'sent…' : 'not connected: try again once the console is live';
  }
}
