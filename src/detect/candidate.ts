/**
 * A finding before resolution: a lexicon match or a detector hit, with its span in stream-global
 * original offsets (offset 0 = first unit of the stream's first chunk; for a single message, the
 * message itself).
 */
import type { Category, Severity } from '../flag.js';

export type Via = 'text' | 'pinyin' | 'detector';

export interface Candidate {
  category: Category;
  term: string;
  severity: Severity;
  start: number;
  end: number;
  via: Via;
}
