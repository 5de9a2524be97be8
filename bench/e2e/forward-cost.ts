/**
 * What forwarding a message to the process that owns its stream costs (the "several processes
 * behind one port" design, bench/README "Both cores"): batches of 20 ingest messages, as the
 * ingest socket receives them, go over a Unix socket to a child process that parses each batch
 * once and answers one line of acks per batch, as an owner would. Reports CPU µs per message on
 * each side, against the same batches only parsed and acked on one side (the work the owner does
 * anyway). Run: `npm run build && node dist/bench/e2e/forward-cost.js [--batches 20000]`.
 */
import { fork } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BATCH = 20;

function frame(n: number): string {
  const msgs = [];
  for (let k = 0; k < BATCH; k++) msgs.push(`{"type":"transcript","stream":"s${(n * BATCH + k) % 2000}","seq":${1_733_000_000_000 + n},"ts":${1_733_000_000_000 + n},"text":"家人们看一下这款面霜，质地很清爽今天福利"}`);
  return '[' + msgs.join(',') + ']';
}

/** The owner: parses each forwarded batch (work it does for its own connections anyway) and acks it in one line. */
function owner(path: string): void {
  const server = createServer((s) => {
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      let nl;
      let acks = '';
      while ((nl = buf.indexOf('\n')) >= 0) {
        const batch = JSON.parse(buf.slice(0, nl)) as { stream: string; seq: number }[];
        buf = buf.slice(nl + 1);
        acks += JSON.stringify(batch.map((m) => [m.stream, m.seq])) + '\n';
      }
      if (acks) s.write(acks);
    });
  });
  server.listen(path, () => process.send!({ ready: true }));
  process.on('message', (m: { report?: boolean }) => {
    if (m.report) {
      const u = process.cpuUsage();
      process.send!({ cpuUs: u.user + u.system });
    }
  });
}

async function main(): Promise<void> {
  const arg = process.argv.indexOf('--batches');
  const batches = arg > 0 ? Number(process.argv[arg + 1]) : 20_000;
  const frames = Array.from({ length: 1000 }, (_, i) => frame(i));
  // Baseline: the same batches parsed and acked in one process.
  const c0 = process.cpuUsage();
  let sink = 0;
  for (let i = 0; i < batches; i++) {
    const batch = JSON.parse(frames[i % frames.length]!) as { stream: string; seq: number }[];
    sink += JSON.stringify(batch.map((m) => [m.stream, m.seq])).length;
  }
  const c1 = process.cpuUsage(c0);
  const localUs = (c1.user + c1.system) / (batches * BATCH);

  const path = join(mkdtempSync(join(tmpdir(), 'pkguard-fwd-')), 'owner.sock');
  const child = fork(fileURLToPath(import.meta.url), ['--owner', path]);
  await new Promise((r) => child.once('message', r));
  const childCpu = () => new Promise<number>((r) => { child.once('message', (m: { cpuUs: number }) => r(m.cpuUs)); child.send({ report: true }); });
  const sock: Socket = connect(path);
  await new Promise((r) => sock.once('connect', r));
  sock.setEncoding('utf8');
  let acked = 0;
  let buf = '';
  sock.on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      // The forwarder reads the acks to answer its own client (it writes them on as they are).
      sink += (JSON.parse(buf.slice(0, nl)) as unknown[]).length;
      buf = buf.slice(nl + 1);
      acked++;
    }
  });
  const childBefore = await childCpu();
  const p0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) {
    // The forwarder does not parse: the frame goes on as it came (its owner was chosen by the connection's first stream).
    if (!sock.write(frames[i % frames.length]! + '\n')) await new Promise((r) => sock.once('drain', r));
  }
  while (acked < batches) await new Promise((r) => setTimeout(r, 5));
  const p1 = process.cpuUsage(p0);
  const childUs = (await childCpu()) - childBefore;
  const perMsg = (us: number) => us / (batches * BATCH);
  const fwdUs = perMsg(p1.user + p1.system);
  const ownUs = perMsg(childUs);
  process.stdout.write(
    `batches of ${BATCH}, ${batches} batches: parse + ack in one process ${localUs.toFixed(2)} µs/msg; forwarded: forwarder ${fwdUs.toFixed(2)} µs/msg, owner ${ownUs.toFixed(2)} µs/msg (parse + ack + socket); forwarding overhead ${(fwdUs + ownUs - localUs).toFixed(2)} µs/msg (${sink > 0 ? 'ok' : ''})\n`,
  );
  sock.destroy();
  child.kill();
}

if (process.argv[2] === '--owner') owner(process.argv[3]!);
else await main();
