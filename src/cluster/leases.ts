/**
 * Partition ownership by leases in a JetStream KV bucket whose TTL (max age) is the lease time.
 *
 * - `p.<n>` holds the owner's node id. A free partition is taken with `create` (fails if someone
 *   holds it), a held one renewed with `update(revision)` (fails if someone else took it after it
 *   expired): compare-and-set, so two nodes never both believe they own a partition for longer
 *   than a lease, and a node that misses its renewal stops processing before its lease can lapse.
 * - `node.<id>` is each node's heartbeat; the live nodes' count (membership.ts, from a watch on
 *   the bucket) sets each node's fair share `ceil(P / N)`. A node above its share releases
 *   partitions (stop, then delete the key, so the next owner starts at once); a node below takes
 *   free ones.
 */
import type { KV } from '@nats-io/kv';
import type { Logger } from 'pino';
import type { Membership } from './membership.js';
import type { ClusterMetrics } from './metrics.js';
import type { Subjects } from './subjects.js';

export interface LeaseHandlers {
  /** Start processing `p` (this node now holds its lease). */
  acquire(p: number): Promise<void>;
  /** Stop processing `p` and resolve once nothing more will be published for it. */
  release(p: number): Promise<void>;
}

interface Held {
  revision: number;
  renewedAt: number;
  starting: boolean;
}

export class LeaseManager {
  readonly #kv: KV;
  readonly #membership: Membership;
  readonly #metrics: ClusterMetrics | undefined;
  readonly #subjects: Subjects;
  readonly #node: string;
  readonly #ttl: number;
  readonly #renewMs: number;
  readonly #handlers: LeaseHandlers;
  readonly #log: Logger;
  readonly #held = new Map<number, Held>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #closed = false;
  #inTick = false;
  /** tickNow() came during a round: run the next one right after it. */
  #again = false;
  #emptySince: number | undefined;
  liveNodes = 1;

  constructor(opts: { kv: KV; membership: Membership; subjects: Subjects; node: string; ttlMs: number; renewMs: number; handlers: LeaseHandlers; log: Logger; metrics?: ClusterMetrics }) {
    this.#kv = opts.kv;
    this.#membership = opts.membership;
    this.#metrics = opts.metrics;
    this.#subjects = opts.subjects;
    this.#node = opts.node;
    this.#ttl = opts.ttlMs;
    this.#renewMs = opts.renewMs;
    this.#handlers = opts.handlers;
    this.#log = opts.log;
  }

  /** Partitions this node holds, ascending. */
  get owned(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  /** Processing may go on only while the lease certainly has not lapsed (a renewal margin kept). */
  valid(p: number): boolean {
    const h = this.#held.get(p);
    return h !== undefined && Date.now() < h.renewedAt + this.#ttl - this.#renewMs / 2;
  }

  start(): void {
    // Planned hand-off: a node that joins makes the others release their extra partitions now
    // (each stopped, snapshotted, then its lease deleted), and a deleted lease is taken at once by
    // a node below its share, fenced and started from that snapshot: no renewal round waited out
    // on either side.
    this.#membership.onChange((what) => {
      if (what === 'node_joined' || this.#held.size < Math.ceil(this.#subjects.partitions / this.#membership.liveNodes())) this.tickNow();
    });
    this.#loop();
  }

