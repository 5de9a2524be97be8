/**
 * The moderator console: wires the feed socket to the flag store, the virtualised list and the
 * stream cards, and the filter controls to `subscribe`. Rendering is batched per animation frame,
 * so a burst of flags costs one layout.
 */
import { soundAlarm, unlockAudio } from './alarm.js';
import { byId, el } from './dom.js';
import { FeedSocket, type SocketStatus } from './feed-socket.js';
import { FeedView } from './feed-view.js';
import { matchesStream, parseStreams, subscribeMessage, widens, type FeedFilter, type Position } from './filter.js';
import { FlagStore, type FlagEntry } from './flag-store.js';
import { StreamBoard } from './stream-board.js';
import { ShadowView, withShadow } from './shadow-view.js';
import { CATEGORIES, SEVERITIES, type Category, type ServerMessage, type Severity } from './wire.js';

/** How far back (in flag ids) a fresh subscribe starts, so an opened console shows recent flags. */
const HISTORY = 5000;
const TOKEN_KEY = 'pkguard.token';

const store = new FlagStore();
const statusEl = byId('status');
const countEl = byId('count');
const alarmEl = byId('alarm');
const messageEl = byId('server-message');
const newFlagsEl = byId<HTMLButtonElement>('new-flags');

const socketUrl = (token: string) => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/feed?token=${encodeURIComponent(token)}`;

let socket: FeedSocket | undefined;
const board = new StreamBoard(byId('cards'), byId('more-cards'), {
  shutdown: (stream) => command(`shutdown:${stream}`, { type: 'shutdown', stream, reason: 'manual shutdown from the moderator console' }, (t) => board.note(stream, t)),
  restore: (stream) => command(`restore:${stream}`, { type: 'restore', stream }, (t) => board.note(stream, t)),
});
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
    countEl.textContent = `${store.size} flags shown`;
    updatePill();
    const down = board.shutDown();
    alarmEl.hidden = down.length === 0;
    alarmEl.textContent = down.map((d) => `${d.stream} SHUT DOWN: ${d.reason}`).join('  ·  ');
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

// --- feed messages ------------------------------------------------------------------------------
function onMessage(m: ServerMessage): void {
  if (shadowView.take(m)) return;
  switch (m.type) {
    case 'flag':
      changing();
      if (store.add(m.flag, m.text ?? store.textOf(m.textOf), m.prev)) board.flag(m.flag.stream, m.flag.ts);
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
      // escalation.mode "recommend": the decision is the moderator's (the card's Shut down button, or a `confirm` command).
      messageEl.textContent = `pkguard recommends shutting down ${m.stream}: ${m.reason}`;
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
      answer(key, m.noop ? `no change: already ${m.command === 'restore' ? 'live' : m.command === 'dismiss' ? 'dismissed' : 'shut down'}` : `done: ${m.command === 'dismiss' ? 'dismissed' : m.command === 'shutdown' ? 'shut down' : 'restored'}`);
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

function boot(): void {
  buildFilterControls();
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
