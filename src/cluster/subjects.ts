/**
 * Partitioning and subject names. A stream id is hashed (FNV-1a, 32 bit, over its UTF-8 bytes) into
 * one of `partitions`; everything about a stream lives under that partition's subjects, so a node
 * that takes a partition over reads exactly its history with one filter subject (nats-server 2.9
 * has no multi-filter consumers).
 *
 *   <prefix>.ingest.<p>                          ingest messages (a JSON message or an array)
 *   <prefix>.ev.<p>.<stream>.flag.<category>     one flag per message; its JetStream seq is its id
 *   <prefix>.ev.<p>.<stream>.msg|level|shutdown|restore|dismiss|pk|end   the other records (src/stream/records.ts)
 *   <prefix>.ev.<p>.~.batch                      the message records of one commit (events.ts BatchEvent)
 *   <prefix>.ev.n.<node>                         one node's batches of every partition it owns, and takeover
 *                                                markers (node-commit.ts, takeover-markers.ts); `n` is no partition
 *   <prefix>.fence.<p>                           the partition's owner fence (stream <PREFIX>_FENCES, jetstream-log.ts)
 *   <prefix>.snap.<p>                            the partition's last state snapshot (stream <PREFIX>_SNAPSHOTS, snapshots.ts)
 *   <prefix>.reply.<node>                        acks back to the node holding the WebSocket
 *
 * `<stream>` is the stream id as a subject token: letters, digits, `_` and `-` are kept, every other
 * byte is written `~XX` (hex), so `.`/`*`/`>`/spaces cannot break the subject. A bare `~` is no
 * stream's token: the partition's batches use it.
 */

export function partitionOf(stream: string, partitions: number): number {
  const bytes = Buffer.from(stream, 'utf8');
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % partitions;
}

const SAFE = /^[A-Za-z0-9_-]+$/;

export function streamToken(stream: string): string {
  if (SAFE.test(stream)) return stream;
  let out = '';
  for (const b of Buffer.from(stream, 'utf8')) {
    const c = String.fromCharCode(b);
    out += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || c === '_' || c === '-' ? c : `~${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export type EventKind = 'flag' | 'msg' | 'level' | 'shutdown' | 'restore' | 'dismiss' | 'pk' | 'end' | 'retract' | 'recommend' | 'decline';

export class Subjects {
  readonly prefix: string;
  readonly partitions: number;
  readonly ingestStream: string;
  readonly eventsStream: string;
  readonly ownersBucket: string;
  readonly fencesStream: string;
  readonly snapshotsStream: string;

  constructor(prefix: string, partitions: number) {
    this.prefix = prefix;
    this.partitions = partitions;
    const upper = prefix.toUpperCase().replaceAll('-', '_');
    this.ingestStream = `${upper}_INGEST`;
    this.eventsStream = `${upper}_EVENTS`;
    this.ownersBucket = `${prefix}-owners`;
    this.fencesStream = `${upper}_FENCES`;
    this.snapshotsStream = `${upper}_SNAPSHOTS`;
  }

  partition(stream: string): number {
    return partitionOf(stream, this.partitions);
  }

  ingest(p: number): string {
    return `${this.prefix}.ingest.${p}`;
  }

  ingestAll(): string {
    return `${this.prefix}.ingest.*`;
  }

  event(stream: string, kind: EventKind, category?: string): string {
    const base = `${this.prefix}.ev.${this.partition(stream)}.${streamToken(stream)}.${kind}`;
    return kind === 'flag' ? `${base}.${category}` : base;
  }

  /** A partition's batches of message records (a bare `~` is no stream's token). */
  batch(p: number): string {
    return `${this.prefix}.ev.${p}.~.batch`;
  }

  /** A node's batches (all its partitions' records of a turn) and the markers other nodes leave it. */
  nodeBatches(node: string): string {
    return `${this.prefix}.ev.n.${node}`;
  }

  nodeBatchesAll(): string {
    return `${this.prefix}.ev.n.*`;
  }

  /** The node whose subject this is, if it is a node subject (nodeBatches). */
  nodeOfSubject(subject: string): string | undefined {
    const head = `${this.prefix}.ev.n.`;
    return subject.startsWith(head) ? subject.slice(head.length) : undefined;
  }

  eventsAll(): string {
    return `${this.prefix}.ev.>`;
  }

  /** The partition's fence (jetstream-log.ts) on the fences stream, which keeps the last per subject. */
  fence(p: number): string {
    return `${this.prefix}.fence.${p}`;
  }

  fencesAll(): string {
    return `${this.prefix}.fence.*`;
  }

  /** The partition's state snapshot (snapshots.ts), on a stream that keeps the last per subject. */
  snapshot(p: number): string {
    return `${this.prefix}.snap.${p}`;
  }

  snapshotsAll(): string {
    return `${this.prefix}.snap.*`;
  }

  eventsOfPartition(p: number): string {
    return `${this.prefix}.ev.${p}.>`;
  }

  flagsAll(): string {
    return `${this.prefix}.ev.*.*.flag.*`;
  }

  restoresAll(): string {
    return `${this.prefix}.ev.*.*.restore`;
  }

  shutdownsAll(): string {
    return `${this.prefix}.ev.*.*.shutdown`;
  }

  /** A node answers liveness probes here (liveness.ts). */
  alive(node: string): string {
    return `${this.prefix}.alive.${node}`;
  }

  reply(node: string): string {
    return `${this.prefix}.reply.${node}`;
  }

  /** Lease key of a partition / liveness key of a node in the owners bucket. */
  leaseKey(p: number): string {
    return `p.${p}`;
  }

  nodeKey(node: string): string {
    return `node.${node}`;
  }
}
