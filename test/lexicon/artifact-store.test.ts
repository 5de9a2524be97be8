/**
 * The compiled lexicon artifact as `scan`, `serve` and hot reload use it: loaded when fresh (and then
 * scanning exactly as a fresh compile does), recompiled and rewritten when stale, damaged or of
 * another format, never used in part.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Scanner } from '../../src/detect/scanner.js';
import { FlagIdAllocator } from '../../src/flag.js';
import { decodeArtifact, encodeArtifact, readArtifactFile } from '../../src/lexicon/artifact-file.js';
import { decodePayload } from '../../src/lexicon/artifact-payload.js';
import { openCompiledLexicon, type ArtifactEvent } from '../../src/lexicon/artifact-store.js';
import { BUNDLED_LEXICON_DIR } from '../../src/lexicon/bundled.js';
import { compileLexicon } from '../../src/lexicon/compile.js';
import { loadLexiconDir } from '../../src/lexicon/load.js';
import { foldTables } from '../../src/normalize/tables.js';
import { tempLexiconDirs } from './temp-dirs.js';

const LONG = 120_000;
const lexiconDir = tempLexiconDirs();
const temps: string[] = [];
afterEach(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pkguard-artifact-'));
  temps.push(d);
  return d;
}

const SMALL = {
  'extreme.tsv': '全网最低价\thigh\nlowest price\tmedium\n全网 … 最低\tmedium\n',
  'contact.tsv': '加微信\thigh\nQQ号\thigh\n',
  'allow.tsv': '最近\t*\n',
};

async function open(dir: string, artifact: string) {
  const events: ArtifactEvent[] = [];
  const opened = await openCompiledLexicon({ lexiconDir: dir, artifact, log: (e) => events.push(e) });
  return { ...opened, events, rejected: events.find((e) => e.event === 'artifact_rejected') };
}

/** Texts built from the lexicon's own phrases with the evasions the normalizer undoes, plus clean filler. */
function textsFor(phrases: readonly string[]): string[] {
  const out: string[] = [];
  const filler = ['今天给大家介绍一下这款产品', '质量很好大家放心', 'ok guys check this out', '家人们点点关注', '12345 数量有限'];
  phrases.forEach((p, i) => {
    const f = filler[i % filler.length]!;
    const spaced = [...p].join(i % 2 ? ' ' : '*');
    out.push(`${f}${p}${filler[(i + 1) % filler.length]}`, `${spaced}，${f}`, `${p.toUpperCase()}${p}`, `${f}${p.slice(0, 2)}`);
  });
  out.push('', '加 微 信 abc123456 联系 138 0013 8000', '\u2028全網最低價\u{1F600}');
  return out;
}

function scanAll(lexicon: ReturnType<typeof compileLexicon>, texts: readonly string[]) {
  const scanner = new Scanner(lexicon, new FlagIdAllocator(1));
  const single = texts.map((t) => scanner.scan(t, { kind: 'chat' }));
  const stream = scanner.stream('s');
  const chunks = texts.map((t) => stream.push(t));
  return { single, chunks };
}

