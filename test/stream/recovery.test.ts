/**
 * Recovery paths of the embedded core one at a time (Journal + Processor in-process): a rotation's
 * snapshot racing a failed batch, a damaged snapshot, a record of the wrong shape, a disk that is
 * full at startup, and the seq guarantees (unsafe seqs refused naming `seq`, interleaved pipelines).
 */
import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FaultyFiles } from '../journal/faulty-files.js';
import { isAck, openCore, PEER, recordingOutbox, tempJournalDir, untilWritable, type Core, type CoreOptions, type Msg } from './embedded.js';
import { T0 } from './fault-model.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const newDir = () => {
  const d = tempJournalDir();
  dirs.push(d);
  return d;
};

const segments = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.ndjson')).sort();
const activeBytes = (dir: string) => statSync(join(dir, segments(dir).at(-1)!)).size;

/** A sender of one stream's transcript chunks, seq by seq. */
function sender(core: () => Core, stream: string, start = 1) {
  let seq = start - 1;
  return {
    next: (text: string): Msg => ({ type: 'transcript', stream, seq: ++seq, ts: T0 + seq * 1000, text, final: true }),
    send: async (text: string) => (await core().processor.ingestBatch([{ type: 'transcript', stream, seq: ++seq, ts: T0 + seq * 1000, text, final: true }], PEER))[0]!,
    get seq() {
      return seq;
    },
  };
}

describe('a rotation snapshot taken while a batch is being written', () => {
  test('the batch after the snapshot fails: its state never becomes the journal\'s, even once the snapshot is where replay starts', async () => {
    const dir = newDir();
    const files = new FaultyFiles();
    const opts: CoreOptions = { journal: { segmentBytes: 1500, retainBytes: 1 } };
    let core = await openCore(dir, { ...opts, files });
    const y = sender(() => core, 'y');
    while (activeBytes(dir) < 1200) expect(isAck(await y.send('大家好，欢迎来到直播间'))).toBe(true);

    // A's write is held in flight; B (a critical claim on x) is appended meanwhile, so the snapshot
    // A's rotation takes already counts B. B's own write (after the snapshot's) fails.
    const held = files.pauseAt('write', files.calls.write + 1);
    const a = core.processor.ingestBatch([y.next('这件衣服的面料很舒服，大家可以看看，颜色也有好几种。'.repeat(4))], PEER); // past segmentBytes
    await held.reached;
    const bMsg: Msg = { type: 'transcript', stream: 'x', seq: 1, ts: T0, text: '喝了能治癌', final: true };
    const b = core.processor.ingestBatch([bMsg], PEER);
    files.failNext('write', 'ENOSPC', 2); // 1: the rotation's snapshot, 2: B
    held.resume();
    expect((await a)[0]).toMatchObject({ type: 'ack' });
    expect((await b)[0]).toMatchObject({ type: 'error', code: 'internal' });
    expect(segments(dir)).toEqual(['segment-000000000001.ndjson']); // the rotation whose snapshot counted B is undone
    await untilWritable(core.processor);
    expect(core.processor.summaries().find((s) => s.stream === 'x')).toBeUndefined();

    // The pipeline is down a while; y goes on until retention has deleted the first segment.
    while (segments(dir)[0] === 'segment-000000000001.ndjson') expect(isAck(await y.send('大家好，欢迎来到直播间'))).toBe(true);
    await core.processor.close();

    // Restarted, replay starts at a later snapshot: x was never processed, never shut down.
    core = await openCore(dir, opts);
    expect(core.processor.summaries().find((s) => s.stream === 'x')).toBeUndefined();
    const again = (await core.processor.ingestBatch([bMsg], PEER))[0]!;
    expect(again).toEqual({ type: 'ack', stream: 'x', seq: 1 }); // processed now, not a duplicate
    expect(core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`)).toEqual(['x#1']);
    expect(core.outbox.rec.flags.map((f) => f.flag.term)).toEqual(['治癌']);
    await core.processor.close();
  });
});

describe('startup', () => {
  /** A journal whose last batch was torn after the flag that shut a stream down: the shutdown was never recorded nor signalled. */
  async function tornShutdown(dir: string): Promise<void> {
    const core = await openCore(dir);
    expect((await core.processor.ingestBatch([{ type: 'transcript', stream: 'x', seq: 1, ts: T0, text: '喝了能治癌', final: true }], PEER))[0]).toMatchObject({ type: 'ack' });
    await core.processor.close();
    const file = join(dir, segments(dir).at(-1)!);
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
    const kept = lines.filter((l) => !l.startsWith('{"t":"shutdown"') && !l.startsWith('{"t":"level"'));
    expect(kept.length).toBe(lines.length - 2);
    writeFileSync(file, kept.join('\n') + '\n');
  }

  test('a shutdown a torn batch left unrecorded is recorded and signalled once at startup', async () => {
    const dir = newDir();
    await tornShutdown(dir);
    const core = await openCore(dir);
    expect(core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`)).toEqual(['x#1']);
    await core.processor.close();
    const again = await openCore(dir);
    expect(again.outbox.rec.shutdowns).toEqual([]); // recorded now: not signalled a second time
    expect(again.processor.summaries()).toMatchObject([{ stream: 'x', level: 'shutdown' }]);
    await again.processor.close();
  });

  test('on a full disk, startup still succeeds: not ready, and the unrecorded shutdown is signalled once space returns', async () => {
    const dir = newDir();
    await tornShutdown(dir);
    const files = new FaultyFiles();
    files.fill(0);
    const core = await openCore(dir, { files });
    expect(core.processor.health()).toMatchObject({ ready: false, writable: false });
    const refused = (await core.processor.ingestBatch([{ type: 'transcript', stream: 'y', seq: 1, ts: T0, text: '大家好', final: true }], PEER))[0];
    expect(refused).toMatchObject({ type: 'error', code: 'internal' });
    files.release();
    await untilWritable(core.processor);
    expect(core.outbox.rec.shutdowns.map((e) => `${e.stream}#${e.epoch}`)).toEqual(['x#1']);
    await core.processor.close();
    const again = await openCore(dir);
    expect(again.outbox.rec.shutdowns).toEqual([]);
    await again.processor.close();
  });
});
