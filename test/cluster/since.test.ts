/**
 * `since` in cluster mode, under load: a moderator that drops its connection and resumes on another
 * node with the last flag id it received gets every later flag once, in id order: no gap, no
 * repeat, whatever is raised while it reconnects (DESIGN "Exactly once, in order, on resume"). A
 * moderator on a third node that never disconnects is the model. Several resumes in a row, each
 * while a pipeline keeps raising flags on streams owned by every node.
 */
import { describe, expect, test } from 'vitest';
import { Client, sleep, TOKENS, type ServerProcess } from '../server/harness.js';
import { Pipeline } from './pipeline.js';
import { balancedNodes, hasNatsServer } from './harness.js';


const idOf = (m: Record<string, unknown>) => (m.flag as { id: string }).id;
const n = (id: string) => Number(id.slice(1));

describe.skipIf(!hasNatsServer)('cluster: since on resume', () => {
  const { nodes } = balancedNodes('since');

  test('a moderator resuming with since on another node, while flags keep coming, gets each later flag once, in order', { timeout: 120_000 }, async () => {
    const [a, b, c] = nodes as [ServerProcess, ServerProcess, ServerProcess];
    const model = await Client.open(c.url('/feed', TOKENS.moderator[0]));
    model.send({ type: 'subscribe' });
    const pipeline = new Pipeline(await Client.open(a.url('/ingest', TOKENS.ingest[0])), 8, 'since');
    pipeline.start(50);
    // The resuming moderator: its connections, alternately on b and a, each resumed from the last id the previous one got.
    const received: string[] = [];
    let conn = await Client.open(b.url('/feed', TOKENS.moderator[0]));
    conn.send({ type: 'subscribe' });
    for (let hop = 0; hop < 6; hop++) {
      await sleep(700);
      const got = conn.of('flag').map(idOf);
      conn.close();
      received.push(...got);
      const last = received.at(-1);
      conn = await Client.open((hop % 2 === 0 ? a : b).url('/feed', TOKENS.moderator[0]));
      conn.send(last ? { type: 'subscribe', since: last } : { type: 'subscribe' });
    }
    await sleep(700);
    pipeline.stop();
    // Everything raised has reached the model and the last connection.
    const settle = Date.now() + 30_000;
    let lastModel = '';
    for (;;) {
      await sleep(1000);
      const now = model.of('flag').map(idOf).at(-1) ?? '';
      if (now === lastModel && conn.of('flag').map(idOf).at(-1) === now) break;
      lastModel = now;
      if (Date.now() > settle) break;
    }
    received.push(...conn.of('flag').map(idOf));
    conn.close();
    const all = model.of('flag').map(idOf);
    model.close();
    expect(received.length, 'flags were raised during the resumes').toBeGreaterThan(20);
    expect(received.length - new Set(received).size, 'no flag twice').toBe(0);
    for (let i = 1; i < received.length; i++) expect(n(received[i]!), `in id order at ${i}`).toBeGreaterThan(n(received[i - 1]!));
    // No gap: from the first flag it got, the resuming moderator got exactly what the model got.
    const from = all.indexOf(received[0]!);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(received).toEqual(all.slice(from));
  });

  test('history: N counts back N events of the history, not N flag numbers (a batch spans a thousand)', { timeout: 60_000 }, async () => {
    const [a, b] = nodes as [ServerProcess, ServerProcess];
    const ingest = await Client.open(a.url('/ingest', TOKENS.ingest[0]));
    // One claim per commit (each acked before the next), each on a stream of its own: one stored batch per flag.
    for (let i = 1; i <= 6; i++) {
      ingest.send({ type: 'chat', stream: `history-${i}`, seq: 1, ts: 1, user: 'u', text: '全网最低价' });
      await ingest.ack(`history-${i}`, 1);
    }
    const feed = await Client.open(b.url('/feed', TOKENS.moderator[0]));
    feed.send({ type: 'subscribe', history: 3 });
    await feed.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === 'history-6', 15_000);
    await sleep(500);
    // Counted in flag numbers, 3 reached back into no batch at all and replayed nothing.
    expect(feed.of('flag').map((m) => (m.flag as { stream: string }).stream)).toEqual(['history-4', 'history-5', 'history-6']);
    ingest.close();
    feed.close();
  });
});
