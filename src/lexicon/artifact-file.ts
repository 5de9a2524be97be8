/**
 * The artifact container: a header, JSON metadata and 8-byte-aligned typed-array sections, checked
 * whole by sha256. Reading it maps the sections as views into the file's bytes (no copy).
 *
 *   0   8 bytes   magic "PKGLEXA\n"
 *   8   u32 LE    FORMAT_VERSION
 *   12  u32 LE    header length H (bytes of UTF-8 JSON)
 *   16  32 bytes  sha256 of bytes [0, 16) and [48, end): everything but the digest itself
 *   48  H bytes   header JSON: { endian, pkguard, key: {build, lexicon, options}, total, meta: [off, len],
 *                 lazy: { name: [off, len] }, sections: [{ name, type, offset, length }] } (offsets from the file start)
 *       ...       metadata JSON, each lazy metadata JSON, then each section at an offset divisible by 8
 *
 * Lazy metadata is what a start does not need (for the lexicon: its entries, targets and forms,
 * 0.6 of the 1.3 MB of metadata), each part parsed when first asked for, from bytes the digest
 * already covered at load. A flipped byte anywhere fails the digest (or the magic, or the
 * version); a truncated file fails `total`. Nothing of a file that fails is used.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { ArtifactError } from '../errors.js';
import { TYPED_ARRAYS, type Section, type TypedArray, type TypedArrayName } from './artifact-codec.js';

/**
 * Version of the container and of the codec's encoding. Bump it when either changes, or when a
 * compiled structure changes meaning without changing shape (the build key also changes with any
 * code in src/lexicon, src/match or src/normalize; see artifact-key.ts).
 */
export const FORMAT_VERSION = 3;
const MAGIC = Buffer.from('PKGLEXA\n', 'latin1');
const PREFIX = 48;
const ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE';

/** What the artifact was made from: each field must equal the expected one for the artifact to be used. */
export interface ArtifactKey {
  /** pkguard version, dependency versions and the compile code (artifact-key.ts). */
  build: string;
  /** The lexicon files: directory, names and contents. */
  lexicon: string;
  /** The compile options. */
  options: string;
}

export interface ArtifactHeader {
  endian: 'LE' | 'BE';
  pkguard: string;
  key: ArtifactKey;
  total: number;
  meta: [number, number];
  lazy: Record<string, [number, number]>;
  sections: { name: string; type: TypedArrayName; offset: number; length: number }[];
}

export interface ArtifactContents {
  header: ArtifactHeader;
  meta: unknown;
  /** Lazy metadata part `name`, parsed on its first call (`ArtifactError` `malformed` if it is missing or not JSON). */
  lazyMeta: (name: string) => unknown;
  sections: TypedArray[];
}

const align8 = (n: number) => (n + 7) & ~7;

/** The artifact's bytes. */
export function encodeArtifact(pkguard: string, key: ArtifactKey, meta: unknown, sections: readonly Section[], lazyMeta: Readonly<Record<string, unknown>> = {}): Buffer {
  const metaBytes = Buffer.from(JSON.stringify(meta), 'utf8');
  const lazyBytes = Object.entries(lazyMeta).map(([name, m]) => [name, Buffer.from(JSON.stringify(m), 'utf8')] as const);
  // The header holds offsets that depend on its own length: lay out with a generous guess, then fix.
  let headerLength = 0;
  let header: ArtifactHeader;
  let headerBytes: Buffer;
  for (;;) {
    let at = align8(PREFIX + headerLength);
    const metaAt = at;
    at += metaBytes.length;
    const lazy: Record<string, [number, number]> = {};
    for (const [name, b] of lazyBytes) {
      lazy[name] = [at, b.length];
      at += b.length;
    }
    at = align8(at);
    const table = sections.map((s) => {
      const entry = { name: s.name, type: s.array.constructor.name as TypedArrayName, offset: at, length: s.array.length };
      at = align8(at + s.array.byteLength);
      return entry;
    });
    header = { endian: ENDIAN, pkguard, key, total: at, meta: [metaAt, metaBytes.length], lazy, sections: table };
    headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    if (headerBytes.length <= headerLength) break;
    headerLength = headerBytes.length + 64;
  }
  const out = Buffer.alloc(header.total);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(FORMAT_VERSION, 8);
  out.writeUInt32LE(headerLength, 12);
  headerBytes.copy(out, PREFIX);
  out.fill(0x20, PREFIX + headerBytes.length, PREFIX + headerLength); // JSON whitespace pads the header
  metaBytes.copy(out, header.meta[0]);
  for (const [name, b] of lazyBytes) b.copy(out, header.lazy[name]![0]);
  header.sections.forEach((s, i) => {
    const a = sections[i]!.array;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), s.offset);
  });
  digest(out).copy(out, 16);
  return out;
}

