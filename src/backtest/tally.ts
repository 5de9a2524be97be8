/**
 * The comparison a backtest reports: for each rescanned message, the flags the journal recorded
 * (the live lexicon of the day) against the flags the candidate raises on the same text, counted
 * per category and per term with a few examples each, and what happens to flags moderators dismissed.
 */
import { CATEGORIES, type Category, type Flag } from '../flag.js';
import type { RecordedMessage } from './journal-messages.js';
import { sameFinding } from '../shadow/same-finding.js';

export interface Example {
  stream: string;
  seq: number;
  matched: string;
  /** The text around the match (untrusted stream text: escape it wherever it is shown). */
  context: string;
}

export interface TermChange {
  category: Category;
  term: string;
  gained: number;
  lost: number;
  examples: { gained: Example[]; lost: Example[] };
}

export interface CategoryChange {
  recorded: number;
  candidate: number;
  gained: number;
  lost: number;
}

export interface BacktestResult {
  /**
   * `withoutText`: final messages the journal kept no text of, so not rescanned; `chatWithoutText`
   * of them chat (unflagged chat when `journal.keepChatText` is off): what a candidate would newly
   * flag there is unknown, and the reports say so.
   */
  messages: { read: number; rescanned: number; withoutText: number; chatWithoutText: number; partials: number; bad: number };
  categories: Record<Category, CategoryChange>;
  /** Terms that gained or lost flags, most changed first. */
  terms: TermChange[];
  /** Flags moderators dismissed: `dropped` the candidate no longer raises, `kept` it still does. */
  dismissed: { total: number; dropped: number; kept: number; keptExamples: Example[] };
  /** Wall clock of `runBacktest`, or with `timedFrom`, from that point (the CLI: the process start, so its rate includes start-up). */
  seconds: number;
  timedFrom?: 'process start';
  /** Threads the streams were sharded across. */
  workers?: number;
  /** CPU seconds each thread spent on its shard (this thread first), where the platform tells: how evenly the work was split. */
  threadCpu?: number[];
  /** How the CLI got the candidate lexicon, and how long that took (not in `seconds`). */
  lexicon?: { from: 'artifact' | 'compile'; seconds: number };
}

/** The rate both reports give: messages read over `seconds` (with `timedFrom`, the CLI's wall clock from the process start). */
export function messagesPerSecond(r: BacktestResult): number {
  return r.seconds > 0 ? Math.round(r.messages.read / r.seconds) : 0;
}

/** What the reports say about the messages a backtest could not rescan (one wording for text and HTML). */
export function notRescanned(m: BacktestResult['messages'], why = true): string[] {
  const out: string[] = [];
  if (m.chatWithoutText > 0) out.push(`chat not replayable: ${m.chatWithoutText} messages` + (why ? ' (the journal kept unflagged chat without its text, so what the candidate would newly flag in chat is unknown; set journal.keepChatText to record it)' : ''));
  const other = m.withoutText - m.chatWithoutText;
  if (other > 0) out.push(`${other} other messages without recorded text`);
  out.push(`${m.partials} partial hypotheses (their final chunks are rescanned)`);
  if (m.bad > 0) out.push(`${m.bad} unreadable records`);
  return out;
}

const CONTEXT = 24;
const NONE: readonly Flag[] = [];

const same = sameFinding;

/** `sameFinding` is symmetric: the order of a pair does not matter. */
function anySame(flags: readonly Flag[], f: Flag): boolean {
  for (let i = 0; i < flags.length; i++) if (same(flags[i]!, f)) return true;
  return false;
}

export class BacktestTally {
  readonly #examples: number;
  readonly #dismissed: ReadonlyMap<string, string | undefined>;
  // By category, then term: no key string built per flag.
  readonly #terms = new Map<Category, Map<string, TermChange>>(CATEGORIES.map((c) => [c, new Map()]));
  readonly #categories = Object.fromEntries(CATEGORIES.map((c) => [c, { recorded: 0, candidate: 0, gained: 0, lost: 0 }])) as Record<Category, CategoryChange>;
  readonly messages = { read: 0, rescanned: 0, withoutText: 0, chatWithoutText: 0, partials: 0, bad: 0 };
  readonly #dismissedSeen = { total: 0, dropped: 0, kept: 0, keptExamples: [] as Example[] };

  constructor(dismissed: ReadonlyMap<string, string | undefined>, examplesPerTerm = 3) {
    this.#dismissed = dismissed;
    this.#examples = examplesPerTerm;
  }

