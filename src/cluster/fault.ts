/**
 * Fault injection for the cluster's crash tests: `PKGUARD_CLUSTER_FAULT=<point>:<stream prefix>`
 * makes a node SIGKILL itself (`before_reply`; `before_snapshot`/`after_snapshot` with the prefix
 * `snapshot-<partition>`: around writing a partition's snapshot) or SIGSTOP itself (`before_append`,
 * once: a paused owner the test resumes) at that point while handling a message of a matching stream, so a test
 * can crash or pause an owner exactly between two steps that a real fault hits only by chance.
 * Unset (always, outside tests) it costs one comparison.
 */
export type FaultPoint = 'before_reply' | 'before_append' | 'before_snapshot' | 'after_snapshot';

const spec = process.env.PKGUARD_CLUSTER_FAULT;
const sep = spec?.indexOf(':') ?? -1;
const point = spec && sep > 0 ? spec.slice(0, sep) : undefined;
const prefix = spec && sep > 0 ? spec.slice(sep + 1) : '';

/** Dies at `at` if a stream of the message matches, once what was already sent has reached the server. */
let paused = false;

export async function crashPoint(at: FaultPoint, streams: () => Iterable<string>, flush: () => Promise<void>): Promise<void> {
  if (point !== at || paused) return;
  for (const s of streams()) {
    if (!s.startsWith(prefix)) continue;
    await flush().catch(() => {});
    // before_append: stop (a paused owner, resumed by the test with SIGCONT); else die.
    if (at === 'before_append') paused = true;
    process.kill(process.pid, at === 'before_append' ? 'SIGSTOP' : 'SIGKILL');
    return;
  }
}
