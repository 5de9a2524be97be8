/**
 * One stream's incidents: the flags of one utterance (one message seq) grouped, weighing as the
 * strongest of them, and the stream's risk as the decayed sum of its incidents' weights.
 *
 * A flag can join its incident later (a partial hypothesis, then its final) and leave it (dismissed
 * by a moderator, retracted when the final no longer says it): the incident's weight is then its
 * strongest remaining flag, and the risk moves by the difference, decayed from the incident's time,
 * so removing a flag leaves the risk exactly as if it had never been raised.
 */
import { decay, type EscalationConfig } from './risk.js';

interface IncidentFlag {
  weight: number;
  term: string;
  /** A critical claim that counts toward a shutdown (host or guest, transcript). */
  critical: boolean;
}

export interface Incident {
  seq: number;
  ts: number;
  weight: number;
  flags: Map<string, IncidentFlag>;
  /** Terms of a snapshot's incident (its flags are in deleted segments). */
  terms?: string[];
}

/** How a snapshot keeps an incident: enough for repetition and the sustain count. */
export interface IncidentState {
  seq: number;
  ts: number;
  weight: number;
  terms: string[];
}

/** A stream's risk as a snapshot keeps it. */
export interface RiskState {
  risk: number;
  /** Event time the risk is as of (it decays from there). */
  ts: number;
  /** Flags per term (journals before incidents; read, no longer used). */
  terms?: Record<string, number>;
  /** Recent incidents: repetition and the sustain count go on after the snapshot. */
  incidents?: IncidentState[];
}

/**
 * A snapshot reading many books over several turns of the event loop (risk-snapshot.ts): told
 * before any book changes, so one it has not read yet hands in its state as of the snapshot.
 */
export interface BookWatcher {
  beforeChange(book: IncidentBook): void;
}

/**
 * The snapshots being read now (almost always none, at most one per stream core). A registry, not
 * a field per book: one book per stream, and the per-stream memory budget is 1.5 KB.
 */
const watchers = new Set<BookWatcher>();

/** `watcher` is told before every book's change from now on, until `unwatchBooks`. */
export function watchBooks(watcher: BookWatcher): void {
  watchers.add(watcher);
}

export function unwatchBooks(watcher: BookWatcher): void {
  watchers.delete(watcher);
}

/** Incidents kept per stream; older ones have decayed to nothing and fallen out of the sustain window. */
const MAX_INCIDENTS = 64;

export class IncidentBook {
  #risk = 0;
  #lastTs = 0;
  readonly #incidents = new Map<number, Incident>();
  readonly #flagSeq = new Map<string, number>();
  /** At least the highest seq of any incident (-Infinity: none yet). */
  #maxSeq = -Infinity;

  get risk(): number {
    return this.#risk;
  }

  set risk(risk: number) {
    this.#changing();
    this.#risk = risk;
  }

  get lastTs(): number {
    return this.#lastTs;
  }

  set lastTs(ts: number) {
    this.#changing();
    this.#lastTs = ts;
  }

