/**
 * The shadow lexicon (`lexicons.shadow`): a candidate lexicon scanned beside the live one on every
 * final transcript chunk and chat message, through the same scan step (message-step.ts
 * `scanMessage`), with its own stream carry. Its flags are journaled on the message's record as
 * `shadow`, counted, and sent only to feed clients that subscribe with `shadow: true`; they never
 * reach escalation, so they never raise risk or shut a stream down. Partial hypotheses are not
 * shadow-scanned (their final is).
 *
 * Flag ids come from the live allocator, so a shadow flag's id is never a live flag's.
 */
import type { Scanner } from '../detect/scanner.js';
import type { Flag } from '../flag.js';
import { basename } from 'node:path';
import { LexiconReloadRefusedError } from '../errors.js';
import { DEFAULT_MAX_DROP_SHARE, lexiconDrops, type ReloadGuardOptions } from '../lexicon/reload-guard.js';
import { wireError, type WireError } from '../protocol/codes.js';
import { sameFinding } from './same-finding.js';

/** A promotion done: journaled by the stream core as a `promote` record (stream/records.ts). */
export interface Promotion {
  /** The shadow lexicon folder that became live, and the one it replaced (absent: the bundled lexicons). */
  dir: string;
  from?: string;
  /** Promoted although the reload guard found it would lose entries. */
  forced: boolean;
  ts: number;
}

/** What the shadow lexicon made of one message, compared with the live flags. */
export interface ShadowOutcome {
  stream: string;
  seq: number;
  kind: 'transcript' | 'chat';
  ts: number;
  text: string;
  /** Every flag the shadow lexicon raised. */
  flags: Flag[];
  /** Ids of shadow flags no live flag matches (the candidate gains them). */
  gained: string[];
  /** Ids of live flags no shadow flag matches (the candidate would lose them). */
  lost: string[];
  /** Live flags, for counting losses by category. */
  live: readonly Flag[];
}

export interface ShadowLaneOptions {
  /** A scanner over the shadow lexicon, drawing ids from the live scanner's allocator. */
  scanner: Scanner;
  /** Its folder, and the live lexicon's (absent: the bundled lexicons). */
  dir: string;
  liveDir?: string;
  /** The reload guard's limits (config `lexiconReload`): a promotion is refused as a reload would be. */
  guard?: ReloadGuardOptions;
  /** Called once a promotion is applied (the server points its lexicon reload at the promoted folder). */
  onPromote?: (dir: string) => void;
}

export class ShadowLane {
  #scanner: Scanner | undefined;
  #dir: string | undefined;
  readonly #opts: ShadowLaneOptions;
  /** Last message time per stream with shadow carry, for the idle sweep. */
  readonly #active = new Map<string, number>();

  constructor(opts: ShadowLaneOptions) {
    this.#opts = opts;
    this.#scanner = opts.scanner;
    this.#dir = opts.dir;
  }

  /**
   * Makes the shadow lexicon live: refused (`lexicon_refused`) when the reload guard finds it would
   * lose files or entries of the live lexicon, unless forced. The record to journal, or the refusal.
   * Shadow scanning stops: the candidate is what the live scanner runs now.
   */
  promote(live: Scanner, force: boolean, ts: number): Promotion | WireError {
    const shadow = this.#scanner;
    const dir = this.#dir;
    if (!shadow || dir === undefined) return wireError('no_shadow_lexicon', 'no shadow lexicon is configured (lexicons.shadow), or it was promoted already', { command: 'promote' });
    const drops = lexiconDrops(live.lexicon, shadow.lexicon, this.#opts.guard);
    if (drops.length > 0 && !force) {
      // File names without the server's folders: a moderator is told what would be lost, not where the server keeps it.
      const named = drops.map((d) => ({ ...d, file: d.file === null ? null : basename(d.file) }));
      const message = new LexiconReloadRefusedError(named, this.#opts.guard?.maxDropShare ?? DEFAULT_MAX_DROP_SHARE).message;
      return wireError('lexicon_refused', `promote refused: ${message}; send {"type":"promote","force":true} to promote anyway`, { command: 'promote' });
    }
    live.swapLexicon(shadow.lexicon);
    const from = this.#opts.liveDir;
    this.#scanner = undefined;
    this.#dir = undefined;
    for (const stream of this.#active.keys()) shadow.endStream(stream);
    this.#active.clear();
    this.#opts.onPromote?.(dir);
    return { dir, ...(from !== undefined ? { from } : {}), forced: drops.length > 0, ts };
  }

  /** The shadow scanner while a shadow lexicon is configured (and not yet promoted). */
  get scanner(): Scanner | undefined {
    return this.#scanner;
  }

  get dir(): string | undefined {
    return this.#dir;
  }

  /** Notes scanner use for `stream` (its carry lives until the stream ends or idles out). */
  touch(stream: string, now: number): void {
    this.#active.set(stream, now);
  }

  endStream(stream: string): void {
    this.#active.delete(stream);
    this.#scanner?.endStream(stream);
  }

  /** Releases the carry of streams without a message for `idleMs`, as the live scanner's sweep does. */
  sweepIdle(idleMs: number, now: number): number {
    let n = 0;
    for (const [stream, at] of this.#active) {
      if (now - at < idleMs) continue;
      this.endStream(stream);
      n++;
    }
    return n;
  }

  /** Gained and lost against the live flags; undefined when nothing differs and nothing was raised. */
  static compare(base: Omit<ShadowOutcome, 'gained' | 'lost' | 'live'>, live: readonly Flag[]): ShadowOutcome | undefined {
    const gained = base.flags.filter((f) => !live.some((l) => sameFinding(l, f))).map((f) => f.id);
    const lost = live.filter((l) => !base.flags.some((f) => sameFinding(l, f))).map((l) => l.id);
    if (base.flags.length === 0 && lost.length === 0) return undefined;
    return { ...base, gained, lost, live };
  }
}

/**
 * The feed's `shadow` frame: `{type:"shadow", stream, seq, kind, ts, text, flags, gained, lost}`,
 * `flags` the shadow lexicon's (flag objects as on `flag` frames), `gained` the ids of those no live
 * flag matches, `lost` the live flags no shadow flag matches, as `{id, category, term, matched}`.
 */
export function shadowFrame(o: ShadowOutcome): string {
  const lost = new Set(o.lost);
  const lostFlags = o.live.filter((f) => lost.has(f.id)).map((f) => ({ id: f.id, category: f.category, term: f.term, matched: f.matched }));
  return JSON.stringify({ type: 'shadow', stream: o.stream, seq: o.seq, kind: o.kind, ts: o.ts, text: o.text, flags: o.flags, gained: o.gained, lost: lostFlags });
}
