/**
 * Lexicon hot reload (src/lexicon/reload.ts) on real temp folders and real files: the guard
 * refuses a reload that loses a file, empties one or drops too many entries (the serving lexicon
 * stays), force accepts it, ordinary edits pass, a broken file fails with its LexiconError, file
 * events settle into one compile, and concurrent requests coalesce.
 */
import { appendFileSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { LexiconError, LexiconReloadRefusedError } from '../../src/errors.js';
import { compileLexicon, type CompiledLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { LexiconReloader, type LexiconReloaderOptions, type ReloadOutcome } from '../../src/lexicon/reload.js';
import { tempLexiconDirs } from './temp-dirs.js';

const dirOf = tempLexiconDirs();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` distinct English claims (English keeps compiles fast: no pinyin lane). */
const claims = (prefix: string, n: number, severity = 'high') => Array.from({ length: n }, (_, i) => `${prefix} claim number${i}\t${severity}`).join('\n') + '\n';

const FILES = {
  'extreme.core.tsv': claims('best', 40),
  'contact.tsv': claims('message me', 12),
  'medical.tsv': claims('cures', 3),
  'allow.tsv': 'best before\t*\n',
};

/** A reloader over a fresh copy of FILES, with the serving lexicon held like the scanner does. */
function setup(extra: Partial<LexiconReloaderOptions> = {}) {
  const dir = dirOf(FILES);
  const state = { serving: compileLexicon(loadLexiconDir(dir)), compiles: 0, outcomes: [] as ReloadOutcome[] };
  const reloader = new LexiconReloader({
    dir,
    compile: async () => {
      state.compiles++;
      return compileLexicon(loadLexiconDir(dir));
    },
    current: () => state.serving,
    apply: (l) => (state.serving = l),
    onOutcome: (o) => state.outcomes.push(o),
    settleMs: 150,
    maxWaitMs: 2000,
    ...extra,
  });
  return { dir, state, reloader, file: (name: string) => join(dir, name) };
}

function refusal(o: ReloadOutcome): LexiconReloadRefusedError {
  expect(o.outcome).toBe('refused');
  const err = (o as { error: unknown }).error;
  expect(err).toBeInstanceOf(LexiconReloadRefusedError);
  expect((err as LexiconReloadRefusedError).code).toBe('PKG_ERR_LEXICON_RELOAD_REFUSED');
  return err as LexiconReloadRefusedError;
}

const entriesIn = (l: CompiledLexicon, path: string) => l.fileEntries[path];

describe('the guard refuses a reload that loses terms; the serving lexicon stays', () => {
  test('an emptied file (a non-atomic save caught half-way) is refused', async () => {
    const { state, reloader, file } = setup();
    const before = state.serving;
    writeFileSync(file('extreme.core.tsv'), '');
    const o = await reloader.reload({ trigger: 'test' });
    const err = refusal(o);
    expect(err.drops[0]).toMatchObject({ kind: 'file_emptied', file: file('extreme.core.tsv'), before: 40, after: 0, lost: 40, share: 1 });
    expect(err.file).toBe(file('extreme.core.tsv'));
    expect(err.message).toMatch(/extreme\.core\.tsv was emptied \(40 entries → 0\)/);
    expect(state.serving).toBe(before);
    expect(state.outcomes.map((x) => x.outcome)).toEqual(['refused']);
  });

  test('a file with only comments left counts as emptied', async () => {
    const { reloader, file } = setup();
    writeFileSync(file('contact.tsv'), '# nothing here any more\n');
    expect(refusal(await reloader.reload()).drops[0]).toMatchObject({ kind: 'file_emptied', before: 12 });
  });

  test('a deleted file is refused, even a small one', async () => {
    const { state, reloader, file } = setup();
    const before = state.serving;
    rmSync(file('medical.tsv'));
    const err = refusal(await reloader.reload());
    expect(err.drops).toEqual([{ kind: 'file_missing', file: file('medical.tsv'), before: 3, after: 0, lost: 3, share: 1 }]);
    expect(state.serving).toBe(before);
  });

  test('a file that loses more than maxDropShare of its entries is refused', async () => {
    const { state, reloader, file } = setup();
    writeFileSync(file('extreme.core.tsv'), claims('best', 40).split('\n').slice(0, 25).join('\n')); // 15 of 40 lost: 37.5%
    const err = refusal(await reloader.reload());
    expect(err.drops[0]).toMatchObject({ kind: 'file_shrunk', before: 40, after: 25, lost: 15 });
    expect(err.share).toBeCloseTo(0.375);
    expect(err.maxDropShare).toBe(0.2);
    expect(err.message).toMatch(/would lose 15 of its 40 entries \(38%; at most 20% allowed\)/);
    expect(entriesIn(state.serving, file('extreme.core.tsv'))).toBe(40);
  });

  test('maxDropShare is configurable', async () => {
    const { reloader, file } = setup({ maxDropShare: 0.5 });
    writeFileSync(file('extreme.core.tsv'), claims('best', 25));
    expect((await reloader.reload()).outcome).toBe('ok');
  });

  test('many files each losing a little add up: the total share is checked too', async () => {
    const { reloader, file } = setup();
    // extreme loses 8 of 40 (20%, not more), contact 5 of 12 and medical 2 of 3 (fewer than
    // minDropped = 10 each): 15 of 56 in all, 27%.
    writeFileSync(file('extreme.core.tsv'), claims('best', 32));
    writeFileSync(file('contact.tsv'), claims('message me', 7));
    writeFileSync(file('medical.tsv'), claims('cures', 1));
    expect(refusal(await reloader.reload()).drops).toEqual([{ kind: 'total_shrunk', file: null, before: 56, after: 41, lost: 15, share: 15 / 56 }]);
  });

  test('force accepts what the guard refused', async () => {
    const { state, reloader, file } = setup();
    writeFileSync(file('extreme.core.tsv'), '');
    expect((await reloader.reload()).outcome).toBe('refused');
    const o = await reloader.reload({ force: true, trigger: 'operator' });
    expect(o).toMatchObject({ outcome: 'ok', forced: true, trigger: 'operator', entries: 16 });
    expect(entriesIn(state.serving, file('extreme.core.tsv'))).toBe(0);
    // Now the empty file is the baseline: the next ordinary reload passes.
    expect((await reloader.reload()).outcome).toBe('ok');
  });
});

describe('ordinary edits pass', () => {
  test('adding, changing and removing a few lines reloads', async () => {
    const { state, reloader, file } = setup();
    appendFileSync(file('extreme.core.tsv'), 'greatest of all time\tcritical\n');
    writeFileSync(file('medical.tsv'), claims('cures', 2)); // 1 of 3 lost: under minDropped
    const o = await reloader.reload({ trigger: 'SIGHUP' });
    expect(o).toMatchObject({ outcome: 'ok', forced: false, trigger: 'SIGHUP', entries: 56 });
    expect(state.serving.entries.some((e) => e.phrase === 'greatest of all time')).toBe(true);
    expect(entriesIn(state.serving, file('medical.tsv'))).toBe(2);
  });

  test('moving lines to another file, or renaming a file, loses nothing', async () => {
    const { reloader, file } = setup();
    const lines = claims('best', 40).split('\n');
    writeFileSync(file('extreme.core.tsv'), lines.slice(0, 10).join('\n'));
    writeFileSync(file('extreme.more.tsv'), lines.slice(10).join('\n'));
    expect((await reloader.reload()).outcome).toBe('ok');
    renameSync(file('contact.tsv'), file('contact.main.tsv'));
    expect((await reloader.reload()).outcome).toBe('ok');
  });
});

test('a broken file fails the reload with its LexiconError; the serving lexicon stays', async () => {
  const { state, reloader, file } = setup();
  const before = state.serving;
  appendFileSync(file('contact.tsv'), 'add my line\tsevere\n');
  const o = await reloader.reload();
  expect(o.outcome).toBe('failed');
  const err = (o as { error: Error }).error;
  expect(err).toBeInstanceOf(LexiconError);
  expect((err as LexiconError).problems[0]).toMatchObject({ file: file('contact.tsv'), line: 13 });
  expect(err.message).toMatch(/contact\.tsv:13: severity/);
  expect(state.serving).toBe(before);
  expect(state.outcomes.map((x) => x.outcome)).toEqual(['failed']);
});

describe('file events and concurrency', () => {
  test('a burst of writes (truncate, then write, repeatedly) is one compile once the files settle', async () => {
    // A settle time well above a loaded machine's timer delays (150 ms saw two compiles at load 9).
    const { state, reloader, file } = setup({ settleMs: 1000, maxWaitMs: 10_000 });
    reloader.watch();
    try {
      for (let i = 0; i < 8; i++) {
        writeFileSync(file('extreme.core.tsv'), ''); // a non-atomic save: empty first...
        await sleep(20);
        writeFileSync(file('extreme.core.tsv'), claims('best', 40) + `brand new claim${i}\thigh\n`); // ...then the content
        await sleep(20);
      }
      for (let i = 0; i < 400 && state.outcomes.length === 0; i++) await sleep(20);
      await sleep(1500); // nothing more may come
      expect(state.compiles).toBe(1);
      expect(state.outcomes).toHaveLength(1);
      expect(state.outcomes[0]).toMatchObject({ outcome: 'ok', trigger: 'file changed', entries: 57 });
      expect(state.serving.entries.some((e) => e.phrase === 'brand new claim7')).toBe(true);
    } finally {
      reloader.close();
    }
  });

  test('files that never stop changing still reload after maxWaitMs', async () => {
    const { state, reloader, file } = setup({ settleMs: 300, maxWaitMs: 400 });
    reloader.watch();
    try {
      const t0 = Date.now();
      for (let i = 0; Date.now() - t0 < 1500; i++) {
        appendFileSync(file('extreme.core.tsv'), `stream of claims${i}\thigh\n`);
        await sleep(50);
        if (state.outcomes.length > 0) break;
      }
      expect(state.outcomes.length).toBeGreaterThanOrEqual(1);
    } finally {
      reloader.close();
    }
  });

  test('files other than *.tsv (editor swap files, backups) trigger nothing', async () => {
    const { state, reloader, file } = setup({ settleMs: 50 });
    reloader.watch();
    try {
      writeFileSync(file('.extreme.core.tsv.swp'), 'x');
      writeFileSync(file('extreme.core.tsv~'), 'x');
      writeFileSync(file('4913'), '');
      await sleep(400);
      expect(state.compiles).toBe(0);
    } finally {
      reloader.close();
    }
  });

  test('a folder swapped in by a symlink (a Kubernetes ConfigMap update) reloads', async () => {
    // The layout kubelet writes: name.tsv -> ..data/name.tsv, ..data -> ..<version>, swapped by rename.
    const dir = dirOf({});
    const version = (name: string, files: Record<string, string>) => {
      mkdirSync(join(dir, name));
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, name, f), text);
    };
    version('..v1', FILES);
    symlinkSync('..v1', join(dir, '..data'));
    for (const f of Object.keys(FILES)) symlinkSync(join('..data', f), join(dir, f));
    const state = { serving: compileLexicon(loadLexiconDir(dir)), outcomes: [] as ReloadOutcome[] };
    const reloader = new LexiconReloader({
      dir,
      compile: async () => compileLexicon(loadLexiconDir(dir)),
      current: () => state.serving,
      apply: (l) => (state.serving = l),
      onOutcome: (o) => state.outcomes.push(o),
      settleMs: 100,
    });
    reloader.watch();
    try {
      version('..v2', { ...FILES, 'contact.tsv': FILES['contact.tsv'] + 'ping me later\thigh\n' });
      symlinkSync('..v2', join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      for (let i = 0; i < 100 && state.outcomes.length === 0; i++) await sleep(20);
      expect(state.outcomes[0]).toMatchObject({ outcome: 'ok', trigger: 'file changed', entries: 57 });
      expect(state.serving.entries.some((e) => e.phrase === 'ping me later')).toBe(true);
    } finally {
      reloader.close();
    }
  });

  test('requests during a reload coalesce into one more reload; a forced one stays forced', async () => {
    const dir = dirOf(FILES);
    let serving = compileLexicon(loadLexiconDir(dir));
    const gates: (() => void)[] = [];
    let compiles = 0;
    const reloader = new LexiconReloader({
      dir,
      compile: async () => {
        compiles++;
        await new Promise<void>((r) => gates.push(r));
        return compileLexicon(loadLexiconDir(dir));
      },
      current: () => serving,
      apply: (l) => (serving = l),
    });
    const first = reloader.reload({ trigger: 'a' });
    expect(reloader.busy).toBe(true);
    writeFileSync(join(dir, 'extreme.core.tsv'), '');
    const second = reloader.reload({ trigger: 'b' });
    const third = reloader.reload({ trigger: 'c', force: true });
    expect(second).toBe(third);
    gates.shift()!();
    expect((await first).outcome).toBe('refused'); // it reads the files after its gate: the emptied one
    for (let i = 0; i < 50 && gates.length === 0; i++) await sleep(10);
    gates.shift()!();
    expect(await second).toMatchObject({ outcome: 'ok', forced: true, trigger: 'b, c' });
    expect(compiles).toBe(2);
    expect(reloader.busy).toBe(false);
  });
});
