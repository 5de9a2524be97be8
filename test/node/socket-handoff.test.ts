/**
 * The primary's side of the hand-off (src/node/socket-handoff.ts) on real TCP sockets, with a
 * target that keeps the socket instead of sending it to a process: which owner it picks, what it
 * passes on, and that it reads nothing past the request line (bytes it read would be lost: the
 * owner never sees them, and the primary keeps its copy of the socket until the owner has taken it).
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { listenAndHandOff } from '../../src/node/socket-handoff.js';
import { streamsOf } from './owner-harness.js';

interface Handed {
  owner: number;
  head: string;
  socket: Socket;
}

function primary(up: number[]) {
  const handed: Handed[] = [];
  const waiters: (() => void)[] = [];
  const { server, counts } = listenAndHandOff(2, {
    up: () => up,
    send: (owner, message, socket) => {
      handed.push({ owner, head: Buffer.from((message as { head: string }).head, 'base64').toString(), socket });
      waiters.shift()?.();
      return true;
    },
  });
  const next = () => new Promise<Handed>((resolve) => (handed.length > 0 ? resolve(handed.shift()!) : waiters.push(() => resolve(handed.shift()!))));
  return { server, counts, next };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const open: { close(): void }[] = [];
afterEach(() => open.splice(0).forEach((x) => x.close()));

async function client(port: number, text: string): Promise<Socket> {
  const c = connect(port, '127.0.0.1');
  open.push({ close: () => c.destroy() });
  await new Promise((r) => c.once('connect', r));
  c.write(text);
  return c;
}

describe('listenAndHandOff', () => {
  it('hands a hinted connection to its owner with the bytes read, the others round-robin over the owners that are up', async () => {
    const up = [0, 1];
    const p = primary(up);
    await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
    open.push({ close: () => p.server.close() });
    const port = (p.server.address() as { port: number }).port;
    const [a1] = streamsOf(1, 1);
    const req = `GET /ingest?streams=${a1} HTTP/1.1\r\nHost: x\r\n\r\n`;
    await client(port, req);
    const h = await p.next();
    expect(h.owner).toBe(1);
    expect(h.head).toBe(req);
    await client(port, 'GET /feed HTTP/1.1\r\n\r\n');
    await client(port, 'GET /feed HTTP/1.1\r\n\r\n');
    expect(new Set([(await p.next()).owner, (await p.next()).owner])).toEqual(new Set([0, 1]));
    // Owner 1 down: its hint goes to an owner that is up.
    up.splice(1, 1);
    await client(port, req);
    expect((await p.next()).owner).toBe(0);
    expect(p.counts).toEqual({ hinted: 1, roundRobin: 3 });
  });

  it('reads nothing past the request line: what the client sends after it stays in the socket for the owner', async () => {
    const p = primary([0, 1]);
    await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', r));
    open.push({ close: () => p.server.close() });
    const port = (p.server.address() as { port: number }).port;
    const c = await client(port, 'GET /ingest HTTP/1.1\r\n');
    const h = await p.next();
    expect(h.head).toBe('GET /ingest HTTP/1.1\r\n');
    // The rest of the head, then a frame, while the primary still holds its copy of the socket.
    c.write('Host: x\r\n\r\n');
    await sleep(100);
    c.write('FRAME');
    await sleep(200);
    expect(h.socket.readableLength).toBe(0);
    // Whoever reads the socket next (the owner) gets all of it.
    const rest: Buffer[] = [];
    h.socket.on('data', (d: Buffer) => rest.push(d));
    (h.socket as unknown as { _handle: { readStart(): number } })._handle.readStart();
    h.socket.resume();
    await sleep(200);
    expect(Buffer.concat(rest).toString()).toBe('Host: x\r\n\r\nFRAME');
  });
});