  /** Renews now (after a reconnect) instead of at the next round, unless a round is running. */
  tickNow(): void {
    if (this.#closed) return;
    if (this.#inTick) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#loop();
  }

  #loop(): void {
    if (this.#closed) return;
    this.#inTick = true;
    this.#ticking = this.tick().catch((err: unknown) => this.#log.warn({ event: 'lease_tick_failed', err: (err as Error).message }, 'lease renewal round failed'));
    void this.#ticking.then(() => {
      this.#inTick = false;
      const again = this.#again;
      this.#again = false;
      if (!this.#closed) this.#timer = setTimeout(() => this.#loop(), again ? 0 : this.#renewMs);
    });
  }

  /**
   * One round: heartbeat, renew, rebalance. The heartbeat and every renewal go out at once and
   * each stands alone, so one slow or failed request (a NATS blip) cannot hold the renewals back
   * until the leases lapse; a renewal that timed out but was applied is recognised as ours.
   */
  async tick(): Promise<void> {
    const s = this.#subjects;
    const heartbeat = this.#kv.put(s.nodeKey(this.#node), JSON.stringify({ ts: Date.now() })).then(
      () => this.#membership.wroteHeartbeat(this.#renewMs),
      (err: unknown) => this.#log.warn({ event: 'heartbeat_failed', err: (err as Error).message }, 'node heartbeat not written'),
    );
    await Promise.all([heartbeat, ...[...this.#held.keys()].map((p) => this.#renew(p))]);
    if (this.#closed) return;
    this.liveNodes = this.#membership.liveNodes();
    this.#metrics?.liveNodes.set(this.liveNodes);

    const share = Math.ceil(s.partitions / this.liveNodes);
    if (this.#held.size > share) {
      const extra = this.owned.slice(share);
      await Promise.all(extra.map((p) => this.#release(p)));
      if (extra.length > 0) this.#log.info({ event: 'partitions_released', count: extra.length, share, nodes: this.liveNodes }, 'partitions released to rebalance');
    } else if (this.#held.size < share) {
      const free: number[] = [];
      for (let p = 0; p < s.partitions; p++) if (!this.#held.has(p) && this.#membership.holder(p) === undefined) free.push(p);
      shuffle(free);
      const want = free.slice(0, share - this.#held.size);
      const got: number[] = [];
      await Promise.all(
        want.map(async (p) => {
          const at = Date.now();
          try {
            const revision = await this.#kv.create(s.leaseKey(p), this.#node);
            this.#held.set(p, { revision, renewedAt: at, starting: true });
            got.push(p);
          } catch {
            /* someone else was quicker */
          }
        }),
      );
      // Started in the background: a long history rebuild must not hold up the next renewal.
      for (const p of got) {
        this.#metrics?.leaseChanges.inc({ change: 'acquired' });
        this.#handlers.acquire(p).then(
          () => {
            const h = this.#held.get(p);
            if (h) h.starting = false;
          },
          (err: unknown) => {
            this.#log.warn({ event: 'partition_start_failed', partition: p, err: (err as Error).message }, 'could not start a partition; giving it up');
            void this.#release(p);
          },
        );
      }
      if (got.length > 0) this.#log.info({ event: 'partitions_acquired', partitions: got.sort((a, b) => a - b), share, nodes: this.liveNodes, owned: this.#held.size }, 'partitions acquired');
    }
    this.#metrics?.partitionsOwned.set(this.#held.size);
    if (this.#held.size > 0 || share === 0) this.#emptySince = undefined;
    else this.#emptySince ??= Date.now();
  }

  /** Holding no partition for two lease times although its share is at least one: not healthy. */
  starved(now = Date.now()): boolean {
    return this.#emptySince !== undefined && now - this.#emptySince > 2 * this.#ttl;
  }

  /** Partitions held whose worker is still starting (rebuilding its state). */
  get starting(): number[] {
    return [...this.#held].filter(([, h]) => h.starting).map(([p]) => p);
  }

  async #renew(p: number): Promise<void> {
    const h = this.#held.get(p);
    if (!h) return;
    const key = this.#subjects.leaseKey(p);
    const at = Date.now();
    try {
      h.revision = await this.#kv.update(key, this.#node, h.revision);
      h.renewedAt = at;
      return;
    } catch (err) {
      if (this.#held.get(p) !== h) return;
      // Unknown outcome (a timeout) or applied by an earlier timed-out attempt: the key says.
      let still = false;
      try {
        const e = await this.#kv.get(key);
        if (e && e.operation === 'PUT' && e.string() === this.#node && e.revision >= h.revision) {
          h.revision = e.revision;
          h.renewedAt = Math.min(at, e.created.getTime());
          still = true;
        } else if (e === null || e.operation !== 'PUT' || e.string() !== this.#node) {
          this.#log.warn({ event: 'lease_lost', partition: p, err: (err as Error).message }, 'partition lease lost');
          this.#metrics?.leaseChanges.inc({ change: 'lost' });
          this.#held.delete(p);
          await this.#handlers.release(p).catch(() => {});
          return;
        }
      } catch {
        /* NATS unreachable: keep the lease while it is valid, retry next round */
      }
      if (!still && !this.valid(p)) {
        // Could not renew in time: stop processing (the worker checks valid() too) and let it go.
        this.#log.warn({ event: 'lease_lost', partition: p, err: 'not renewed before it lapsed' }, 'partition lease lost');
        this.#metrics?.leaseChanges.inc({ change: 'lost' });
        this.#held.delete(p);
        await this.#handlers.release(p).catch(() => {});
      }
    }
  }

  /**
   * A node's NATS connection is gone (liveness.ts): delete its heartbeat and its leases (each by
   * the revision last seen, so a lease it or anyone renewed since stays), then rebalance at once.
   */
  async evict(node: string): Promise<void> {
    if (this.#closed || node === this.#node) return;
    const leases = this.#membership.leasesOf(node);
    this.#log.warn({ event: 'node_evicted', node, partitions: leases.map((l) => l.p) }, 'node connection gone; taking its partitions');
    this.#membership.forget(node);
    await Promise.all([
      this.#kv.delete(this.#subjects.nodeKey(node)).catch(() => {}),
      ...leases.map(({ p, revision }) =>
        this.#kv.delete(this.#subjects.leaseKey(p), { previousSeq: revision }).then(
          () => this.#metrics?.leaseChanges.inc({ change: 'evicted' }),
          () => {}, // renewed or taken meanwhile: not ours to free
        ),
      ),
    ]);
    this.tickNow();
  }

  /** Gives a partition up at once (processing failed): stop it, free the key for the next owner. */
  async drop(p: number): Promise<void> {
    await this.#release(p);
  }

  async #release(p: number): Promise<void> {
    const h = this.#held.get(p);
    if (!h) return;
    this.#held.delete(p);
    this.#metrics?.leaseChanges.inc({ change: 'released' });
    await this.#handlers.release(p).catch(() => {});
    try {
      await this.#kv.delete(this.#subjects.leaseKey(p), { previousSeq: h.revision });
    } catch {
      /* renewed by nobody else meanwhile, or already expired: it lapses by itself */
    }
  }

  /** Releases everything (SIGTERM) so the other nodes take over without waiting for the TTL. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#ticking;
    await Promise.all(this.owned.map((p) => this.#release(p)));
    try {
      await this.#kv.delete(this.#subjects.nodeKey(this.#node));
    } catch {
      /* gone with the connection */
    }
  }
}

function shuffle<T>(a: T[]): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}
