/**
 * The English context cases read words without building strings (context.ts readWords): checked
 * against the plain string reference they replaced (slice, lower-case, drop apostrophes, split) on
 * random clauses built from the cases' own words, letters that lower-case into ASCII from outside
 * A-Z (İ, the Kelvin sign), apostrophes and separators.
 */
import { describe, expect, test } from 'vitest';
import { CONTEXT_CASES, englishCase } from '../../src/detect/context.js';
import type { ContextCase } from '../../src/detect/context-cases.js';
import { prng } from '../../bench/corpus.js';

function wordsOf(text: string, from: number, to: number): string[] {
  return text
    .slice(Math.max(0, from), Math.min(text.length, to))
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
}

function reference(c: ContextCase, text: string, start: number, end: number, from: number, to: number): boolean {
  if (c.look === 'en-after') {
    const next = wordsOf(text, end, to)[0];
    return next !== undefined && c.words.includes(next);
  }
  if (c.look === 'en-after-phrase') {
    const rest = ` ${wordsOf(text, end, to).join(' ')} `;
    return c.words.some((p) => rest.includes(` ${p} `));
  }
  const words = wordsOf(text, from, start);
  if (c.look === 'en-before-phrase') {
    const tail = words.slice(-3).join(' ');
    return c.words.some((p) => tail === p || tail.endsWith(` ${p}`));
  }
  for (let i = words.length - 1; i >= 0 && i >= words.length - 8; i--) {
    if (!c.words.includes(words[i]!)) continue;
    const next = words[i + 1] === 'to' || words[i + 1] === 'you' ? words[i + 2] : words[i + 1];
    return !(next !== undefined && c.then!.includes(next));
  }
  return false;
}

const ENGLISH = CONTEXT_CASES.filter((c) => c.look.startsWith('en-'));

describe('englishCase', () => {
  test('covers every English look', () => {
    expect(new Set(ENGLISH.map((c) => c.look))).toEqual(new Set(['en-before', 'en-after', 'en-after-phrase', 'en-before-phrase']));
  });

  test('agrees with the string reference on random clauses', () => {
    const rnd = prng(14);
    const vocabulary = [...new Set(ENGLISH.flatMap((c) => [...c.words, ...(c.then ?? [])]))];
    const extra = ['to', 'you', 'TO', 'Never', "don't", 'don’t', 'İn', 'K', 'x', 'abc', 'YOUR', 'Look'];
    const separators = [' ', '  ', ',', '-', "'", '’', '最', '1', '\u0130', '\u212a', 'é', '🎁', '\u0307'];
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    let agreed = 0;
    let held = 0;
    for (let round = 0; round < 4000; round++) {
      let before = '';
      while (before.length < 50 && rnd() < 0.9) before += pick(rnd() < 0.7 ? vocabulary : extra) + pick(separators);
      let after = '';
      while (after.length < 50 && rnd() < 0.9) after += pick(separators) + pick(rnd() < 0.7 ? vocabulary : extra);
      const text = before + '第一' + after;
      const start = before.length;
      const end = start + 2;
      const from = Math.max(0, start - Math.floor(rnd() * 45));
      const to = Math.min(text.length, end + Math.floor(rnd() * 45));
      for (const c of ENGLISH) {
        const want = reference(c, text, start, end, from, to);
        expect(englishCase(c, text, start, end, from, to), `${c.name} on ${JSON.stringify(text)} [${from}, ${to})`).toBe(want);
        agreed++;
        if (want) held++;
      }
    }
    // The clauses must exercise both answers.
    expect(held).toBeGreaterThan(agreed / 50);
  });
});
