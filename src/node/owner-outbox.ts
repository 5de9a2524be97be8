/**
 * An owner's `Outbox` when the node runs several processes: everything goes to this process's
 * sockets as in one process (server/outbox.ts), and what the feed shows (flags, levels, PK, ends,
 * shutdowns, restores) is also sent to every other process, whose feed hub publishes it as if its
 * own core had raised it. A shutdown reaches the stream's ingest connections wherever they are:
 * those of other processes are proxy peers (owner-host.ts).
 */
import type { ShutdownEvent } from '../escalate/escalation.js';
import type { Flag } from '../flag.js';
import type { EndEvent, Outbox, PkEvent } from '../stream/contracts.js';

type FeedEvent = Parameters<Outbox['event']>[0];

export function broadcastingOutbox(local: Outbox, broadcast: (json: string) => void): Outbox {
  const out: Outbox = {
    flags(flags: readonly Flag[], text: string, conns, prev?: string) {
      local.flags(flags, text, conns, prev);
      broadcast(JSON.stringify({ t: 'e', k: 'flags', flags, text, ...(prev !== undefined ? { prev } : {}) }));
    },
    pk(e: PkEvent) {
      local.pk(e);
      broadcast(JSON.stringify({ t: 'e', k: 'pk', e }));
    },
    event(e: FeedEvent) {
      local.event(e);
      broadcast(JSON.stringify({ t: 'e', k: 'event', e }));
    },
    shutdown(e: ShutdownEvent, conns) {
      local.shutdown(e, conns);
      broadcast(JSON.stringify({ t: 'e', k: 'shutdown', e }));
    },
    standing: (e, peer) => local.standing(e, peer),
  };
  if (local.end) {
    const end = local.end.bind(local);
    out.end = (e: EndEvent) => {
      end(e);
      broadcast(JSON.stringify({ t: 'e', k: 'end', e }));
    };
  }
  if (local.shadow) out.shadow = local.shadow.bind(local);
  return out;
}

/** Another owner's feed event other than flags (those go through the merge, owner-router.ts), published through this process's outbox (to its feed hub only: no ingest connection of this process is named). */
export function applyRemoteEvent(local: Outbox, m: Record<string, unknown>): void {
  switch (m.k) {
    case 'pk':
      local.pk(m.e as PkEvent);
      break;
    case 'event':
      local.event(m.e as FeedEvent);
      break;
    case 'shutdown':
      local.shutdown(m.e as ShutdownEvent, []);
      break;
    case 'end':
      local.end?.(m.e as EndEvent);
      break;
  }
}
