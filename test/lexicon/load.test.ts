/**
 * Lexicon directory loading and validation: every problem is refused with file, line and a reason
 * naming the bad field, and all problems across all files are reported at once.
 */
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { createScanner, LexiconError, loadLexiconDir, type LexiconProblem } from '../../src/index.js';
import { compileLexicon } from '../../src/lexicon/compile.js';
import { tempLexiconDirs } from './temp-dirs.js';

const dirOf = tempLexiconDirs();

/** Loads `files` expecting a LexiconError; returns its problems. */
function refused(files: Record<string, string>): { dir: string; problems: readonly LexiconProblem[]; error: LexiconError } {
  const dir = dirOf(files);
  let caught: unknown;
  try {
    loadLexiconDir(dir);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(LexiconError);
  const error = caught as LexiconError;
  expect(error.code).toBe('PKG_ERR_LEXICON_INVALID');
  return { dir, problems: error.problems, error };
}

describe('loadLexiconDir: a valid directory', () => {
  test('terms keep file:line, options are parsed, allow categories and * are read', () => {
    const dir = dirOf({
      'extreme.tsv': ['# absolute claims', '', '全网最低价\thigh', '   ', 'lowest price  medium  exact', '史上最强\tcritical\tnophonetic, exact', '# end'].join('\n'),
      'contact.extra.tsv': '加微信\thigh\tphonetic\n',
      'allow.tsv': ['最近\t*', '第一次\textreme,medical', '三黄片', 'best before  extreme'].join('\n') + '\n',
      'README.md': 'not a lexicon: ignored\tbecause it is not .tsv\n',
    });
    const lex = loadLexiconDir(dir);
    const ext = join(dir, 'extreme.tsv');
    expect(lex.terms).toEqual(
      expect.arrayContaining([
        { phrase: '全网最低价', category: 'extreme', severity: 'high', options: [], file: ext, line: 3 },
        { phrase: 'lowest price', category: 'extreme', severity: 'medium', options: ['exact'], file: ext, line: 5 },
        { phrase: '史上最强', category: 'extreme', severity: 'critical', options: ['nophonetic', 'exact'], file: ext, line: 6 },
        { phrase: '加微信', category: 'contact', severity: 'high', options: ['phonetic'], file: join(dir, 'contact.extra.tsv'), line: 1 },
      ]),
    );
    expect(lex.terms).toHaveLength(4);
    const allow = join(dir, 'allow.tsv');
    expect(lex.allow).toEqual([
      { phrase: '最近', categories: [], file: allow, line: 1 },
      { phrase: '第一次', categories: ['extreme', 'medical'], file: allow, line: 2 },
      { phrase: '三黄片', categories: [], file: allow, line: 3 },
      { phrase: 'best before', categories: ['extreme'], file: allow, line: 4 },
    ]);
  });

  test('CRLF line endings and indented comments are handled', () => {
    const dir = dirOf({ 'medical.tsv': '  # comment\r\n降血压\thigh\r\n\r\n根治\tcritical\r\n' });
    const lex = loadLexiconDir(dir);
    expect(lex.terms.map((t) => [t.phrase, t.severity, t.line])).toEqual([
      ['降血压', 'high', 2],
      ['根治', 'critical', 4],
    ]);
  });

  test('TAB and two or more spaces separate columns; single spaces stay inside an English phrase', () => {
    const dir = dirOf({
      'medical.tsv': ['cures arthritis\thigh', 'lowers blood pressure   medium', 'heals  low  exact', 'stops hair loss\t\tlow'].join('\n'),
    });
    const lex = loadLexiconDir(dir);
    expect(lex.terms.map((t) => [t.phrase, t.severity, t.options])).toEqual([
      ['cures arthritis', 'high', []],
      ['lowers blood pressure', 'medium', []],
      ['heals', 'low', ['exact']],
      ['stops hair loss', 'low', []],
    ]);
  });

  test('a phrase and severity separated by a single space is one column, so it is refused', () => {
    const { dir, problems } = refused({ 'extreme.tsv': 'lowest price high\n' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: join(dir, 'extreme.tsv'), line: 1 });
    expect(problems[0]!.reason).toMatch(/column/);
  });

  test('a loaded directory scans: the entries it holds are what gets flagged', () => {
    const dir = dirOf({ 'medical.tsv': 'cures arthritis\thigh\n', 'allow.tsv': 'lowest price\t*\n', 'extreme.tsv': 'lowest price  medium\n' });
    const scanner = createScanner({ lexiconDir: dir });
    const flags = scanner.scan('This tea cures arthritis, lowest price too');
    expect(flags.map((f) => [f.category, f.term, f.matched])).toEqual([['medical', 'cures arthritis', 'cures arthritis']]);
  });
});

describe('named sets for near terms', () => {
  test('one line stands for every pairing; the flag names the members matched; sets are per file', () => {
    const dir = dirOf({
      'medical.near.tsv': '# sets\n@病\t湿疹|老寒腿\n@好\t好了|不疼了\n{病}…{好}\thigh\n治好…{病}\tmedium\n',
      'extreme.tsv': '{病}…最低\thigh\n',
    });
    let caught: unknown;
    try {
      loadLexiconDir(dir);
    } catch (err) {
      caught = err;
    }
    // The extreme file cannot see the medical file's set.
    expect((caught as LexiconError).problems).toEqual([expect.objectContaining({ line: 1, reason: expect.stringMatching(/no set @病/) })]);
    const ok = dirOf({ 'medical.near.tsv': '@病\t湿疹|老寒腿\n@好\t好了|不疼了\n{病}…{好}\thigh\n治好…{病}\tmedium\n' });
    const lexicon = loadLexiconDir(ok);
    expect(lexicon.terms.map((t) => [t.phrase, t.alternatives])).toEqual([
      ['{病}…{好}', [['湿疹', '老寒腿'], ['好了', '不疼了']]],
      ['治好…{病}', [['治好'], ['湿疹', '老寒腿']]],
    ]);
    const scanner = createScanner({ lexicon });
    expect(scanner.scan('我家老寒腿用了三天就不疼了').map((f) => [f.term, f.matched, f.severity])).toEqual([['老寒腿…不疼了', '老寒腿用了三天就不疼了', 'high']]);
    expect(scanner.scan('这个能治好多年的湿疹').map((f) => f.term)).toEqual(['治好…湿疹']);
    expect(scanner.scan('湿疹，用了三天，好了吗')).toEqual([]); // a clause break between the parts
  });

  test('entries given in code keep their sets; a {set} phrase without one is refused, not read as text', () => {
    const withSets = { phrase: '{病}…{好}', category: 'medical', severity: 'high', alternatives: [['湿疹'], ['好了']] as const };
    expect(createScanner({ lexicon: { terms: [withSets] } }).scan('湿疹三天就好了').map((f) => f.term)).toEqual(['湿疹…好了']);
    expect(() => createScanner({ lexicon: { terms: [{ phrase: '{病}…好了', category: 'medical', severity: 'high' }] } })).toThrow(/no set was given/);
  });
});

describe('loadLexiconDir: each broken line is refused with file, line and reason', () => {
  const cases: { name: string; file: string; content: string; line: number; reason: RegExp }[] = [
    { name: 'unknown severity', file: 'extreme.tsv', content: '全网最低价\thigh\n销量第一\tsevere\n', line: 2, reason: /severity/ },
    { name: 'unknown option', file: 'medical.tsv', content: '# x\n降血压\thigh\tfuzzy\n', line: 2, reason: /option/ },
    { name: 'one good and one unknown option', file: 'medical.tsv', content: '降血压\thigh\texact,loud\n', line: 1, reason: /option/ },
    { name: 'phonetic and nophonetic together', file: 'medical.tsv', content: '降血压\thigh\tphonetic,nophonetic\n', line: 1, reason: /phonetic/ },
    { name: 'idafter without a sound to apply to', file: 'contact.tsv', content: '加微\thigh\tidafter,nophonetic\n', line: 1, reason: /idafter/ },
    { name: 'missing severity column', file: 'contact.tsv', content: '加微信\thigh\n\n私信我\n', line: 3, reason: /column/ },
    { name: 'too many columns', file: 'exclusive.tsv', content: '独家合作\thigh\texact\tspare\n', line: 1, reason: /column/ },
    { name: 'phrase too long', file: 'extreme.tsv', content: `${'最'.repeat(49)}\thigh\n`, line: 1, reason: /phrase/ },
    { name: 'allow with unknown category', file: 'allow.tsv', content: '最近\t*\n第一次\textreme,spam\n', line: 2, reason: /categor/ },
    { name: 'allow with too many columns', file: 'allow.tsv', content: '最近\textreme\tmedical\n', line: 1, reason: /column/ },
    { name: 'severity in upper case', file: 'extreme.tsv', content: '全网最低价\tHIGH\n', line: 1, reason: /severity/ },
    { name: 'a set used before it is defined', file: 'medical.tsv', content: '{病}…好了\thigh\n@病\t湿疹|痛风\n', line: 1, reason: /no set @病 defined above/ },
    { name: 'a set defined twice', file: 'medical.tsv', content: '@病\t湿疹\n@病\t痛风\n', line: 2, reason: /defined twice/ },
    { name: 'a set with an empty member', file: 'medical.tsv', content: '@病\t湿疹||痛风\n', line: 1, reason: /empty member/ },
    { name: 'a set without members', file: 'medical.tsv', content: '@病\n', line: 1, reason: /column/ },
    { name: 'an unknown set in an adjacent phrase', file: 'medical.tsv', content: '@病\t湿疹\n治{症}\thigh\n', line: 2, reason: /no set @症/ },
    { name: 'an unmatched brace in a part', file: 'medical.tsv', content: '@病\t湿疹\n治{病…好了\thigh\n', line: 2, reason: /unmatched brace/ },
  ];
  test.each(cases)('$name', ({ file, content, line, reason }) => {
    const { dir, problems, error } = refused({ [file]: content });
    expect(problems).toHaveLength(1);
    const p = problems[0]!;
    expect(p.file).toBe(join(dir, file));
    expect(p.line).toBe(line);
    expect(p.reason).toMatch(reason);
    expect(p.entry.length).toBeGreaterThan(0);
    expect(error.message).toContain(`${join(dir, file)}:${line}`);
  });

  test('a phrase of exactly the maximum length (48) is accepted', () => {
    const dir = dirOf({ 'extreme.tsv': `${'最'.repeat(48)}\thigh\n` });
    expect(loadLexiconDir(dir).terms).toHaveLength(1);
  });

  test('a file whose name is not a category or allow is refused by name', () => {
    const { dir, problems } = refused({ 'extreme.tsv': '全网最低价\thigh\n', 'spam.tsv': '随便\thigh\n' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe(join(dir, 'spam.tsv'));
    expect(problems[0]!.reason).toMatch(/file name/);
    expect(problems[0]!.reason).toContain('extreme');
  });

  test('an empty directory is refused', () => {
    const { dir, problems } = refused({ 'notes.txt': 'nothing here' });
    expect(problems).toHaveLength(1);
    expect(problems[0]!.file).toBe(dir);
    expect(problems[0]!.reason).toMatch(/no \.tsv/);
  });

  test('a missing directory is refused', () => {
    const parent = dirOf({});
    const missing = join(parent, 'does-not-exist');
    let caught: unknown;
    try {
      loadLexiconDir(missing);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LexiconError);
    const p = (caught as LexiconError).problems;
    expect(p).toHaveLength(1);
    expect(p[0]!.file).toBe(missing);
    expect(p[0]!.reason).toMatch(/cannot read directory/);
  });

  test('every problem in every file is collected, not only the first', () => {
    const { dir, problems, error } = refused({
      'extreme.tsv': '全网最低价\tsevere\n销量第一\thigh\n史上最强\n',
      'medical.tsv': '降血压\thigh\tshiny\n',
      'allow.tsv': '最近\tnonsense\n',
      'other.tsv': 'x\thigh\n',
    });
    const where = problems.map((p) => `${p.file.slice(dir.length + 1)}:${p.line}`).sort();
    expect(where).toEqual(['allow.tsv:1', 'extreme.tsv:1', 'extreme.tsv:3', 'medical.tsv:1', 'other.tsv:0']);
    expect(error.message).toMatch(/and 4 more/);
  });

  test('createScanner refuses the same directory with the same LexiconError', () => {
    const dir = dirOf({ 'contact.tsv': '加微信\turgent\n' });
    expect(() => createScanner({ lexiconDir: dir })).toThrow(LexiconError);
    expect(() => createScanner({ lexiconDir: dir })).toThrow(`${join(dir, 'contact.tsv')}:1`);
  });
});

describe('compileLexicon: phrases that normalize to nothing', () => {
  test('"！！！" loads but is refused at compile with its file:line', () => {
    const dir = dirOf({ 'extreme.tsv': '全网最低价\thigh\n！！！\tlow\n', 'allow.tsv': '最近\n～～\t*\n' });
    const lex = loadLexiconDir(dir);
    expect(lex.terms.map((t) => t.phrase)).toContain('！！！');
    let caught: unknown;
    try {
      compileLexicon(lex);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LexiconError);
    const problems = (caught as LexiconError).problems;
    expect(problems.map((p) => [p.file, p.line])).toEqual([
      [join(dir, 'extreme.tsv'), 2],
      [join(dir, 'allow.tsv'), 2],
    ]);
    for (const p of problems) expect(p.reason).toMatch(/normalizes to nothing/);
  });

  test('createScanner refuses it too, naming file:line', () => {
    const dir = dirOf({ 'medical.tsv': '降血压\thigh\n* * *\tmedium\n' });
    expect(() => createScanner({ lexiconDir: dir })).toThrow(`${join(dir, 'medical.tsv')}:2`);
  });
});

describe('entries given in code go through the same schema', () => {
  test('a bad severity and an empty phrase are refused with their index and reason', () => {
    let error: unknown;
    try {
      createScanner({
        lexicon: {
          terms: [
            { phrase: '好词语', category: 'extreme', severity: 'huge' },
            { phrase: '  ', category: 'medical', severity: 'low' },
            { phrase: '正常词', category: 'medical', severity: 'low' },
          ],
        },
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LexiconError);
    const problems = (error as LexiconError).problems;
    expect(problems.map((p) => [p.file, p.line])).toEqual([
      ['<code>', 1],
      ['<code>', 2],
    ]);
    expect(problems[0]!.reason).toMatch(/severity/);
    expect(problems[1]!.reason).toMatch(/empty/);
  });

  test('valid entries in code build a working scanner', () => {
    const scanner = createScanner({ lexicon: { terms: [{ phrase: '正常词', category: 'medical', severity: 'low' }], allow: [{ phrase: '正常词语' }] } });
    expect(scanner.scan('这是正常词').map((f) => f.term)).toEqual(['正常词']);
    expect(scanner.scan('这是正常词语')).toEqual([]);
  });
});