describe('lexicon artifact', () => {
  test('missing → compiled and written; fresh → loaded, equal to the compile', { timeout: LONG }, async () => {
    const dir = lexiconDir(SMALL);
    const file = join(tempDir(), 'a.pkgl');
    const first = await open(dir, file);
    expect(first.from).toBe('compile');
    expect(first.rejected).toBeUndefined();
    expect(first.events.map((e) => e.event)).toEqual(['lexicon_compiled', 'artifact_written']);
    const second = await open(dir, file);
    expect(second.from).toBe('artifact');
    expect(second.events.map((e) => e.event)).toEqual(['artifact_loaded']);
    const texts = textsFor(['全网最低价', 'lowest price', '加微信', 'QQ号', '全网价格最低', '最近']);
    expect(scanAll(second.lexicon, texts)).toEqual(scanAll(first.lexicon, texts));
    expect(second.lexicon.entries).toEqual(first.lexicon.entries);
    expect(second.lexicon.targets).toEqual(first.lexicon.targets);
  });

  test('the bundled lexicons: the artifact scans exactly as a fresh compile, and carries the fold tables whole', { timeout: LONG }, async () => {
    const file = join(tempDir(), 'bundled.pkgl');
    const compiled = compileLexicon(loadLexiconDir(BUNDLED_LEXICON_DIR));
    const first = await open(BUNDLED_LEXICON_DIR, file);
    expect(first.from).toBe('compile');
    const loaded = await open(BUNDLED_LEXICON_DIR, file);
    expect(loaded.from).toBe('artifact');
    // Phrases of every category and file, spread over the lexicon (a generated sample, not the corpus).
    const phrases = compiled.entries.filter((_, i) => i % 37 === 0).map((e) => e.phrase.replace(/\s*(…|\.\.\.)\s*/, '很'));
    const texts = textsFor(phrases);
    expect(texts.length).toBeGreaterThan(500);
    const want = scanAll(compiled, texts);
    expect(want.single.flat().length).toBeGreaterThan(200);
    expect(scanAll(loaded.lexicon, texts)).toEqual(want);
    // The scan read the tables' columns only: the entry and target objects were never built…
    const built = (key: 'entries' | 'targets') => Object.getOwnPropertyDescriptor(loaded.lexicon, key)!.get === undefined;
    expect([built('entries'), built('targets')]).toEqual([false, false]);
    // …and built when asked for, they are the compile's.
    expect(loaded.lexicon.entries).toEqual(compiled.entries);
    expect(loaded.lexicon.targets).toEqual(compiled.targets);
    expect([built('entries'), built('targets')]).toEqual([true, true]);
    // The fold tables in the artifact are those this process built (another process adopts them).
    const contents = readArtifactFile(file);
    const fold = decodePayload(contents.meta, contents.sections, contents.lazyMeta).fold;
    const ours = foldTables();
    expect(fold.fold).toEqual(ours.fold);
    expect(fold.digit).toEqual(ours.digit);
    expect(fold.digitBits).toEqual(ours.digitBits);
    expect(fold.expansions).toEqual(ours.expansions);
    expect(fold.astral).toEqual(ours.astral);
    expect(fold.pinyin.toArtifact()).toEqual(ours.pinyin.toArtifact());
    const word = new Uint16Array([...'jiaweixin'].map((c) => c.charCodeAt(0)));
    const seg = (t: typeof fold) => {
      const codes = new Uint16Array(16);
      const at = new Int32Array(16);
      const n = t.pinyin.segment(word, word.length, codes, at);
      return [Array.from(codes.subarray(0, n)), Array.from(at.subarray(0, n))];
    };
    expect(seg(fold)).toEqual(seg(ours));
    expect(fold.pinyin.termSounds('微信')).toEqual(ours.pinyin.termSounds('微信'));
  });

  test('an edited lexicon makes the artifact stale: recompiled, rewritten, the new term found', { timeout: LONG }, async () => {
    const dir = lexiconDir(SMALL);
    const file = join(tempDir(), 'a.pkgl');
    await open(dir, file);
    appendFileSync(join(dir, 'contact.tsv'), '私信我\thigh\n');
    const stale = await open(dir, file);
    expect(stale.from).toBe('compile');
    expect(stale.rejected).toMatchObject({ code: 'PKG_ERR_ARTIFACT_STALE', reason: 'lexicon' });
    expect(stale.events.map((e) => e.event)).toEqual(['artifact_rejected', 'lexicon_compiled', 'artifact_written']);
    const scanner = new Scanner(stale.lexicon, new FlagIdAllocator(1));
    expect(scanner.scan('有问题私信我').map((f) => f.term)).toEqual(['私信我']);
    expect((await open(dir, file)).from).toBe('artifact');
    // A renamed file (same contents) is another lexicon too: file names carry the category.
    writeFileSync(join(dir, 'exclusive.tsv'), readFileSync(join(dir, 'contact.tsv')));
    rmSync(join(dir, 'contact.tsv'));
    expect((await open(dir, file)).rejected).toMatchObject({ reason: 'lexicon' });
  });

  test('a flipped byte or a truncated file is refused with a coded error, recompiled and rewritten', { timeout: LONG }, async () => {
    const dir = lexiconDir(SMALL);
    const file = join(tempDir(), 'a.pkgl');
    await open(dir, file);
    const good = readFileSync(file);
    const damage: [string, Buffer, RegExp][] = [
      ['flip in the digest', flip(good, 20), /checksum/],
      ['flip in the header', flip(good, 60), /checksum|malformed/],
      ['flip in the metadata', flip(good, good.length >> 3), /checksum/],
      ['flip in the last section', flip(good, good.length - 9), /checksum/],
      // Lazy metadata is parsed only when read, but its bytes are checked at load like the rest.
      ['flip in a lazy metadata part', flip(good, decodeArtifact(file, good).header.lazy.entries![0] + 3), /checksum/],
      ['truncated by one byte', good.subarray(0, good.length - 1), /truncated/],
      ['truncated to half', good.subarray(0, good.length >> 1), /truncated/],
      ['empty', Buffer.alloc(0), /truncated/],
      ['not an artifact', Buffer.from('{"hello":"world"}\n'.repeat(10)), /magic/],
    ];
    for (const [what, bytes, reason] of damage) {
      writeFileSync(file, bytes);
      const r = await open(dir, file);
      expect(r.from, what).toBe('compile');
      expect(r.rejected, what).toMatchObject({ code: 'PKG_ERR_ARTIFACT_INVALID' });
      expect((r.rejected as { reason: string }).reason, what).toMatch(reason);
      expect(() => decodeArtifact(file, readFileSync(file)), `${what}: rewritten whole`).not.toThrow();
      expect((await open(dir, file)).from, `${what}: rewritten`).toBe('artifact');
    }
  });

  test('a lazy part that does not decode (a writer bug: the digest is right) throws the coded error when read, not before', { timeout: LONG }, async () => {
    // 20 entries: stored as a table, whose phrase column a flag reads without building the entries.
    const dir = lexiconDir({ 'extreme.tsv': Array.from({ length: 20 }, (_, i) => `全网最低价${i}号\thigh\n`).join('') });
    const file = join(tempDir(), 'a.pkgl');
    await open(dir, file);
    const c = readArtifactFile(file);
    const lazy = Object.fromEntries(Object.keys(c.header.lazy).map((name) => [name, c.lazyMeta(name)]));
    const entries = lazy.entries as { $tab: string[]; cols: [unknown[], unknown][] };
    const phrase = entries.$tab.indexOf('phrase');
    entries.cols[phrase]![0] = entries.cols[phrase]![0].slice(0, -1); // the last entry's phrase index now points past its dictionary
    const sections = c.header.sections.map((s, i) => ({ name: s.name, array: c.sections[i]! }));
    writeFileSync(file, encodeArtifact(c.header.pkguard, c.header.key, c.meta, sections, lazy));
    const r = await open(dir, file);
    expect(r.from).toBe('artifact');
    expect(() => r.lexicon.entries).toThrow(expect.objectContaining({ code: 'PKG_ERR_ARTIFACT_INVALID', reason: 'malformed' }));
    const scanner = new Scanner(r.lexicon, new FlagIdAllocator(1));
    expect(scanner.scan('今天天气不错')).toEqual([]);
    expect(() => scanner.scan('全网最低价3号')).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  test('another format version, build or compile option is stale; the lexicon is compiled', { timeout: LONG }, async () => {
    const dir = lexiconDir(SMALL);
    const file = join(tempDir(), 'a.pkgl');
    await open(dir, file);
    const good = readFileSync(file);
    const bumped = Buffer.from(good);
    bumped.writeUInt32LE(good.readUInt32LE(8) + 1, 8);
    redigest(bumped);
    writeFileSync(file, bumped);
    let r = await open(dir, file);
    expect(r.rejected).toMatchObject({ code: 'PKG_ERR_ARTIFACT_STALE', reason: 'format_version' });
    expect(r.from).toBe('compile');

    const c = decodeArtifact(file, good);
    const rekey = (key: Partial<typeof c.header.key>) => {
      const sections = c.header.sections.map((s, i) => ({ name: s.name, array: c.sections[i]! }));
      writeFileSync(file, encodeArtifact(c.header.pkguard, { ...c.header.key, ...key }, c.meta, sections));
    };
    rekey({});
    expect((await open(dir, file)).from).toBe('artifact'); // re-encoding alone changes nothing
    rekey({ build: 'another-build' });
    r = await open(dir, file);
    expect(r.rejected).toMatchObject({ code: 'PKG_ERR_ARTIFACT_STALE', reason: 'build' });
    rekey({ options: 'other' });
    r = await open(dir, file);
    expect(r.rejected).toMatchObject({ code: 'PKG_ERR_ARTIFACT_STALE', reason: 'options' });
    expect(r.from).toBe('compile');
  });

  test('an artifact that cannot be written is logged and the compiled lexicon still served', { timeout: LONG }, async () => {
    const dir = lexiconDir(SMALL);
    const blocker = join(tempDir(), 'not-a-dir');
    writeFileSync(blocker, 'x');
    const r = await open(dir, join(blocker, 'a.pkgl'));
    expect(r.from).toBe('compile');
    expect(r.file).toBeUndefined();
    expect(r.events.find((e) => e.event === 'artifact_write_failed')).toBeDefined();
    expect(new Scanner(r.lexicon, new FlagIdAllocator(1)).scan('加微信').length).toBe(1);
  });

  test('default location: the cache folder; one writable by others is not read', { timeout: LONG }, async () => {
    const dir = lexiconDir(SMALL);
    const cache = join(tempDir(), 'cache');
    const saved = process.env.PKGUARD_CACHE_DIR;
    process.env.PKGUARD_CACHE_DIR = cache;
    try {
      const events: ArtifactEvent[] = [];
      const a = await openCompiledLexicon({ lexiconDir: dir, log: (e) => events.push(e) });
      expect(a.file?.startsWith(cache)).toBe(true);
      expect(statSync(cache).mode & 0o077).toBe(0);
      expect((await openCompiledLexicon({ lexiconDir: dir })).from).toBe('artifact');
      chmodSync(cache, 0o777);
      expect((await openCompiledLexicon({ lexiconDir: dir, readOnly: true })).from).toBe('compile');
    } finally {
      if (saved === undefined) delete process.env.PKGUARD_CACHE_DIR;
      else process.env.PKGUARD_CACHE_DIR = saved;
    }
  });
});

function flip(b: Buffer, at: number): Buffer {
  const c = Buffer.from(b);
  c[at]! ^= 0x10;
  return c;
}

/** Recomputes the digest (bytes 16..48 over [0, 16) and [48, end)), as a well-formed file of another version would have. */
function redigest(b: Buffer): void {
  createHash('sha256').update(b.subarray(0, 16)).update(b.subarray(48)).digest().copy(b, 16);
}
