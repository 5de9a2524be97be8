/**
 * A value graph of plain data ⇄ JSON-able metadata + named typed arrays (sections), for the compiled
 * lexicon artifact (artifact-file.ts). Generic on purpose: a compiled structure that stays plain data
 * (typed arrays, numbers, strings, arrays, plain objects, Maps, Sets, and the classes registered below)
 * needs no serialization code of its own, so a new typed array in the automaton or the fold tables is
 * carried without touching this file. A value it cannot carry (a function, an unregistered class, a
 * cycle) throws at encode time: the artifact is not written and the compile result is still served.
 *
 * Encoding of a value in the metadata:
 *   null, boolean, string, finite number   as themselves
 *   typed array                             {"$s": i}: section i (one section per distinct array object,
 *                                           so two fields holding one array still share it); integer
 *                                           arrays under INLINE_MAX elements inline as {"$ta": type, "v": [...]}
 *   array                                   {"$p": [...]} when all JSON primitives, else a JSON array
 *                                           of encoded values, or a table / ragged form (below)
 *   plain object                            itself, or {"$o": {...}} when a key starts with "$"
 *   Map, Set                                {"$map": [[k, v], ...]}, {"$set": [...]}
 *   registered class                        {"$c": name, "f": fields}
 *   undefined, NaN, ±Infinity, -0           {"$u": 1}, {"$n": "NaN" | "Infinity" | "-Infinity" | "-0"}
 * Tables: an array of TABLE_MIN or more plain objects whose values are all primitives and whose keys
 * come in one order (some may be missing) is stored by column, {"$tab": keys, "cols": [[dict, idx]]}:
 * each column a dictionary of its distinct values and a section of indices (0 = key absent), which
 * turns 7,000 lexicon entries from 2 MB of JSON into a few small arrays. Ragged: an array of
 * TABLE_MIN or more arrays is {"$rag": lengths, "items": flattened} (pattern targets).
 */
import { ArtifactError } from '../errors.js';

export type TypedArray =
  | Int8Array
  | Uint8Array
  | Uint8ClampedArray
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

export const TYPED_ARRAYS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
export type TypedArrayName = keyof typeof TYPED_ARRAYS;

/** One named typed array of the artifact body; `name` is the value's path (`lexicon.automaton.base`). */
export interface Section {
  name: string;
  array: TypedArray;
}

/**
 * How a class travels. Without `encode`/`decode` its own enumerable fields are carried as a plain
 * object and the instance is rebuilt with its prototype (and frozen again if it was frozen): the
 * automaton needs nothing more. A class with `#private` state gives both.
 */
export interface ArtifactClass<T extends object = object> {
  name: string;
  ctor: abstract new (...args: never[]) => T;
  encode?: (value: T) => unknown;
  decode?: (data: unknown) => T;
}

const INLINE_MAX = 32;
const INLINE_TYPES = new Set(['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array']);
const TABLE_MIN = 16;

/** A value `encode` cannot carry (`unencodable`) or metadata `decode` cannot read (`malformed`). */
class ArtifactCodecError extends ArtifactError {
  constructor(path: string, reason: string, problem: 'unencodable' | 'malformed' = 'unencodable') {
    super('<codec>', problem, `${path || '(root)'}: ${reason}`);
  }
}

export class ArtifactCodec {
  readonly #byCtor = new Map<unknown, ArtifactClass>();
  readonly #byName = new Map<string, ArtifactClass>();

  constructor(classes: readonly ArtifactClass[]) {
    for (const c of classes) {
      this.#byCtor.set(c.ctor, c);
      this.#byName.set(c.name, c);
    }
  }

