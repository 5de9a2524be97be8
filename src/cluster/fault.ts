/**
 * Fault injection for the cluster's crash tests: `PKGUARD_CLUSTER_FAULT=<point>:<stream prefix>`
 * makes a node SIGKILL itself at that point while handling a message of a matching stream, so a
 * test can crash an owner exactly between two steps that a real crash hits only by chance.
 * Unset (always, outside tests) it costs one comparison.
 */
export type FaultPoint = 'before_reply';

const spec = process.env.PKGUARD_CLUSTER_FAULT;
const sep = spec?.indexOf(':') ?? -1;
const point = spec && sep > 0 ? spec.slice(0, sep) : undefined;
const prefix = spec && sep > 0 ? spec.slice(sep + 1) : '';

/** Dies at `at` if a stream of the message matches, once what was already sent has reached the server. */
export async function crashPoint(at: FaultPoint, streams: () => Iterable<string>, flush: () => Promise<void>): Promise<void> {
  if (point !== at) return;
  for (const s of streams()) {
    if (!s.startsWith(prefix)) continue;
    await flush().catch(() => {});
    process.kill(process.pid, 'SIGKILL');
  }
}
