/**
 * Escalation on the real feed (a `pkguard serve` process, real WebSockets, its journal on disk):
 * who said it on flags, `retract` for a partial's flag the final drops, and `recommend` mode, where
 * a shutdown waits for a moderator's `confirm` — each surviving a SIGKILL and restart.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { Client, TOKENS, removeDir, sleep, startServer, type ServerProcess } from '../server/harness.js';

const servers: ServerProcess[] = [];
afterAll(async () => {
  for (const s of servers) {
    await s.stop('SIGKILL');
    removeDir(s.dir);
  }
});

async function serve(dir?: string, escalation?: object): Promise<ServerProcess> {
  const s = await startServer({ ...(dir ? { dir } : {}), ...(escalation ? { config: { escalation } } : {}) });
  servers.push(s);
  return s;
}

async function feed(s: ServerProcess, role: 'moderator' | 'control' = 'moderator'): Promise<Client> {
  const c = await Client.open(s.url('/feed', role === 'moderator' ? TOKENS.moderator[0] : TOKENS.control[0]));
  c.send({ type: 'subscribe' });
  await c.next((m) => (role === 'moderator' ? m.type === 'streams' && m.done === true : true), 5000).catch(() => undefined);
  return c;
}

const summaryOf = async (s: ServerProcess, stream: string) => {
  const c = await Client.open(s.url('/feed', TOKENS.moderator[0]));
  c.send({ type: 'subscribe' });
  const page = await c.next((m) => m.type === 'streams' && m.done === true);
  c.close();
  return (page.streams as Record<string, unknown>[]).find((x) => x.stream === stream);
};

describe('enforce mode', () => {
  test('flags say who said it; a partial’s flag the final drops is retracted on the feed, its weight gone, after a restart too', { timeout: 90_000 }, async () => {
    const s = await serve();
    const mod = await feed(s);
    const control = await Client.open(s.url('/feed', TOKENS.control[0]));
    control.send({ type: 'subscribe' });
    const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    const ts = Date.now();
    const send = async (m: Record<string, unknown>) => {
      ingest.send(m);
      return ingest.next((r) => (r.type === 'ack' || r.type === 'error') && r.stream === m.stream && r.seq === m.seq);
    };

    await send({ type: 'chat', stream: 'who', seq: 1, ts, user: 'viewer_42', text: '想要便宜的加我微信私聊' });
    const chatFlag = (await mod.next((m) => m.type === 'flag' && (m.flag as { seq: number }).seq === 1)).flag as Record<string, unknown>;
    expect(chatFlag).toMatchObject({ kind: 'chat', user: 'viewer_42' });

    await send({ type: 'transcript', stream: 'who', seq: 2, ts: ts + 1000, text: '这个面霜效果史上最强', speaker: 'guest' });
    const guestFlag = (await mod.next((m) => m.type === 'flag' && (m.flag as { seq: number }).seq === 2)).flag as Record<string, unknown>;
    expect(guestFlag).toMatchObject({ kind: 'transcript', speaker: 'guest' });
    expect(guestFlag.user).toBeUndefined();

    const bad = await send({ type: 'transcript', stream: 'who', seq: 3, ts: ts + 1500, text: 'x', speaker: 'narrator' });
    expect(bad).toMatchObject({ type: 'error', code: 'invalid_message' });
    expect(bad.message).toMatch(/^speaker/);

    // The ASR hears a cancer claim, then changes its mind.
    await send({ type: 'transcript', stream: 'asr', seq: 1, ts: ts + 2000, text: '吃了这个能抗癌', final: false });
    const partialFlag = (await mod.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === 'asr')).flag as Record<string, unknown>;
    expect(partialFlag).toMatchObject({ severity: 'critical', partial: true });
    expect(await summaryOf(s, 'asr')).toMatchObject({ level: 'watch' });
    await send({ type: 'transcript', stream: 'asr', seq: 1, ts: ts + 2500, text: '吃了这个能抗寒', final: true });
    const retract = await mod.next((m) => m.type === 'retract');
    expect(retract).toMatchObject({ type: 'retract', stream: 'asr', seq: 1, flagId: partialFlag.id });
    await mod.next((m) => m.type === 'level' && m.stream === 'asr' && m.level === 'normal');
    expect(await summaryOf(s, 'asr')).toMatchObject({ level: 'normal', risk: 0 });
    // A critical claim on a partial never shut anything down; control saw nothing of it.
    await sleep(200);
    expect(mod.of('shutdown')).toEqual([]);
    expect(control.received.filter((m) => m.type === 'retract' || m.type === 'flag')).toEqual([]);

    // SIGKILL: the journal replays the retraction (no weight comes back), and who said what.
    await s.stop('SIGKILL');
    const again = await serve(s.dir);
    expect(await summaryOf(again, 'asr')).toMatchObject({ level: 'normal', risk: 0 });
    const resumed = await Client.open(again.url('/feed', TOKENS.moderator[0]));
    resumed.send({ type: 'subscribe', since: 'f1', streams: ['who'] }); // history from the journal
    await resumed.next((m) => m.type === 'flag' && (m.flag as { seq: number }).seq === 2);
    expect(resumed.of('flag').map((m) => (m.flag as Record<string, unknown>).speaker ?? (m.flag as Record<string, unknown>).user)).toContain('guest');
    resumed.close();
    ingest.close();
    mod.close();
    control.close();
  });
});

describe('recommend mode', () => {
  test('a critical claim is recommended to moderators only; it survives a restart; a confirm sends the shutdown to control and ingest', { timeout: 90_000 }, async () => {
    const s = await serve(undefined, { mode: 'recommend' });
    const mod = await feed(s);
    const control = await Client.open(s.url('/feed', TOKENS.control[0]));
    control.send({ type: 'subscribe' });
    const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    const ts = Date.now();
    ingest.send({ type: 'transcript', stream: 'rec', seq: 1, ts, text: '吃了这个能抗癌' });
    await ingest.ack('rec', 1);
    const rec = await mod.next((m) => m.type === 'recommend');
    expect(rec).toMatchObject({ stream: 'rec', reason: expect.stringMatching(/critical/) });
    expect((rec.flagIds as string[]).length).toBe(1);
    expect(await summaryOf(s, 'rec')).toMatchObject({ level: 'alert', recommended: rec.reason });
    await sleep(300);
    expect(control.received.filter((m) => m.type !== 'error')).toEqual([]); // not a shutdown yet
    expect(ingest.of('shutdown')).toEqual([]);
    // A control connection cannot confirm.
    control.send({ type: 'confirm', stream: 'rec' });
    expect(await control.next((m) => m.type === 'error')).toMatchObject({ code: 'forbidden' });

    await s.stop('SIGKILL');
    const again = await serve(s.dir, { mode: 'recommend' });
    expect(await summaryOf(again, 'rec')).toMatchObject({ level: 'alert', recommended: rec.reason });
    const mod2 = await feed(again);
    const control2 = await Client.open(again.url('/feed', TOKENS.control[0]));
    control2.send({ type: 'subscribe' });
    const ingest2 = await Client.open(again.url('/ingest', TOKENS.ingest[0]));
    ingest2.send({ type: 'transcript', stream: 'rec', seq: 2, ts: ts + 1000, text: '今晚拍两件送一个收纳袋' });
    await ingest2.ack('rec', 2);
    await sleep(200);
    expect(mod2.of('recommend')).toEqual([]); // signalled before the restart: not again

    mod2.send({ type: 'confirm', stream: 'rec' });
    expect(await mod2.next((m) => m.type === 'ok')).toMatchObject({ command: 'confirm', stream: 'rec' });
    const shut = await control2.next((m) => m.type === 'shutdown' && m.stream === 'rec');
    expect(shut).toMatchObject({ confirmed: true, manual: true, reason: rec.reason, flagIds: rec.flagIds, epoch: 1 });
    await ingest2.next((m) => m.type === 'shutdown' && m.stream === 'rec');
    mod2.send({ type: 'confirm', stream: 'rec' });
    expect(await mod2.next((m) => m.type === 'ok' && m.noop === true)).toMatchObject({ command: 'confirm' });

    await again.stop('SIGKILL');
    const third = await serve(s.dir, { mode: 'recommend' });
    const control3 = await Client.open(third.url('/feed', TOKENS.control[0]));
    control3.send({ type: 'subscribe' });
    expect(await control3.next((m) => m.type === 'shutdown' && m.stream === 'rec')).toMatchObject({ state: true, reason: rec.reason });
    control3.close();
    for (const c of [mod, control, ingest, mod2, control2, ingest2]) c.close();
  });

  test('decline clears the recommendation (journaled); an unknown stream is refused', { timeout: 60_000 }, async () => {
    const s = await serve(undefined, { mode: 'recommend' });
    const mod = await feed(s);
    const ingest = await Client.open(s.url('/ingest', TOKENS.ingest[0]));
    ingest.send({ type: 'transcript', stream: 'dec', seq: 1, ts: Date.now(), text: 'this tea can cure cancer' });
    await ingest.ack('dec', 1);
    await mod.next((m) => m.type === 'recommend' && m.stream === 'dec');
    mod.send({ type: 'decline', stream: 'dec' });
    expect(await mod.next((m) => m.type === 'ok' && m.command === 'decline')).toMatchObject({ stream: 'dec' });
    await mod.next((m) => m.type === 'decline' && m.stream === 'dec');
    expect((await summaryOf(s, 'dec'))?.recommended).toBeUndefined();
    mod.send({ type: 'confirm', stream: 'nowhere' });
    expect(await mod.next((m) => m.type === 'error')).toMatchObject({ code: 'unknown_stream' });
    await s.stop('SIGKILL');
    const again = await serve(s.dir, { mode: 'recommend' });
    expect((await summaryOf(again, 'dec'))?.recommended).toBeUndefined();
    ingest.close();
    mod.close();
  });
});