  /**
   * One rescanned message: what the journal recorded and what the candidate raised. `earlier`: flags
   * recorded on partial hypotheses of the same chunk, which the server does not raise again on the
   * final; their offsets were in another text, so they match a candidate flag by category and term.
   */
  compare(msg: RecordedMessage, text: string, candidate: readonly Flag[], earlier: readonly Flag[] = NONE): void {
    this.messages.rescanned++;
    const recorded = msg.flags;
    // Most messages: nothing recorded, nothing earlier; each candidate flag is a gain (no copies, no closures).
    if (recorded.length === 0 && earlier.length === 0) {
      for (const f of candidate) {
        this.#categories[f.category].candidate++;
        this.#gained(msg, text, f);
      }
      return;
    }
    for (const f of recorded) this.#categories[f.category].recorded++;
    for (const f of earlier) this.#categories[f.category].recorded++;
    for (const f of candidate) this.#categories[f.category].candidate++;
    // Plain loops, no closures or copies per message: about a third of rescanned messages come here.
    const unusedEarlier = earlier.length === 0 ? NONE : earlier.slice();
    for (const f of candidate) {
      if (anySame(recorded, f) || this.#takeEarlier(unusedEarlier as Flag[], msg, text, f)) continue;
      this.#gained(msg, text, f);
    }
    // An earlier flag no candidate flag took: the final no longer says it, or the candidate drops it.
    for (const e of unusedEarlier) if (this.#dismissed.has(e.id)) this.#dismissedOutcome(msg, text, e, false);
    for (const r of recorded) {
      const kept = anySame(candidate, r);
      if (this.#dismissed.has(r.id)) this.#dismissedOutcome(msg, text, r, kept);
      if (kept) continue;
      this.#categories[r.category].lost++;
      const t = this.#term(r);
      t.lost++;
      if (t.examples.lost.length < this.#examples) t.examples.lost.push(example(msg, text, r));
    }
  }

  /** An earlier (partial) flag of `f`'s category and term, taken out of `unused`: `f` is not new. */
  #takeEarlier(unused: Flag[], msg: RecordedMessage, text: string, f: Flag): boolean {
    let i = 0;
    while (i < unused.length && !(unused[i]!.category === f.category && unused[i]!.term === f.term)) i++;
    if (i === unused.length) return false;
    const [e] = unused.splice(i, 1);
    if (this.#dismissed.has(e!.id)) this.#dismissedOutcome(msg, text, f, true);
    return true;
  }

  #gained(msg: RecordedMessage, text: string, f: Flag): void {
    this.#categories[f.category].gained++;
    const t = this.#term(f);
    t.gained++;
    if (t.examples.gained.length < this.#examples) t.examples.gained.push(example(msg, text, f));
  }

  #dismissedOutcome(msg: RecordedMessage, text: string, f: Flag, kept: boolean): void {
    const d = this.#dismissedSeen;
    d.total++;
    if (!kept) {
      d.dropped++;
      return;
    }
    d.kept++;
    if (d.keptExamples.length < this.#examples * 4) d.keptExamples.push(example(msg, text, f));
  }

  result(seconds: number): BacktestResult {
    const terms = sortTerms([...this.#terms.values()].flatMap((m) => [...m.values()]));
    return { messages: { ...this.messages }, categories: this.#categories, terms, dismissed: { ...this.#dismissedSeen }, seconds };
  }

  #term(f: Flag): TermChange {
    const byTerm = this.#terms.get(f.category)!;
    let t = byTerm.get(f.term);
    if (!t) byTerm.set(f.term, (t = { category: f.category, term: f.term, gained: 0, lost: 0, examples: { gained: [], lost: [] } }));
    return t;
  }
}

function example(msg: RecordedMessage, text: string, f: Flag): Example {
  // A flag carried across chunks starts before this text (negative or past-the-end offsets clamp).
  const from = Math.max(0, Math.min(text.length, f.start) - CONTEXT);
  const to = Math.min(text.length, Math.max(0, f.end) + CONTEXT);
  return { stream: msg.stream, seq: msg.seq, matched: f.matched, context: text.slice(from, to) };
}

/**
 * The results of shards that each backtested their own streams, as one: counts add up; examples are
 * kept up to the same caps, shard by shard; terms sort as `result()` sorts them.
 */
export function mergeResults(parts: readonly BacktestResult[], examplesPerTerm = 3, seconds = 0): BacktestResult {
  const messages = { read: 0, rescanned: 0, withoutText: 0, chatWithoutText: 0, partials: 0, bad: 0 };
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, { recorded: 0, candidate: 0, gained: 0, lost: 0 }])) as Record<Category, CategoryChange>;
  const terms = new Map<string, TermChange>();
  const dismissed = { total: 0, dropped: 0, kept: 0, keptExamples: [] as Example[] };
  for (const p of parts) {
    for (const k of Object.keys(messages) as (keyof typeof messages)[]) messages[k] += p.messages[k];
    for (const c of CATEGORIES) for (const k of ['recorded', 'candidate', 'gained', 'lost'] as const) categories[c][k] += p.categories[c][k];
    for (const t of p.terms) {
      const key = `${t.category}\u0000${t.term}`;
      const into = terms.get(key);
      if (!into) {
        terms.set(key, { ...t, examples: { gained: t.examples.gained.slice(0, examplesPerTerm), lost: t.examples.lost.slice(0, examplesPerTerm) } });
        continue;
      }
      into.gained += t.gained;
      into.lost += t.lost;
      into.examples.gained.push(...t.examples.gained.slice(0, examplesPerTerm - into.examples.gained.length));
      into.examples.lost.push(...t.examples.lost.slice(0, examplesPerTerm - into.examples.lost.length));
    }
    dismissed.total += p.dismissed.total;
    dismissed.dropped += p.dismissed.dropped;
    dismissed.kept += p.dismissed.kept;
    dismissed.keptExamples.push(...p.dismissed.keptExamples.slice(0, examplesPerTerm * 4 - dismissed.keptExamples.length));
  }
  return { messages, categories, terms: sortTerms([...terms.values()]), dismissed, seconds };
}

function sortTerms(terms: TermChange[]): TermChange[] {
  return terms.sort((a, b) => b.gained + b.lost - (a.gained + a.lost) || (a.term < b.term ? -1 : 1));
}
