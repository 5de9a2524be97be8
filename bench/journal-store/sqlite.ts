/**
 * Loads better-sqlite3 from a separate install directory (`--sqlite-dir`), never from the project's
 * node_modules: the project does not depend on it, this bench only weighs whether it should.
 * A minimal typing of the part of its API the bench uses (there is no @types package installed).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
  pluck(on?: boolean): Statement;
  raw(on?: boolean): Statement;
}

export interface Database {
  pragma(source: string, options?: { simple?: boolean }): unknown;
  exec(source: string): Database;
  prepare(source: string): Statement;
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
  close(): void;
}

export type DatabaseConstructor = new (path: string, options?: { readonly?: boolean; fileMustExist?: boolean }) => Database;

export function installHint(dir: string): string {
  return [
    `better-sqlite3 is not installed under ${dir}. It is not a dependency of pkguard; install it on its own:`,
    ``,
    `  npm install --prefix ${dir} better-sqlite3@12`,
    ``,
    `(v12 runs on Node 20-24; v13 needs Node 22+. With no route to github.com the prebuilt binary`,
    `download fails at once and npm compiles SQLite with node-gyp: python3, make and g++ needed, about`,
    `3 minutes on 2 cores. Then: node dist/bench/journal-store.js --sqlite-dir ${dir})`,
  ].join('\n');
}

/** The Database constructor from `<dir>/node_modules/better-sqlite3`, or an Error whose message says how to install it. */
export async function loadSqlite(dir: string): Promise<DatabaseConstructor> {
  const abs = resolve(dir);
  let entry: string;
  try {
    if (!existsSync(join(abs, 'node_modules', 'better-sqlite3'))) throw new Error('missing');
    entry = createRequire(join(abs, 'package.json')).resolve('better-sqlite3');
  } catch {
    throw new Error(installHint(abs));
  }
  try {
    const mod = (await import(pathToFileURL(entry).href)) as { default: DatabaseConstructor };
    // The addon is loaded lazily by the constructor: try it here, so an ABI mismatch shows now.
    new mod.default(':memory:').close();
    return mod.default;
  } catch (err) {
    const msg = (err as Error).message;
    const abi = /NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF|cannot open shared object/.test(msg);
    throw new Error(
      abi
        ? `better-sqlite3 under ${abs} was built for another Node.js (this is ${process.version}, ABI ${process.versions.modules}): ${msg.split('\n')[0]}\nRebuild it for this Node: npm rebuild --prefix ${abs} better-sqlite3`
        : `better-sqlite3 under ${abs} failed to load: ${msg}\n\n${installHint(abs)}`,
    );
  }
}
