/**
 * The core's `Outbox` on this node's sockets: flags, levels, PK, shutdown and restore to the feed
 * hub, and a stream's flags (`?flags=1`) and shutdown to the ingest connections that sent it.
 */
import type { DeclineEvent, LevelEvent, RecommendEvent, RestoreEvent, RetractEvent, ShutdownEvent } from '../escalate/escalation.js';
import type { Flag } from '../flag.js';
import type { EndEvent, IngestPeer, Outbox, PkEvent } from '../stream/contracts.js';
import type { FeedHub } from './feed-hub.js';
import type { IngestConnection } from './ingest-connection.js';

const shutdownFrame = (e: ShutdownEvent) =>
  JSON.stringify({ type: 'shutdown', stream: e.stream, reason: e.reason, flagIds: e.flagIds, ts: e.ts, epoch: e.epoch, manual: e.manual, ...(e.confirmed ? { confirmed: true } : {}) });

/** `toFeed`: where flags go on their way to the hub (an owner process of a node: through the merge of every owner's flags, src/node/flag-merge.ts). */
export function socketOutbox(hub: FeedHub, toFeed: (flags: readonly Flag[], text: string, prev?: string) => void = (f, t, p) => hub.flags(f, t, p)): Outbox {
  return {
    flags(flags: readonly Flag[], text: string, conns: Iterable<IngestPeer>, prev?: string) {
      toFeed(flags, text, prev);
      // Ingest connections get the flags without the text they sent; each serialized once for all of them.
      let frames: string[] | undefined;
      for (const peer of conns) {
        const conn = peer as IngestConnection;
        if (!conn.wantsFlags) continue;
        frames ??= flags.map((flag) => JSON.stringify({ type: 'flag', flag }));
        for (const f of frames) conn.sendRaw(f);
      }
    },
    pk(e: PkEvent) {
      hub.pk(e);
    },
    end(e: EndEvent) {
      hub.end(e);
    },
    event(e: LevelEvent | RestoreEvent | RecommendEvent | DeclineEvent | RetractEvent) {
      if (e.type === 'level') hub.level(e);
      else if (e.type === 'restore') hub.restore(e);
      else if (e.type === 'recommend') hub.recommend(e);
      else if (e.type === 'decline') hub.decline(e);
      else hub.retract(e);
    },
    shutdown(e: ShutdownEvent, conns: Iterable<IngestPeer>) {
      const json = shutdownFrame(e);
      for (const peer of conns) (peer as IngestConnection).sendRaw(json);
      hub.shutdown(e, json);
    },
    standing(e: ShutdownEvent, peer: IngestPeer) {
      (peer as IngestConnection).sendRaw(shutdownFrame(e));
    },
  };
}
