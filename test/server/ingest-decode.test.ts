/**
 * The fast path of ingest validation decides exactly as zod does: same accepted message (same
 * fields, same order, `final` defaulted), and for anything it does not take, zod's own error.
 * Property-checked on messages built from tricky field values, and on JSON text (so `__proto__`
 * keys and duplicate keys are what JSON.parse makes of them).
 */
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { decodeMessage } from '../../src/protocol/frame.js';
import { INGEST_SCHEMAS, MAX_ID_LENGTH, MAX_TEXT_UNITS } from '../../src/protocol/ingest.js';
import { decodeIngest, fastDecode } from '../../src/server/ingest-decode.js';

const viaZod = (raw: unknown, index?: number) => decodeMessage(raw, INGEST_SCHEMAS, index);
const same = (raw: unknown, index?: number) => {
  const a = decodeIngest(raw, index);
  const b = viaZod(raw, index);
  expect(a).toStrictEqual(b);
  // Key order too: records and acks are built from these objects.
  if (a.ok && b.ok) expect(Object.keys(a.message)).toEqual(Object.keys(b.message));
};

const idValues = fc.oneof(fc.constantFrom('', 'r1', 'x'.repeat(MAX_ID_LENGTH), 'x'.repeat(MAX_ID_LENGTH + 1), '流1', 7, null, true, ['r1'], { s: 1 }), fc.string({ maxLength: 3 }));
const countValues = fc.constantFrom(0, -0, 1, 17, -1, 1.5, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 1, 2 ** 60, 1e21, NaN, Infinity, -Infinity, '17', null, true, [1]);
const textValues = fc.oneof(fc.constantFrom('', '全网最低价', 'a'.repeat(MAX_TEXT_UNITS), 'a'.repeat(MAX_TEXT_UNITS + 1), 42, null, ['t'], { t: 'x' }), fc.string({ maxLength: 5 }));
const finalValues = fc.constantFrom(true, false, 'true', 0, 1, null, undefined);
const userValues = fc.constantFrom('u1', '', 'u'.repeat(MAX_ID_LENGTH), 'u'.repeat(MAX_ID_LENGTH + 1), 5, null, undefined, ['u']);
const speakerValues = fc.constantFrom('host', 'guest', 'opponent', 'audience', '', null, undefined, 1);
const typeValues = fc.constantFrom('transcript', 'chat', 'pk', 'end', 'Transcript', '', 3, null, undefined);

/** A message with each field present (some value) or absent, plus maybe an extra field. */
const message = fc
  .record(
    { type: typeValues, stream: idValues, seq: countValues, ts: countValues, text: textValues, final: finalValues, user: userValues, speaker: speakerValues, extra: fc.constantFrom('speaker', 'lang', 'flags', 'constructor', 'toString') },
    { requiredKeys: [] },
  )
  .map((r) => {
    const m: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (k === 'extra') m[v as string] = 'x';
      else m[k] = v;
    }
    return m;
  });

test('fast path and zod agree on messages of tricky field values', { timeout: 60_000 }, () => {
  fc.assert(fc.property(message, fc.option(fc.nat(999), { nil: undefined }), (m, index) => same(m, index)), { numRuns: 5_000 });
});

test('fast path and zod agree on JSON text: __proto__, duplicate keys, non-objects', { timeout: 60_000 }, () => {
  const texts = [
    '{"type":"transcript","stream":"r1","seq":1,"ts":2,"text":"hi"}',
    '{"type":"transcript","stream":"r1","seq":1,"ts":2,"text":"hi","final":false}',
    '{"type":"transcript","stream":"r1","seq":1,"ts":2,"text":"hi","__proto__":{"final":false}}',
    '{"__proto__":{"type":"chat"},"stream":"r1","seq":1,"ts":2,"text":"hi"}',
    '{"type":"chat","stream":"r1","seq":1,"ts":2,"text":"hi","text":5}',
    '{"type":"chat","stream":"r1","seq":1,"ts":2,"text":5,"text":"hi"}',
    '{"type":"chat","stream":"r1","seq":1.0,"ts":2e3,"text":"hi","user":"u"}',
    '{"type":"chat","stream":"r1","seq":1e400,"ts":2,"text":"hi"}',
    '{"type":"transcript","stream":"r1","seq":-0,"ts":0,"text":""}',
    '[]',
    'null',
    '"transcript"',
    '17',
  ];
  for (const t of texts) same(JSON.parse(t), 0);
  fc.assert(
    fc.property(message, (m) => {
      const text = JSON.stringify(m);
      if (text !== undefined) same(JSON.parse(text), 3);
    }),
    { numRuns: 5_000 },
  );
});

test('the fast path takes the common shapes (else it would be no faster)', () => {
  expect(fastDecode({ type: 'transcript', stream: 's1', seq: 5, ts: 1, text: '好' })).toEqual({ type: 'transcript', stream: 's1', seq: 5, ts: 1, text: '好', final: true });
  expect(fastDecode({ type: 'transcript', stream: 's1', seq: 5, ts: 1, text: '好', final: false, speaker: 'guest' })).toEqual({ type: 'transcript', stream: 's1', seq: 5, ts: 1, text: '好', final: false, speaker: 'guest' });
  expect(fastDecode({ type: 'transcript', stream: 's1', seq: 5, ts: 1, text: '好', speaker: 'audience' })).toBeUndefined();
  expect(fastDecode({ type: 'chat', stream: 's1', seq: 5, ts: 1, user: 'u', text: '好' })).toEqual({ type: 'chat', stream: 's1', seq: 5, ts: 1, user: 'u', text: '好' });
  expect(fastDecode({ type: 'chat', stream: 's1', seq: 5, ts: 1, text: '好', lang: 'zh' })).toBeUndefined();
});
