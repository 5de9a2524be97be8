/**
 * The match semantics table, run against every search mode and a naive oracle
 * (the pattern of aho-corasick's shared test tables). Each case: patterns, haystack, and the
 * expected overlapping matches as [pattern, start, end] in code units, sorted by end then start.
 */
export interface MatchCase {
  name: string;
  patterns: string[];
  haystack: string;
  /** Overlapping matches of plain Aho-Corasick (collapseRepeats: false). */
  overlapping: [string, number, number][];
  /** With collapseRepeats: true, when different. */
  collapsed?: [string, number, number][];
}

export const MATCH_CASES: MatchCase[] = [
  { name: 'classic he/she/his/hers', patterns: ['he', 'she', 'his', 'hers'], haystack: 'ushers',
    overlapping: [['she', 1, 4], ['he', 2, 4], ['hers', 2, 6]] },
  { name: 'nested CJK terms all reported', patterns: ['全网最低价', '最低价', '最低', '低价'], haystack: '这是全网最低价',
    overlapping: [['最低', 4, 6], ['全网最低价', 2, 7], ['最低价', 4, 7], ['低价', 5, 7]] },
  { name: 'no match', patterns: ['abc'], haystack: 'xyzab', overlapping: [] },
  { name: 'pattern equals haystack', patterns: ['独家'], haystack: '独家', overlapping: [['独家', 0, 2]] },
  { name: 'repeated occurrences (a one-run pattern matches as in plain search)', patterns: ['aa'], haystack: 'aaaa',
    overlapping: [['aa', 0, 2], ['aa', 1, 3], ['aa', 2, 4]] },
  { name: 'failure link into a shorter pattern', patterns: ['abcd', 'bc'], haystack: 'abce',
    overlapping: [['bc', 1, 3]] },
  { name: 'repeats inside a phrase are tolerated when collapsing', patterns: ['最低价'], haystack: '最最最低低价',
    overlapping: [],
    collapsed: [['最低价', 2, 6]] },
  { name: 'a pattern with its own repeat still matches, at its plain start', patterns: ['扣扣号'], haystack: '扣扣扣号',
    overlapping: [['扣扣号', 1, 4]] },
  { name: 'a repeat with no child follows the failure link', patterns: ['ab', 'bb'], haystack: 'abb',
    overlapping: [['ab', 0, 2], ['bb', 1, 3]] },
  { name: 'a repeated pattern after a partial match', patterns: ['加扣', '扣扣'], haystack: '加扣扣',
    overlapping: [['加扣', 0, 2], ['扣扣', 1, 3]] },
  { name: 'a stretched partial match and a repeat pattern at once', patterns: ['最低价', '低低'], haystack: '最低低价',
    overlapping: [['低低', 1, 3]],
    collapsed: [['低低', 1, 3], ['最低价', 0, 4]] },
  { name: 'one unit never stands for a pattern\'s repeat', patterns: ['扣扣', '扣扣号'], haystack: '折扣号',
    overlapping: [] },
  { name: 'a repeat inside the pattern is stretched, not shrunk', patterns: ['加扣扣好'], haystack: '加扣扣扣好加扣好',
    overlapping: [],
    collapsed: [['加扣扣好', 0, 5]] },
  { name: 'a last run longer than one unit ends once the text run is that long', patterns: ['号扣扣'], haystack: '号号扣扣扣',
    overlapping: [['号扣扣', 1, 4]] },
  { name: 'unrelated unit resets the partial match', patterns: ['加微信'], haystack: '加x微信',
    overlapping: [] },
  { name: 'astral units are plain code units', patterns: ['🍑宝'], haystack: '去🍑宝', overlapping: [['🍑宝', 1, 4]] },
  { name: 'single-unit pattern', patterns: ['x'], haystack: 'axbx', overlapping: [['x', 1, 2], ['x', 3, 4]] },
];

/** The oracle: every occurrence of every pattern, by brute force. */
export function naiveOverlapping(patterns: readonly string[], haystack: string): [string, number, number][] {
  const out: [string, number, number][] = [];
  const seen = new Set<string>();
  for (const p of patterns) {
    if (seen.has(p)) continue;
    seen.add(p);
    for (let i = haystack.indexOf(p); i >= 0; i = haystack.indexOf(p, i + 1)) out.push([p, i, i + p.length]);
  }
  return sortMatches(out);
}

/** `s` as runs of one unit: [unit, length, start]. */
function runs(s: string): [string, number, number][] {
  const out: [string, number, number][] = [];
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && s[i] === s[i - 1]) out[out.length - 1]![1]++;
    else out.push([s[i]!, 1, i]);
  }
  return out;
}

/**
 * The collapsing oracle, straight from the definition in builder.ts: collapse the text into runs,
 * match each pattern's run units plainly against consecutive text runs, and keep the matches where
 * every text run is at least as long as the pattern's; one-run patterns match plainly.
 */
export function naiveCollapsed(patterns: readonly string[], haystack: string): [string, number, number][] {
  const out: [string, number, number][] = [];
  const text = runs(haystack);
  for (const p of new Set(patterns)) {
    const pr = runs(p);
    if (pr.length === 1) {
      for (let i = haystack.indexOf(p); i >= 0; i = haystack.indexOf(p, i + 1)) out.push([p, i, i + p.length]);
      continue;
    }
    for (let t = 0; t + pr.length <= text.length; t++) {
      if (pr.every(([u, j], i) => text[t + i]![0] === u && text[t + i]![1] >= j)) {
        const first = text[t]!;
        out.push([p, first[2] + first[1] - pr[0]![1], text[t + pr.length - 1]![2] + pr[pr.length - 1]![1]]);
      }
    }
  }
  return sortMatches(out);
}

export function sortMatches(m: [string, number, number][]): [string, number, number][] {
  return m.sort((a, b) => a[2] - b[2] || a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
