/**
 * The byte reader of journal lines against the model it replaces (JSON.parse): on every line it
 * either reads exactly what JSON.parse reads, or hands the line to the exact parse. Random texts with
 * quotes, backslashes, escapes and non-BMP characters; damaged and reordered records; shards.
 */
import { describe, expect, it } from 'vitest';
import { LineKind, readLineFields, shardOf, type MsgFields } from '../../src/backtest/record-bytes.js';

const fields = (): MsgFields => ({ stream: '', seq: 0, kind: 'transcript', final: true, text: undefined, flags: [], owner: -1 });
const read = (line: string, shard?: { of: number; mine: number }) => {
  const buf = Buffer.from('garbage\n' + line + '\nmore', 'utf8');
  const start = 8;
  const out = fields();
  const kind = readLineFields(buf, start, start + Buffer.byteLength(line), out, shard);
  return { kind, out };
};

const ALPHABET = ['a', '价', '"', '\\', '\n', '\u0001', '😀', '\\"', '"t":"msg"', ',', '}', '{', 'é', ' ', '\\\\'];
function rnd(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('readLineFields', () => {
  it('reads flagless msg records exactly as JSON.parse does, or hands them to it', () => {
    const r = rnd(42);
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const pick = () => ALPHABET[Math.floor(r() * ALPHABET.length)]!;
      const text = Array.from({ length: Math.floor(r() * 12) }, pick).join('');
      const stream = r() < 0.8 ? `room-${Math.floor(r() * 50)}` : Array.from({ length: 1 + Math.floor(r() * 4) }, pick).join('');
      const rec: Record<string, unknown> = { t: 'msg', stream, seq: Math.floor(r() * 1e9), ts: 1.7e12 + i, kind: r() < 0.5 ? 'chat' : 'transcript', final: r() < 0.8, flags: [] };
      if (r() < 0.2) rec.speaker = 'guest';
      if (r() < 0.1) rec.dropped = 3;
      if (r() < 0.7) rec.text = text;
      if (r() < 0.1) rec.prev = text;
      const line = JSON.stringify(r() < 0.1 ? Object.fromEntries(Object.entries(rec).reverse().filter(([k]) => k !== 't').concat([['t', 'msg']]).reverse()) : rec);
      const { kind, out } = read(line);
      const model = JSON.parse(line) as Record<string, unknown>;
      if (kind === LineKind.Msg) {
        fast++;
        expect({ stream: out.stream, seq: out.seq, kind: out.kind, final: out.final, text: out.text }).toEqual({ stream: model.stream, seq: model.seq, kind: model.kind, final: model.final, text: model.text });
      } else expect(kind).toBe(LineKind.Full);
    }
    // Plain records (an unescaped stream id) take the fast path; the rest are the exception.
    expect(fast).toBeGreaterThan(2000);
  });

  it('reads flagged msg records exactly as JSON.parse does, or hands them to it', () => {
    const r = rnd(7);
    const pick = () => ALPHABET[Math.floor(r() * ALPHABET.length)]!;
    const str = () => Array.from({ length: Math.floor(r() * 6) }, pick).join('');
    const CATS = ['extreme', 'exclusive', 'medical', 'contact'];
    let fast = 0;
    for (let i = 0; i < 3000; i++) {
      const flags = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, k) => {
        const f: Record<string, unknown> = { id: `f${i}-${k}`, category: r() < 0.97 ? CATS[Math.floor(r() * 4)] : 'nope', term: str(), matched: str(), start: Math.floor(r() * 40) - 10, end: Math.floor(r() * 40), severity: 'high', evasion: r() < 0.5, via: 'text', stream: 'room-1', seq: i, ts: 1.7e12 + i };
        if (r() < 0.2) f.partial = true;
        if (r() < 0.05) f.note = null;
        if (r() < 0.03) f.score = 0.5; // a fraction: the exact parse
        if (r() < 0.03) f.span = [1, 2]; // nested: the exact parse
        if (r() < 0.03) delete f.id; // not a flag a backtest can read: the exact parse (which refuses it)
        return f;
      });
      const rec = { t: 'msg', stream: `room-${i % 7}`, seq: i, ts: 1.7e12 + i, kind: r() < 0.5 ? 'chat' : 'transcript', final: r() < 0.8, flags, text: str() };
      const line = JSON.stringify(rec);
      const { kind, out } = read(line);
      const model = JSON.parse(line) as typeof rec;
      if (kind === LineKind.Msg) {
        fast++;
        expect(out.flags).toEqual(model.flags);
        expect(out.flags.map((f) => Object.keys(f))).toEqual(model.flags.map((f) => Object.keys(f)));
        expect(out.text).toBe(model.text);
      } else expect(kind).toBe(LineKind.Full);
    }
    expect(fast).toBeGreaterThan(2000);
    // Odd shapes the byte reader must not take: __proto__ keys, leading zeros, exponents, whitespace.
    const base = '{"id":"f1","category":"contact","term":"t","start":0,"end":1';
    for (const odd of [`${base},"__proto__":{}}`, `${base},"__proto__":1}`, `${base},"x":01}`, `${base},"x":1e3}`, `${base}, "x":1}`, `${base},"x":-}`, `${base},"x":tru}`, `${base}`]) {
      expect(read(`{"t":"msg","stream":"a","seq":1,"ts":1,"kind":"chat","final":true,"flags":[${odd}],"text":"x"}`).kind).toBe(LineKind.Full);
    }
  });

  it('names streams right when thousands of ids share the intern slots (reused lines, colliding hashes)', () => {
    // 12,000 ids over 8,192 slots: slots are shared; a wrong reuse would return another id.
    const ids = Array.from({ length: 12_000 }, (_, i) => (i % 3 === 0 ? `room-${i}` : i % 3 === 1 ? `直播间${i}` : `r${i}😀`));
    const lines = ids.map((stream) => JSON.stringify({ t: 'msg', stream, seq: 1, ts: 1, kind: 'chat', final: true, flags: [] }));
    const model = lines.map((l) => (JSON.parse(l) as { stream: string }).stream);
    for (let pass = 0; pass < 2; pass++) {
      const got = lines.map((l) => {
        const { kind, out } = read(l);
        return kind === LineKind.Msg ? out.stream : `kind ${kind}`;
      });
      expect(got).toEqual(model);
    }
  });

  it('hands flagged, damaged and odd records to the exact parse, and skips other kinds unparsed', () => {
    const flagged = JSON.stringify({ t: 'msg', stream: 'a', seq: 1, ts: 1, kind: 'chat', final: true, flags: [{ id: 'f1' }], text: 'x' });
    expect(read(flagged).kind).toBe(LineKind.Full); // a flag without what a backtest reads
    expect(read(flagged.slice(0, -5)).kind).toBe(LineKind.Full); // torn
    expect(read('{"t":"msg","stream":"a","seq":-1,"ts":1,"kind":"chat","final":true,"flags":[]}').kind).toBe(LineKind.Full);
    expect(read('{"t":"msg","stream":"a","seq":1,"ts":1,"kind":"chats","final":true,"flags":[]}').kind).toBe(LineKind.Full);
    expect(read('{"t":"msg","stream":"a","seq":1,"ts":1,"kind":"chat","final":tru,"flags":[]}').kind).toBe(LineKind.Full);
    expect(read('{"t":"msg","stream":"a","seq":1,"ts":1,"kind":"chat","final":true}').kind).toBe(LineKind.Full); // no flags key
    expect(read('{"t":"msg","stream":"a","seq":1,"ts":1,"kind":"chat","final":true,"flags":[]} ').kind).toBe(LineKind.Full);
    expect(read('not json').kind).toBe(LineKind.Full);
    expect(read('{"t":"level","stream":"a","level":"high","risk":3,"ts":1}').kind).toBe(LineKind.Other);
    expect(read('{"t":"messages"}').kind).toBe(LineKind.Other);
    const end = read('{"t":"end","stream":"room-7","seq":3,"ts":1}');
    expect(end.kind).toBe(LineKind.End);
    expect(end.out.stream).toBe('room-7');
  });

  it('with shards, answers only the records of its streams and never decodes the others', () => {
    const streams = Array.from({ length: 200 }, (_, i) => `room-${i}`);
    const of = 3;
    for (const stream of streams) {
      const line = JSON.stringify({ t: 'msg', stream, seq: 1, ts: 1, kind: 'transcript', final: true, flags: [], text: 'hello' });
      const kinds = [0, 1, 2].map((mine) => read(line, { of, mine }).kind);
      expect(kinds.filter((k) => k === LineKind.Msg)).toHaveLength(1);
      expect(kinds[shardOf(stream, of)]).toBe(LineKind.Msg);
    }
    const counts = [0, 0, 0];
    for (const s of streams) counts[shardOf(s, of)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(40);
  });
});
