/**
 * How a TCP connection reaches an owner process (config `processes` > 1). The primary listens on
 * the node's port itself (not `cluster`'s round-robin handle, which cannot look at a connection),
 * reads the request line, picks the owner (connection-hint.ts; round-robin without a hint or when
 * the hinted owner is not up) and sends it the socket with the bytes already read. The owner puts
 * those bytes back in front of the socket and gives it to its HTTP server as if it had accepted it.
 * Clients send nothing after the request head until the server answers, and the primary stops
 * reading once it has the request line, so nothing is read here after the bytes it passes on (a
 * client pipelining a second request before the first answer is not supported).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { hintedOwner, MAX_HINT_BYTES } from './connection-hint.js';

/** The IPC message that carries a handed socket. */
const HANDED = 'pkguard_socket';
/** A connection that has not sent its request line by then is dropped (it holds no owner's resources yet). */
const HEAD_TIMEOUT_MS = 10_000;

export interface HandoffTarget {
  /** Sends the socket to that owner; `false` if it cannot take it now. */
  send(owner: number, message: object, socket: Socket): boolean;
  /** The owners that are up, in index order. */
  up(): readonly number[];
}

export interface HandoffCounts {
  /** Handed to the owner their hint named. */
  hinted: number;
  /** Handed round-robin (no hint, or its owner down). */
  roundRobin: number;
}

/** The primary's listener: each connection goes to its hinted owner, or round-robin over the owners that are up. */
export function listenAndHandOff(n: number, target: HandoffTarget): { server: Server; counts: HandoffCounts } {
  const counts: HandoffCounts = { hinted: 0, roundRobin: 0 };
  let next = 0;
  const pick = (hint: number | undefined): number | undefined => {
    const up = target.up();
    if (hint !== undefined && up.includes(hint)) {
      counts.hinted++;
      return hint;
    }
    if (up.length === 0) return undefined;
    counts.roundRobin++;
    return up[next++ % up.length];
  };
  const server = createServer((socket) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    socket.setTimeout(HEAD_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
      const nl = chunk.indexOf(10);
      if (nl < 0 && bytes < MAX_HINT_BYTES) return;
      socket.off('data', onData);
      // Stop reading now, not just the stream: `pause()` alone leaves the handle reading until its
      // buffer fills, and this process keeps its copy of the socket until the owner has taken it
      // (the IPC ack), so a frame the client sends after the owner's 101 could be read here and
      // lost. Seen under load: a hinted connection upgraded and then never answered.
      (socket as unknown as { _handle?: { readStop?(): number } })._handle?.readStop?.();
      socket.pause();
      socket.setTimeout(0);
      const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
      const line = head.toString('latin1', 0, nl < 0 ? head.length : head.indexOf(10));
      const owner = pick(hintedOwner(line, n));
      if (owner === undefined || !target.send(owner, { t: HANDED, head: head.toString('base64') }, socket)) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    };
    socket.on('data', onData);
  });
  return { server, counts };
}

/** The owner's side: sockets the primary hands over are served by `http` as its own. Returns the stop. */
export function takeHandedSockets(http: HttpServer): () => void {
  const onMessage = (m: { t?: string; head?: string }, socket: Socket | undefined) => {
    if (m?.t !== HANDED || !socket) return;
    // Back in front of the socket: the HTTP parser reads them first, then what the client sends next.
    socket.unshift(Buffer.from(m.head ?? '', 'base64'));
    http.emit('connection', socket);
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}
