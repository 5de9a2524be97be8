/** Runs the built CLI (`dist/src/cli/main.js`) as a real child process. Build first: `npx tsc -p .` */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `env` is added to this process's environment (PKGUARD_CACHE_DIR, say). */
export function runCli(args: string[], stdin = '', env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npx tsc -p .\` before these tests`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => {}); // the child may exit before reading stdin (usage / lexicon errors)
    child.on('close', (code) =>
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.end(stdin);
  });
}

/** stdout split into lines; asserts nothing, the caller does. The trailing newline gives no extra line. */
export function stdoutLines(stdout: string): string[] {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Writes a lexicon directory of `{ "file.tsv": "content" }` into a fresh temp dir and returns its path. */
export function lexiconDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-lex-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

export function ndjson(objects: unknown[]): string {
  return objects.map((o) => JSON.stringify(o)).join('\n') + '\n';
}
