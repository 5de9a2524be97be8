import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, resolveTokens } from '../src/config.js';

const dirs: string[] = [];
function file(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-config-'));
  dirs.push(dir);
  const f = join(dir, 'config.json');
  writeFileSync(f, content);
  return f;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function refusal(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  test('defaults with no file; relative paths resolve against the config file', () => {
    const d = loadConfig(undefined, {});
    expect(d.port).toBe(8080);
    const f = file(JSON.stringify({ journal: { dir: 'j' }, lexicons: 'lex' }));
    const c = loadConfig(f, {});
    expect(c.journal.dir).toBe(join(f, '..', 'j'));
    expect(c.lexicons).toBe(join(f, '..', 'lex'));
  });

  test('a bad field is refused with its path', () => {
    const e = refusal(() => loadConfig(file(JSON.stringify({ limits: { maxBatch: 'many' } })), {}));
    expect(e.path).toBe('limits.maxBatch');
    expect(e.message).toMatch(/config\.json: limits\.maxBatch: /);
    expect(e.code).toBe('PKG_ERR_CONFIG_INVALID');
  });

  test('unknown keys, bad JSON, a missing file and a bad PKGUARD_PORT are refused', () => {
    expect(refusal(() => loadConfig(file('{"prot": 1}'), {})).message).toMatch(/prot/);
    expect(refusal(() => loadConfig(file('{"port": '), {})).message).toMatch(/not valid JSON/);
    expect(refusal(() => loadConfig('/nonexistent/pkguard.json', {})).message).toMatch(/cannot read/);
    expect(refusal(() => loadConfig(undefined, { PKGUARD_PORT: '99999' })).message).toMatch(/not a port/);
    expect(loadConfig(undefined, { PKGUARD_PORT: '9000' }).port).toBe(9000);
  });
});

describe('resolveTokens', () => {
  test('generates tokens once (0600), then reads the same ones', () => {
    const f = file(JSON.stringify({ journal: { dir: 'data' } }));
    const config = loadConfig(f, {});
    const first = resolveTokens(config);
    expect(first.generated).toBe(true);
    expect(statSync(first.file!).mode & 0o777).toBe(0o600);
    const again = resolveTokens(config);
    expect(again.generated).toBe(false);
    expect(again.tokens).toEqual(first.tokens);
    expect(new Set([...first.tokens.ingest, ...first.tokens.moderator, ...first.tokens.control]).size).toBe(3);
  });
});
