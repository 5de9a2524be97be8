/**
 * Takeover markers for node-subject fencing (node-commit.ts). A node taking partition p over
 * appends `{"t":"taken","p":p,"by":<node>}` to the node subject of the previous owner, WITHOUT an
 * expected sequence, before it moves p's fence. The previous owner's next batch expects its own last
 * batch, finds the marker after it, and is refused by the server: whatever that owner sends after
 * the marker never stores p's records.
 *
 * Who the previous owner is: the node named by p's last fence (every takeover and every snapshot
 * writes the fence with its node). The marker goes first and the fence is moved after it
 * (compare-and-set), so whenever a fence names an owner, every owner before it has been marked: an
 * owner that died between its marker and its fence left the fence naming the one before, which the
 * next takeover marks again.
 */
import type { JetStreamManager } from '@nats-io/jetstream';
import type { PubAcks } from './pub-acks.js';
import type { Subjects } from './subjects.js';

export interface TakenMarker {
  t: 'taken';
  p: number;
  by: string;
}

export function isTakenMarker(body: unknown): body is TakenMarker {
  return typeof body === 'object' && body !== null && (body as TakenMarker).t === 'taken' && Number.isInteger((body as TakenMarker).p);
}

/** p's last fence: its stream sequence (0: none) and the node that wrote it. */
export async function lastFence(jsm: JetStreamManager, subjects: Subjects, p: number): Promise<{ seq: number; node?: string }> {
  try {
    const sm = await jsm.streams.getMessage(subjects.fencesStream, { last_by_subj: subjects.fence(p) });
    if (!sm) return { seq: 0 };
    let node: unknown;
    try {
      node = (sm.json() as { node?: unknown }).node;
    } catch {
      node = undefined;
    }
    return typeof node === 'string' ? { seq: sm.seq, node } : { seq: sm.seq };
  } catch (err) {
    if (/no message found|not found/i.test((err as Error).message)) return { seq: 0 };
    throw err;
  }
}

/** Appends a `taken p` marker to `owner`'s node subject; resolves to its stream sequence. */
export async function markTaken(acks: PubAcks, subjects: Subjects, owner: string, p: number, by: string): Promise<number> {
  const body: TakenMarker = { t: 'taken', p, by };
  return (await acks.publish(subjects.nodeBatches(owner), JSON.stringify(body))).seq;
}
