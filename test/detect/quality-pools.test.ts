/**
 * Precision and recall by mechanism on generated pools (bench/quality): thousands of innocent
 * host and chat lines, each group held to a false-positive budget, and claims said in plain words
 * held to a recall floor. A lexicon term, set or context case that fires on ordinary talk shows
 * up here with the terms that fired; the report (`node dist/bench/quality/pool-report.js`) lists
 * examples. The pools are written for the generator, never taken from a labeled corpus.
 */
import { describe, expect, test } from 'vitest';
import { createScanner } from '../../src/index.js';
import { claimPool } from '../../bench/quality/claim-pool.js';
import { innocentPool } from '../../bench/quality/innocent-pool.js';

const scanner = createScanner();

/** Flagged share allowed per group of innocent talk. */
const FPR_BUDGET = 0.02;
/**
 * Known mechanism gaps, each with its own budget: a channel named as where someone else spoke to
 * the speaker (我妈在微信里跟我说…) reads like an invitation to talk there (有事在微信里跟我说 is
 * one), and one template of the group makes ~12% of its lines.
 */
const FPR_BUDGET_BY_GROUP: Record<string, number> = { channels: 0.2, english: 0.03 };
/** Share of each claim group found with its category. */
const RECALL_FLOOR: Record<string, number> = { 'med-outcome': 0.9, 'med-reading': 0.95, 'med-chat': 0.9, 'med-negform': 0.95, 'ext-rank': 0.95, 'ext-slang': 0.8, 'ext-en': 0.6 };

describe('generated pools', () => {
  test('innocent talk stays within its false-positive budget, per group and overall', () => {
    const byGroup = new Map<string, { lines: number; flagged: number; terms: Set<string> }>();
    for (const line of innocentPool()) {
      const g = byGroup.get(line.group) ?? { lines: 0, flagged: 0, terms: new Set<string>() };
      byGroup.set(line.group, g);
      g.lines++;
      const flags = scanner.scan(line.text, { kind: line.kind });
      if (flags.length > 0) {
        g.flagged++;
        for (const f of flags) g.terms.add(`${f.category}:${f.term}`);
      }
    }
    expect(byGroup.size).toBeGreaterThanOrEqual(15);
    let lines = 0;
    let flagged = 0;
    const over: string[] = [];
    for (const [group, g] of byGroup) {
      lines += g.lines;
      flagged += g.flagged;
      if (g.flagged / g.lines > (FPR_BUDGET_BY_GROUP[group] ?? FPR_BUDGET)) over.push(`${group} ${g.flagged}/${g.lines}: ${[...g.terms].join(' ')}`);
    }
    expect(lines).toBeGreaterThan(4000);
    expect(over).toEqual([]);
    expect(flagged / lines).toBeLessThanOrEqual(0.01);
  }, 120_000);

  test('claims said in plain words are found with their category', () => {
    const byGroup = new Map<string, { lines: number; found: number }>();
    for (const line of claimPool()) {
      const g = byGroup.get(line.group) ?? { lines: 0, found: 0 };
      byGroup.set(line.group, g);
      g.lines++;
      const cats = new Set<string>(scanner.scan(line.text, { kind: line.kind }).map((f) => f.category));
      if (line.gold.every((c) => cats.has(c))) g.found++;
    }
    const under = [...byGroup].filter(([group, g]) => g.found / g.lines < RECALL_FLOOR[group]!).map(([group, g]) => `${group} ${g.found}/${g.lines}`);
    expect(under).toEqual([]);
  }, 120_000);
});
