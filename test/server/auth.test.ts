import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { TokenAuth, tokenOf } from '../../src/server/auth.js';

const auth = new TokenAuth({ ingest: ['i-1', 'i-2'], moderator: ['m-1'], control: ['c-1'] });
const req = (authorization?: string) => ({ headers: authorization ? { authorization } : {} }) as IncomingMessage;

describe('TokenAuth', () => {
  test('each token maps to its role; anything else to none', () => {
    expect(auth.roleOf('i-2')).toBe('ingest');
    expect(auth.roleOf('m-1')).toBe('moderator');
    expect(auth.roleOf('c-1')).toBe('control');
    for (const bad of [undefined, '', 'm-', 'm-1 ', 'M-1', 'i-1i-2']) expect(auth.roleOf(bad)).toBeUndefined();
  });
});

describe('tokenOf', () => {
  test('Bearer header first, then ?token=', () => {
    expect(tokenOf(req('Bearer abc'), new URL('http://h/feed?token=zzz'))).toBe('abc');
    expect(tokenOf(req('bearer   abc  '), new URL('http://h/feed'))).toBe('abc');
    expect(tokenOf(req(), new URL('http://h/feed?token=zzz'))).toBe('zzz');
  });

  test('a malformed header is no token (it does not fall back to the query)', () => {
    expect(tokenOf(req('Basic abc'), new URL('http://h/feed?token=zzz'))).toBeUndefined();
    expect(tokenOf(req('Bearer a b'), new URL('http://h/feed'))).toBeUndefined();
    expect(tokenOf(req(), new URL('http://h/feed'))).toBeUndefined();
  });
});
