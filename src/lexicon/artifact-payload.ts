/**
 * What a compiled lexicon artifact holds: the fold tables (lexicon-independent, but 0.5 s and two
 * heavy imports to build) and the compiled lexicon, as one value for the generic codec. The classes
 * the codec may meet are registered here: a compiled structure that grows a class registers it in
 * `CLASSES`, or the artifact is refused at write time (the compile result is still served).
 */
import { adoptScanTables, altTexts, scanTables, type ScanTablesData } from './scan-tables.js';
import { Automaton } from '../match/automaton.js';
import { PinyinTables } from '../normalize/pinyin.js';
import type { FoldTables } from '../normalize/tables.js';
import { ArtifactError } from '../errors.js';
import { ArtifactCodec, type ArtifactClass, type Section, type TableColumns, type TypedArray } from './artifact-codec.js';
import type { CompiledLexicon } from './compile.js';

export interface ArtifactPayload {
  fold: FoldTables;
  lexicon: CompiledLexicon;
  /** The scanner's per-match tables (scan-tables.ts), else built on the first scan. */
  scan?: ScanTablesData;
}

const CLASSES: ArtifactClass[] = [
  // Own enumerable typed arrays and numbers; rebuilt with its prototype and frozen again.
  { name: 'Automaton', ctor: Automaton },
  {
    name: 'PinyinTables',
    ctor: PinyinTables,
    encode: (p) => (p as PinyinTables).toArtifact(),
    decode: (d) => new PinyinTables((u) => u, d as { syllableOf: Uint16Array; names: string[] }),
  },
];

const codec = new ArtifactCodec(CLASSES);

/** What a start does not need of the lexicon: built when first read (see decodePayload). */
const LAZY = ['entries', 'targets', 'forms'] as const;

/**
 * The payload of a compiled lexicon: its fold tables, itself and its scan tables as `meta`, and
 * in `lazy` (the artifact's lazy metadata) what only `lexicon check`, the hot-reload guard or a
 * flag's text reads: the entries, targets and forms, and the set members' texts.
 */
export function encodePayload(fold: FoldTables, lexicon: CompiledLexicon): { meta: unknown; lazy: Record<string, unknown>; sections: Section[] } {
  const tables = scanTables(lexicon);
  const { phrase: _p, altText: _a, ...scan } = tables;
  const { entries, targets, forms, ...eager } = lexicon;
  // The astral map (4,600 expansions, 214k of the metadata's characters) is read only for a surrogate pair that is not noise.
  const { astral, ...foldEager } = fold;
  // One encode, so the lazy part's typed arrays are sections of the same file.
  const { meta, sections } = codec.encode({ fold: foldEager, lexicon: eager, scan, lazy: { entries, targets, forms, alts: altTexts(tables), astral } });
  const { lazy, ...rest } = meta as { lazy: Record<string, unknown> };
  return { meta: rest, lazy, sections };
}

/**
 * The whole payload; its scan tables go to the scanner's cache. The lexicon's `entries`, `targets`
 * and `forms` are built when first read, from the lazy metadata parsed then: 15k entry objects
 * and 58k targets in 44k arrays were ~105 of the ~130 ms of a decode (session 15), and the scan
 * never reads them (it reads the scan tables' columns; a flag's phrase and a stream's open ends
 * parse the lazy metadata on first use). The file's digest covered those bytes at load; a part
 * that does not decode throws `ArtifactError` (`malformed`) when read.
 */
export function decodePayload(meta: unknown, sections: readonly TypedArray[], lazyMeta: (name: string) => unknown): ArtifactPayload {
  const m = meta as { fold: unknown; lexicon: unknown; scan: unknown };
  const lexicon = codec.decode(m.lexicon, sections) as Record<string, unknown>;
  if (lexicon === null || typeof lexicon !== 'object') throw new ArtifactError('<codec>', 'malformed', 'no lexicon');
  const part = lazyMeta;
  // The entries stored by column (any lexicon of 16 or more): a phrase is read without its entry.
  let columns: TableColumns | null | undefined;
  const entryColumns = () => (columns === undefined ? (columns = codec.columns(part('entries'), sections) ?? null) : columns);
  for (const key of LAZY) lazyProperty(lexicon, key, () => (key === 'entries' ? (entryColumns()?.rows() ?? codec.decode(part(key), sections)) : codec.decode(part(key), sections)));
  const lex = lexicon as unknown as CompiledLexicon;
  const payload: ArtifactPayload = { fold: decodeFoldTables(meta, sections, lazyMeta), lexicon: lex, scan: codec.decode(m.scan, sections) as ScanTablesData };
  let phraseOf: ((e: number) => string) | undefined;
  let alts: readonly string[] | undefined;
  adoptScanTables(
    lex,
    payload.scan!,
    (e) => (phraseOf ??= (entryColumns()?.reader('phrase') as ((e: number) => string) | undefined) ?? ((i) => lex.entries[i]!.phrase))(e),
    (a) => (alts ??= codec.decode(part('alts'), sections) as string[])[a]!,
  );
  return payload;
}

/** An enumerable property built on first read, then a plain data property (a structured clone or a spread reads it). */
function lazyProperty(o: Record<string, unknown>, key: string, build: () => unknown): void {
  Object.defineProperty(o, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = build();
      Object.defineProperty(o, key, { value, enumerable: true, configurable: true, writable: false });
      return value;
    },
  });
}

/** Only the fold tables (of an artifact whose lexicon part is stale but whose build matches). */
export function decodeFoldTables(meta: unknown, sections: readonly TypedArray[], lazyMeta: (name: string) => unknown): FoldTables {
  const fold = codec.decode((meta as { fold: unknown }).fold, sections) as Record<string, unknown>;
  if (fold === null || typeof fold !== 'object') throw new ArtifactError('<codec>', 'malformed', 'no fold tables');
  lazyProperty(fold, 'astral', () => codec.decode(lazyMeta('astral'), sections));
  return fold as unknown as FoldTables;
}
