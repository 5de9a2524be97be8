/**
 * The journal layout of a node with several owner processes: `journal.dir/owner-<i>` per owner and
 * `journal.dir/owners.json` naming the count. Streams are assigned by hash mod the count, so a
 * journal written with one count must not be served with another (a stream's history would be in
 * one owner's directory and its new messages in another's): that start is refused.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type ServerConfig } from '../config.js';

const SEGMENT = /^segment-\d+\.ndjson$/;

export function checkOwnerLayout(root: string, processes: number): void {
  mkdirSync(root, { recursive: true });
  const file = join(root, 'owners.json');
  if (existsSync(file)) {
    const was = (JSON.parse(readFileSync(file, 'utf8')) as { processes?: number }).processes;
    if (was !== processes) throw new ConfigError(file, 'processes', `this journal was written by ${was} owner processes; serve it with "processes": ${was} (streams are assigned by hash mod the count)`);
    return;
  }
  if (readdirSync(root).some((n) => SEGMENT.test(n))) throw new ConfigError(undefined, 'processes', `${root} holds a one-process journal; serve it with "processes": 1, or point journal.dir at a new directory`);
  writeFileSync(file, JSON.stringify({ processes }) + '\n');
}

/** Each owner's link socket, in a directory the primary made for this run. */
export function ownerSockets(dir: string, processes: number): string[] {
  return Array.from({ length: processes }, (_, i) => join(dir, `owner-${i}.sock`));
}

/** Set by the primary in each owner's environment: which owner this process is, and where the links are. */
export function ownerRole(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): { index: number; sockets: string[]; http: string } | undefined {
  if (config.processes <= 1 || env.PKGUARD_OWNER === undefined || env.PKGUARD_OWNER_SOCKETS === undefined) return undefined;
  const index = Number(env.PKGUARD_OWNER);
  // Its HTTP server's own listener: the node's connections come from the primary (socket-handoff.ts); this one only gives the server a listening state (connection tracking, close).
  return { index, sockets: ownerSockets(env.PKGUARD_OWNER_SOCKETS, config.processes), http: join(env.PKGUARD_OWNER_SOCKETS, `owner-${index}.http.sock`) };
}
