/**
 * One Unix-socket connection between two owner processes, as ordered JSON messages (one per line).
 * Sends are coalesced per event-loop turn into one write, as the ingest replies are: at 50k msg/s
 * a write per batch would cost more than the forward itself (bench/e2e/forward-cost.ts).
 */
import type { Socket } from 'node:net';
import { TurnQueue } from '../runtime/turn-queue.js';

export class LineLink {
  readonly #socket: Socket;
  readonly #out: TurnQueue<string>;
  #rest = '';
  #closed = false;

  constructor(socket: Socket, onMessage: (m: Record<string, unknown>) => void, onClose: () => void) {
    this.#socket = socket;
    this.#out = new TurnQueue((lines) => {
      if (!this.#closed) this.#socket.write(lines.join('\n') + '\n');
    });
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', (chunk: string) => {
      let text = this.#rest + chunk;
      let nl = text.indexOf('\n');
      let from = 0;
      while (nl !== -1) {
        const line = text.slice(from, nl);
        from = nl + 1;
        if (this.#closed) return;
        onMessage(JSON.parse(line) as Record<string, unknown>);
        nl = text.indexOf('\n', from);
      }
      text = text.slice(from);
      this.#rest = text;
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.#closed) return;
      this.#closed = true;
      onClose();
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queued; written with everything else sent in this turn. */
  send(m: object): void {
    this.sendLine(JSON.stringify(m));
  }

  /** A message already serialized (no newline in it: JSON.stringify never writes one). */
  sendLine(json: string): void {
    if (!this.#closed) this.#out.push(json);
  }

  close(): void {
    this.#socket.destroy();
  }
}
