/**
 * Finds a dead node in about a second instead of a lease time: each node answers requests on
 * `<prefix>.alive.<node>`, and probes the others every `probeMs`. nats-server drops a client's
 * subscriptions the moment its connection closes, and a killed process's connection closes with
 * it, so a probe answered "no responders" means the node's NATS connection is gone. Two such
 * answers in a row, while this node has been connected for `graceMs` (after a NATS restart every
 * node reconnects within about a second, so a node not yet back is not taken for dead), and the
 * node is evicted: its heartbeat and leases are deleted and the others take its partitions at once.
 *
 * Safe even when wrong: a node evicted while alive finds its fence moved on its next append
 * (jetstream-log.ts) and its leases gone on its next renewal, and rejoins with its next heartbeat.
 * A node that is paused (SIGSTOP) or whose host vanished without closing the connection times the
 * probe out instead: its leases lapse as before.
 */
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

export interface LivenessOptions {
  nc: NatsConnection;
  self: string;
  /** The subject a node answers on. */
  subject: (node: string) => string;
  /** The other nodes to watch (the live membership). */
  peers: () => string[];
  /** A node's connection is gone: take its partitions. */
  onDead: (node: string) => void;
  probeMs?: number;
  graceMs?: number;
}

export class Liveness {
  readonly #o: LivenessOptions;
  readonly #probeMs: number;
  readonly #graceMs: number;
  readonly #misses = new Map<string, number>();
  #sub: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  #connectedAt = Date.now();
  #connected = true;
  #closed = false;

  constructor(o: LivenessOptions) {
    this.#o = o;
    this.#probeMs = o.probeMs ?? 400;
    this.#graceMs = o.graceMs ?? 2500;
  }

  start(): void {
    this.#sub = this.#o.nc.subscribe(this.#o.subject(this.#o.self), { callback: (_err, m) => void m.respond() });
    void (async () => {
      for await (const st of this.#o.nc.status()) {
        if (this.#closed) break;
        if (st.type === 'disconnect') this.#connected = false;
        else if (st.type === 'reconnect') {
          this.#connected = true;
          this.#connectedAt = Date.now();
          this.#misses.clear();
        }
      }
    })().catch(() => {});
    this.#timer = setInterval(() => this.#probe(), this.#probeMs);
    this.#timer.unref();
  }

  stop(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#sub?.unsubscribe();
  }

  #probe(): void {
    if (!this.#connected || Date.now() - this.#connectedAt < this.#graceMs) return;
    const peers = this.#o.peers().filter((n) => n !== this.#o.self);
    for (const node of this.#misses.keys()) if (!peers.includes(node)) this.#misses.delete(node);
    for (const node of peers) {
      this.#o.nc.request(this.#o.subject(node), undefined, { timeout: Math.max(1000, this.#probeMs * 2) }).then(
        () => this.#misses.delete(node),
        (err: unknown) => {
          const noResponders = (err as { isNoResponders?: () => boolean }).isNoResponders?.() ?? /no responders|503/i.test(String((err as Error).message));
          if (!noResponders || !this.#connected || Date.now() - this.#connectedAt < this.#graceMs) return; // a timeout says nothing
          const misses = (this.#misses.get(node) ?? 0) + 1;
          this.#misses.set(node, misses);
          if (misses >= 2) {
            this.#misses.delete(node);
            this.#o.onDead(node);
          }
        },
      );
    }
  }
}
