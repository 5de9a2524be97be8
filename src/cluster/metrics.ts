/**
 * The cluster's own Prometheus metrics, registered into the server's registry (src/metrics.ts) by
 * the node, so `/metrics` shows them beside the rest only in cluster mode.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Metrics } from '../metrics.js';

export class ClusterMetrics {
  readonly partitionsOwned: Gauge;
  readonly partitionsUnserved: Gauge;
  readonly leaseChanges: Counter<'change'>;
  readonly rebuildSeconds: Histogram;
  readonly consumerRestarts: Counter<'consumer' | 'reason'>;
  readonly followerStalled: Gauge;
  readonly eventLag: Gauge;
  readonly forwards: Counter<'outcome'>;
  readonly liveNodes: Gauge;
  /** One commit's timeline (jetstream-log.ts CommitTiming): where an ack's wait goes. */
  readonly commitPhase: Histogram<'phase'>;
  readonly commitRecords: Histogram;
  /** Batches the events reader handed on: taken from this node's own commits, or parsed (own-batches.ts). */
  readonly batchesOwn: Counter.Internal;
  readonly batchesParsed: Counter.Internal;
  /** One commit per node turn (node-commit.ts): node batches by outcome, and takeover markers read on this node's subject. */
  readonly nodeBatches: Counter<'outcome'>;
  readonly markersRead: Counter;

  constructor(m: Metrics) {
    const registers = [m.registry];
    this.partitionsOwned = new Gauge({ name: 'pkguard_cluster_partitions_owned', help: 'Partitions whose lease this node holds', registers });
    this.partitionsUnserved = new Gauge({ name: 'pkguard_cluster_partitions_unserved', help: 'Partitions this node holds but cannot serve (starting, or its consumer stalled)', registers });
    this.leaseChanges = new Counter({ name: 'pkguard_cluster_lease_changes_total', help: 'Partition leases acquired, released, lost', labelNames: ['change'] as const, registers });
    this.rebuildSeconds = new Histogram({ name: 'pkguard_cluster_rebuild_seconds', help: 'Time to rebuild a partition from its snapshot and history on takeover', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30], registers });
    this.consumerRestarts = new Counter({ name: 'pkguard_cluster_consumer_restarts_total', help: 'JetStream consumers recreated by this node, by consumer and reason', labelNames: ['consumer', 'reason'] as const, registers });
    this.followerStalled = new Gauge({ name: 'pkguard_cluster_events_stalled', help: '1 while the events reader has pending events it was not handed (feeds are behind)', registers });
    this.eventLag = new Gauge({ name: 'pkguard_cluster_event_lag', help: 'Events stored but not yet seen by this node (last stream sequence minus last delivered)', registers });
    this.forwards = new Counter({ name: 'pkguard_cluster_forwards_total', help: 'Ingest batches and commands forwarded through the ingest stream, by outcome', labelNames: ['outcome'] as const, registers });
    this.liveNodes = new Gauge({ name: 'pkguard_cluster_nodes', help: 'Live nodes in the membership this node sees', registers });
    this.commitPhase = new Histogram({
      name: 'pkguard_cluster_commit_phase_seconds',
      help: 'One partition commit, by phase: queued (oldest append waiting for the commit to start), fence (waiting for the previous batch to be stored: the fencing condition), send (its records handed to the connection), stored (their acks from JetStream, in order)',
      labelNames: ['phase'] as const,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers,
    });
    const read = new Counter({ name: 'pkguard_cluster_events_batches_read_total', help: "Event batches this node's events reader handed to its feed: own (this node stored it; its records taken as committed) or parsed (another node's, or an own one whose ack came after the reader)", labelNames: ['source'] as const, registers });
    this.batchesOwn = read.labels('own');
    this.batchesParsed = read.labels('parsed');
    this.nodeBatches = new Counter({ name: 'pkguard_cluster_node_batches_total', help: "This node's batches on its node subject (one per turn, every partition's records): stored, refused (a takeover marker came after the last one: resent without the taken partitions), failed (outcome unknown)", labelNames: ['outcome'] as const, registers });
    this.markersRead = new Counter({ name: 'pkguard_cluster_takeover_markers_read_total', help: "Takeover markers read on this node's subject (another node took a partition from it)", registers });
    this.commitRecords = new Histogram({ name: 'pkguard_cluster_commit_records', help: 'Records per partition commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128], registers });
  }

  /** Records one commit's timeline. */
  commitTiming(t: { queuedMs: number; fenceMs: number; sendMs: number; storedMs: number; records: number }): void {
    this.commitPhase.observe({ phase: 'queued' }, t.queuedMs / 1000);
    this.commitPhase.observe({ phase: 'fence' }, t.fenceMs / 1000);
    this.commitPhase.observe({ phase: 'send' }, t.sendMs / 1000);
    this.commitPhase.observe({ phase: 'stored' }, t.storedMs / 1000);
    this.commitRecords.observe(t.records);
  }
}
