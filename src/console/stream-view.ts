/**
 * The drill-down: one stream in a side panel — its level and risk, its PK opponent (a link to that
 * stream's view), its level history and its flagged lines, each with the chunks said before and
 * after it and who said it, read from the journal through `/api/stream`. Everything from the
 * stream goes in with `textContent`.
 */
import { clockTime, el } from './dom.js';
import type { LevelChange } from './stream-board.js';
import type { Chunk, FlaggedChunk, StreamContext, StreamEventEntry } from '../protocol/stream-api.js';
import type { EndMark } from '../stream/ended.js';
import type { Level, WireFlag } from './wire.js';

/** What the console itself knows of the stream (the board's card). */
export interface StreamInfo {
  level: Level;
  risk: number;
  pk: boolean;
  opponent: string | undefined;
  reason: string | undefined;
  recommended: string | undefined;
  ended: boolean;
  endedAt: EndMark | undefined;
  history: readonly LevelChange[];
}

export interface StreamViewDeps {
  token: () => string | undefined;
  info: (stream: string) => StreamInfo | undefined;
}

export class StreamView {
  readonly #root: HTMLElement;
  readonly #deps: StreamViewDeps;
  readonly #title = el('h2', 'sv-title');
  readonly #state = el('div', 'sv-state');
  readonly #pk = el('div', 'sv-pk');
  readonly #history = el('ol', 'sv-history');
  readonly #flags = el('div', 'sv-flags');
  readonly #status = el('div', 'sv-status');
  #stream: string | undefined;
  /** Bumped per open: an answer for a stream no longer shown is dropped. */
  #request = 0;