  encode(value: unknown): { meta: unknown; sections: Section[] } {
    const sections: Section[] = [];
    const seen = new Map<TypedArray, number>();
    const path: object[] = [];
    const section = (name: string, array: TypedArray) => {
      let i = seen.get(array);
      if (i === undefined) {
        i = sections.push({ name, array }) - 1;
        seen.set(array, i);
      }
      return i;
    };
    const enc = (v: unknown, name: string): unknown => {
      if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
      if (typeof v === 'number') return Number.isFinite(v) && !Object.is(v, -0) ? v : { $n: Object.is(v, -0) ? '-0' : String(v) };
      if (v === undefined) return { $u: 1 };
      if (typeof v !== 'object') throw new ArtifactCodecError(name, `cannot carry a ${typeof v}`);
      if (ArrayBuffer.isView(v)) {
        if (v instanceof DataView) throw new ArtifactCodecError(name, 'cannot carry a DataView');
        const ta = v as TypedArray;
        const type = ta.constructor.name;
        if (!(type in TYPED_ARRAYS)) throw new ArtifactCodecError(name, `cannot carry a ${type}`);
        // Integer arrays only: JSON would lose a float array's NaN and -0, and cannot hold a bigint.
        if (ta.length < INLINE_MAX && !seen.has(ta) && INLINE_TYPES.has(type)) return { $ta: type, v: Array.from(ta as Uint8Array) };
        return { $s: section(name, ta) };
      }
      if (path.includes(v)) throw new ArtifactCodecError(name, 'cycle');
      path.push(v);
      try {
        if (Array.isArray(v)) return encArray(v, name);
        if (v instanceof Map) return { $map: [...v].map(([k, x], i) => [enc(k, `${name}.key${i}`), enc(x, `${name}.${String(k)}`)]) };
        if (v instanceof Set) return { $set: [...v].map((x, i) => enc(x, `${name}.${i}`)) };
        const proto = Object.getPrototypeOf(v);
        if (proto === Object.prototype || proto === null) return encObject(v as Record<string, unknown>, name);
        const cls = this.#byCtor.get(proto.constructor);
        if (!cls) throw new ArtifactCodecError(name, `no artifact codec for class ${proto.constructor?.name ?? '?'} (register it in lexicon/artifact-payload.ts)`);
        const fields = cls.encode ? cls.encode(v) : { ...(v as Record<string, unknown>) };
        return { $c: cls.name, f: enc(fields, name), ...(Object.isFrozen(v) ? { frozen: true } : {}) };
      } finally {
        path.pop();
      }
    };
    const encObject = (o: Record<string, unknown>, name: string) => {
      const out: Record<string, unknown> = {};
      let dollar = false;
      for (const k of Object.keys(o)) {
        if (k.startsWith('$')) dollar = true;
        out[k] = enc(o[k], `${name}.${k}`);
      }
      return dollar ? { $o: out } : out;
    };
    const encArray = (a: unknown[], name: string): unknown => {
      if (a.length >= TABLE_MIN) {
        const table = tableOf(a);
        if (table) {
          const cols = table.cols.map((col, c) => {
            const dict: unknown[] = [];
            const ids = new Map<unknown, number>();
            const idx = new Int32Array(col.length);
            col.forEach((x, r) => {
              if (x === ABSENT) return;
              let id = ids.get(x);
              if (id === undefined) ids.set(x, (id = dict.push(x)));
              idx[r] = id;
            });
            const narrow = indexArray(col.length, dict.length + 1);
            narrow.set(idx);
            return [dict, enc(narrow, `${name}.${table.keys[c]}`)];
          });
          return { $tab: table.keys, cols };
        }
        if (a.every((x) => Array.isArray(x))) {
          const lengths = new Int32Array(a.length);
          a.forEach((x, i) => (lengths[i] = (x as unknown[]).length));
          return { $rag: enc(lengths, `${name}.lengths`), items: enc((a as unknown[][]).flat(), name) };
        }
      }
      // All primitives (JSON keeps them exactly): tagged, so decoding takes the array as parsed.
      if (a.every(isJsonPrimitive)) return { $p: a };
      return a.map((x, i) => enc(x, `${name}.${i}`));
    };
    return { meta: enc(value, ''), sections };
  }

  /** Rebuilds the value `encode` was given; `sections[i]` is section i (views into the file are fine). */
  decode(meta: unknown, sections: readonly TypedArray[]): unknown {
    const dec = (m: unknown): unknown => {
      if (m === null || typeof m !== 'object') return m;
      if (Array.isArray(m)) return m.map(dec);
      const o = m as Record<string, unknown>;
      if ('$p' in o) return o.$p;
      if ('$s' in o) {
        const s = sections[o.$s as number];
        if (s === undefined) throw new ArtifactCodecError(`section ${String(o.$s)}`, 'missing', 'malformed');
        return s;
      }
      if ('$ta' in o) {
        const Ctor = TYPED_ARRAYS[o.$ta as TypedArrayName];
        if (!Ctor) throw new ArtifactCodecError('meta', `unknown array type ${String(o.$ta)}`, 'malformed');
        return (Ctor as unknown as { from(a: unknown[]): TypedArray }).from(o.v as number[]);
      }
      if ('$tab' in o) return decTable(o.$tab as string[], o.cols as [unknown[], unknown][]);
      if ('$rag' in o) {
        const lengths = dec(o.$rag) as Int32Array;
        const items = dec(o.items) as unknown[];
        const out: unknown[] = new Array(lengths.length);
        for (let i = 0, k = 0; i < lengths.length; k += lengths[i]!, i++) out[i] = items.slice(k, k + lengths[i]!);
        return out;
      }
      if ('$o' in o) return decObject(o.$o as Record<string, unknown>);
      if ('$map' in o) return new Map((o.$map as [unknown, unknown][]).map(([k, v]) => [dec(k), dec(v)]));
      if ('$set' in o) return new Set((o.$set as unknown[]).map(dec));
      if ('$u' in o) return undefined;
      if ('$n' in o) return o.$n === '-0' ? -0 : Number(o.$n);
      if ('$c' in o) {
        const cls = this.#byName.get(o.$c as string);
        if (!cls) throw new ArtifactCodecError('meta', `unknown class ${String(o.$c)}`, 'malformed');
        const fields = dec(o.f);
        if (cls.decode) return cls.decode(fields);
        const inst = Object.assign(Object.create(cls.ctor.prototype) as object, fields);
        return o.frozen ? Object.freeze(inst) : inst;
      }
      return decObject(o);
    };
    const decObject = (o: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(o)) out[k] = dec(o[k]);
      return out;
    };
    const decTable = (keys: string[], cols: [unknown[], unknown][]) => new TableColumns(keys, cols.map(([d, i]) => ({ dict: d, index: dec(i) as TableColumn['index'] }))).rows();
    return dec(meta);
  }

  /**
   * The columns of an array `encode` stored as a table, not built into rows (a column's indices
   * are checked against its dictionary when it is first read); undefined when `meta` is not a table (an array under TABLE_MIN rows,
   * or of objects of unlike shape), whose caller decodes it whole. Throws `malformed` as `decode` does.
   */
  columns(meta: unknown, sections: readonly TypedArray[]): TableColumns | undefined {
    if (meta === null || typeof meta !== 'object' || !('$tab' in meta)) return undefined;
    const { $tab: keys, cols } = meta as { $tab: unknown; cols: unknown };
    if (!Array.isArray(keys) || !Array.isArray(cols) || keys.length !== cols.length) throw new ArtifactCodecError('meta', 'table without matching keys and columns', 'malformed');
    const columns = cols.map((c: unknown, i) => {
      if (!Array.isArray(c) || !Array.isArray(c[0])) throw new ArtifactCodecError(`table column ${i}`, 'no dictionary', 'malformed');
      const index = this.decode(c[1], sections);
      if (!(index instanceof Uint8Array || index instanceof Uint16Array || index instanceof Int32Array)) throw new ArtifactCodecError(`table column ${i}`, 'no index array', 'malformed');
      return { dict: c[0] as unknown[], index };
    });
    const rows = columns[0]?.index.length ?? 0;
    for (const [i, c] of columns.entries()) if (c.index.length !== rows) throw new ArtifactCodecError(`table column ${i}`, `${c.index.length} rows, not ${rows}`, 'malformed');
    return new TableColumns(keys as string[], columns);
  }
}

