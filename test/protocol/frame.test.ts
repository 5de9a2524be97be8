import { describe, expect, test } from 'vitest';
import { FEED_SCHEMAS } from '../../src/protocol/feed.js';
import { decodeMessage, splitFrame } from '../../src/protocol/frame.js';
import { INGEST_SCHEMAS } from '../../src/protocol/ingest.js';

describe('splitFrame', () => {
  test('one message or an array of them', () => {
    expect(splitFrame('{"type":"x"}', 10)).toEqual({ items: [{ type: 'x' }], batch: false });
    expect(splitFrame('[1,2]', 10)).toEqual({ items: [1, 2], batch: true });
  });

  test('bad JSON and oversized batches refuse the whole frame with a code', () => {
    expect(splitFrame('{"type":', 10)).toMatchObject({ type: 'error', code: 'invalid_json' });
    const e = splitFrame(JSON.stringify(new Array(11).fill({})), 10);
    expect(e).toMatchObject({ type: 'error', code: 'batch_too_large' });
    expect((e as { message: string }).message).toContain('at most 10');
  });
});

describe('decodeMessage', () => {
  const ok = { type: 'transcript', stream: 'r1', seq: 1, ts: 5, text: 'hi' };

  test('a valid message is typed, with defaults applied', () => {
    const d = decodeMessage(ok, INGEST_SCHEMAS, undefined);
    expect(d).toEqual({ ok: true, message: { ...ok, final: true } });
  });

  test('errors name the field, and carry stream, seq and batch index', () => {
    const d = decodeMessage({ ...ok, seq: 'x' }, INGEST_SCHEMAS, 3);
    expect(d.ok).toBe(false);
    const e = (d as unknown as { error: Record<string, unknown> }).error;
    expect(e).toMatchObject({ code: 'invalid_message', stream: 'r1', index: 3 });
    expect(e.message).toMatch(/^seq: /);
    expect(e.seq).toBeUndefined(); // not a number, so not echoed
  });

  test('non-objects, missing and unknown types get their own codes', () => {
    expect(decodeMessage(null, INGEST_SCHEMAS, undefined)).toMatchObject({ ok: false, error: { code: 'invalid_message', message: 'message: expected object, received null' } });
    expect(decodeMessage([ok], INGEST_SCHEMAS, undefined)).toMatchObject({ ok: false, error: { message: 'message: expected object, received array' } });
    expect(decodeMessage({ stream: 'r1' }, INGEST_SCHEMAS, undefined)).toMatchObject({ ok: false, error: { code: 'invalid_message', message: 'type: expected string, received undefined' } });
    const u = decodeMessage({ type: 'subscribe' }, INGEST_SCHEMAS, undefined);
    expect(u).toMatchObject({ ok: false, error: { code: 'unknown_type' } });
    expect((u as { error: { message: string } }).error.message).toContain('expected one of transcript');
  });

  test('prototype keys are not message types', () => {
    expect(decodeMessage({ type: 'constructor' }, INGEST_SCHEMAS, undefined)).toMatchObject({ ok: false, error: { code: 'unknown_type' } });
    expect(decodeMessage({ type: '__proto__' }, FEED_SCHEMAS, undefined)).toMatchObject({ ok: false, error: { code: 'unknown_type' } });
  });

  test('feed commands: flag ids, history bounds, default shutdown reason', () => {
    expect(decodeMessage({ type: 'dismiss', flagId: 'x1' }, FEED_SCHEMAS, undefined)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^flagId: /) } });
    expect(decodeMessage({ type: 'subscribe', history: -1 }, FEED_SCHEMAS, undefined).ok).toBe(false);
    expect(decodeMessage({ type: 'subscribe', history: 50, categories: ['medical'] }, FEED_SCHEMAS, undefined).ok).toBe(true);
    expect(decodeMessage({ type: 'subscribe', categories: ['nope'] }, FEED_SCHEMAS, undefined).ok).toBe(false);
    expect(decodeMessage({ type: 'shutdown', stream: 'r1' }, FEED_SCHEMAS, undefined)).toMatchObject({ ok: true, message: { reason: expect.any(String) } });
  });

  test('text over the limit is refused', () => {
    const d = decodeMessage({ ...ok, text: 'x'.repeat(64 * 1024 + 1) }, INGEST_SCHEMAS, undefined);
    expect(d).toMatchObject({ ok: false, error: { code: 'invalid_message', message: expect.stringMatching(/^text: /) } });
  });
});
