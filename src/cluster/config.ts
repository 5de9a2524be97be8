/**
 * The `cluster` section of the server config. Without it pkguard runs embedded (one process, file
 * journal). With it, the node joins the other nodes on the same NATS JetStream server(s).
 */
import { z } from 'zod';

export const clusterConfigSchema = z
  .object({
    /** NATS server URL(s), `nats://host:4222`. */
    servers: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** This node's id (logs, owner leases, reply subject). Default: `<hostname>-<pid>-<random>`. */
    nodeId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (a NATS subject token)').optional(),
    /** Credentials: a user/password pair, a token, or a `.creds` file (JWT + nkey). */
    user: z.string().min(1).optional(),
    pass: z.string().min(1).optional(),
    token: z.string().min(1).optional(),
    credsFile: z.string().min(1).optional(),
    /** An nkey seed file (`SU...`): authenticates with the nkey instead of a password. */
    nkeySeedFile: z.string().min(1).optional(),
    /** TLS to the NATS servers: a CA to trust (self-signed servers), and a client certificate for mutual TLS. */
    tls: z
      .object({
        caFile: z.string().min(1).optional(),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .refine((t) => (t.certFile === undefined) === (t.keyFile === undefined), { message: 'certFile and keyFile go together', path: ['certFile'] })
      .optional(),
    /** Subject and stream/bucket name prefix; nodes with the same prefix form one cluster. */
    prefix: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case letters, digits, _ and - only').default('pkguard'),
    /** Streams are hashed into this many partitions; every node of a cluster must agree. */
    partitions: z.number().int().min(1).max(4096).default(64),
    /** A partition lease expires this long after its owner's last renewal. */
    leaseTtlMs: z.number().int().min(1000).max(600_000).default(6000),
    /** How often leases are renewed and partitions rebalanced (well under `leaseTtlMs`). */
    renewMs: z.number().int().min(100).max(60_000).default(2000),
    /** How long the events stream keeps history (risk rebuild on failover, `since`). */
    eventsMaxAgeMs: z.number().int().min(60_000).default(7 * 24 * 3600 * 1000),
    /** How long the ingest stream keeps a message no node has processed. */
    ingestMaxAgeMs: z.number().int().min(60_000).default(24 * 3600 * 1000),
    /** JetStream duplicate window: re-published signals with the same id within it are dropped. */
    duplicateWindowMs: z.number().int().min(1000).default(10 * 60_000),
    /** JetStream replicas for the streams and the lease bucket (1 on a single nats-server). */
    replicas: z.number().int().min(1).max(5).default(1),
    /**
     * Each partition's state is snapshotted after this many records (snapshots.ts), so a takeover
     * replays at most about this many events after the snapshot instead of the whole history. 0: never.
     */
    snapshotEvery: z.number().int().min(0).default(10_000),
    /** Partitions a node rebuilds (snapshot + replay) at once; the rest wait, their leases renewed. */
    rebuildConcurrency: z.number().int().min(1).max(4096).default(4),
    /**
     * One commit per node turn (node-commit.ts): every partition's batch of a turn in one JetStream
     * message on `ev.n.<node>`, fenced per node by takeover markers. Off: one batch subject per
     * partition. Every node of a cluster must agree. `PKGUARD_CLUSTER_NODE_COMMIT=1` turns it on
     * when the config does not say (tests, bench).
     */
    nodeCommit: z.boolean().optional(),
    /** How long a WebSocket frame waits for the owning node's acks before it gets `unavailable`. */
    replyTimeoutMs: z.number().int().min(1000).default(30_000),
  })
  .strict()
  .refine((c) => c.renewMs * 2 <= c.leaseTtlMs, { message: 'renewMs must be at most half of leaseTtlMs', path: ['renewMs'] });

export type ClusterConfig = z.infer<typeof clusterConfigSchema>;
