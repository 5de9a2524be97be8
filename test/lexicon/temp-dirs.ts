/** Lexicon directories written into temp dirs for one test file, removed after each test. */
import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { lexiconDir } from '../cli/run-cli.js';

export function tempLexiconDirs(): (files: Record<string, string>) => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return (files) => {
    const d = lexiconDir(files);
    dirs.push(d);
    return d;
  };
}
