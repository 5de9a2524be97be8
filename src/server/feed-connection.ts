/**
 * One `/feed` frame from a moderator or control client: subscribe, or a moderator command run by
 * the core and answered on the same socket.
 */
import type { Metrics } from '../metrics.js';
import { wireError } from '../protocol/codes.js';
import { FEED_SCHEMAS } from '../protocol/feed.js';
import { decodeMessage, splitFrame } from '../protocol/frame.js';
import type { StreamService } from '../stream/contracts.js';
import type { FeedClient, FeedHub } from './feed-hub.js';

export interface FeedFrameDeps {
  core: StreamService;
  hub: FeedHub;
  metrics: Metrics;
  maxBatch: number;
}

export function feedFrameHandler(d: FeedFrameDeps): (client: FeedClient, data: Buffer, isBinary: boolean) => void {
  return (client, data, isBinary) => {
    const reply = (m: object) => {
      if ((m as { type: string }).type === 'error') d.metrics.errors.inc({ code: (m as { code: string }).code });
      d.hub.reply(client, m);
    };
    if (isBinary) return reply(wireError('binary_frame', 'binary frames are not accepted; send JSON text frames'));
    const frame = splitFrame(data.toString('utf8'), d.maxBatch);
    if ('type' in frame) return reply(frame);
    frame.items.forEach((raw, i) => {
      const index = frame.batch ? i : undefined;
      const decoded = decodeMessage(raw, FEED_SCHEMAS, index);
      if (!decoded.ok) return reply(decoded.error);
      const cmd = decoded.message;
      if (cmd.type === 'subscribe') {
        d.hub.subscribe(client, cmd).catch((err: unknown) => reply(wireError('internal', `replay failed: ${(err as Error).message}`)));
        return;
      }
      if (client.role !== 'moderator') return reply(wireError('forbidden', `type: ${cmd.type} is a moderator command; a control connection only subscribes`, { index }));
      const where = { index, command: cmd.type, ...('stream' in cmd ? { stream: cmd.stream } : 'flagId' in cmd ? { flagId: cmd.flagId } : {}) };
      d.core.command(cmd).then(reply, (err: unknown) => reply(wireError('internal', `${cmd.type} failed: ${(err as Error).message}`, where)));
    });
  };
}
