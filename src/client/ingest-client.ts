/**
 * A client for `/ingest`: sends messages (one frame per batch) and reports each ack, error and
 * shutdown signal. Shared by `pkguard replay` and the bench's load generator, so a demo, an
 * incident reproduction and a load test all drive the server the same way.
 */
import WebSocket from 'ws';

export interface IngestHandlers {
  ack?(stream: string, seq: number, duplicate: boolean): void;
  error?(error: { code: string; message: string; stream?: string; seq?: number }): void;
  shutdown?(signal: { stream: string; reason: string; epoch: number }): void;
  flag?(flag: { id: string; stream: string; seq: number; category: string; term: string }): void;
}

export class IngestClient {
  readonly ws: WebSocket;
  #handlers: IngestHandlers;
  sent = 0;
  acked = 0;
  errors = 0;

  private constructor(ws: WebSocket, handlers: IngestHandlers) {
    this.ws = ws;
    this.#handlers = handlers;
    ws.on('message', (data: Buffer) => this.#receive(data.toString()));
  }

  /** Connects to `url` (ws://host:port) with `token`; `flags` also asks for the streams' flags. */
  static connect(url: string, token: string, handlers: IngestHandlers = {}, opts: { flags?: boolean } = {}): Promise<IngestClient> {
    const target = new URL('/ingest', url);
    if (opts.flags) target.searchParams.set('flags', '1');
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(target, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
      ws.once('open', () => resolve(new IngestClient(ws, handlers)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`${target.pathname}: HTTP ${res.statusCode}`)));
    });
  }

  /** Sends messages as one frame (an array when more than one). */
  send(messages: readonly object[]): void {
    if (messages.length === 0) return;
    this.ws.send(messages.length === 1 ? JSON.stringify(messages[0]) : JSON.stringify(messages));
    this.sent += messages.length;
  }

  /** Sends an already serialized frame holding `count` messages. */
  sendFrame(json: string, count: number): void {
    this.ws.send(json);
    this.sent += count;
  }

  /** Messages sent and not yet answered. */
  get outstanding(): number {
    return this.sent - this.acked - this.errors;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  #receive(text: string): void {
    const parsed = JSON.parse(text) as Record<string, unknown> | Record<string, unknown>[];
    for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
      switch (m.type) {
        case 'ack':
          this.acked++;
          this.#handlers.ack?.(m.stream as string, m.seq as number, m.duplicate === true);
          break;
        case 'error':
          // Errors about a whole frame (no seq) do not answer one message.
          if (m.seq !== undefined) this.errors++;
          this.#handlers.error?.(m as { code: string; message: string });
          break;
        case 'shutdown':
          this.#handlers.shutdown?.(m as { stream: string; reason: string; epoch: number });
          break;
        case 'flag':
          this.#handlers.flag?.(m.flag as { id: string; stream: string; seq: number; category: string; term: string });
          break;
      }
    }
  }
}
