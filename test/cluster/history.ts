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
}

export async function storedEvents(url: string, stream: string, filter: string): Promise<StoredEvent[]> {
  const nc = await connect({ servers: url });
  const out: StoredEvent[] = [];
  try {
    const js = jetstream(nc);
    const oc = await js.consumers.get(stream, { filter_subjects: filter, deliver_policy: DeliverPolicy.All });
    if ((await oc.info(true)).num_pending === 0) return out;
    const iter = await oc.consume();
    for await (const m of iter) {
      const body = m.json<{ t: string; records?: StoredEvent['records'] }>();
      const records = isBatchV2(body) ? (batchRecords(body, m.seq) as StoredEvent['records']) : body.t === 'batch' ? (body.records ?? []) : [body];
      out.push({ seq: m.seq, subject: m.subject, at: m.info.timestampNanos / 1e6, msgID: m.headers?.get('Nats-Msg-Id') || undefined, copy: !!m.headers?.get(H_COPY), emptyBatch: body.t === 'batch' && records.length === 0, records });
      if (m.info.pending === 0) break;
    }
    iter.stop();
    return out;
  } finally {
    await nc.close();
  }
}
