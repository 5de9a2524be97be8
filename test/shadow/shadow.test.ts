/**
 * The shadow lexicon in a real server (`dist` serve process), with real WebSocket clients:
 * - a stream that the shadow lexicon's flags would shut down if they were live (proved on a second
 *   server running that lexicon live) stays at risk 0, unflagged and unshut, before and after a restart;
 * - shadow flags are journaled as `shadow` on the message record, counted in metrics (gained/lost
 *   against live), and sent only to moderators that subscribe with `shadow: true`;
 * - `promote`: refused to control connections, refused by the reload guard unless forced, journaled,
 *   and then the candidate is the live lexicon.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Client, removeDir, startServer, tempDir, TOKENS, type ServerProcess } from '../server/harness.js';
import { SMALL_LEXICON } from '../stream/embedded.js';

const T0 = 1_790_000_000_000;
const HOT = '全网最低价，全网最低价';

function lexiconDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'pkguard-shadow-lex-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Live: the small lexicon without 全网最低价. Shadow: with it, but without the contact file (加微信). */
const LIVE = { ...SMALL_LEXICON, 'extreme.test.tsv': SMALL_LEXICON['extreme.test.tsv']!.replace('全网最低价\thigh\n', '') };
const { 'contact.test.tsv': _contact, ...SHADOW } = SMALL_LEXICON;

const dirs: string[] = [];
let liveDir: string;
let shadowDir: string;
let server: ServerProcess;
let plain: Client;
let watcher: Client;
let ingest: Client;

