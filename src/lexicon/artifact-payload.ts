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
  const { phrase: _p, altText: _a, target: _t, ...scan } = scanTables(lexicon);
  return codec.encode({ fold, lexicon, scan } satisfies ArtifactPayload);
}

/** The whole payload; its scan tables go to the scanner's cache. */
export function decodePayload(meta: unknown, sections: readonly TypedArray[]): ArtifactPayload {
  const payload = codec.decode(meta, sections) as ArtifactPayload;
  if (payload.scan) adoptScanTables(payload.lexicon, payload.scan);
  return payload;
}

/** Only the fold tables (of an artifact whose lexicon part is stale but whose build matches). */
export function decodeFoldTables(meta: unknown, sections: readonly TypedArray[]): FoldTables {
  return codec.decode((meta as { fold: unknown }).fold, sections) as FoldTables;
}
