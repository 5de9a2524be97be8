/**
 * Every matcher in the bench behind one interface: build from the bench lexicon, then count
 * matches over a list of messages, one call per message (as a live stream delivers them).
 * Peers are called exactly as their READMEs show; what their "matches" count means differs and is
 * stated in `note` (the runner checks the counts against pkguard's automaton on a sample).
 */
import { createRequire } from 'node:module';
import { AhoCorasick as MonyoneAhoCorasick } from '@monyone/aho-corasick';
import { AhoCorasick as MonyoneFastAhoCorasick } from '@monyone/aho-corasick/fast';
import { buildAutomaton } from '../src/match/builder.js';
import { findOverlapping, findOverlappingInString, MatchBuffer } from '../src/match/search.js';
import { createScanner, loadLexiconDir } from '../src/index.js';
import { NEAR_SEPARATOR } from '../src/lexicon/compile.js';
import type { BenchLexicon } from './corpus.js';

// The three CommonJS peers ship no types usable from ESM: load them with require and type only
// the calls the bench makes.
const require = createRequire(import.meta.url);
type AhoCorasickCtor = new (keywords: string[]) => { search(text: string): [number, string[]][] };
type FastScannerCtor = new (words: string[]) => { search(text: string): [number, string][] };
type MintCtor = new (keys: string[]) => { filter(text: string, o?: { replace?: boolean }): { words: string[] } };

export interface Matcher {
  /** Scans each message separately and returns the total number of matches reported. */
  scan(messages: readonly string[]): number;
}

export interface Peer {
  name: string;
  /** Which lexicons the row runs on: the synthetic ones (500, 20k), the bundled one, or both (default). */
  lexicons?: 'synthetic' | 'bundled';
  /** What the row measures and what its match count means. */
  note: string;
  /** How its match count relates to pkguard automaton's (all overlapping occurrences). */
  expect: 'exact' | 'fewer' | 'different' | 'flags';
  /** Rows that speak for pkguard (excluded from "fastest other peer"). */
  pkguard?: boolean;
  build(lexicon: BenchLexicon): Matcher;
}

/** The ceiling: `charCodeAt` plus one typed-array load per unit, nothing else. */
export const bareLoop: Peer = {
  name: 'bare loop (ceiling)',
  note: 'acc += table[charCodeAt(i)], Uint8Array(65536); "matches" is the sum, not matches',
  expect: 'different',
  build({ patterns }) {
    const table = new Uint8Array(65536);
    for (const p of patterns) for (let i = 0; i < p.length; i++) table[p.charCodeAt(i)] = 1;
    return {
      scan(messages) {
        let acc = 0;
        for (const m of messages) for (let i = 0; i < m.length; i++) acc += table[m.charCodeAt(i)]!;
        return acc;
      },
    };
  },
};

/**
 * pkguard's automaton alone, on the message strings as they arrive: `findOverlappingInString`
 * walks the string's UTF-16 units directly (the same automaton and search as `findOverlapping`).
 */
function pkguardAutomatonPeer(name: string, collapseRepeats: boolean): Peer {
  return {
    name,
    note: `findOverlappingInString(automaton, message) on each message string, collapseRepeats=${collapseRepeats}; all overlapping matches`,
    expect: collapseRepeats ? 'different' : 'exact',
    pkguard: true,
    build({ patterns }) {
      const automaton = buildAutomaton(patterns, { collapseRepeats });
      const out = new MatchBuffer(256);
      return {
        scan(messages) {
          let n = 0;
          for (const m of messages) {
            out.reset();
            n += findOverlappingInString(automaton, m, out);
          }
          return n;
        },
      };
    },
  };
}

export const pkguardAutomaton = pkguardAutomatonPeer('pkguard automaton', false);
/** As the scanner builds it (`compile.ts`): repeated units are skipped, so 最最最低 finds 最低. */
export const pkguardAutomatonCollapse = pkguardAutomatonPeer('pkguard automaton, collapse', true);

