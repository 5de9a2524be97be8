/**
 * Every matcher in the bench behind one interface: build from patterns, then count matches over
 * messages. Peers are used exactly as their READMEs show.
 */
import { createRequire } from 'node:module';
import { buildAutomaton } from '../src/match/builder.js';
import { findOverlapping, MatchBuffer } from '../src/match/search.js';
import { createScanner } from '../src/index.js';

const require = createRequire(import.meta.url);

export interface Matcher {
  /** Counts matches over all messages (what "matches" means per peer: see notes). */
  scan(messages: readonly string[]): number;
}

export interface Peer {
  name: string;
  note: string;
  build(patterns: readonly string[]): Matcher;
}

/** The ceiling: one typed-array load per code unit and nothing else. */
export const bareLoop: Peer = {
  name: 'bare loop (ceiling)',
  note: 'charCodeAt + one Uint8Array lookup per unit',
  build(patterns) {
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

/** pkguard's automaton alone: code units copied into a reused Uint16Array, all overlapping matches. */
export const pkguardAutomaton: Peer = {
  name: 'pkguard automaton',
  note: 'overlapping matches, raw units (no normalization)',
  build(patterns) {
    const automaton = buildAutomaton(patterns);
    const codes = new Uint16Array(4096);
    const out = new MatchBuffer(256);
    return {
      scan(messages) {
        let n = 0;
        for (const m of messages) {
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
 * pkguard's whole scan path: normalization (both lanes), automaton, contact detectors, allow-list,
 * negation, resolution and Flag objects. The bench terms go in as `extreme` entries, with or
 * without homophone (pinyin-lane) patterns.
 */
function pkguardScanPeer(name: string, note: string, phonetic: boolean): Peer {
  return {
    name,
    note,
    build(patterns) {
      const options = phonetic ? [] : ['nophonetic'];
      const scanner = createScanner({
        lexicon: { terms: patterns.map((phrase) => ({ phrase, category: 'extreme', severity: 'medium', options })) },
      });
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

export const pkguardScan = pkguardScanPeer('pkguard scan (full path)', 'normalize + match + detectors + resolve, flags', false);
export const pkguardScanPhonetic = pkguardScanPeer(
  'pkguard scan + pinyin lane',
  'as above, plus homophone patterns for 3+ character terms',
  true,
);

export const ahocorasick: Peer = {
  name: 'ahocorasick',
  note: 'all overlapping matches (grouped by end position)',
  build(patterns) {
    const AhoCorasick = require('ahocorasick') as new (k: string[]) => { search(t: string): [number, string[]][] };
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
  note: 'all overlapping matches',
  build(patterns) {
    const { AhoCorasick } = require('@monyone/aho-corasick') as {
      AhoCorasick: new (k: string[]) => { matchInText(t: string): unknown[] };
    };
    const ac = new AhoCorasick([...patterns]);
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
  note: 'longest match per position, non-overlapping by default',
  build(patterns) {
    const FastScanner = require('fastscan') as new (k: string[]) => { search(t: string): unknown[] };
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
  note: 'distinct words found per message',
  build(patterns) {
    const mod = require('mint-filter') as { Mint?: unknown; default?: unknown };
    const Mint = (mod.Mint ?? mod.default ?? mod) as new (k: string[]) => {
      filter(t: string, o?: { replace?: boolean }): { words: string[] };
    };
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

export const ALL_PEERS: readonly Peer[] = [bareLoop, pkguardAutomaton, pkguardScan, pkguardScanPhonetic, ahocorasick, monyone, fastscan, mintFilter];