interface TableColumn {
  /** Distinct values (JSON primitives, see tableOf); row r holds `dict[index[r] - 1]`, or no key when `index[r]` is 0. */
  dict: unknown[];
  index: Uint8Array | Uint16Array | Int32Array;
}

/** An array of like objects as `encode` stores it, by column: a value is read without building its row. */
export class TableColumns {
  constructor(
    readonly keys: readonly string[],
    readonly columns: readonly TableColumn[],
  ) {}

  /** Row r's value at `key` (undefined when the row has no such key). */
  reader(key: string): (r: number) => unknown {
    const c = this.columns[this.keys.indexOf(key)];
    if (c === undefined) return () => undefined;
    checkColumn(c, key);
    const { dict, index } = c;
    return (r) => (index[r] === 0 ? undefined : dict[index[r]! - 1]);
  }

  /** The rows, each with its keys in their original order. */
  rows(): Record<string, unknown>[] {
    const { keys, columns } = this;
    columns.forEach((c, i) => checkColumn(c, keys[i]!));
    const n = columns[0]?.index.length ?? 0;
    const out: Record<string, unknown>[] = new Array(n);
    for (let r = 0; r < n; r++) {
      const row: Record<string, unknown> = {};
      for (let c = 0; c < keys.length; c++) {
        const id = columns[c]!.index[r]!;
        if (id !== 0) row[keys[c]!] = columns[c]!.dict[id - 1];
      }
      out[r] = row;
    }
    return out;
  }
}

/** Every index of the column within its dictionary (0 = absent), or `malformed`. */
function checkColumn({ dict, index }: TableColumn, key: string): void {
  for (let r = 0; r < index.length; r++) if (index[r]! < 0 || index[r]! > dict.length) throw new ArtifactCodecError(`table column ${key}`, `row ${r} indexes past its dictionary`, 'malformed');
}

const ABSENT = Symbol('absent');

/** A value JSON carries exactly: null, a boolean, a string, a finite number other than -0. */
function isJsonPrimitive(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0));
}

/** Columns of an array of plain objects with primitive values and one key order, or undefined. */
function tableOf(a: unknown[]): { keys: string[]; cols: unknown[][] } | undefined {
  const keys: string[] = [];
  const pos = new Map<string, number>();
  for (const row of a) {
    if (row === null || typeof row !== 'object' || Object.getPrototypeOf(row) !== Object.prototype) return undefined;
    let last = -1;
    for (const [k, v] of Object.entries(row)) {
      if (k.startsWith('$') || (v !== null && typeof v === 'object') || v === undefined || typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') return undefined;
      if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return undefined;
      let p = pos.get(k);
      if (p === undefined) pos.set(k, (p = keys.push(k) - 1));
      // Each row's keys must be in the union's order, so rebuilding a row keeps its key order.
      if (p <= last) return undefined;
      last = p;
    }
  }
  const cols = keys.map((k) => a.map((row) => (Object.hasOwn(row as object, k) ? (row as Record<string, unknown>)[k] : ABSENT)));
  return { keys, cols };
}

function indexArray(length: number, values: number): Uint8Array | Uint16Array | Int32Array {
  return values <= 0xff ? new Uint8Array(length) : values <= 0xffff ? new Uint16Array(length) : new Int32Array(length);
}