/**
 * The automaton under the peers' allocation rule: each message's matches become an array of one
 * object per match (`{ pattern, start, end }`), as every peer's API returns them, and the count is
 * that array's length. The gap to "pkguard automaton" is what a result object per match costs.
 */
export const pkguardAutomatonObjects: Peer = {
  name: 'pkguard automaton, match objects',
  note: 'as "pkguard automaton" (plain), then an array of { pattern, start, end } per message, as peers return',
  expect: 'exact',
  pkguard: true,
  build({ patterns }) {
    const automaton = buildAutomaton(patterns);
    const out = new MatchBuffer(256);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) {
          out.reset();
          findOverlappingInString(automaton, m, out);
          const found: { pattern: number; start: number; end: number }[] = [];
          for (let i = 0; i < out.count; i++) found.push({ pattern: out.patterns[i]!, start: out.starts[i]!, end: out.ends[i]! });
          n += found.length;
        }
        return n;
      },
    };
  },
};

/**
 * Diagnostic row: `findOverlapping` takes a Uint16Array lane (what the scanner searches), so each
 * message is copied into one reused Uint16Array first, inside the timed region.
 */
export const pkguardAutomatonLaneCopy: Peer = {
  name: 'pkguard automaton, lane copy',
  note: 'findOverlapping over a reused Uint16Array (message copied in, timed); all overlapping matches',
  expect: 'exact',
  pkguard: true,
  build({ patterns }) {
    const automaton = buildAutomaton(patterns);
    let codes = new Uint16Array(256);
    const out = new MatchBuffer(256);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) {
          if (m.length > codes.length) codes = new Uint16Array(m.length * 2);
          for (let i = 0; i < m.length; i++) codes[i] = m.charCodeAt(i);
          out.reset();
          n += findOverlapping(automaton, codes, m.length, out);
        }
        return n;
      },
    };
  },
};

/**
 * Diagnostic row: the same search over lanes encoded once, outside the timed region (cached per
 * message list), to separate the search loop from the string→Uint16Array copy.
 */
export const pkguardAutomatonPreEncoded: Peer = {
  name: 'pkguard automaton, pre-encoded',
  note: 'as "pkguard automaton, lane copy" but lanes encoded once beforehand (search loop only)',
  expect: 'exact',
  pkguard: true,
  build({ patterns }) {
    const automaton = buildAutomaton(patterns);
    const out = new MatchBuffer(256);
    const lanes = new WeakMap<readonly string[], Uint16Array[]>();
    const encode = (messages: readonly string[]) =>
      messages.map((m) => {
        const a = new Uint16Array(m.length);
        for (let i = 0; i < m.length; i++) a[i] = m.charCodeAt(i);
        return a;
      });
    // The first call on a list encodes it (untimed: the runner's warm-up scans the exact list first).
    return {
      scan(messages) {
        let encoded = lanes.get(messages);
        if (encoded === undefined) lanes.set(messages, (encoded = encode(messages)));
        let n = 0;
        for (const lane of encoded) {
          out.reset();
          n += findOverlapping(automaton, lane, lane.length, out);
        }
        return n;
      },
    };
  },
};

/**
 * pkguard's whole scan path, `createScanner({ lexicon: { terms, allow: [] } })` then
 * `scanner.scan(message)`: fold table (traditional→simplified, width, symbols), both lanes,
 * automaton, contact detectors, allow-list, negation, resolution and `Flag` objects.
 */
function pkguardScanPeer(name: string, note: string, phonetic: boolean): Peer {
  return {
    name,
    note,
    lexicons: 'synthetic',
    expect: 'different',
    pkguard: true,
    build({ patterns, categories }) {
      const options = phonetic ? [] : ['nophonetic'];
      const terms = patterns.map((phrase, i) => ({
        phrase,
        category: categories[i]!,
        severity: 'medium',
        options,
        file: 'bench',
        line: i + 1,
      }));
      const scanner = createScanner({ lexicon: { terms, allow: [] } });
      return {
        scan(messages) {
          let n = 0;
          for (const m of messages) n += scanner.scan(m).length;
          return n;
        },
      };
    },
  };
}

