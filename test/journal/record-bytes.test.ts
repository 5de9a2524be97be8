import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RecordBytes } from '../../src/journal/record-bytes.js';

/** What the journal wrote before RecordBytes: one JSON line per record, UTF-8. */
const lines = (records: object[]) => Buffer.from(records.map((r) => JSON.stringify(r) + '\n').join(''), 'utf8');

describe('RecordBytes', () => {
  it('encodes exactly the bytes of JSON.stringify lines, for any text (lone surrogates, quotes, controls, astral)', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u0000', '\u2028', '\ud800', '\udfff', '😀', '家', '人'), fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))), maxLength: 60 });
    const record = fc.record({ t: fc.constant('msg'), stream: text, seq: fc.nat(), ts: fc.integer(), final: fc.boolean(), flags: fc.array(fc.record({ id: fc.nat().map((n) => `f${n}`), term: text }), { maxLength: 2 }), text: fc.option(text, { nil: undefined }) });
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 30 }), { maxLength: 6 }), (batches) => {
        const rb = new RecordBytes(16); // tiny, so every batch grows it
        for (const batch of batches) {
          for (const r of batch) rb.push(r);
          expect(rb.length).toBe(lines(batch).length);
          const out = rb.take();
          expect(out.equals(lines(batch))).toBe(true);
          rb.release();
        }
      }),
    );
  });

  it('encodes records of every shape the direct writer takes (numbers, null, booleans, undefined, empty arrays, escapes) as JSON.stringify does', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\ud800', '\udc00', '😀', '家'), fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))), maxLength: 40 });
    const value = fc.oneof(text, fc.integer(), fc.double(), fc.constantFrom(-0, 0, 1e21, -1e21, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 53, NaN, Infinity, 0.1), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.constant([]));
    const record = fc.dictionary(fc.oneof(fc.constantFrom('t', 'stream', 'seq', 'ts', '0', '12', 'a"b', 'k\\'), text), value, { maxKeys: 8 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 10 }), (batch) => {
        const rb = new RecordBytes(8);
        for (const r of batch) rb.push(r);
        expect(rb.take().equals(lines(batch))).toBe(true);
        rb.release();
      }),
      { numRuns: 300 },
    );
  });

  it('a message record without flags, as the ingest path makes it, is the same line as before', () => {
    const rb = new RecordBytes();
    const records = [
      { t: 'msg', stream: 's17', seq: 41, ts: 1765000000123, kind: 'transcript', final: true, flags: [], speaker: 'guest', text: '家人们晚上好，今天这个价格真的很划算' },
      { t: 'msg', stream: 's17', seq: 42, ts: 1765000000456, kind: 'chat', final: true, flags: [] },
      { t: 'level', stream: 's17', level: 'watch', risk: 3.25, ts: 1765000000456 },
      { t: 'msg', stream: 's"x', seq: 0, ts: -5, kind: 'chat', final: false, flags: [{ id: 'f9', term: '全网最低价', start: 0, end: 5 }], text: 'a\u2028b\ud83d' },
    ];
    for (const r of records) rb.push(r);
    expect(rb.take().toString('utf8')).toBe(records.map((r) => JSON.stringify(r) + '\n').join(''));
  });

  it('keeps the taken bytes intact while appends continue, and reuses the buffer after release', () => {
    const rb = new RecordBytes(64);
    rb.push({ t: 'msg', text: '第一批' });
    const first = rb.take();
    const copy = Buffer.from(first);
    for (let i = 0; i < 50; i++) rb.push({ t: 'msg', seq: i, text: '这批写入时，下一批在另一个缓冲区' });
    expect(first.equals(copy)).toBe(true);
    rb.release();
    const second = rb.take();
    expect(second.toString('utf8').split('\n')).toHaveLength(51);
    rb.release();
    // The first buffer serves the next turn: what was there is overwritten, not appended to.
    rb.push({ t: 'ids', below: 7 });
    expect(rb.take().toString('utf8')).toBe('{"t":"ids","below":7}\n');
  });

  it('clear drops what is pending', () => {
    const rb = new RecordBytes();
    rb.push({ t: 'ids', below: 1 });
    rb.clear();
    expect(rb.length).toBe(0);
    expect(rb.take().length).toBe(0);
  });
});
