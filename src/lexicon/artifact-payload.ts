/**
 * What a compiled lexicon artifact holds: the fold tables (lexicon-independent, but 0.5 s and two
 * heavy imports to build) and the compiled lexicon, as one value for the generic codec. The classes
 * the codec may meet are registered here: a compiled structure that grows a class registers it in
 * `CLASSES`, or the artifact is refused at write time (the compile result is still served).
 */
import { adoptScanTables, scanTables, type ScanTablesData } from './scan-tables.js';
import { Automaton } from '../match/automaton.js';
import { PinyinTables } from '../normalize/pinyin.js';
import type { FoldTables } from '../normalize/tables.js';
import { ArtifactError } from '../errors.js';
import { ArtifactCodec, type ArtifactClass, type Section, type TypedArray } from './artifact-codec.js';
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

/** The payload of a compiled lexicon: its fold tables, itself and its scan tables. */
export function encodePayload(fold: FoldTables, lexicon: CompiledLexicon): { meta: unknown; sections: Section[] } {
  const { phrase: _p, altText: _a, ...scan } = scanTables(lexicon);
  return codec.encode({ fold, lexicon, scan } satisfies ArtifactPayload);
}

/**
 * The whole payload; its scan tables go to the scanner's cache. The lexicon's `entries` and
 * `targets` (15k entry objects and 58k targets in 44k arrays for the bundled lexicons: ~105 of the
 * ~130 ms of a decode, measured in session 15) are built when first read, not here: the scan reads
 * the scan tables' columns and never asks for them (`lexicon check`, the hot-reload guard and a
 * worker's structured clone do). Their columns are checked now, so a malformed artifact is still
 * refused at load, never half used.
 */
export function decodePayload(meta: unknown, sections: readonly TypedArray[]): ArtifactPayload {
  const m = plainObject(meta);
  const lex = m && plainObject(m.lexicon);
  if (!m || !lex || !m.scan) return adopt(codec.decode(meta, sections) as ArtifactPayload, undefined);
  const lexicon: Record<string, unknown> = {};
  let phrase: ((e: number) => string) | undefined;
  for (const key of Object.keys(lex)) {
    if (key !== 'entries' && key !== 'targets') {
      lexicon[key] = codec.decode(lex[key], sections);
      continue;
    }
    const columns = codec.columns(lex[key], sections);
    if (key === 'entries' && columns) phrase = columns.reader('phrase') as (e: number) => string;
    if (key === 'targets') checkRagged(lex[key], sections);
    lazy(lexicon, key, () => (columns && key === 'entries' ? columns.rows() : codec.decode(lex[key], sections)));
  }
  const payload = { fold: codec.decode(m.fold, sections), lexicon, scan: codec.decode(m.scan, sections) } as unknown as ArtifactPayload;
  return adopt(payload, phrase);
}

function adopt(payload: ArtifactPayload, phrase: ((e: number) => string) | undefined): ArtifactPayload {
  const lex = payload.lexicon;
  if (payload.scan) adoptScanTables(lex, payload.scan, phrase ?? ((e) => lex.entries[e]!.phrase));
  return payload;
}

/** A plain object's encoding (keys as given, none starting with `$`), else undefined. */
function plainObject(m: unknown): Record<string, unknown> | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return undefined;
  return Object.keys(m).some((k) => k.startsWith('$')) ? undefined : (m as Record<string, unknown>);
}

/** The pattern targets: a ragged array of tables, checked as `codec.columns` checks (rows built later). */
function checkRagged(m: unknown, sections: readonly TypedArray[]): void {
  if (m === null || typeof m !== 'object' || !('$rag' in m)) return;
  const rag = m as { $rag: unknown; items: unknown };
  const lengths = codec.decode(rag.$rag, sections);
  const items = codec.columns(rag.items, sections);
  if (!(lengths instanceof Int32Array) || (items && lengths.reduce((n, x) => n + x, 0) !== (items.columns[0]?.index.length ?? 0))) throw new ArtifactError('<codec>', 'malformed', 'lexicon.targets: lengths do not add up to the targets');
}

/** An enumerable property built on first read, then a plain data property (a structured clone or a spread reads it). */
function lazy(o: Record<string, unknown>, key: string, build: () => unknown): void {
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
export function decodeFoldTables(meta: unknown, sections: readonly TypedArray[]): FoldTables {
  return codec.decode((meta as { fold: unknown }).fold, sections) as FoldTables;
}
