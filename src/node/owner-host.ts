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
import { wireError, type WireError } from '../protocol/codes.js';
import type { IngestMessage } from '../protocol/ingest.js';
import type { Ack, IngestPeer, ModeratorCommand, StreamService } from '../stream/contracts.js';
import { LineLink } from './line-link.js';
import type { OwnerWatermark } from './owner-watermark.js';

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

/** Every reply a plain ack of its message (not a duplicate, not an error). */
function allAcked(replies: readonly (Ack | WireError)[], msgs: readonly IngestMessage[]): boolean {
  for (let i = 0; i < replies.length; i++) {
    const r = replies[i]!;
    if (r.type !== 'ack' || (r as Ack).duplicate || r.stream !== msgs[i]!.stream || r.seq !== msgs[i]!.seq) return false;
  }
  return replies.length === msgs.length;
}

export class OwnerHost {
  readonly #path: string;
  readonly #links = new Set<LineLink>();
  #server: Server | undefined;
  #watermark: OwnerWatermark | undefined;
  /** Batches that came before `open()`: held, so no flag is numbered before this owner has moved past the others' (flag-merge.ts). */
  #waiting: (() => void)[] | undefined = [];
  #watermarkScheduled = false;

  constructor(path: string) {
    this.#path = path;
  }

  /** Starts taking links once the core has replayed its journal; batches wait for `open()`. */
  async serve(core: StreamService, watermark: OwnerWatermark): Promise<void> {
    this.#watermark = watermark;
    rmSync(this.#path, { force: true });
    const server = createServer((socket) => this.#accept(socket, core));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#path, () => resolve());
    });
    this.#server = server;
  }

  /** Takes batches: this owner has heard every other owner's watermark and moved past it. */
  open(): void {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    for (const run of waiting ?? []) run();
  }

  /** This owner's watermark changed: every linked process hears it once this turn. */
  watermarkChanged(): void {
    if (this.#watermarkScheduled) return;
    this.#watermarkScheduled = true;
    setImmediate(() => {
      this.#watermarkScheduled = false;
      const json = JSON.stringify({ t: 'w', w: this.#watermark!.value() });
      for (const link of this.#links) link.sendLine(json);
    });
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
            if (this.#waiting) {
              this.#waiting.push(() => this.#batch(core, link, proxy(m.c as number), m));
              break;
            }
            this.#batch(core, link, proxy(m.c as number), m);
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
    // Its watermark first: the other side's merge holds back until it has one.
    link.send({ t: 'w', w: this.#watermark!.value() });
  }

  #batch(core: StreamService, link: LineLink, peer: ProxyPeer, m: Record<string, unknown>): void {
    const msgs = m.m as IngestMessage[];
    this.#watermark!.ingest(core, msgs, peer).then(
      // All plain acks (nearly every batch): the sender rebuilds them from its messages; a list of 20 acks serialized and parsed cost more than the batch's own forward.
      (v) => (allAcked(v, msgs) ? link.send({ t: 'r', id: m.id }) : link.send({ t: 'r', id: m.id, v })),
      (err: unknown) => link.send({ t: 'r', id: m.id, v: msgs.map((x) => wireError('internal', `message not processed: ${(err as Error).message}`, x)) }),
    );
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
