/**
 * Which stream cards the board shows and in what order, kept apart from the DOM so it is tested on
 * its own: shut-down and riskier streams first (level, then live before ended, then risk, then
 * flags in the last minutes, then id), under the moderator's board filter (levels, categories, PK, a search on the stream id).
 * A card the moderator is reading (pointer over it, or focus in it) keeps its place.
 */
import { CATEGORIES, type Category, type Level } from './wire.js';

export const LEVELS: readonly Level[] = ['normal', 'watch', 'alert', 'shutdown'];
export const LEVEL_RANK: Record<Level, number> = { normal: 0, watch: 1, alert: 2, shutdown: 3 };

/** What the order needs of a card. */
export interface Ranked {
  stream: string;
  level: Level;
  risk: number;
  pk: boolean;
  /** The stream ended: below the live ones of its level. */
  ended: boolean;
  /** Flags of the stream in the recent window (event time). */
  recent: number;
  /** Flags held per category (index of CATEGORIES). */
  categories: readonly number[];
}

export interface BoardFilter {
  levels: ReadonlySet<Level>;
  /** Cards with at least one flag in one of these; all four: every card, flagged or not. */
  categories: ReadonlySet<Category>;
  pkOnly: boolean;
  /** Case-insensitive substring of the stream id; '' matches all. */
  search: string;
}

export const ALL_CARDS: BoardFilter = { levels: new Set(LEVELS), categories: new Set(CATEGORIES), pkOnly: false, search: '' };

export function matchesCard(f: BoardFilter, c: Ranked): boolean {
  if (!f.levels.has(c.level)) return false;
  if (f.pkOnly && !c.pk) return false;
  if (f.search !== '' && !c.stream.toLowerCase().includes(f.search)) return false;
  if (f.categories.size < CATEGORIES.length && !CATEGORIES.some((cat, i) => f.categories.has(cat) && c.categories[i]! > 0)) return false;
  return true;
}

export function compareCards(a: Ranked, b: Ranked): number {
  return LEVEL_RANK[b.level] - LEVEL_RANK[a.level] || Number(a.ended) - Number(b.ended) || b.risk - a.risk || b.recent - a.recent || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0);
}

/**
 * Sorts `shown` in place and moves the pinned card (if shown) back to the place it had in the
 * previous order, so the card under the moderator's pointer does not slide away mid-read.
 */
export function orderCards<T extends Ranked>(shown: T[], pinned: string | undefined, previous: readonly string[]): T[] {
  shown.sort(compareCards);
  if (pinned === undefined) return shown;
  const was = previous.indexOf(pinned);
  const now = shown.findIndex((c) => c.stream === pinned);
  if (was < 0 || now < 0 || was === now) return shown;
  const [card] = shown.splice(now, 1);
  shown.splice(Math.min(was, shown.length), 0, card!);
  return shown;
}
