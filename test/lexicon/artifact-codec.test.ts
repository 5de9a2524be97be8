/**
 * The artifact codec carries plain data exactly (values, key order, absent keys, typed-array types
 * and sharing) and refuses what it cannot carry; the container rejects every damaged file.
 */
import { describe, expect, test } from 'vitest';
import { ArtifactError } from '../../src/errors.js';
import { ArtifactCodec } from '../../src/lexicon/artifact-codec.js';
import { decodeArtifact, encodeArtifact } from '../../src/lexicon/artifact-file.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: Int32Array,
  ) {}
  sum(): number {
    return this.x + this.y.reduce((a, b) => a + b, 0);
  }
}
class Secret {
  readonly #v: number;
  constructor(v: number) {
    this.#v = v;
  }
  get v(): number {
    return this.#v;
  }
}
const codec = new ArtifactCodec([
  { name: 'Point', ctor: Point },
  { name: 'Secret', ctor: Secret, encode: (s) => (s as Secret).v, decode: (d) => new Secret(d as number) },
]);

/** Through the codec and the container's bytes, as an artifact travels. */
function roundTrip(value: unknown): unknown {
  const { meta, sections } = codec.encode(value);
  const bytes = encodeArtifact('test', { build: 'b', lexicon: 'l', options: 'o' }, meta, sections);
  const back = decodeArtifact('mem', bytes);
  return codec.decode(back.meta, back.sections);
}

describe('artifact codec', () => {
  test('plain values, special numbers, Maps and Sets survive', () => {
    const value = { a: 1, b: 'x', c: null, d: true, e: [1, 'two', [3]], n: NaN, i: -Infinity, z: -0, u: undefined, $weird: { $s: 1 }, m: new Map<unknown, unknown>([[1, { t: new Uint16Array([1, 2]) }], ['k', [1]]]), s: new Set([1, 'a']) };
    const back = roundTrip(value) as typeof value;
    expect(back).toEqual(value);
    expect(Object.is(back.z, -0)).toBe(true);
    expect('u' in back).toBe(true);
    expect(Object.keys(back)).toEqual(Object.keys(value));
    expect(back.m.get(1)).toEqual({ t: new Uint16Array([1, 2]) });
  });

  test('typed arrays keep their type, contents and sharing; large ones are sections', () => {
    const big = new Int32Array(1000).map((_, i) => i * 7 - 3);
    const f64 = new Float64Array([1.5, -0, NaN, 1e300]);
    const value = { big, again: big, f64, u8: new Uint8Array(100).fill(9), small: new Int8Array([-1, 2]), empty: new Uint16Array(0), b64: new BigInt64Array([1n, -2n]) };
    const { sections } = codec.encode(value);
    expect(sections.map((s) => s.name)).toEqual(['.big', '.f64', '.u8', '.b64']);
    const back = roundTrip(value) as typeof value;
    expect(back.big).toBeInstanceOf(Int32Array);
    expect(back.again).toBe(back.big);
    expect(Array.from(back.big)).toEqual(Array.from(big));
    expect(back.f64).toBeInstanceOf(Float64Array);
    expect(Object.is(back.f64[1], -0) && Number.isNaN(back.f64[2])).toBe(true);
    expect(back.small).toEqual(new Int8Array([-1, 2]));
    expect(back.empty).toEqual(new Uint16Array(0));
    expect(back.b64).toEqual(new BigInt64Array([1n, -2n]));
  });

  test('arrays of like objects go by column and come back with their own keys, in order', () => {
    const rows = Array.from({ length: 40 }, (_, i) =>
      i % 3 === 0 ? { entry: i, lane: 'text' } : i % 3 === 1 ? { entry: i, lane: 'pinyin', part: (i % 2) as 0 | 1, alt: `a${i % 4}` } : { entry: i, lane: 'text', boundaryStart: true, boundaryEnd: i % 2 === 0, note: null },
    );
    const { meta } = codec.encode(rows);
    expect(meta).toHaveProperty('$tab');
    const back = roundTrip(rows) as typeof rows;
    expect(back).toEqual(rows);
    back.forEach((r, i) => expect(Object.keys(r)).toEqual(Object.keys(rows[i]!)));
    // Rows that disagree on key order are carried one by one, still exactly.
    const mixed = [...rows, { lane: 'text', entry: 99 }];
    expect(codec.encode(mixed).meta).not.toHaveProperty('$tab');
    const backMixed = roundTrip(mixed) as typeof mixed;
    expect(Object.keys(backMixed[40]!)).toEqual(['lane', 'entry']);
  });

  test('a table read by column: any value without building rows; an index past its dictionary is malformed when read', () => {
    const rows = Array.from({ length: 300 }, (_, i) => (i % 5 === 0 ? { phrase: `p${i}`, line: i } : { phrase: `p${i % 7}`, line: i, near: true }));
    const { meta, sections: named } = codec.encode(rows);
    const sections = named.map((x) => x.array);
    const table = codec.columns(meta, sections)!;
    const phrase = table.reader('phrase');
    const near = table.reader('near');
    rows.forEach((r, i) => {
      expect(phrase(i)).toBe(r.phrase);
      expect(near(i)).toBe((r as { near?: boolean }).near);
    });
    expect(table.reader('absent')(3)).toBeUndefined();
    expect(table.rows()).toEqual(rows);
    expect(codec.columns({ $p: [1, 2] }, sections)).toBeUndefined();
    // A dictionary one value short: the last row's index points past it.
    const cols = (meta as { cols: [unknown[], unknown][] }).cols;
    const short = { ...(meta as object), cols: cols.map(([d, i], c) => [c === 0 ? d.slice(0, -1) : d, i]) };
    // (Checked when the column is first read, or the rows built: a start reads one column of 12.)
    expect(() => codec.columns(short, sections)!.reader('phrase')).toThrow(ArtifactError);
    expect(() => codec.columns(short, sections)!.rows()).toThrow(ArtifactError);
    expect(() => codec.decode(short, sections)).toThrow(ArtifactError);
    expect(codec.columns(short, sections)!.reader('line')(7)).toBe(7);
    expect(() => codec.columns({ ...(meta as object), cols: cols.slice(1) }, sections)).toThrow(/malformed|matching/);
  });

  test('arrays of arrays (pattern targets) are flattened and cut again', () => {
    const ragged = Array.from({ length: 30 }, (_, i) => Array.from({ length: i % 4 }, (_, k) => ({ entry: i * 10 + k, lane: 'text' })));
    expect(codec.encode(ragged).meta).toHaveProperty('$rag');
    expect(roundTrip(ragged)).toEqual(ragged);
  });

  test('registered classes come back with their prototype, frozen if they were', () => {
    const p = Object.freeze(new Point(2, new Int32Array([1, 2, 3])));
    const back = roundTrip({ p, s: new Secret(42) }) as { p: Point; s: Secret };
    expect(back.p).toBeInstanceOf(Point);
    expect(back.p.sum()).toBe(8);
    expect(Object.isFrozen(back.p)).toBe(true);
    expect(back.s.v).toBe(42);
  });

  test('a function, an unregistered class or a cycle is refused at encode time', () => {
    class Other {}
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [{ f: () => 1 }, { o: new Other() }, cyclic, { d: new DataView(new ArrayBuffer(4)) }]) {
      let err: unknown;
      try {
        codec.encode(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ArtifactError);
      expect((err as ArtifactError).code).toBe('PKG_ERR_ARTIFACT_INVALID');
      expect((err as ArtifactError).reason).toBe('unencodable');
    }
  });
});