  #changing(): void {
    if (watchers.size !== 0) for (const w of watchers) w.beforeChange(this);
  }

  /** Risk decayed to `ts` (time never runs backwards). */
  advance(config: EscalationConfig, ts: number): void {
    if (ts > this.#lastTs) {
      this.#changing();
      this.#risk = decay(config, this.#risk, ts - this.#lastTs);
      this.#lastTs = ts;
    }
  }

  /**
   * The book as a snapshot keeps it: the risk, its time and the incidents since `windowMs` before
   * it that weigh something; undefined for a book with neither (nothing worth keeping).
   */
  state(windowMs: number): RiskState | undefined {
    const incidents = this.states(this.#lastTs - windowMs);
    if (this.#risk < 0.01 && incidents.length === 0) return undefined;
    return { risk: round(this.#risk), ts: this.#lastTs, incidents };
  }

  get(seq: number): Incident | undefined {
    // Nearly every message asks for its own seq, above every incident so far: answered without the
    // lookup (seqs are often timestamps, doubles, which a Map hashes slowly: ~2% of a node's CPU).
    return seq > this.#maxSeq ? undefined : this.#incidents.get(seq);
  }

  /** How many incidents other than `seq` since `from` (event time) had a flag with `term`. */
  priorWith(term: string, seq: number, from: number): number {
    let n = 0;
    for (const inc of this.#incidents.values()) {
      if (inc.seq === seq || inc.ts < from || inc.weight === 0) continue;
      if (inc.terms ? inc.terms.includes(term) : hasTerm(inc.flags, term)) n++;
    }
    return n;
  }

  /** Incidents still weighing something since `from`. */
  countSince(from: number): number {
    let n = 0;
    for (const inc of this.#incidents.values()) if (inc.ts >= from && inc.weight > 0) n++;
    return n;
  }

  /** Adds a flag to the incident of `seq` (created at `ts` when new). */
  add(config: EscalationConfig, seq: number, ts: number, id: string, flag: IncidentFlag): void {
    this.#changing();
    let inc = this.get(seq);
    if (!inc) {
      inc = { seq, ts, weight: 0, flags: new Map() };
      this.#incidents.set(seq, inc);
      if (seq > this.#maxSeq) this.#maxSeq = seq;
      if (this.#incidents.size > MAX_INCIDENTS) this.#evict();
    }
    inc.flags.set(id, flag);
    this.#flagSeq.set(id, seq);
    this.#reweigh(config, inc);
  }

  /** Removes a flag; false when it carries no weight here (unknown, or its incident is long gone). */
  remove(config: EscalationConfig, id: string): boolean {
    const seq = this.#flagSeq.get(id);
    const inc = seq === undefined ? undefined : this.#incidents.get(seq);
    if (!inc || !inc.flags.has(id)) return false;
    this.#changing();
    inc.flags.delete(id);
    this.#flagSeq.delete(id);
    this.#reweigh(config, inc);
    return true;
  }

  rename(from: string, to: string): void {
    const seq = this.#flagSeq.get(from);
    const inc = seq === undefined ? undefined : this.#incidents.get(seq);
    const f = inc?.flags.get(from);
    if (!inc || !f) return;
    inc.flags.delete(from);
    inc.flags.set(to, f);
    this.#flagSeq.delete(from);
    this.#flagSeq.set(to, seq!);
  }

  /** Flag ids that still carry weight, oldest first: a shutdown's evidence. */
  flagIds(): string[] {
    const ids: string[] = [];
    for (const inc of this.#incidents.values()) for (const id of inc.flags.keys()) ids.push(id);
    return ids;
  }

  clear(): void {
    this.#changing();
    this.#risk = 0;
    this.#incidents.clear();
    this.#flagSeq.clear();
  }

  /** The incidents a snapshot keeps (those since `from` that weigh something). */
  states(from: number): IncidentState[] {
    const out: IncidentState[] = [];
    for (const inc of this.#incidents.values()) {
      if (inc.ts < from || inc.weight === 0) continue;
      const terms = inc.terms ?? [...new Set([...inc.flags.values()].map((f) => f.term))];
      out.push({ seq: inc.seq, ts: inc.ts, weight: round(inc.weight), terms });
    }
    return out;
  }

  /** Incidents as a snapshot kept them; their weight is already inside the restored risk. */
  restore(states: readonly IncidentState[]): void {
    this.#changing();
    for (const s of states) {
      this.#incidents.set(s.seq, { seq: s.seq, ts: s.ts, weight: s.weight, flags: new Map(), terms: s.terms });
      if (s.seq > this.#maxSeq) this.#maxSeq = s.seq;
    }
  }

  /** Weight = strongest remaining flag; the risk moves by the difference, decayed from the incident's time. */
  #reweigh(config: EscalationConfig, inc: Incident): void {
    let w = 0;
    for (const f of inc.flags.values()) if (f.weight > w) w = f.weight;
    if (inc.terms) w = Math.max(w, inc.weight); // a restored incident keeps its recorded weight
    if (w === inc.weight) return;
    // Callers (add, remove) told the watcher already.
    this.#risk += (w - inc.weight) * Math.pow(0.5, Math.max(0, this.#lastTs - inc.ts) / config.halfLifeMs);
    if (this.#risk < 1e-6) this.#risk = 0;
    inc.weight = w;
  }

  #evict(): void {
    const [seq, inc] = this.#incidents.entries().next().value!;
    for (const id of inc.flags.keys()) this.#flagSeq.delete(id);
    this.#incidents.delete(seq);
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Without spreading the flags into an array (asked per flag, per incident of the stream). */
function hasTerm(flags: Map<string, IncidentFlag>, term: string): boolean {
  for (const f of flags.values()) if (f.term === term) return true;
  return false;
}
