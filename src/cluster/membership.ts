/**
 * The cluster as this node sees it, from a watch on the owners bucket (leases.ts): which nodes are
 * alive (`node.<id>` heartbeats) and which partitions are held (`p.<n>` leases).
 *
 * Why a watch and not `kv.keys()`: a key listing is no snapshot (it came out as 4, 5, 25, 35 nodes
 * for 3), and expired keys leave no delete marker on nats-server 2.9. Here every key carries the
 * time it was last written, and a key counts only while that is within the bucket's TTL; a delete
 * (a node leaving, a partition released) removes it at once. The watch is started over on every
 * reconnect and whenever this node's own heartbeat, written every renewal, has not come back
 * through it for a while: a watch that stopped delivering shows up within seconds.
 */
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

interface Seen {
  value: string;
  /** The key's revision (a lease is deleted by it, leases.ts `evict`). */
  revision: number;
  /** Local clock time of the write (initial values: the server's creation time). */
  at: number;
}

export class Membership {
  readonly #kv: KV;
  readonly #nc: NatsConnection;
  readonly #ttl: number;
  readonly #self: string;
  readonly #onRestart: (reason: string) => void;
  #onChange: ((what: 'node_joined' | 'lease_freed') => void) | undefined;
  readonly #nodes = new Map<string, Seen>();
  readonly #leases = new Map<number, Seen>();
  #iter: { stop(): void } | undefined;
  #gen = 0;
  #closed = false;
  #selfSeenAt = 0;
  #selfWrittenAt = 0;
  restarts = 0;

  constructor(o: { kv: KV; nc: NatsConnection; ttlMs: number; self: string; onRestart: (reason: string) => void }) {
    this.#kv = o.kv;
    this.#nc = o.nc;
    this.#ttl = o.ttlMs;
    this.#self = o.self;
    this.#onRestart = o.onRestart;
  }

  /**
   * Told when a node joins or a lease is deleted (released, evicted): the planned hand-off
   * (leases.ts) acts on these at once instead of at its next renewal round.
   */
  onChange(f: (what: 'node_joined' | 'lease_freed') => void): void {
    this.#onChange = f;
  }

  async start(): Promise<void> {
    await this.#watch();
    void (async () => {
      for await (const st of this.#nc.status()) {
        if (this.#closed) break;
        if (st.type === 'reconnect') this.restart('reconnect');
      }
    })().catch(() => {});
  }

  stop(): void {
    this.#closed = true;
    this.#iter?.stop();
  }

  /** Live nodes: heartbeats written within the TTL (this node always counts). */
  liveNodes(now = Date.now()): number {
    let n = 0;
    for (const [id, s] of this.#nodes) if (id !== this.#self && now - s.at < this.#ttl) n++;
    return n + 1;
  }

  /** Ids of the live nodes, sorted (this node included). */
  nodeIds(now = Date.now()): string[] {
    const ids = [this.#self];
    for (const [id, s] of this.#nodes) if (id !== this.#self && now - s.at < this.#ttl) ids.push(id);
    return ids.sort();
  }

  /** The node holding `p`'s lease as last seen, if it was renewed within the TTL. */
  holder(p: number, now = Date.now()): string | undefined {
    const s = this.#leases.get(p);
    return s && now - s.at < this.#ttl ? s.value : undefined;
  }

  /** The partitions `node` holds as last seen, with each lease's revision. */
  leasesOf(node: string, now = Date.now()): { p: number; revision: number }[] {
    const out: { p: number; revision: number }[] = [];
    for (const [p, s] of this.#leases) if (s.value === node && now - s.at < this.#ttl) out.push({ p, revision: s.revision });
    return out;
  }

  /** Forgets a node found dead (liveness.ts) and its leases, before the watch brings their deletes. */
  forget(node: string): void {
    this.#nodes.delete(node);
    for (const [p, s] of this.#leases) if (s.value === node) this.#leases.delete(p);
  }

  /**
   * Called after this node wrote its heartbeat. The watch must bring it back; if it has not for
   * two renewals past the first unanswered write, the watch is started over.
   */
  wroteHeartbeat(renewMs: number, now = Date.now()): void {
    if (this.#selfWrittenAt <= this.#selfSeenAt) this.#selfWrittenAt = now;
    if (this.#selfWrittenAt > this.#selfSeenAt && now - this.#selfWrittenAt > 2 * renewMs + 1000) {
      this.#selfWrittenAt = now;
      this.restart('own_heartbeat_not_seen');
    }
  }

  restart(reason: string): void {
    if (this.#closed) return;
    this.restarts++;
    this.#onRestart(reason);
    this.#iter?.stop();
    this.#iter = undefined;
    void (async () => {
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#watch();
          return;
        } catch {
          await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** attempt)));
        }
      }
    })();
  }

  async #watch(): Promise<void> {
    const gen = ++this.#gen;
    const iter = await this.#kv.watch();
    if (gen !== this.#gen || this.#closed) {
      iter.stop();
      return;
    }
    this.#iter = iter;
    void (async () => {
      for await (const e of iter) {
        if (gen !== this.#gen) break;
        this.#apply(e);
      }
    })().catch(() => {
      if (gen === this.#gen) this.restart('watch_failed');
    });
  }

  #apply(e: KvWatchEntry): void {
    const now = Date.now();
    // Initial values are as old as the server says; updates are as fresh as now.
    const at = e.isUpdate ? now : Math.min(now, e.created.getTime());
    const gone = e.operation !== 'PUT';
    if (e.key.startsWith('node.')) {
      const id = e.key.slice(5);
      const before = this.#nodes.get(id);
      if (gone) this.#nodes.delete(id);
      else this.#nodes.set(id, { value: '', revision: e.revision, at });
      if (id === this.#self && !gone) this.#selfSeenAt = now;
      else if (!gone && e.isUpdate && (!before || now - before.at >= this.#ttl)) this.#onChange?.('node_joined');
    } else if (e.key.startsWith('p.')) {
      const p = Number(e.key.slice(2));
      if (gone) {
        const had = this.#leases.delete(p);
        if (had && e.isUpdate) this.#onChange?.('lease_freed');
      } else this.#leases.set(p, { value: e.string(), revision: e.revision, at });
    }
  }
}