export const pkguardScan = pkguardScanPeer(
  'pkguard scan (full path)',
  'scanner.scan(message), terms nophonetic; flags after resolution + contact-detector flags',
  false,
);
export const pkguardScanPhonetic = pkguardScanPeer(
  'pkguard scan + pinyin lane',
  'as above with default term options: homophone (pinyin-lane) patterns too',
  true,
);

/**
 * The bundled lexicons as the peers see them: every term's phrase as written, a near term
 * (`A … B`) as its two parts. What a plain Aho-Corasick user would search for the same lexicon.
 */
export function bundledBenchLexicon(): BenchLexicon {
  const lexicon = loadLexiconDir();
  const seen = new Set<string>();
  const out: BenchLexicon = { patterns: [], categories: [] };
  for (const t of lexicon.terms) {
    for (const part of t.phrase.split(NEAR_SEPARATOR)) {
      if (part.length === 0 || seen.has(part)) continue;
      seen.add(part);
      out.patterns.push(part);
      out.categories.push(t.category);
    }
  }
  return out;
}

/**
 * The production path: `createScanner()` with the bundled lexicons (allow list, pinyin lane and
 * near terms as shipped), `scanner.scan(message)`. The lexicon handed to `build` only feeds the
 * other rows; this one always scans with the bundled lexicons.
 */
export const pkguardProduction: Peer = {
  name: 'pkguard scan (production)',
  lexicons: 'bundled',
  note: 'createScanner() (bundled lexicons: pinyin lane, near terms, allow list), scanner.scan(message); flags',
  expect: 'flags',
  pkguard: true,
  build() {
    const scanner = createScanner();
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) n += scanner.scan(m).length;
        return n;
      },
    };
  },
};

export const ahocorasick: Peer = {
  name: 'ahocorasick',
  note: 'new AhoCorasick(terms).search(text): [end, words[]] per end position; counts words (all overlapping)',
  expect: 'exact',
  build({ patterns }) {
    const AhoCorasick = require('ahocorasick') as AhoCorasickCtor;
    const ac = new AhoCorasick([...patterns]);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) for (const [, words] of ac.search(m)) n += words.length;
        return n;
      },
    };
  },
};

export const monyone: Peer = {
  name: '@monyone/aho-corasick',
  note: 'matchInText(text): all overlapping matches',
  expect: 'exact',
  build({ patterns }) {
    const ac = new MonyoneAhoCorasick([...patterns]);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) n += ac.matchInText(m).length;
        return n;
      },
    };
  },
};

export const monyoneFast: Peer = {
  name: '@monyone/aho-corasick/fast',
  note: 'the package\'s double-array variant, matchInText(text): all overlapping matches',
  expect: 'exact',
  build({ patterns }) {
    const ac = new MonyoneFastAhoCorasick([...patterns]);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) n += ac.matchInText(m).length;
        return n;
      },
    };
  },
};

export const fastscan: Peer = {
  name: 'fastscan',
  note: 'search(text) with default options: all overlapping matches as [offset, word]',
  expect: 'exact',
  build({ patterns }) {
    const FastScanner = require('fastscan') as FastScannerCtor;
    const scanner = new FastScanner([...patterns]);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) n += scanner.search(m).length;
        return n;
      },
    };
  },
};

export const mintFilter: Peer = {
  name: 'mint-filter',
  note: 'filter(text, {replace:false}).words: distinct words per message, so fewer',
  expect: 'fewer',
  build({ patterns }) {
    const { Mint } = require('mint-filter') as { Mint: MintCtor };
    const mint = new Mint([...patterns]);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) n += mint.filter(m, { replace: false }).words.length;
        return n;
      },
    };
  },
};

export const ALL_PEERS: readonly Peer[] = [
  bareLoop,
  pkguardAutomaton,
  pkguardAutomatonCollapse,
  pkguardAutomatonObjects,
  pkguardAutomatonLaneCopy,
  pkguardAutomatonPreEncoded,
  pkguardScan,
  pkguardScanPhonetic,
  pkguardProduction,
  ahocorasick,
  monyone,
  monyoneFast,
  fastscan,
  mintFilter,
];
