/**
 * `escalation.mode: "recommend"`: the streams pkguard would have shut down, waiting for a moderator
 * to confirm (the recommendation becomes the shutdown signal) or decline. Riskiest first; redrawn
 * only when the queue or an answer changed.
 */
import { el } from './dom.js';

export interface QueueItem {
  stream: string;
  reason: string;
  risk: number;
}

export interface QueueActions {
  confirm(stream: string): void;
  decline(stream: string): void;
  open(stream: string): void;
}

export class ConfirmQueue {
  readonly #root: HTMLElement;
  readonly #list: HTMLElement;
  readonly #heading: HTMLElement;
  readonly #actions: QueueActions;
  /** The last answer per stream ("sent…", "refused: …"), shown in its row. */
  readonly #notes = new Map<string, string>();
  #drawn = '';

  constructor(root: HTMLElement, actions: QueueActions) {
    this.#root = root;
    this.#actions = actions;
    this.#heading = el('h2', 'queue-title');
    this.#list = el('ol', 'queue-list');
    root.append(this.#heading, this.#list);
    root.hidden = true;
  }

  note(stream: string, text: string): void {
    this.#notes.set(stream, text);
    this.#drawn = '';
  }

  render(items: readonly QueueItem[]): void {
    const key = JSON.stringify(items.map((i) => [i.stream, i.reason, i.risk, this.#notes.get(i.stream) ?? '']));
    if (key === this.#drawn) return;
    this.#drawn = key;
    for (const s of this.#notes.keys()) if (!items.some((i) => i.stream === s)) this.#notes.delete(s);
    this.#root.hidden = items.length === 0;
    this.#heading.textContent = `Recommended shutdowns (${items.length}): confirm or decline`;
    this.#list.replaceChildren(
      ...items.map((i) => {
        const li = el('li', 'queue-item');
        li.dataset.stream = i.stream;
        const name = el('button', 'link queue-stream', i.stream);
        const confirm = el('button', 'queue-confirm', 'Confirm shutdown');
        const decline = el('button', 'queue-decline', 'Decline');
        for (const b of [name, confirm, decline]) b.type = 'button';
        name.addEventListener('click', () => this.#actions.open(i.stream));
        confirm.addEventListener('click', () => this.#actions.confirm(i.stream));
        decline.addEventListener('click', () => this.#actions.decline(i.stream));
        li.append(name, el('span', 'queue-risk', `risk ${i.risk.toFixed(1)}`), el('span', 'queue-reason', i.reason), confirm, decline, el('span', 'note', this.#notes.get(i.stream) ?? ''));
        return li;
      }),
    );
  }
}