const moderator = (s: ServerProcess) => Client.open(s.url('/feed', TOKENS.moderator[0]));
const subscribed = async (c: Client, sub: Record<string, unknown>) => {
  c.send({ type: 'subscribe', ...sub });
  await c.next((m) => m.type === 'streams' && m.done === true);
  return c;
};
const hotMessages = (stream: string, n: number) => Array.from({ length: n }, (_, i) => ({ type: 'transcript', stream, seq: i + 1, ts: T0 + (i + 1) * 1000, text: HOT }));
const journalRecords = (s: ServerProcess) =>
  readdirSync(join(s.dir, 'journal'))
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .flatMap((f) => readFileSync(join(s.dir, 'journal', f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
async function metricsText(s: ServerProcess): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${s.port}/metrics`);
  return res.text();
}
const streamSummary = async (s: ServerProcess, stream: string) => {
  const c = await moderator(s);
  try {
    c.send({ type: 'subscribe' });
    const page = await c.next((m) => m.type === 'streams' && m.done === true);
    return (page.streams as { stream: string; level: string; risk: number }[]).find((x) => x.stream === stream);
  } finally {
    c.close();
  }
};

beforeAll(async () => {
  liveDir = lexiconDir(LIVE);
  shadowDir = lexiconDir(SHADOW);
  dirs.push(liveDir, shadowDir);
  server = await startServer({ config: { lexicons: { live: liveDir, shadow: shadowDir } } });
  plain = await subscribed(await moderator(server), {});
  watcher = await subscribed(await moderator(server), { shadow: true });
  ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
}, 60_000);

afterAll(async () => {
  for (const c of [plain, watcher, ingest]) c?.close();
  await server?.stop();
  if (server) removeDir(server.dir);
  for (const d of dirs) removeDir(d);
});

describe('shadow lexicon', () => {
  test('the same flags shut a stream down when live (a server with the candidate as its live lexicon)', async () => {
    const live = await startServer({ config: { lexicons: shadowDir } });
    try {
      const feed = await subscribed(await moderator(live), {});
      const conn = await Client.open(live.url('/ingest', TOKENS.ingest[0]));
      conn.send(hotMessages('hot', 6));
      await conn.ack('hot', 6);
      await feed.next((m) => m.type === 'shutdown' && m.stream === 'hot');
      conn.close();
      feed.close();
    } finally {
      await live.stop();
      removeDir(live.dir);
    }
  });

  test('as shadow they never raise risk: no live flag, no level change, no shutdown, risk 0 — also after a restart', async () => {
    ingest.send(hotMessages('hot', 6));
    await ingest.ack('hot', 6);
    const frames = await (async () => {
      for (let i = 0; i < 100 && watcher.of('shadow').filter((m) => m.stream === 'hot').length < 6; i++) await new Promise((r) => setTimeout(r, 50));
      return watcher.of('shadow').filter((m) => m.stream === 'hot');
    })();
    expect(frames).toHaveLength(6);
    for (const f of frames) {
      const flags = f.flags as { id: string; term: string; stream: string }[];
      expect(flags.map((x) => x.term)).toEqual(['全网最低价', '全网最低价']);
      expect(f.gained).toEqual(flags.map((x) => x.id));
      expect(f.lost).toEqual([]);
      expect(f.text).toBe(HOT);
    }
    for (const c of [plain, watcher]) {
      expect(c.received.filter((m) => m.type !== 'shadow' && m.type !== 'streams' && (m.stream === 'hot' || (m.flag as { stream?: string } | undefined)?.stream === 'hot'))).toEqual([]);
    }
    // Only the client that asked gets shadow frames.
    expect(plain.of('shadow')).toEqual([]);
    expect(await streamSummary(server, 'hot')).toMatchObject({ level: 'normal', risk: 0 });

    const recs = journalRecords(server).filter((r) => r.t === 'msg' && r.stream === 'hot');
    expect(recs).toHaveLength(6);
    for (const r of recs) {
      expect(r.flags).toEqual([]);
      expect((r.shadow as { term: string }[]).map((f) => f.term)).toEqual(['全网最低价', '全网最低价']);
    }
    expect(journalRecords(server).filter((r) => r.stream === 'hot' && r.t !== 'msg')).toEqual([]);

    // A restart replays the journal: shadow flags still count for nothing, and their ids are not reused.
    const shadowIds = recs.flatMap((r) => (r.shadow as { id: string }[]).map((f) => Number(f.id.slice(1))));
    for (const c of [plain, watcher, ingest]) c.close();
    await server.stop();
    server = await startServer({ dir: server.dir, config: { lexicons: { live: liveDir, shadow: shadowDir } } });
    plain = await subscribed(await moderator(server), {});
    watcher = await subscribed(await moderator(server), { shadow: true });
    ingest = await Client.open(server.url('/ingest', TOKENS.ingest[0]));
    expect(await streamSummary(server, 'hot')).toMatchObject({ level: 'normal', risk: 0 });
    ingest.send({ type: 'chat', stream: 'after', seq: 1, ts: T0, user: 'v1', text: '私聊加微信' });
    const live = await plain.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === 'after');
    expect(Number((live.flag as { id: string }).id.slice(1))).toBeGreaterThan(Math.max(...shadowIds));
  });

  test('a live flag the shadow lexicon does not raise is reported lost, and metrics count gained and lost by category', async () => {
    // The chat of the previous test: live 加微信, which the shadow lexicon has no file for.
    const frame = await watcher.next((m) => m.type === 'shadow' && m.stream === 'after');
    const live = plain.of('flag').find((m) => (m.flag as { stream: string }).stream === 'after')!;
    expect(frame).toMatchObject({ flags: [], gained: [], lost: [{ id: (live.flag as { id: string }).id, category: 'contact', term: '加微信' }] });
    ingest.send(hotMessages('hot2', 2));
    await ingest.ack('hot2', 2);
    await watcher.next((m) => m.type === 'shadow' && m.stream === 'hot2' && m.seq === 2);
    const text = await metricsText(server);
    // Counters start with the process: 2 messages × 2 flags since the restart.
    expect(text).toMatch(/pkguard_shadow_flags_total\{category="extreme"\} 4\n/);
    expect(text).toMatch(/pkguard_shadow_changes_total\{category="extreme",change="gained"\} 4\n/);
    expect(text).toMatch(/pkguard_shadow_changes_total\{category="contact",change="lost"\} 1\n/);
  });

  test('promote: control may not; the reload guard refuses a candidate that loses a file unless forced; journaled; then it is live', async () => {
    const control = await Client.open(server.url('/feed'), { authorization: `Bearer ${TOKENS.control[0]}` });
    control.send({ type: 'promote', force: true });
    expect(await control.next((m) => m.type === 'error')).toMatchObject({ code: 'forbidden' });
    control.close();

    watcher.send({ type: 'promote' });
    const refused = await watcher.next((m) => m.type === 'error' && m.command === 'promote');
    expect(refused).toMatchObject({ code: 'lexicon_refused' });
    expect(refused.message).toMatch(/contact\.test\.tsv/);
    expect(refused.message).not.toContain(liveDir);
    // Still shadow: the hot phrase raises no live flag.
    ingest.send({ type: 'transcript', stream: 'p', seq: 1, ts: T0, text: HOT });
    await watcher.next((m) => m.type === 'shadow' && m.stream === 'p');

    watcher.send({ type: 'promote', force: true });
    expect(await watcher.next((m) => m.type === 'ok' && m.command === 'promote')).toBeTruthy();
    expect(journalRecords(server).filter((r) => r.t === 'promote')).toEqual([expect.objectContaining({ t: 'promote', dir: shadowDir, from: liveDir, forced: true })]);

    ingest.send({ type: 'transcript', stream: 'p', seq: 2, ts: T0 + 1000, text: HOT });
    ingest.send({ type: 'chat', stream: 'p', seq: 3, ts: T0 + 2000, user: 'v2', text: '私聊加微信' });
    await ingest.ack('p', 3);
    const flag = await plain.next((m) => m.type === 'flag' && (m.flag as { stream: string }).stream === 'p');
    expect(flag.flag).toMatchObject({ seq: 2, term: '全网最低价' });
    await new Promise((r) => setTimeout(r, 200));
    expect(plain.of('flag').filter((m) => (m.flag as { stream: string }).stream === 'p' && (m.flag as { seq: number }).seq === 3)).toEqual([]);
    // No shadow any more: nothing to promote, no shadow frames.
    expect(watcher.of('shadow').filter((m) => m.stream === 'p' && (m.seq as number) >= 2)).toEqual([]);
    watcher.send({ type: 'promote' });
    expect(await watcher.next((m) => m.type === 'error' && m.code === 'no_shadow_lexicon')).toBeTruthy();
  });
});

describe('config', () => {
  test('lexicons.shadow must be a folder name; an unknown key in lexicons is refused', async () => {
    const dir = tempDir();
    try {
      await expect(startServer({ dir, config: { lexicons: { shadow: 3 } } })).rejects.toThrow(/lexicons/);
      await expect(startServer({ dir, config: { lexicons: { live: liveDir, candidate: shadowDir } } })).rejects.toThrow(/lexicons/);
    } finally {
      removeDir(dir);
    }
  });
});