describe('artifact container', () => {
  const bytes = () => {
    const { meta, sections } = codec.encode({ big: new Int32Array(5000).map((_, i) => i), text: 'x'.repeat(100) });
    return encodeArtifact('test', { build: 'b', lexicon: 'l', options: 'o' }, meta, sections);
  };
  const reasonOf = (b: Buffer): string => {
    try {
      decodeArtifact('mem', b);
      return 'accepted';
    } catch (e) {
      expect(e).toBeInstanceOf(ArtifactError);
      return `${(e as ArtifactError).code}:${(e as ArtifactError).reason}`;
    }
  };

  test('a flipped bit anywhere is refused; so is every truncation and any trailing byte', () => {
    const good = bytes();
    expect(reasonOf(good)).toBe('accepted');
    // Every byte of the prefix and header, then a stride through the body.
    const positions = [...Array.from({ length: 400 }, (_, i) => i), ...Array.from({ length: 200 }, (_, i) => 400 + Math.floor((i * (good.length - 401)) / 199))];
    for (const at of positions) {
      const b = Buffer.from(good);
      b[at]! ^= 1 << at % 8;
      const r = reasonOf(b);
      expect(r, `byte ${at}`).not.toBe('accepted');
      expect(r, `byte ${at}`).toMatch(/^PKG_ERR_ARTIFACT_(INVALID:(magic|checksum|malformed|truncated)|STALE:format_version)$/);
    }
    for (const len of [0, 10, 47, 48, 100, good.length >> 1, good.length - 1]) expect(reasonOf(good.subarray(0, len)), `length ${len}`).toMatch(/^PKG_ERR_ARTIFACT_INVALID:(truncated|checksum|malformed)$/);
    expect(reasonOf(Buffer.concat([good, Buffer.from([0])]))).toBe('PKG_ERR_ARTIFACT_INVALID:malformed');
  });

  test('another format version is stale even when its digest is right', async () => {
    const b = Buffer.from(bytes());
    b.writeUInt32LE(b.readUInt32LE(8) + 1, 8);
    const { createHash } = await import('node:crypto');
    createHash('sha256').update(b.subarray(0, 16)).update(b.subarray(48)).digest().copy(b, 16);
    expect(reasonOf(b)).toBe('PKG_ERR_ARTIFACT_STALE:format_version');
  });

  test('sections are 8-byte aligned views into the bytes', () => {
    const b = bytes();
    const c = decodeArtifact('mem', b);
    for (const s of c.sections) {
      expect(s.byteOffset % 8).toBe(0);
      expect(s.buffer).toBe(b.buffer);
    }
  });
});