  constructor(root: HTMLElement, deps: StreamViewDeps) {
    this.#root = root;
    this.#deps = deps;
    const close = el('button', 'sv-close', 'Close (Esc)');
    close.type = 'button';
    close.addEventListener('click', () => this.close());
    const head = el('header', 'sv-head');
    head.append(this.#title, close);
    root.append(head, this.#state, this.#pk, el('h3', '', 'Level history'), this.#history, el('h3', '', 'Flagged lines, with what was said around them'), this.#status, this.#flags);
    root.setAttribute('role', 'dialog');
    root.setAttribute('aria-label', 'stream details');
    root.hidden = true;
  }

  get stream(): string | undefined {
    return this.#root.hidden ? undefined : this.#stream;
  }

  close(): void {
    this.#root.hidden = true;
    this.#stream = undefined;
    this.#request++;
  }

  async open(stream: string): Promise<void> {
    this.#stream = stream;
    const request = ++this.#request;
    this.#root.hidden = false;
    this.#root.dataset.stream = stream;
    this.#title.textContent = stream;
    this.#flags.replaceChildren();
    this.#history.replaceChildren();
    this.#status.textContent = 'reading the journal…';
    this.refresh();
    let ctx: StreamContext;
    try {
      const token = this.#deps.token();
      const res = await fetch(`/api/stream?stream=${encodeURIComponent(stream)}&limit=50&around=2`, { headers: token ? { authorization: `Bearer ${token}` } : {}, cache: 'no-store' });
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).slice(0, 200)}`);
      ctx = (await res.json()) as StreamContext;
    } catch (err) {
      if (request === this.#request) this.#status.textContent = `could not read the stream: ${(err as Error).message}`;
      this.#liveHistory(stream);
      return;
    }
    if (request !== this.#request) return;
    this.#status.textContent = ctx.flagged.length === 0 ? 'no flags journaled for this stream' : ctx.truncated ? `the last ${ctx.flagged.length} flagged lines` : '';
    this.#showHistory(ctx.events);
    if (ctx.events.length === 0) this.#liveHistory(stream);
    this.#flags.replaceChildren(...ctx.flagged.slice().reverse().map((f) => flagged(f)));
  }

  #pkKey = '';
  #pkStream: string | undefined;

  /** Redraws the header from the board (level, risk, PK) while the view is open. */
  refresh(): void {
    const stream = this.stream;
    if (stream === undefined) return;
    const info = this.#deps.info(stream);
    this.#state.dataset.level = info?.level ?? 'normal';
    this.#state.dataset.ended = String(info?.ended ?? false);
    this.#state.textContent = info ? `${info.ended ? `ENDED ${clockTime(info.endedAt?.ts)} · ` : ''}${info.level} · risk ${info.risk.toFixed(1)}${info.reason ? ` · SHUT DOWN: ${info.reason}` : ''}${info.recommended ? ` · recommended: ${info.recommended}` : ''}` : 'not on the board';
    // Rebuilt only when it changes: refresh runs every frame, and a link replaced under the pointer
    // between press and release never gets its click (a moderator's click on a busy board).
    const pkKey = info?.pk ? `pk:${info.opponent ?? ''}` : '';
    if (pkKey === this.#pkKey && this.#pkStream === stream) return;
    this.#pkKey = pkKey;
    this.#pkStream = stream;
    this.#pk.replaceChildren();
    if (info?.pk) {
      this.#pk.append(document.createTextNode('PK session'));
      if (info.opponent !== undefined) {
        const link = el('button', 'link sv-opponent', info.opponent);
        link.type = 'button';
        const opponent = info.opponent;
        link.addEventListener('click', () => void this.open(opponent));
        this.#pk.append(document.createTextNode(' vs '), link);
      }
    }
  }

  #showHistory(events: readonly StreamEventEntry[]): void {
    this.#history.replaceChildren(
      ...events
        .slice()
        .reverse()
        .map((e) => {
          const li = el('li', `sv-event ev-${e.type}`);
          li.append(el('span', 'time', clockTime(e.ts)), document.createTextNode(` ${describe(e)}`));
          return li;
        }),
    );
  }

  /** Without the journal's history: the level changes this page saw. */
  #liveHistory(stream: string): void {
    const info = this.#deps.info(stream);
    if (!info) return;
    this.#showHistory(info.history.map((h) => ({ type: 'level', ts: h.ts ?? Number.NaN, level: h.level, risk: h.risk })));
  }
}

function describe(e: StreamEventEntry): string {
  switch (e.type) {
    case 'level':
      return `level ${e.level} · risk ${(e.risk ?? 0).toFixed(1)}`;
    case 'shutdown':
      return `SHUT DOWN: ${e.reason ?? ''}`;
    case 'restore':
      return 'restored';
    case 'recommend':
      return `shutdown recommended: ${e.reason ?? ''}`;
    case 'decline':
      return 'recommendation declined';
    case 'pk':
      return e.state === 'start' ? `PK started${e.opponent !== undefined ? ` vs ${e.opponent}` : ''}` : 'PK ended';
    case 'end':
      return 'stream ended';
  }
}

/** Who said a line: the chat viewer, or the transcript's speaker (the host when not told). */
function who(c: Chunk, flags?: readonly WireFlag[]): string {
  if (c.kind === 'chat') {
    const user = flags?.find((f) => f.user !== undefined)?.user;
    return user !== undefined ? `@${user}` : 'chat';
  }
  return c.speaker ?? 'host';
}

function line(c: Chunk, cls: string): HTMLElement {
  const row = el('div', `sv-line ${cls}`);
  row.append(el('span', 'time', clockTime(c.ts)), el('span', 'who', who(c)), el('span', 'text', c.text));
  return row;
}

function flagged(f: FlaggedChunk): HTMLElement {
  const box = el('article', 'sv-flagged');
  box.dataset.seq = String(f.seq);
  for (const c of f.before) box.append(line(c, 'before'));
  const row = el('div', 'sv-line flagged');
  const text = el('span', 'text');
  for (const part of marked(f.text, f.flags)) text.append(part.mark ? el('mark', 'match', part.text) : document.createTextNode(part.text));
  const tags = el('span', 'sv-tags', f.flags.map((x) => `${x.category}/${x.severity}: ${x.term}`).join(' · '));
  row.append(el('span', 'time', clockTime(f.ts)), el('span', 'who', who(f, f.flags)), text, tags);
  box.append(row);
  for (const c of f.after) box.append(line(c, 'after'));
  return box;
}

/** The text cut into plain and matched parts (overlapping matches merged). */
export function marked(text: string, flags: readonly Pick<WireFlag, 'start' | 'end'>[]): { text: string; mark: boolean }[] {
  const spans = flags
    .map((f) => [Math.max(0, Math.min(f.start, text.length)), Math.max(0, Math.min(f.end, text.length))] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const out: { text: string; mark: boolean }[] = [];
  let at = 0;
  for (const [a, b] of spans) {
    if (b <= at) continue;
    const from = Math.max(a, at);
    const last = out[out.length - 1];
    if (from > at) out.push({ text: text.slice(at, from), mark: false });
    else if (last?.mark) {
      last.text += text.slice(from, b); // overlaps the previous match: one mark
      at = b;
      continue;
    }
    out.push({ text: text.slice(from, b), mark: true });
    at = b;
  }
  if (at < text.length) out.push({ text: text.slice(at), mark: false });
  return out;
}
