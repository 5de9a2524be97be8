/**
 * The events stream as stored, read once from the start: every JetStream message with its records
 * unpacked the way the cluster reads them (src/cluster/events.ts), for tests that check the stored
 * history against a model. Copies (H_COPY) are kept apart: they repeat a record of a batch.
 */
import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { batchRecords, H_COPY, isBatchV2 } from '../../src/cluster/events.js';

export interface StoredEvent {
  seq: number;
  subject: string;
  /** When the server stored it (ms since the epoch). */
  at: number;
  msgID: string | undefined;
  /** A copy of a record stored in a batch. */
  copy: boolean;
  /** A batch (v2 or older), with no records: a takeover's. */
  emptyBatch: boolean;
  /** The records it holds: a v2 batch's all, an older batch's message records, or the one record (a flag event as `t: 'flag'`). */
  records: { t: string; stream?: string; seq?: number; epoch?: number; flags?: { id: string }[] }[];
  /** A node batch (src/cluster/node-commit.ts, read with a filter other than a partition's): the partition of each record, and the partitions it took. */
  parts?: number[];
  took?: number[];
  /** A takeover marker on a node subject: partition taken, and by whom. */
  taken?: { p: number; by: string };
}

/**
 * `filter`: a subject filter; a partition's (`<prefix>.ev.<p>.>`) also takes that partition's
 * records out of the node subjects' batches (src/cluster/node-commit.ts: `at` says which records
 * are whose), one StoredEvent per node message that holds any (a takeover marker for p: `t: 'taken'`).
 */
export async function storedEvents(url: string, stream: string, filter: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: url });
  const out: StoredEvent[] = [];
  const partition = /^([a-z0-9_-]+)\.ev\.(\d+)\.>$/.exec(filter);
  const nodePrefix = partition ? `${partition[1]}.ev.n.` : undefined;
  const p = partition ? Number(partition[2]) : -1;
  try {
    const js = jetstream(nc);
    const oc = await js.consumers.get(stream, { filter_subjects: partition ? `${partition[1]}.ev.>` : filter, deliver_policy: DeliverPolicy.All });
    if ((await oc.info(true)).num_pending === 0) return out;
    const iter = await oc.consume();
    for await (const m of iter) {
      const done = m.info.pending === 0;
      const body = m.json<{ t: string; p?: number; at?: number[]; took?: number[]; records?: StoredEvent['records'] }>();
      let records: StoredEvent['records'];
      if (nodePrefix && m.subject.startsWith(nodePrefix)) {
        // A node batch or marker: only partition p's part of it.
        if (body.t === 'taken') {
          if (body.p !== p) records = [];
          else records = [{ t: 'taken' }];
        } else {
          const all = isBatchV2(body) ? (batchRecords(body, m.seq) as StoredEvent['records']) : [];
          records = [];
          const at = body.at ?? [];
          for (let k = 0, i = 0; k + 1 < at.length; i += at[k + 1]!, k += 2) if (at[k] === p) records.push(...all.slice(i, i + at[k + 1]!));
          if (body.took?.includes(p)) records.unshift({ t: 'took' });
        }
        if (records.length > 0) out.push({ seq: m.seq, subject: m.subject, at: m.info.timestampNanos / 1e6, msgID: m.headers?.get('Nats-Msg-Id') || undefined, copy: false, emptyBatch: false, records });
        if (done) break;
        continue;
      } else if (partition && !m.subject.startsWith(`${partition[1]}.ev.${p}.`)) {
        if (done) break;
        continue;
      }
      records = isBatchV2(body) ? (batchRecords(body, m.seq) as StoredEvent['records']) : body.t === 'batch' ? (body.records ?? []) : [body];
      const node: Partial<StoredEvent> = {};
      if (body.t === 'taken') node.taken = { p: body.p!, by: (body as { by?: string }).by ?? '' };
      else if (Array.isArray(body.at)) {
        node.took = body.took ?? [];
        node.parts = [];
        for (let k = 0; k + 1 < body.at.length; k += 2) for (let i = 0; i < body.at[k + 1]!; i++) node.parts.push(body.at[k]!);
      }
      out.push({ ...node, seq: m.seq, subject: m.subject, at: m.info.timestampNanos / 1e6, msgID: m.headers?.get('Nats-Msg-Id') || undefined, copy: !!m.headers?.get(H_COPY), emptyBatch: body.t === 'batch' && records.length === 0, records });
      if (done) break;
    }
    iter.stop();
    return out;
  } finally {
    await nc.close();
  }
}
