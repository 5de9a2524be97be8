/**
 * Authentication on upgrade: `Authorization: Bearer <token>` or `?token=<token>` (browsers cannot
 * set headers on a WebSocket). Tokens are compared as SHA-256 digests with `timingSafeEqual`, and
 * every known token is compared, so timing reveals neither a prefix nor which role matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Role, Tokens } from '../config.js';

export const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether `token` is one of the tokens whose digests are given (all compared, in constant time). */
export function bearerMatches(token: string | undefined, digests: readonly Buffer[]): boolean {
  if (!token) return false;
  const d = digest(token);
  let ok = false;
  for (const k of digests) if (timingSafeEqual(k, d)) ok = true;
  return ok;
}

export class TokenAuth {
  readonly #known: { digest: Buffer; role: Role }[] = [];

  constructor(tokens: Tokens) {
    for (const role of ['ingest', 'moderator', 'control'] as const) {
      for (const t of tokens[role]) this.#known.push({ digest: digest(t), role });
    }
  }

  /** The role of `token`, or undefined. */
  roleOf(token: string | undefined): Role | undefined {
    if (!token) return undefined;
    const d = digest(token);
    let role: Role | undefined;
    for (const k of this.#known) if (timingSafeEqual(k.digest, d) && role === undefined) role = k.role;
    return role;
  }
}

/** The token a request carries, header first. */
export function tokenOf(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }
  return url.searchParams.get('token') ?? undefined;
}
