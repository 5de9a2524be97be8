/**
 * The flooding side of `bench:flood`, in a process of its own so its sending never shares an event
 * loop with the client whose latency is measured: N ingest connections, each sending array frames
 * of `batch` messages as fast as the server reads them (TCP pushes back when it pauses a socket).
 * Prints the messages acked per second as JSON when done.
 */
import WebSocket from 'ws';

const [url, token, connections, batch, seconds, mode, interval] = process.argv.slice(2) as [string, string, string, string, string, string | undefined, string | undefined];
/** `dense`: each frame is one chat line of 全网最低价， × 3,000 (18k units, 3,000 claims). */
const DENSE = '全网最低价，'.repeat(3000);
const until = Date.now() + Number(seconds) * 1000;
// Dense frames are 54 KB each: paced (by default one per connection every 20 ms) rather than filling every buffer.
const pauseMs = Number(interval ?? (mode === 'dense' ? 20 : 0));
let acked = 0;

async function flood(c: number): Promise<void> {
  const ws = new WebSocket(`${url}/ingest`, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.on('message', (data: Buffer) => {
    const replies = JSON.parse(data.toString()) as { type: string }[] | { type: string };
    for (const r of Array.isArray(replies) ? replies : [replies]) if (r.type === 'ack') acked++;
  });
  let seq = 0;
  while (Date.now() < until) {
    if (ws.bufferedAmount > 1 << 20) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const frame = [];
    if (mode === 'dense') frame.push({ type: 'chat', stream: `dense-${c}`, seq: seq++, ts: 1_790_000_000_000 + seq, user: 'troll', text: DENSE });
    else for (let i = 0; i < Number(batch); i++, seq++) frame.push({ type: 'transcript', stream: `flood-${c}-${seq % 50}`, seq: Math.floor(seq / 50), ts: 1_790_000_000_000 + seq, text: '家人们今天这个价格真的很划算，喜欢的扣个一，库存不多了抓紧时间' });
    ws.send(JSON.stringify(frame));
    await new Promise((r) => (pauseMs > 0 ? setTimeout(r, pauseMs) : setImmediate(r)));
  }
  ws.terminate();
}

await Promise.all(Array.from({ length: Number(connections) }, (_, c) => flood(c)));
process.stdout.write(JSON.stringify({ ackedPerSecond: Math.round(acked / Number(seconds)) }) + '\n');
