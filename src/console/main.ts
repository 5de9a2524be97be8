/**
 * The moderator console: wires the feed socket to the flag store, the virtualised list, the risk
 * board, the confirm queue and the stream drill-down, the filter controls to `subscribe` and the
 * board, and the keyboard to triage. Rendering is batched per animation frame, so a burst of flags
 * costs one layout.
 */
import { soundAlarm, unlockAudio } from './alarm.js';
import { LEVELS, type BoardFilter } from './board-order.js';
import { ConfirmQueue } from './confirm-queue.js';
import { byId, el, text } from './dom.js';
import { FeedSocket, type SocketStatus } from './feed-socket.js';
import { FeedView } from './feed-view.js';
import { matchesStream, parseStreams, subscribeMessage, widens, type FeedFilter, type Position } from './filter.js';
import { FlagStore, type FlagEntry } from './flag-store.js';
import { StreamBoard } from './stream-board.js';
import { StreamView } from './stream-view.js';
import { keyboardTriage } from './triage.js';
import { ShadowView, withShadow } from './shadow-view.js';
import { CATEGORIES, SEVERITIES, type Category, type Level, type ServerMessage, type Severity } from './wire.js';

/** How far back (in flag ids) a fresh subscribe starts, so an opened console shows recent flags. */
const HISTORY = 5000;
const TOKEN_KEY = 'pkguard.token';

const store = new FlagStore();
const statusEl = byId('status');
const countEl = byId('count');
const alarmEl = byId('alarm');
const messageEl = byId('server-message');
const newFlagsEl = byId<HTMLButtonElement>('new-flags');
const boardCountEl = byId('board-count');
const promptEl = byId('triage-prompt');

