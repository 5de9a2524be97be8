/**
 * `node dist/bench/journal-store/sync-latency.js [--dir DIR] [--batches 1500] [--kb 30] [--rounds 2]`:
 * the latency of one journal batch (write + fdatasync) appended to a growing file, as the journal
 * writes today, against the same batch overwriting a file already zero-filled to its final size
 * (what write-ahead logs that pre-size their segments do): an append changes the file's size, so
 * every fdatasync also commits that metadata through the filesystem's journal. A lead for the
 * ack tail, not a design: replay would have to tell zeros from records, and the fault-injecting
 * file layer models a segment's durable part by its size.
 */
import { open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, d: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1]! : d;
};
const dir = opt('dir', tmpdir());
const batches = Number(opt('batches', '1500'));
const bytes = Number(opt('kb', '30')) * 1024;
const rounds = Number(opt('rounds', '2'));
const batch = Buffer.alloc(bytes, 0x61);

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;

async function run(mode: 'append' | 'pre-zeroed'): Promise<string> {
  const path = join(dir, `pkguard-sync-latency-${process.pid}.dat`);
  await rm(path, { force: true });
  const fh = await open(path, mode === 'append' ? 'a' : 'w+');
  try {
    if (mode === 'pre-zeroed') {
      const zeros = Buffer.alloc(1 << 20);
      for (let at = 0; at < batches * bytes; at += zeros.length) await fh.write(zeros, 0, zeros.length, at);
      await fh.sync();
    }
    const ms: number[] = [];
    for (let i = 0; i < batches; i++) {
      const t0 = performance.now();
      if (mode === 'append') await fh.write(batch, 0, bytes);
      else await fh.write(batch, 0, bytes, i * bytes);
      await fh.datasync();
      ms.push(performance.now() - t0);
    }
    const f = (x: number) => x.toFixed(2);
    return `${mode.padEnd(10)} p50 ${f(quantile(ms, 0.5))}  p90 ${f(quantile(ms, 0.9))}  p99 ${f(quantile(ms, 0.99))}  max ${f(Math.max(...ms))} ms`;
  } finally {
    await fh.close();
    await rm(path, { force: true });
  }
}

process.stdout.write(`${batches} batches of ${bytes / 1024} KB, write + fdatasync each, in ${dir}\n`);
for (let r = 0; r < rounds; r++) {
  process.stdout.write(`${await run('append')}\n`);
  process.stdout.write(`${await run('pre-zeroed')}\n`);
}
