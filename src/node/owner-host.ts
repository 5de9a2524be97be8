/**
 * The owner side of the links between owner processes: a Unix socket on which the other processes
 * of the node send the batches, commands and questions for the streams this process owns. Each
 * batch goes into this process's core as if its connection were local (a proxy peer per remote
 * connection, so a shutdown or a `?flags=1` flag reaches the real socket through its process), and
 * its replies go back only once the core has answered, i.e. after the owner's journal is durable.
 *
 * Everything this owner's core publishes to the feed is also sent to every linked process
 * (`broadcast`), on the same ordered connection as the replies: a batch's signals arrive before
 * its answer there, as they do in one process.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { rmSync } from 'node:fs';
import { wireError } from '../protocol/codes.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { IngestPeer, ModeratorCommand, StreamService } from '../stream/contracts.js';
import { LineLink } from './line-link.js';

/** A connection of another process, as this owner's core sees it. */
class ProxyPeer implements IngestPeer {
  readonly wantsFlags = true;
  constructor(
    readonly id: number,
    readonly link: LineLink,
  ) {}
  /** To the real connection, through its process; that process drops flag frames its connection did not ask for. */
  sendRaw(json: string): void {
    this.link.send({ t: 'x', c: this.id, j: json });
  }
}

export class OwnerHost {
  readonly #path: string;
  readonly #links = new Set<LineLink>();
  #server: Server | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  /** Starts taking links once the core has replayed its journal. */
  async serve(core: StreamService): Promise<void> {
    rmSync(this.#path, { force: true });
    const server = createServer((socket) => this.#accept(socket, core));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#path, () => resolve());
    });
    this.#server = server;
  }

  /** A feed event of this owner's core, to every linked process (already serialized once). */
  broadcast(json: string): void {
    for (const link of this.#links) link.sendLine(json);
  }

  close(): void {
    this.#server?.close();
    for (const link of this.#links) link.close();
    rmSync(this.#path, { force: true });
  }

  #accept(socket: Socket, core: StreamService): void {
    const proxies = new Map<number, ProxyPeer>();
    const proxy = (c: number) => {
      let p = proxies.get(c);
      if (!p) proxies.set(c, (p = new ProxyPeer(c, link)));
      return p;
    };
    const reply = (id: number, v: unknown) => link.send({ t: 'r', id, v });
    const link: LineLink = new LineLink(
      socket,
      (m) => {
        switch (m.t) {
          case 'b': {
            const msgs = m.m as IngestMessage[];
            core.ingestBatch(msgs, proxy(m.c as number)).then(
              (v) => reply(m.id as number, v),
              (err: unknown) => reply(m.id as number, msgs.map((x) => wireError('internal', `message not processed: ${(err as Error).message}`, x))),
            );
            break;
          }
          case 'g': {
            const p = proxies.get(m.c as number);
            if (p) {
              proxies.delete(m.c as number);
              core.forget(p);
            }
            break;
          }
          case 'k': {
            const cmd = m.cmd as ModeratorCommand;
            core.command(cmd).then(
              (v) => reply(m.id as number, v),
              (err: unknown) => reply(m.id as number, wireError('internal', `${cmd.type} failed: ${(err as Error).message}`, { command: cmd.type })),
            );
            break;
          }
          case 'q':
            void this.#answer(core, m.q as string, m).then(
              (v) => reply(m.id as number, v),
              () => reply(m.id as number, null),
            );
            break;
        }
      },
      () => {
        this.#links.delete(link);
        // That process is gone: its connections are too.
        for (const p of proxies.values()) core.forget(p);
      },
    );
    this.#links.add(link);
  }

  async #answer(core: StreamService, q: string, m: Record<string, unknown>): Promise<unknown> {
    if (q === 'summaries') return core.summaries();
    if (q === 'last') return core.lastFlagNumber();
    if (q === 'health') return core.health();
    if (q === 'history') {
      // A page of this owner's flags above `after`, in id order.
      const out = [];
      for await (const e of core.history.flagEntriesSince(m.after as number)) {
        out.push(e);
        if (out.length >= (m.max as number)) break;
      }
      return out;
    }
    if (q === 'retained') return (await core.history.retainedFrom()) ?? null;
    return null;
  }
}
