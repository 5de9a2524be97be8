/**
 * `npm run bench:client`: `IngestClient` throughput against one node (a `pkguard serve` process,
 * file journal with fsync, unpaced limits), A/B in one run against a bare frame pump
 * (`IngestSocket`, batches of `--batch` with at most `--window` unacked: the server's ceiling as a
 * client sees it). Rounds alternate, each on fresh streams; min and median are printed, plus the
 * client's own CPU per message. Options: --messages N (50000), --streams N (200), --window N
 * (1000), --batch N (500), --rounds N (3).
 */
import { IngestClient } from '../src/index.js';
import { IngestSocket } from '../src/client/ingest-socket.js';
import { BENCH_TOKENS, startServerProcess } from './e2e/server-process.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const MESSAGES = arg('--messages', 50_000);
const STREAMS = arg('--streams', 200);
const WINDOW = arg('--window', 1000);
const BATCH = arg('--batch', 500);
const ROUNDS = arg('--rounds', 3);
const TEXTS = ['家人们今天这款真的很好用', '主播在线回答问题', '这个颜色很好看哦', '全网最低价就在今天', '大家点点关注'];

function messages(round: string): object[] {
  const out: object[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const s = i % STREAMS;
    out.push({ type: 'chat', stream: `${round}-${s}`, seq: Math.floor(i / STREAMS) + 1, ts: 1_790_000_000_000 + i, user: 'u1', text: TEXTS[i % TEXTS.length] });
  }
  return out;
}

interface Run {
  msgPerS: number;
  clientCpuUsPerMsg: number;
}

async function viaClient(url: string, msgs: object[]): Promise<Run> {
  const client = await IngestClient.connect(url, BENCH_TOKENS.ingest[0]!, { window: WINDOW, maxBatch: BATCH });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  let failed = 0;
  const done: Promise<unknown>[] = [];
  for (const m of msgs) {
    await client.ready();
    done.push(client.send(m as Record<string, unknown>).catch(() => failed++));
  }
  await Promise.all(done);
  const s = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  await client.close();
  if (failed > 0) throw new Error(`${failed} messages failed`);
  return { msgPerS: msgs.length / s, clientCpuUsPerMsg: (used.user + used.system) / msgs.length };
}

async function viaSocket(url: string, msgs: object[]): Promise<Run> {
  let acked = 0;
  let wake: (() => void) | undefined;
  const socket = await IngestSocket.connect(url, BENCH_TOKENS.ingest[0]!, {
    ack: () => {
      acked++;
      wake?.();
    },
  });
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < msgs.length; i += BATCH) {
    while (socket.sent - acked + BATCH > WINDOW) await new Promise<void>((r) => (wake = r));
    socket.send(msgs.slice(i, i + BATCH));
  }
  while (acked < msgs.length) await new Promise<void>((r) => (wake = r));
  const s = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  await socket.close();
  return { msgPerS: msgs.length / s, clientCpuUsPerMsg: (used.user + used.system) / msgs.length };
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { min: Math.round(s[0]!), median: Math.round(s[Math.floor(s.length / 2)]!) };
};

const server = await startServerProcess({ config: { limits: { ratePerSecond: 1e6, rateBurst: 1e6, tokenRatePerSecond: 1e6, globalRatePerSecond: 1e6, cpuShare: 1, cpuBurstMs: 1000, drainNoticeMs: 0 } } });
try {
  const runs = { client: [] as Run[], socket: [] as Run[] };
  await viaSocket(server.url, messages('warm')); // JIT and journal warm-up, not counted
  for (let r = 0; r < ROUNDS; r++) {
    runs.client.push(await viaClient(server.url, messages(`c${r}`)));
    runs.socket.push(await viaSocket(server.url, messages(`s${r}`)));
  }
  const result = {
    messages: MESSAGES,
    streams: STREAMS,
    window: WINDOW,
    batch: BATCH,
    rounds: ROUNDS,
    ingestClient: { msgPerS: stats(runs.client.map((x) => x.msgPerS)), clientCpuUsPerMsg: stats(runs.client.map((x) => x.clientCpuUsPerMsg)) },
    bareSocket: { msgPerS: stats(runs.socket.map((x) => x.msgPerS)), clientCpuUsPerMsg: stats(runs.socket.map((x) => x.clientCpuUsPerMsg)) },
    perRound: runs.client.map((c, i) => [Math.round(c.msgPerS), Math.round(runs.socket[i]!.msgPerS)]),
    clientOverSocketMedian: +(stats(runs.client.map((x) => x.msgPerS)).median / stats(runs.socket.map((x) => x.msgPerS)).median).toFixed(2),
  };
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} finally {
  await server.stop();
}
