/**
 * English stemming, so a `cure` entry matches "cures", "cured" and "curing". Uses natural's Porter
 * stemmer through its deep path: `import 'natural'` takes over a second, pulls database drivers and
 * prints a dotenv banner to stdout, which would corrupt `pkguard scan`'s NDJSON (ECOSYSTEM.md).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const porter = require('natural/lib/natural/stemmers/porter_stemmer.js') as { stem(word: string): string };

const CACHE_LIMIT = 20_000;
const cache = new Map<string, string>();

/** Porter stem of a lower-case ASCII word. Words under 3 letters come back as they are. */
export function stem(word: string): string {
  if (word.length < 3) return word;
  let s = cache.get(word);
  if (s === undefined) {
    s = porter.stem(word);
    // A stem is used as lane text with one origin per letter: keep it ASCII lower-case and no longer than the word.
    if (!/^[a-z]+$/.test(s) || s.length > word.length) s = word;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(word, s);
  }
  return s;
}
