/** Lexicon sets (src/lexicon/load.ts): shared set files, adjacent composition, near parts built from sets. */
import { describe, expect, test } from 'vitest';
import { LexiconError } from '../../src/errors.js';
import { createScanner } from '../../src/index.js';
import { loadLexiconDir, MAX_COMBINATIONS } from '../../src/lexicon/load.js';
import { tempLexiconDirs } from './temp-dirs.js';
import { foldTables } from '../../src/normalize/tables.js';
import { beforeAll } from 'vitest';

// Building the fold tables takes seconds on a loaded machine: not inside a case's time limit.
beforeAll(() => void foldTables(), 60_000);

const dirOf = tempLexiconDirs();

const problemsOf = (files: Record<string, string>) => {
  try {
    loadLexiconDir(dirOf(files));
  } catch (err) {
    if (err instanceof LexiconError) return err.problems.map((p) => `${p.file.split('/').pop()}:${p.line} ${p.reason}`);
    throw err;
  }
  return [];
};

describe('sets compose', () => {
  const files = {
    'sets.tsv': '# shared\n@病\t湿疹|痛风\n',
    'medical.tsv': '@治\t治|根治\n@缓\t缓解\n{治}{病}\thigh\n{缓}{病}\tmedium\n专{治}{病}药\thigh\n{病}…好了\thigh\n',
  };
  test('an adjacent line stands for every combination, each keeping the line', () => {
    const lex = loadLexiconDir(dirOf(files));
    const byPhrase = new Map(lex.terms.map((t) => [t.phrase, t]));
    for (const p of ['治湿疹', '治痛风', '根治湿疹', '根治痛风']) expect(byPhrase.get(p)?.severity).toBe('high');
    expect(byPhrase.get('缓解痛风')?.severity).toBe('medium');
    expect(byPhrase.get('专根治湿疹药')?.line).toBe(5);
    expect(lex.terms.filter((t) => t.line === 3)).toHaveLength(4);
  });
  test('a set file is visible in every file, and the scanner matches its members', () => {
    const scanner = createScanner({ lexiconDir: dirOf(files) });
    expect(scanner.scan('这个能根治痛风').map((f) => f.term)).toEqual(['根治痛风']);
    expect(scanner.scan('我的湿疹三天就好了').map((f) => f.term)).toEqual(['湿疹…好了']);
    expect(scanner.scan('缓解湿疹').map((f) => f.severity)).toEqual(['medium']);
  }, 60_000);
  test('an allow line may name sets: one allow phrase per combination, in its own file or a set file', () => {
    const dir = dirOf({ ...files, 'extreme.tsv': '最好用\thigh\n', 'allow.tsv': '@法\t温水|小火\n最好{法}\textreme\n最好用{法}\textreme\n' });
    const lex = loadLexiconDir(dir);
    expect(lex.allow.map((a) => a.phrase).sort()).toEqual(['最好小火', '最好温水', '最好用小火', '最好用温水']);
    expect(lex.allow.find((a) => a.phrase === '最好用小火')?.line).toBe(3);
    const scanner = createScanner({ lexiconDir: dir });
    expect(scanner.scan('洗的时候最好用温水')).toEqual([]);
    expect(scanner.scan('这是最好用的锅').map((f) => f.term)).toEqual(['最好用']);
    expect(problemsOf({ 'allow.tsv': '最好{没有}\textreme\n' })).toEqual(['allow.tsv:1 no set @没有 defined above in this file or in a set file']);
  }, 60_000);
  test('{~set} adds the members half in pinyin, never all in pinyin', () => {
    const lex = loadLexiconDir(dirOf({ 'medical.tsv': '@病\t湿疹\n{~病}…好了\thigh\n' }));
    expect([...lex.terms[0]!.alternatives![0]].sort()).toEqual(['shi疹', '湿zhen', '湿疹'].sort());
  });
  test('{~set} also reads a last 病/症/炎 by a common same-tone homophone', () => {
    const lex = loadLexiconDir(dirOf({ 'medical.tsv': '@病\t胃病\n{~病}…好了\thigh\n' }));
    const members = lex.terms[0]!.alternatives![0];
    expect(members).toContain('胃并'); // bìng
    expect(members).not.toContain('胃兵'); // bīng: another tone
  });
  test('{≈字} stands for the character and its common homophones of the same tone', () => {
    const lex = loadLexiconDir(dirOf({ 'extreme.tsv': '顶{≈级}\tmedium\n' }));
    const phrases = lex.terms.map((t) => t.phrase);
    expect(phrases).toContain('顶级');
    expect(phrases).toContain('顶极');
    expect(phrases).not.toContain('顶几'); // jǐ
  });
  test('refusals name the file and line', () => {
    expect(problemsOf({ 'sets.tsv': '@病\t湿疹\n治{病}\thigh\n' })).toEqual(['sets.tsv:2 a set file holds set lines only ("@name<TAB>member|member|…")']);
    expect(problemsOf({ 'sets.tsv': '@病\t湿疹\n', 'medical.tsv': '@病\t痛风\n治{病}\thigh\n' })).toEqual(['medical.tsv:1 set @病 is already defined in a set file']);
    expect(problemsOf({ 'medical.tsv': '治{病}\thigh\n' })[0]).toMatch(/no set @病/);
    const many = Array.from({ length: 200 }, (_, i) => `w${i}`).join('|');
    expect(problemsOf({ 'medical.tsv': `@a\t${many}\n{a}{a}{a}\thigh\n` })[0]).toContain(`more than ${MAX_COMBINATIONS}`);
    expect(problemsOf({ 'medical.tsv': `@a\t${'长'.repeat(40)}\n{a}{a}\thigh\n` })[0]).toMatch(/longer than/);
  });
});

describe('the bundled medical conditions are sets, not pasted products', () => {
  test('medical.conditions.tsv is a few set lines and still yields every verb × condition term', () => {
    const lex = loadLexiconDir();
    const fromConditions = lex.terms.filter((t) => t.file.endsWith('medical.conditions.tsv'));
    const lines = new Set(fromConditions.map((t) => t.line));
    expect(lines.size).toBeLessThan(60);
    expect(fromConditions.length).toBeGreaterThan(3000);
    const phrases = new Set(fromConditions.map((t) => t.phrase));
    for (const p of ['治高血压', '缓解湿疹', '根治鼻炎', '痛风都消了']) expect(phrases.has(p), p).toBe(true);
  });
});

describe('the bundled extreme and exclusive rank and channel words are sets', () => {
  test('a term of a product comes from its set line, not a pasted line of its own', () => {
    const lex = loadLexiconDir();
    const byPhrase = new Map(lex.terms.map((t) => [t.phrase, t]));
    const lineOf = (p: string) => `${byPhrase.get(p)!.file.split('/').pop()}:${byPhrase.get(p)!.line}`;
    // Members of one set line share that line.
    expect(lineOf('销量榜第一')).toBe(lineOf('复购率第一'));
    expect(lineOf('全国最好')).toBe(lineOf('行业最强'));
    expect(lineOf('别的店买不到')).toBe(lineOf('出了直播间买不到'));
    expect(lineOf('别家都拿不到')).toBe(lineOf('其他主播都没有'));
  });
});
