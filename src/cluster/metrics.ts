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
  }
}