const socketUrl = (token: string) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/feed?token=${encodeURIComponent(token)}`;

let socket: FeedSocket | undefined;
const shutdownStream = (stream: string) => command(`shutdown:${stream}`, { type: 'shutdown', stream, reason: 'manual shutdown from the moderator console' }, (t) => board.note(stream, t));
/** Confirm and decline answer in the queue and on the card alike. */
const decide = (verb: 'confirm' | 'decline', stream: string) =>
  command(`${verb}:${stream}`, { type: verb, stream }, (t) => {
    board.note(stream, t);
    queue.note(stream, t);
  });
const openStream = (stream: string) => void streamView.open(stream);
const board = new StreamBoard(byId('cards'), byId('more-cards'), {
  shutdown: shutdownStream,
  restore: (stream) => command(`restore:${stream}`, { type: 'restore', stream }, (t) => board.note(stream, t)),
  confirm: (stream) => decide('confirm', stream),
  decline: (stream) => decide('decline', stream),
  open: openStream,
  changed: () => schedule(),
});
const queue = new ConfirmQueue(byId('queue'), { confirm: (s) => decide('confirm', s), decline: (s) => decide('decline', s), open: openStream });
const streamView = new StreamView(byId('stream-view'), { token: () => sessionStorage.getItem(TOKEN_KEY) ?? undefined, info: (s) => board.info(s) });
const view = new FeedView(byId('feed'), store, (e) => dismiss(e));
// The live/shadow difference (shadow-view.ts): hidden unless the server scans a shadow lexicon.
const shadowView = new ShadowView(document.body, (m) => socket?.send(m) ?? false);

// --- rendering ----------------------------------------------------------------------------------
let frame = 0;
let anchored = false;
/** Call before changing the store: keeps the moderator's place in the list. */
function changing(): void {
  if (!anchored) {
    view.anchor();
    anchored = true;
  }
  schedule();
}
function schedule(): void {
  frame ||= requestAnimationFrame(() => {
    frame = 0;
    anchored = false;
    view.render();
    board.render();
    queue.render(board.recommendations());
    streamView.refresh();
    const n = board.counts;
    text(boardCountEl, `${n.total} streams · ${n.byLevel.shutdown} shut down · ${n.byLevel.alert} alert · ${n.byLevel.watch} watch · ${n.ended} ended · ${n.shown} match the board filters`);
    text(countEl, `${store.size} flags shown`);
    updatePill();
    const down = board.shutDown();
    if (alarmEl.hidden !== (down.length === 0)) alarmEl.hidden = down.length === 0;
    // A few in full; past that the banner names them and the board has the rest (it must not push the page down).
    text(
      alarmEl,
      down.length <= 3
        ? down.map((d) => `${d.stream} SHUT DOWN: ${d.reason}`).join('  ·  ')
        : `${down.length} streams SHUT DOWN: ${down
            .slice(0, 12)
            .map((d) => d.stream)
            .join(', ')}${down.length > 12 ? ` and ${down.length - 12} more` : ''}`,
    );
  });
}

function updatePill(): void {
  const hidden = view.unseenAbove === 0;
  if (newFlagsEl.hidden !== hidden) newFlagsEl.hidden = hidden;
  if (!hidden) newFlagsEl.textContent = `↑ ${view.unseenAbove} new`;
}

// --- commands: each answer is shown next to the button that sent it ------------------------------
const pending = new Map<string, (text: string) => void>();

function command(key: string, message: object, show: (text: string) => void): void {
  if (!socket?.send(message)) {
    show('not connected: try again once the console is live');
  } else {
    pending.set(key, show);
    show('sent…');
  }
  schedule();
}

function dismiss(e: FlagEntry): void {
  command(`dismiss:${e.flag.id}`, { type: 'dismiss', flagId: e.flag.id, reason: 'dismissed from the moderator console' }, (t) => {
    e.note = t;
  });
}

function answer(key: string, text: string): boolean {
  const show = pending.get(key);
  if (!show) return false;
  pending.delete(key);
  show(text);
  return true;
}

const DONE: Record<string, string> = { dismiss: 'done: dismissed', shutdown: 'done: shut down', restore: 'done: restored', confirm: 'done: shutdown confirmed', decline: 'done: recommendation declined' };
const NOOP: Record<string, string> = { dismiss: 'no change: already dismissed', shutdown: 'no change: already shut down', restore: 'no change: already live', confirm: 'no change: nothing to confirm', decline: 'no change: nothing to decline' };

// --- feed messages ------------------------------------------------------------------------------
function onMessage(m: ServerMessage): void {
  if (shadowView.take(m)) return;
  switch (m.type) {
    case 'flag':
      changing();
      if (store.add(m.flag, m.text ?? store.textOf(m.textOf), m.prev)) board.flag(m.flag.stream, m.flag.ts, m.flag.category, m.flag.seq);
      break;
    case 'level':
      board.level(m.stream, m.level, m.risk, m.ts);
      break;
    case 'pk':
      board.pk(m.stream, m.state, m.opponent);
      break;
    case 'shutdown':
      // Counted on the page so the cue is observable (and testable) where sound is not.
      if (!board.isShutDown(m.stream) && soundAlarm()) alarmEl.dataset.sounded = String(Number(alarmEl.dataset.sounded ?? 0) + 1);
      board.shutdown(m.stream, m.reason);
      break;
    case 'restore':
      board.restore(m.stream);
      break;
    case 'retract': {
      const e = store.get(m.flagId);
      if (e) e.retracted = true;
      break;
    }
    case 'recommend':
      // escalation.mode "recommend": the decision is the moderator's (the confirm queue, or the card).
      board.recommend(m.stream, m.reason);
      break;
    case 'decline':
      board.decline(m.stream);
      break;
    case 'end':
      board.end(m.stream, m.seq, m.ts);
      break;
    case 'streams':
      if (m.thresholds) board.setThresholds(m.thresholds);
      for (const s of m.streams) board.summary(s);
      refreshStreamList();
      break;
    case 'ok': {
      const key = `${m.command}:${m.command === 'dismiss' ? m.flagId : m.stream}`;
      if (m.command === 'dismiss' && m.flagId) {
        const e = store.get(m.flagId);
        if (e) e.dismissed = true;
      }
      answer(key, m.noop ? NOOP[m.command] : DONE[m.command]);
      break;
    }
    case 'notice':
      messageEl.textContent = `server: ${m.message}`;
      break;
    case 'error': {
      const text = `${m.code}: ${m.message}`;
      const key = m.command ? `${m.command}:${m.command === 'dismiss' ? m.flagId : m.stream}` : '';
      if (!key || !answer(key, `refused: ${text}`)) messageEl.textContent = `server: ${text}`;
      break;
    }
  }
  schedule();
}

function onStatus(s: SocketStatus, detail: string): void {
  statusEl.dataset.status = s;
  statusEl.textContent = detail;
  if (s === 'reconnecting' && pending.size > 0) {
    // The answers went with the connection: say so rather than leave "sent…" forever.
    for (const show of pending.values()) show('connection lost before the answer: check and send again');
    pending.clear();
    schedule();
  }
  if (s === 'unauthorized') showLogin('The server refused this token. Enter a moderator token.');
}

// --- filters ------------------------------------------------------------------------------------
const categoryBoxes = new Map<Category, HTMLInputElement>();
const severitySelect = byId<HTMLSelectElement>('min-severity');
const streamInput = byId<HTMLInputElement>('stream-search');

function buildFilterControls(): void {
  const box = byId('categories');
  for (const c of CATEGORIES) {
    const input = el('input');
    input.type = 'checkbox';
    input.checked = true;
    input.value = c;
    input.addEventListener('change', applyFilter);
    categoryBoxes.set(c, input);
    const label = el('label', `chip cat-${c}`);
    label.append(input, document.createTextNode(` ${c}`));
    box.append(label);
  }
  for (const s of SEVERITIES) severitySelect.append(new Option(s, s));
  severitySelect.addEventListener('change', applyFilter);
  streamInput.addEventListener('change', applyFilter);
  streamInput.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') applyFilter();
  });
}

const levelBoxes = new Map<Level, HTMLInputElement>();
const pkOnly = byId<HTMLInputElement>('pk-only');
const boardSearch = byId<HTMLInputElement>('board-search');

function buildBoardControls(): void {
  const box = byId('levels');
  for (const l of LEVELS) {
    const input = el('input');
    input.type = 'checkbox';
    input.checked = true;
    input.value = l;
    input.addEventListener('change', applyBoardFilter);
    levelBoxes.set(l, input);
    const label = el('label', `chip lvl-${l}`);
    label.append(input, document.createTextNode(` ${l}`));
    box.append(label);
  }
  pkOnly.addEventListener('change', applyBoardFilter);
  boardSearch.addEventListener('input', applyBoardFilter);
}

function boardFilter(): BoardFilter {
  const levels = new Set<Level>();
  for (const [l, input] of levelBoxes) if (input.checked) levels.add(l);
  return { levels, categories: currentFilter().categories, pkOnly: pkOnly.checked, search: boardSearch.value.trim().toLowerCase() };
}

function applyBoardFilter(): void {
  board.setFilter(boardFilter());
  schedule();
}

function currentFilter(): FeedFilter {
  const categories = new Set<Category>();
  for (const [c, input] of categoryBoxes) if (input.checked) categories.add(c);
  return { categories, minSeverity: severitySelect.value as Severity, streams: parseStreams(streamInput.value) };
}

/** Set when the filter widened: the next connection starts from history, not from the newest flag held. */
let widened = false;

/**
 * Applies the filter to what is held at once and tells the server. Narrower: a subscribe without a
 * position (the connection goes on from where it is). Wider: a new connection with history, since
 * a connection never goes back to send what it skipped; the store drops what it already holds.
 */
function applyFilter(): void {
  const f = currentFilter();
  const wider = widens(store.filter, f);
  changing();
  store.setFilter(f);
  board.setVisible((stream) => matchesStream(f, stream));
  board.setFilter(boardFilter());
  if (wider && socket) {
    widened = true;
    socket.reopen();
  } else socket?.send(withShadow(subscribeMessage(f)));
  schedule();
}

function refreshStreamList(): void {
  const list = byId<HTMLDataListElement>('known-streams');
  const known = board.knownStreams.slice(0, 500);
  if (list.options.length === known.length) return;
  list.replaceChildren(...known.map((s) => new Option(s, s)));
}

// --- sign-in ------------------------------------------------------------------------------------
function showLogin(why: string): void {
  socket?.stop();
  socket = undefined;
  byId('login-reason').textContent = why;
  byId('login').hidden = false;
  byId<HTMLInputElement>('token').focus();
}

function connect(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  byId('login').hidden = true;
  socket = new FeedSocket(socketUrl(token), {
    subscribe: () => {
      const last = store.lastId;
      const position: Position = last && !widened ? { since: last } : { history: HISTORY };
      widened = false;
      return withShadow(subscribeMessage(store.filter, position));
    },
    message: onMessage,
    status: onStatus,
  });
  socket.start();
}

// --- keyboard triage ----------------------------------------------------------------------------
const onKey = keyboardTriage({
  next: () => {
    view.move(1);
    schedule();
  },
  previous: () => {
    view.move(-1);
    schedule();
  },
  dismiss: () => {
    const e = view.selected;
    if (e && !e.dismissed && !e.retracted) dismiss(e);
  },
  open: () => {
    const stream = view.selected?.flag.stream;
    if (stream !== undefined) openStream(stream);
  },
  shutdownTarget: () => view.selected?.flag.stream ?? streamView.stream,
  shutdown: shutdownStream,
  escape: () => streamView.close(),
  prompt: (text) => {
    promptEl.textContent = text;
    promptEl.hidden = text === '';
  },
});

function boot(): void {
  buildFilterControls();
  buildBoardControls();
  addEventListener('keydown', onKey);
  byId('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = byId<HTMLInputElement>('token').value.trim();
    if (token) connect(token);
  });
  // Sound needs a user gesture first; any click or key on the page unlocks it.
  addEventListener('pointerdown', unlockAudio, { once: true });
  addEventListener('keydown', unlockAudio, { once: true });
  addEventListener('resize', schedule);
  newFlagsEl.addEventListener('click', () => {
    view.scrollToTop();
    updatePill(); // at once: the next frame may be a while away on a busy page
    schedule();
  });
  // Scrolling only moves the feed (FeedView redraws its rows itself) and may clear the pill.
  byId('feed').addEventListener('scroll', updatePill, { passive: true });
  // A token in the URL is taken and removed from the address bar (and so from history and screenshots).
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl !== null) {
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
  }
  const token = fromUrl ?? sessionStorage.getItem(TOKEN_KEY);
  if (token) connect(token);
  else showLogin('Enter a moderator token to watch the feed.');
  schedule();
}

boot();