/** Verifies and opens an artifact's bytes; throws `ArtifactError` (never returns part of a bad file). */
export function decodeArtifact(file: string, bytes: Buffer): ArtifactContents {
  const fail = (reason: 'truncated' | 'magic' | 'checksum' | 'malformed' | 'format_version' | 'endianness', detail: string) => new ArtifactError(file, reason, detail);
  if (bytes.length < PREFIX) throw fail('truncated', `${bytes.length} bytes, shorter than the ${PREFIX}-byte prefix`);
  if (!bytes.subarray(0, 8).equals(MAGIC)) throw fail('magic', 'not a pkguard lexicon artifact');
  const version = bytes.readUInt32LE(8);
  if (version !== FORMAT_VERSION) throw fail('format_version', `format ${version}, this pkguard reads format ${FORMAT_VERSION}`);
  const headerLength = bytes.readUInt32LE(12);
  if (PREFIX + headerLength > bytes.length) throw fail('truncated', `header of ${headerLength} bytes runs past the end (${bytes.length} bytes)`);
  let header: ArtifactHeader;
  try {
    header = JSON.parse(bytes.toString('utf8', PREFIX, PREFIX + headerLength)) as ArtifactHeader;
  } catch (err) {
    throw fail('malformed', `header: ${(err as Error).message}`);
  }
  if (typeof header?.total !== 'number') throw fail('malformed', 'header has no total length');
  const within = (r: unknown) => Array.isArray(r) && r.length === 2 && Number.isInteger(r[0]) && Number.isInteger(r[1]) && r[0] >= 0 && r[1] >= 0 && r[0] + r[1] <= header.total;
  if (!within(header.meta) || header.lazy === null || typeof header.lazy !== 'object' || !Object.values(header.lazy).every(within)) throw fail('malformed', 'metadata out of bounds');
  if (bytes.length < header.total) throw fail('truncated', `${bytes.length} of ${header.total} bytes`);
  if (bytes.length > header.total) throw fail('malformed', `${bytes.length - header.total} bytes after the end`);
  if (!digest(bytes).equals(bytes.subarray(16, PREFIX))) throw fail('checksum', 'sha256 of the contents does not match');
  if (header.endian !== ENDIAN) throw fail('endianness', `written on a ${header.endian} machine`);
  // Aligned views need the file's bytes at an 8-aligned address (a large read is; a pooled one may not be).
  const buf = bytes.byteOffset % 8 === 0 ? bytes : Buffer.from(bytes);
  try {
    const meta = JSON.parse(buf.toString('utf8', header.meta[0], header.meta[0] + header.meta[1])) as unknown;
    const sections = header.sections.map((s) => {
      const Ctor = TYPED_ARRAYS[s.type];
      if (!Ctor || s.offset % 8 !== 0 || s.offset + s.length * Ctor.BYTES_PER_ELEMENT > header.total) throw new Error(`section ${s.name} out of bounds`);
      return new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset + s.offset, s.length) as TypedArray;
    });
    const parsed = new Map<string, unknown>();
    const lazyMeta = (name: string) => {
      if (!parsed.has(name)) {
        const at = Object.hasOwn(header.lazy, name) ? header.lazy[name]! : undefined;
        if (at === undefined) throw fail('malformed', `no lazy metadata ${name}`);
        try {
          parsed.set(name, JSON.parse(buf.toString('utf8', at[0], at[0] + at[1])) as unknown);
        } catch (err) {
          throw fail('malformed', `lazy metadata ${name}: ${(err as Error).message}`);
        }
      }
      return parsed.get(name);
    };
    return { header, meta, lazyMeta, sections };
  } catch (err) {
    throw fail('malformed', (err as Error).message);
  }
}

export function readArtifactFile(file: string): ArtifactContents {
  return decodeArtifact(file, readFileSync(file));
}

/**
 * Writes `bytes` to `file` atomically: a temporary file beside it, fsynced, then renamed over it, so
 * a reader sees the old artifact or the new one, never half of one (a crash leaves a stray temp file).
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = openSync(tmp, 'w', 0o644);
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function digest(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes.subarray(0, 16)).update(bytes.subarray(PREFIX)).digest();
}
