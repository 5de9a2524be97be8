/**
 * One Unix-socket connection between two owner processes, as ordered JSON messages (one per line).
 * Sends are coalesced per event-loop turn into one write, as the ingest replies are: at 50k msg/s
 * a write per batch would cost more than the forward itself (bench/e2e/forward-cost.ts).
 */
import type { Socket } from 'node:net';

export class LineLink {
  readonly #socket: Socket;
  #out: string[] = [];
  #flushScheduled = false;
  #rest = '';
  #closed = false;

  constructor(socket: Socket, onMessage: (m: Record<string, unknown>) => void, onClose: () => void) {
    this.#socket = socket;
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
    if (this.#closed) return;
    this.#out.push(json);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      const out = this.#out;
      this.#out = [];
      if (!this.#closed && out.length > 0) this.#socket.write(out.join('\n') + '\n');
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
