/**
 * Who said it: chat flags keep the viewer's `user`, transcript flags the `speaker`, through the one
 * rule in src/detect/attribution.ts, and `pkguard scan` lines keep them as the server does.
 */
import { describe, expect, test } from 'vitest';
import { attribute, attributionOf } from '../../src/detect/attribution.js';
import { scanLine } from '../../src/cli/scan.js';
import { createScanner } from '../../src/index.js';

const scanner = createScanner();

describe('attribute', () => {
  test('chat keeps the user and never a speaker; a transcript the speaker and never a user', () => {
    const chat = attribute(scanner.scan('私我拿内部价，加我微信'), { kind: 'chat', user: 'viewer-9', speaker: 'host' });
    expect(chat.length).toBeGreaterThan(0);
    for (const f of chat) expect([f.user, f.speaker]).toEqual(['viewer-9', undefined]);
    const said = attribute(scanner.scan('今晚这款是全网最低价'), { kind: 'transcript', user: 'x', speaker: 'opponent' });
    for (const f of said) expect([f.user, f.speaker]).toEqual([undefined, 'opponent']);
    expect(attribute(scanner.scan('今晚这款是全网最低价'), {})[0]!.speaker).toBeUndefined();
  });
});

describe('attributionOf (the server message step reads wire messages through it)', () => {
  test('a chat message names its viewer, a transcript its speaker', () => {
    const chat = attribute(scanner.scan('想买的私我，加vx'), attributionOf({ type: 'chat', user: 'v7' }));
    expect(chat.length).toBeGreaterThan(0);
    for (const f of chat) expect([f.user, f.speaker]).toEqual(['v7', undefined]);
    const said = attribute(scanner.scan('全网最低价就在今晚'), attributionOf({ type: 'transcript', speaker: 'guest' }));
    for (const f of said) expect([f.user, f.speaker]).toEqual([undefined, 'guest']);
  });
});

describe('pkguard scan lines', () => {
  const out = (line: object) => JSON.parse(scanLine(scanner, JSON.stringify(line))) as { flags?: { user?: string; speaker?: string }[]; error?: string };
  test('a chat line keeps its user, a transcript line its speaker', () => {
    expect(out({ id: 'c1', kind: 'chat', user: 'fan_42', text: '想要的加我vx' }).flags!.map((f) => f.user)).toEqual(['fan_42']);
    expect(out({ id: 't1', kind: 'transcript', stream: 'pk-9', speaker: 'guest', text: '这是史上最低的价格' }).flags!.every((f) => f.speaker === 'guest')).toBe(true);
  });
  test('an unknown speaker is a coded error line for that line only', () => {
    expect(out({ id: 't2', kind: 'transcript', speaker: 'narrator', text: '全网最低价' }).error).toMatch(/^speaker:/);
    expect(out({ id: 't3', kind: 'transcript', text: '全网最低价' }).flags!.length).toBe(1);
  });
});
